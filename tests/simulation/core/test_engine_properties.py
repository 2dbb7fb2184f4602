"""Property tests over valid scenarios: no NaN, rates in [0, 1], money adds up, no negatives."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import Scenario, simulate

RATE_COLUMNS = ["conversion_rate", "journey_conversion", "retention_12m", "repeat_rate",
                "repeat_12m", "loyal_share", "mean_satisfaction"]
COUNT_COLUMNS = ["new_aware", "active_customers", "new_customers", "journeys", "purchases",
                 "contacts", "offers", "returns", "lapses", "switches", "stockouts"]

unit = st.floats(0.0, 1.0)


@st.composite
def scenarios(draw) -> Scenario:
    base = Scenario.preset("benchmark_retailer")
    plan = {c: draw(unit) for c in ("identity", "context", "consistency", "orchestration",
                                    "inventory", "service")}
    channels = [
        c.model_copy(update={
            "conversion": draw(unit), "stock_availability": draw(unit), "return_rate": draw(unit),
            "contact_frequency_weekly": draw(st.floats(0, 5)),
        })
        for c in base.channels
    ]
    segments = [
        s.model_copy(update={
            "switch_probability": draw(unit), "intent_rate_weekly": draw(st.floats(0, 0.5)),
            "weekly_churn_hazard": draw(st.floats(0, 0.2)), "conflict_sensitivity": draw(unit),
            "order_value_dispersion": draw(st.floats(0, 2)),
        })
        for s in base.segments
    ]
    return base.replace(
        seed=draw(st.integers(0, 2**32)),
        market__population=draw(st.integers(100, 600)),
        market__horizon_weeks=draw(st.integers(8, 70)),
        market__existing_customer_share=draw(unit),
        market__weekly_reach_rate=draw(st.floats(0.01, 1.0)),
        behaviour__touchpoints_per_journey=draw(st.integers(1, 5)),
        behaviour__siloed_context_kept=draw(unit),
        behaviour__lost_context_abandon_share=draw(unit),
        behaviour__conflict_rate=draw(unit),
        behaviour__store_shift_share=draw(st.floats(0.0, 0.5)),
        behaviour__satisfaction_churn_elasticity=draw(st.floats(0, 20)),
        economics__offers_per_week_share=draw(unit),
        custom_plan=plan,
        channels=[c.model_dump() for c in channels],
        segments=[s.model_dump() for s in segments],
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_outputs_are_finite_bounded_and_add_up(scenario):
    results = simulate(scenario)
    kpis = results.kpis
    money = ["revenue", "gross_margin", "marketing_cost", "returns_cost", "fulfilment_cost",
             "service_cost", "harmonisation_cost", "integration_cost", "net_contribution", "npv",
             "terminal_value"]
    assert np.isfinite(kpis[money].to_numpy()).all()
    for column in RATE_COLUMNS:
        values = kpis[column].dropna().to_numpy()
        assert ((values >= 0) & (values <= 1 + 1e-9)).all(), column
    stock_saving = results.weekly.groupby("strategy")["stock_holding_saving"].sum()
    assert np.allclose(
        kpis["gross_margin"] - kpis["harmonisation_cost"] - kpis["marketing_cost"] - kpis["returns_cost"]
        - kpis["fulfilment_cost"] - kpis["service_cost"] - kpis["integration_cost"]
        + stock_saving.loc[kpis.index],
        kpis["net_contribution"], rtol=1e-9, atol=1e-6,
    )
    assert (kpis["gross_margin"] <= kpis["revenue"] + 1e-6).all()
    weekly = results.weekly
    assert (weekly[COUNT_COLUMNS].to_numpy() >= 0).all()
    weekly_net = weekly.groupby("strategy")["net_contribution"].sum()
    assert np.isclose(weekly_net, kpis.loc[weekly_net.index, "net_contribution"]).all()
    survival = results.survival["survival"].to_numpy()
    assert ((survival >= 0) & (survival <= 1)).all()
    funnel = results.funnel.pivot(index="strategy", columns="stage", values="people")
    order = ["reach", "acquisition", "conversion", "retention", "loyalty"]
    for earlier, later in itertools.pairwise(order):
        assert (funnel[earlier] + 1e-9 >= funnel[later]).all(), (earlier, later)
    assert (results.losses["lost"] >= 0).all()
    assert (results.flows["journeys"] >= 0).all()
