"""The personalization report: per plan and training round, model quality and what offers earned.

Incremental purchases. An offer multiplies the person's journey chance that week by
(1 + ``offer_uplift``), so of the journeys offered people open, a share
uplift / (1 + uplift) would not have happened without the offer. The report applies that share
to the offered people's purchases and spend in the week of the offer: an expectation the
simulator knows without peeking at anyone's draws. It is exact while the boosted journey chance
stays below 1; it is an upper bound for people whose chance is capped at 1 and it leaves out the
small reminder effect of the offer as one more contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from simulation.core.scenario import Scenario
    from simulation.core.world import World


class DataRegime(StrEnum):
    """Which models a round used."""

    NONE = "none"
    SILOED = "siloed"
    UNIFIED = "unified"
    BLEND = "blend"


@dataclass
class RoundRecord:
    """What one training round of one plan did.

    Counts are of simulated people, money in simulated currency (the report scales them).
    """

    index: int
    week: int
    identity: float = 0.0
    linked_share: float = float("nan")
    regime: DataRegime = DataRegime.NONE
    train_people: int = 0
    test_people: int = 0
    base_rate: float = float("nan")
    auc: float = float("nan")
    top_decile_precision: float = float("nan")
    offers: int = 0
    offer_purchases: int = 0
    offer_net_value: float = 0.0
    offer_incremental: float = 0.0
    """Expected purchases the offers caused, summed per purchase; used when offer response
    differs by person (``offer_response_intent_elasticity`` > 0)."""
    offer_incremental_value: float = 0.0
    qini: float = float("nan")
    """Qini coefficient of the ranking used (uplift mode) on the held-out experiment."""
    qini_purchase: float = float("nan")
    """Qini coefficient of the purchase-probability ranking on the same held-out people."""
    experiment_people: int = 0


REPORT_COLUMNS = (
    "strategy", "round", "week", "weeks", "identity", "linked_share", "regime", "train_people",
    "test_people", "base_rate", "auc", "top_decile_precision", "top_decile_lift", "qini",
    "qini_purchase", "experiment_people", "offers",
    "offer_purchases", "incremental_purchases", "incremental_revenue", "incremental_margin",
    "offer_cost", "incremental_contribution", "incremental_margin_per_offer",
)


def report_frame(world: World | None, rounds_by_plan: dict[int, list[RoundRecord]]) -> pd.DataFrame:
    """Per plan and training round: model quality on held-out people and what offers earned.

    ``rounds_by_plan`` maps a plan's index in ``world.plan_names`` to its rounds, in order.

    Round 0 is the warm-up before the first model (random offers). ``week`` is the round's
    first week and ``weeks`` its length; offers and money cover those weeks. ``auc`` and
    ``top_decile_precision`` are measured on the held-out people of the round's sample against
    a purchase in any channel during the label window that ended at ``week``; ``base_rate`` is
    that window's purchase rate and ``top_decile_lift`` = precision / base rate.
    ``train_people`` and ``test_people`` are simulated people; offers, purchases and money are
    scaled to the real market like :func:`simulation.core.metrics.weekly_frame`.
    ``incremental_*`` use the uplift / (1 + uplift) share of offered people's purchases in the
    offer week (module docstring); ``incremental_margin_per_offer`` is not scaled.
    """
    if world is None or not rounds_by_plan:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("strategy", "regime") else float)
                             for c in REPORT_COLUMNS})
    scenario = world.scenario
    economics = scenario.economics
    horizon = scenario.market.horizon_weeks
    share = economics.offer_uplift / (1.0 + economics.offer_uplift)
    rows = []
    for s in sorted(rounds_by_plan):
        rounds = rounds_by_plan[s]
        for i, r in enumerate(rounds):
            end = rounds[i + 1].week if i + 1 < len(rounds) else horizon
            per_person = economics.offer_response_intent_elasticity > 0 and economics.offer_uplift > 0
            incremental_revenue = r.offer_incremental_value if per_person else r.offer_net_value * share
            incremental_purchases = r.offer_incremental if per_person else r.offer_purchases * share
            cost = r.offers * economics.offer_cost
            rows.append({
                "strategy": world.plan_names[s], "round": r.index, "week": r.week,
                "weeks": end - r.week, "identity": r.identity, "linked_share": r.linked_share,
                "regime": r.regime.value, "train_people": r.train_people,
                "test_people": r.test_people, "base_rate": r.base_rate, "auc": r.auc,
                "top_decile_precision": r.top_decile_precision,
                "top_decile_lift": r.top_decile_precision / r.base_rate
                if r.base_rate > 0 else float("nan"),
                "offers": r.offers, "offer_purchases": r.offer_purchases,
                "qini": r.qini, "qini_purchase": r.qini_purchase,
                "experiment_people": r.experiment_people,
                "incremental_purchases": incremental_purchases,
                "incremental_revenue": incremental_revenue, "offer_cost": cost,
            })
    return price_report(pd.DataFrame(rows), scenario)


_SCALED_COLUMNS = ["offers", "offer_purchases", "incremental_purchases", "incremental_revenue",
                   "offer_cost"]


def price_report(report: pd.DataFrame, scenario: Scenario, *, scale_from: float = 1.0) -> pd.DataFrame:
    """The report scaled to ``scenario``'s market and with margin columns at its gross margin.

    These are the two things a report needs that the run itself does not fix
    (:mod:`simulation.core.valuation`). ``scale_from`` is the scale the counts and money of
    ``report`` are at (1: simulated people).
    """
    priced = report.copy()
    if scenario.scale != scale_from:
        priced[_SCALED_COLUMNS] = priced[_SCALED_COLUMNS] * (scenario.scale / scale_from)
    margin = priced["incremental_revenue"] * scenario.economics.gross_margin
    priced["incremental_margin"] = margin
    priced["incremental_contribution"] = margin - priced["offer_cost"]
    # Per offer, not scaled: scaling cancels between margin and offers.
    priced["incremental_margin_per_offer"] = margin / priced["offers"].where(priced["offers"] > 0)
    return priced.reindex(columns=list(REPORT_COLUMNS))


def personalization_summary(report: pd.DataFrame, kpis: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per plan (index ``strategy``): AUC, precision, offer totals and revenue lift.

    AUC and top-decile precision are means over trained rounds. ``revenue_lift`` = incremental revenue /
    (revenue - incremental revenue), the emergent counterpart of the 5-25% "personalization
    lifts revenue" range (McKinsey 2021), when ``kpis`` is given.
    """
    trained = report[report["regime"] != DataRegime.NONE.value]
    grouped = report.groupby("strategy", sort=False)
    out = pd.DataFrame({
        "auc": trained.groupby("strategy", sort=False)["auc"].mean(),
        "top_decile_precision": trained.groupby("strategy", sort=False)["top_decile_precision"].mean(),
        "qini": trained.groupby("strategy", sort=False)["qini"].mean(),
        "qini_purchase": trained.groupby("strategy", sort=False)["qini_purchase"].mean(),
        "offers": grouped["offers"].sum(),
        "incremental_purchases": grouped["incremental_purchases"].sum(),
        "incremental_revenue": grouped["incremental_revenue"].sum(),
        "incremental_margin": grouped["incremental_margin"].sum(),
        "offer_cost": grouped["offer_cost"].sum(),
        "incremental_contribution": grouped["incremental_contribution"].sum(),
    })
    out["incremental_margin_per_offer"] = out["incremental_margin"] / out["offers"].where(out["offers"] > 0)
    if kpis is not None:
        revenue = kpis["revenue"].reindex(out.index)
        out["revenue_lift"] = out["incremental_revenue"] / (revenue - out["incremental_revenue"])
    out.index.name = "strategy"
    return out


__all__ = ["REPORT_COLUMNS", "DataRegime", "RoundRecord", "personalization_summary", "price_report",
           "report_frame"]
