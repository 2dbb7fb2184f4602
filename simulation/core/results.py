"""What :func:`simulation.simulate` returns: immutable tidy frames for every output (docs/MODEL.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from simulation.core import metrics
from simulation.core.scenario import Scenario
from simulation.core.state import RunOutput


@dataclass(frozen=True)
class Results:
    """Outputs of one run of all plans.

    Attributes
    ----------
    kpis:
        One row per plan (``multichannel``, ``omnichannel``, ``custom``), columns
        :data:`simulation.core.metrics.KPI_COLUMNS`.
    weekly:
        One row per plan and week: counters, money (real market, currency), satisfaction.
    survival:
        Kaplan-Meier survival of customers by weeks since their first purchase.
    funnel, flows, losses, channel_usage, mechanisms:
        See the functions of the same name in :mod:`simulation.core.metrics`.
    customers:
        One row per simulated person and plan (computed on first access).
    """

    scenario: Scenario
    kpis: pd.DataFrame
    weekly: pd.DataFrame
    survival: pd.DataFrame
    funnel: pd.DataFrame
    flows: pd.DataFrame
    losses: pd.DataFrame
    channel_usage: pd.DataFrame
    mechanisms: pd.DataFrame
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    run: RunOutput | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_run(cls, run: RunOutput, extras: dict[str, pd.DataFrame] | None = None) -> Results:
        """The tidy result frames of ``run`` (KPIs, weekly, survival, funnel, ...), keeping the run."""
        weekly = metrics.weekly_frame(run)
        return cls(
            scenario=run.world.scenario,
            kpis=metrics.kpi_frame(run, weekly),
            weekly=weekly,
            survival=metrics.survival_frame(run),
            funnel=metrics.funnel_frame(run),
            flows=metrics.flows_frame(run),
            losses=metrics.losses_frame(run),
            channel_usage=metrics.channel_usage_frame(run),
            mechanisms=metrics.mechanisms_frame(run),
            extras=dict(extras or {}),
            run=run,
        )

    @cached_property
    def customers(self) -> pd.DataFrame:
        """One row per simulated person and plan (computed on first use from the kept run).

        Raises
        ------
        ValueError
            When the per-person data was not kept for this result.
        """
        if self.run is None:
            raise ValueError("per-person data was not kept for this result")
        return metrics.customers_frame(self.run)

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every tidy output by name (``kpis`` with its plan index, named ``strategy``, as a column)."""
        out = {
            "kpis": self.kpis.reset_index(),
            "weekly": self.weekly,
            "survival": self.survival,
            "funnel": self.funnel,
            "flows": self.flows,
            "losses": self.losses,
            "channel_usage": self.channel_usage,
            "mechanisms": self.mechanisms,
        }
        out.update(self.extras)
        return out
