"""Scenarios that switch mechanisms off, for closed-form checks."""

from __future__ import annotations

from simulation import Scenario


def constant_hazard_scenario(*, purchase_probability: float, order_value: float, margin: float,
                             hazard: float, discount_rate_annual: float, population: int,
                             horizon_weeks: int, seed: int = 7) -> Scenario:
    """One channel, one segment, everyone a customer at week 0, nothing but buying and churn.

    A journey opens with probability 1 and the single touchpoint buys with
    ``purchase_probability``; the item is always in stock; no contacts, offers, returns,
    service requests, satisfaction effect or loyalty discount; every order is worth ``order_value``.
    """
    data = Scenario().model_dump(mode="python")
    data.update(
        name="constant hazard", seed=seed,
        channels=[{
            "name": "store", "kind": "physical", "conversion": purchase_probability,
            "order_value_multiplier": 1.0, "contact_frequency_weekly": 0.0, "contact_cost": 0.0,
            "stock_availability": 1.0, "return_rate": 0.0,
        }],
        segments=[{
            "name": "everyone", "share": 1.0, "channel_preference": {"store": 1.0},
            "switch_probability": 0.0, "intent_rate_weekly": 1.0, "order_value": order_value,
            "order_value_dispersion": 0.0, "weekly_churn_hazard": hazard,
            "conflict_sensitivity": 0.0, "contact_tolerance_weekly": 20.0,
        }],
    )
    data["market"].update(
        population=population, market_size=population, horizon_weeks=horizon_weeks,
        discount_rate_annual=discount_rate_annual, existing_customer_share=1.0,
        weekly_reach_rate=0.0, reach_cost=0.0, prospect_dropout_weekly=0.0,
    )
    data["behaviour"].update(
        touchpoints_per_journey=1, satisfaction_churn_elasticity=0.0, loyal_hazard_multiplier=1.0,
        intent_heterogeneity=0.0, churn_per_excess_contact=0.0, reminder_max_uplift=0.0,
        service_request_rate=0.0,
    )
    data["economics"].update(gross_margin=margin, offers_per_week_share=0.0)
    return Scenario.validated(data)
