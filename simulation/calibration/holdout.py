"""Holdout validation: fit on the first part of a log, predict the rest, compare week by week.

The log's customers acquired in the fitting part (before the split week) are followed into the
holdout. For each of them the calibrated simulator predicts the purchases and revenue of every
later week from its simulated customers at the same tenure (weeks since the first purchase), so
the prediction reproduces the log's own acquisition weeks. This is the calibration/holdout check
of the buy-till-you-die literature (Fader, Hardie & Lee 2005): an unconditional forecast for the
cohort, not a per-customer score.

Purchases are buying weeks (:mod:`simulation.calibration.cohorts`); the log's orders per buying week in the
fitting part turn predicted purchases into predicted orders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.calibration import cohorts
from simulation.calibration.fitting import (
    ACQUISITION_WEEKS,
    COHORT_KINDS,
    LOG_POPULATION,
    Calibration,
    calibrate,
    cohort_run,
    current_state_scenario,
    log_start,
    project,
)
from simulation.core.results import Results
from simulation.core.scenario import CapabilityLevels, Scenario
from simulation.core.state import ProgressCallback

HOLDOUT_METRICS = {
    "purchases": "purchases per customer in the holdout",
    "orders": "orders per customer in the holdout",
    "revenue": "revenue per customer in the holdout",
    "active": "share of customers buying in the holdout",
}


@dataclass(frozen=True)
class Holdout:
    """Outcome of :func:`holdout_check`.

    Attributes
    ----------
    calibration:
        The fit on the first ``split`` weeks.
    weekly:
        One row per week of the log: ``week``, ``part`` (fit / holdout), ``actual_repeat`` and
        ``predicted_repeat`` (repeat purchases per customer that week), and in the holdout the
        cumulative ``actual_*`` / ``predicted_*`` purchases, revenue per customer and share of
        customers who bought since the split.
    summary:
        One row per :data:`HOLDOUT_METRICS`: ``metric``, ``label``, ``actual``, ``predicted``,
        ``relative_error``.
    """

    calibration: Calibration
    split: int
    weeks: int
    customers: int
    weekly: pd.DataFrame
    summary: pd.DataFrame

    def error(self, metric: str) -> float:
        """Relative error of the prediction of ``metric`` (one of :data:`HOLDOUT_METRICS`)."""
        return float(self.summary.set_index("metric").loc[metric, "relative_error"])


def default_split(bw: cohorts.BuyingWeeks) -> int:
    """The week to split the log at: half its span in weeks, but never before week 13."""
    return max(bw.weeks // 2, 13)


def log_targets(bw: cohorts.BuyingWeeks, *, kinds: tuple[str, ...] = COHORT_KINDS,
                extra: dict[str, float] | None = None) -> tuple[dict[str, float], list[str]]:
    """Cohort targets of a log over its widest window, and notes on what was left out."""
    window = cohorts.widest_window(bw)
    notes = []
    if window is None:
        notes.append("the log is too short to follow customers for 13 weeks after their first "
                     "purchase: only the order value is fitted")
        targets: dict[str, float] = {}
    else:
        targets = {k: v for k, v in cohorts.tenure_kpis(bw, window).items()
                   if k.rsplit("_", 1)[0] in kinds}
    targets["aov"] = cohorts.order_kpis(bw)["aov"]
    targets |= {k: v for k, v in cohorts.spend_kpis(bw).items() if k in kinds}
    if "early_repeat" in kinds:
        targets["early_repeat"] = cohorts.early_repeat(bw)
    targets |= {k: v for k, v in cohorts.block_repeat(bw).items() if k in kinds}
    return targets | (extra or {}), notes


def predict(bw: cohorts.BuyingWeeks, split: int, curves: cohorts.TenureCurves,
            window: int = ACQUISITION_WEEKS, *, stretch: bool = False) -> tuple[pd.DataFrame, int]:
    """Week-by-week actual vs predicted for the log's customers acquired before ``split``.

    ``curves``: the simulated customers' cumulative repeat purchases and revenue by tenure,
    covering tenure up to the log's length; each log customer is predicted from the simulated
    customers acquired in the matched week of the calibration run's ``window``
    (:class:`simulation.calibration.cohorts.Acquisition`, ``stretch`` as there).
    """
    first = bw.first
    cohort = first < split
    n = int(cohort.sum())
    weeks = bw.weeks
    acquisition = cohorts.Acquisition.of(bw.before(split), stretch=stretch)
    acquired, n_f = acquisition.weeks, acquisition.customers
    counts_f, spend_f = acquisition.curves(curves, window)
    top = counts_f.shape[1] - 1
    zero = np.zeros((acquired.size, 1))
    cum_c = np.concatenate([zero, counts_f], axis=1)  # column k + 1: cumulative to tenure k
    cum_s = np.concatenate([zero, spend_f], axis=1)
    rows = np.arange(acquired.size)[:, None]
    t = np.arange(weeks)
    k = np.clip(t[None, :] - acquired[:, None], -1, top) + 1
    per_week = cum_c[rows, k] - cum_c[rows, np.maximum(k - 1, 0)]
    predicted_repeat = (n_f[:, None] * per_week).sum(axis=0) / n
    in_cohort = cohort[bw.customer]
    tenure = bw.week - first[bw.customer]
    repeat_rows = in_cohort & (tenure >= 1)
    actual_repeat = np.bincount(bw.week[repeat_rows], minlength=weeks)[:weeks] / n
    frame = pd.DataFrame({"week": t, "part": np.where(t < split, "fit", "holdout"),
                          "actual_repeat": actual_repeat, "predicted_repeat": predicted_repeat})
    hold_t = t[t >= split]
    base = np.clip(split - 1 - acquired, -1, top) + 1
    upto = np.clip(hold_t[None, :] - acquired[:, None], -1, top) + 1
    pred_c = (n_f[:, None] * (cum_c[rows, upto] - cum_c[rows, base[:, None]])).sum(axis=0) / n
    pred_s = (n_f[:, None] * (cum_s[rows, upto] - cum_s[rows, base[:, None]])).sum(axis=0) / n
    # Share who bought since the split: per acquisition week, from its matched customers.
    bought = np.zeros((acquired.size, hold_t.size))
    matched = acquisition.simulated_week(window)
    padded = np.concatenate([np.zeros((curves.counts.shape[0], 1)), curves.counts], axis=1)
    for i, g in enumerate(matched):
        sel = curves.first == g
        own = padded[sel] if sel.any() else padded
        bought[i] = (own[:, upto[i]] - own[:, [base[i]]] > 0).mean(axis=0)
    pred_a = (n_f[:, None] * bought).sum(axis=0) / n
    hold_rows = in_cohort & (bw.week >= split)
    by_week = np.bincount(bw.week[hold_rows], minlength=weeks)[split:weeks] / n
    spend_week = np.bincount(bw.week[hold_rows], weights=bw.amount[hold_rows],
                             minlength=weeks)[split:weeks] / n
    first_buy = np.full(bw.n_customers, weeks)
    np.minimum.at(first_buy, bw.customer[hold_rows], bw.week[hold_rows])
    active = np.array([np.mean(first_buy[cohort] <= w) for w in hold_t])
    hold = pd.DataFrame({"week": hold_t, "actual_purchases": np.cumsum(by_week),
                         "predicted_purchases": pred_c, "actual_revenue": np.cumsum(spend_week),
                         "predicted_revenue": pred_s, "actual_active": active, "predicted_active": pred_a})
    return frame.merge(hold, on="week", how="left"), n


def holdout_check(
    bw: cohorts.BuyingWeeks,
    scenario: Scenario,
    *,
    levels: CapabilityLevels,
    split: int | None = None,
    population: int = LOG_POPULATION,
    kinds: tuple[str, ...] = COHORT_KINDS,
    extra_targets: dict[str, float] | None = None,
    max_evaluations: int = 40,
    progress: ProgressCallback | None = None,
    lapse: str = "purchase",
) -> Holdout:
    """Fit on the log's first ``split`` weeks, predict the rest and compare.

    ``extra_targets`` adds targets measured elsewhere (e.g. the online share); targets the
    fitting part cannot give are skipped with a note (:attr:`Calibration.skipped`).
    """
    split = default_split(bw) if split is None else split
    fit_part = bw.before(split)
    targets, notes = log_targets(fit_part, kinds=kinds, extra=extra_targets)
    calibration = calibrate(scenario, targets, levels=levels, population=population, basis="cohort",
                            skip_unusable=True, max_evaluations=max_evaluations,
                            progress=progress,
                            acquisition=cohorts.Acquisition.of(fit_part, stretch=lapse == "purchase"),
                            lapse=lapse, start=log_start(fit_part, scenario, lapse))
    if notes:
        calibration.skipped.extend(notes)
    run = cohort_run(current_state_scenario(calibration.scenario, population=population), levels,
                     max_tenure=bw.weeks)
    weekly, n = predict(bw, split, cohorts.tenure_curves(run.purchases, bw.weeks),
                        stretch=lapse == "purchase")
    last = weekly.iloc[-1]
    orders_per_purchase = cohorts.order_kpis(fit_part)["orders_per_purchase"]
    cohort_customers = bw.first < split
    hold_rows = cohort_customers[bw.customer] & (bw.week >= split)
    actual_orders = float(bw.orders[hold_rows].sum() / n)
    rows = [("purchases", last["actual_purchases"], last["predicted_purchases"]),
            ("orders", actual_orders, last["predicted_purchases"] * orders_per_purchase),
            ("revenue", last["actual_revenue"], last["predicted_revenue"]),
            ("active", last["actual_active"], last["predicted_active"])]
    summary = pd.DataFrame([{"metric": m, "label": HOLDOUT_METRICS[m], "actual": float(a),
                             "predicted": float(p),
                             "relative_error": float(p / a - 1) if a else math.nan}
                            for m, a, p in rows])
    return Holdout(calibration=calibration, split=split, weeks=bw.weeks, customers=n,
                   weekly=weekly, summary=summary)


LOG_EXTRA_TARGETS = ("online_share", "visitor_conversion")


def targets_from_log(kpis: dict[str, float], bw: cohorts.BuyingWeeks,
                     chosen: list[str] | None = None) -> dict[str, float | None]:
    """The targets a log gives, by KPI name, or only the ``chosen`` ones.

    All of them are its widest tenure window's KPIs, order value, recent repeat buying, online
    share and visitor conversion. In ``chosen``, a name without its window (e.g. ``repeat``)
    takes the log's widest. Values the log cannot give are NaN, to be skipped with a note by
    :func:`simulation.calibration.fitting.calibrate`.
    """
    window = cohorts.widest_window(bw)
    all_targets, _ = log_targets(bw)
    all_targets |= {k: kpis.get(k, math.nan) for k in LOG_EXTRA_TARGETS}
    if chosen is None:
        return dict(all_targets)
    out: dict[str, float | None] = {}
    for name in chosen:
        if name in cohorts.WINDOW_KINDS:
            name = cohorts.kpi_name(name, window) if window else name
        if name in all_targets:
            out[name] = all_targets[name]
        elif name in kpis:
            out[name] = kpis[name]
        else:
            tail = name.rsplit("_", 1)[-1]
            out[name] = (cohorts.tenure_kpis(bw, int(tail[:-1])).get(name, math.nan)
                         if tail.endswith("w") and tail[:-1].isdigit() else math.nan)
    return out


def fit_and_project(scenario: Scenario, targets: dict[str, float | None], *, levels: CapabilityLevels,
                    gross_margin: float | None = None, log: cohorts.BuyingWeeks | None = None,
                    progress: ProgressCallback | None = None,
                    ) -> tuple[Calibration, Results]:
    """The app's calibration and the plans projected over the scenario's own horizon.

    The targets are typed in (``log`` None: weekly-hazard lapses, every bad target refused) or
    measured from a log (cohort-matched to its acquisition weeks, buy-till-you-die lapses,
    targets it cannot give skipped).
    """
    from_log = log is not None
    calibration = calibrate(scenario, targets, levels=levels, gross_margin=gross_margin, basis="cohort",
                            skip_unusable=from_log, progress=progress,
                            population=LOG_POPULATION if from_log else 5000,
                            acquisition=None if log is None else cohorts.Acquisition.of(log, stretch=True),
                            lapse="purchase" if from_log else "hazard",
                            start=log_start(log, scenario) if log is not None else None)
    return calibration, project(calibration)
