"""What :func:`simulation.simulate` returns: immutable tidy frames for every output (docs/MODEL.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from simulation.core import metrics
from simulation.core.scenario import Scenario
from simulation.core.state import RunOutput

LAZY_FRAMES: tuple[str, ...] = ("survival", "funnel", "flows", "losses", "channel_usage",
                                 "mechanisms")
"""The frames computed on first access: most readers (the Overview, the analyses' replications)
need only ``kpis`` and ``weekly``."""

_COMPUTE: dict[str, Callable[[RunOutput], pd.DataFrame]] = {
    "survival": metrics.survival_frame, "funnel": metrics.funnel_frame,
    "flows": metrics.flows_frame, "losses": metrics.losses_frame,
    "channel_usage": metrics.channel_usage_frame, "mechanisms": metrics.mechanisms_frame,
}


def frame_of(run: RunOutput, name: str) -> pd.DataFrame:
    """Frame ``name`` of :data:`LAZY_FRAMES` computed from ``run`` (what a lazy frame equals)."""
    return _COMPUTE[name](run)


FrameSource = Callable[[str], pd.DataFrame]
"""``source(name)``: the frame ``name`` of :data:`LAZY_FRAMES` of some results."""


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

    The frames of :data:`LAZY_FRAMES` may be left out (None) when the results keep their
    ``run`` or have a ``frame_source``: each is then computed on first access, and equals the
    frame computed eagerly. From ``run`` it is kept in the instance (results that keep the
    per-person arrays are far bigger than their frames); from ``frame_source`` it is not, as
    such results live in byte-bounded caches whose entry must not grow after it was measured
    (the source keeps its own, measured, copy). A pickle holds the frames computed so far
    and the run, never the source. The lazy frames are left out of ``repr`` and ``==`` (either
    would compute them); ``copy.copy`` keeps the source; ``dataclasses.replace`` computes every
    frame.
    """

    scenario: Scenario
    kpis: pd.DataFrame
    weekly: pd.DataFrame
    survival: pd.DataFrame = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    funnel: pd.DataFrame = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    flows: pd.DataFrame = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    losses: pd.DataFrame = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    channel_usage: pd.DataFrame = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    mechanisms: pd.DataFrame = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    run: RunOutput | None = field(default=None, repr=False, compare=False)
    frame_source: FrameSource | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        held = vars(self)
        for name in LAZY_FRAMES:
            if held.get(name, 0) is None:
                del held[name]  # absent: __getattr__ computes it on first access

    def __getattr__(self, name: str) -> pd.DataFrame:
        """A frame of :data:`LAZY_FRAMES` not computed yet (only called for absent attributes)."""
        if name not in LAZY_FRAMES:
            raise AttributeError(name)
        held = vars(self)
        run, source = held.get("run"), held.get("frame_source")
        if run is not None:
            frame = _COMPUTE[name](run)
            held[name] = frame
            return frame
        if source is not None:
            return source(name)
        raise ValueError(f"the {name} frame was not computed for these results and they keep "
                         "neither the run nor a source to compute it")

    def __getstate__(self) -> dict[str, object]:
        held = dict(vars(self))
        held.pop("frame_source", None)  # a closure over the app's caches: never pickled
        return held

    def __setstate__(self, state: dict[str, object]) -> None:
        vars(self).update(state)
        vars(self).setdefault("frame_source", None)

    def __copy__(self) -> Results:
        """A shallow copy that keeps the frame source (a pickle round trip would drop it)."""
        copied = object.__new__(Results)
        vars(copied).update(vars(self))
        return copied

    def has_frame(self, name: str) -> bool:
        """Whether frame ``name`` is held (computed) rather than to be computed on access."""
        return name in vars(self)

    @classmethod
    def from_run(cls, run: RunOutput, extras: dict[str, pd.DataFrame] | None = None) -> Results:
        """The tidy result frames of ``run`` (KPIs, weekly; the rest on first access), keeping the run."""
        weekly = metrics.weekly_frame(run)
        return cls(
            scenario=run.world.scenario,
            kpis=metrics.kpi_frame(run, weekly),
            weekly=weekly,
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


for _name in LAZY_FRAMES:
    # The dataclass left each default (None) as a class attribute, which would answer for an
    # absent frame: without it, an absent frame reaches Results.__getattr__.
    delattr(Results, _name)
del _name
