"""Selection vs causation: why "multi-channel customers are worth more" is not the effect of integrating.

Within one plan, customers who bought in two or more channels are worth far more than those who
bought in one. In the model, as in the studies that report such gaps (Montaguti, Neslin &
Valentini 2016; Kushwaha & Shankar 2013), much of that gap is who those customers are: a
customer who shops often and for long meets more occasions to use another channel, so channel
breadth follows activity and tenure (besides each person's own breadth trait, only partly tied
to activity: ``behaviour.channel_breadth_mean``, docs/MODEL.md section 2). The effect of
integrating is a different comparison: the same person under the integrated plan and under the
baseline. Common random numbers make that person-level counterfactual exact in the simulator
(every plan runs on the same people and the same draws), which no field study can do.

:func:`selection_vs_causation` puts the two side by side from one run's per-person table
(``Results.customers``), as a tidy frame with one row per measure:

* ``gap_raw``: mean lifetime value of the baseline plan's multi-channel customers against its
  single-channel customers.
* ``gap_stratified``: the same gap within strata of customers alike in what they were before
  buying (behavioural segment, hidden purchase propensity quintile, quarter of acquisition,
  existing customer or not), weighted by the multi-channel customers in each stratum (the gap
  "for customers like the multi-channel ones"). What remains is activity and tenure after
  acquisition, which stratifying on traits cannot remove.
* ``gap_same_purchases``: the gap among customers of the same segment with the same number of
  purchases: what is left once activity itself is held fixed.
* ``effect_multi``, ``effect_single``, ``effect_customers``, ``effect_everyone``: each person's
  value under the integrated plan minus the same person's under the baseline, for the baseline's
  multi-channel customers, its single-channel customers, all its customers, and every simulated
  person (including those the integrated plan wins and the baseline never does).

Values are per person in the scenario's currency (``clv`` by default: value from the acquisition
week plus the expected value after the horizon; a person who is not a customer under a plan
counts 0 in the effect rows). Nothing here is scaled to the market.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.core.results import Results

MEASURES = ("gap_raw", "gap_stratified", "gap_same_purchases",
            "effect_multi", "effect_single", "effect_customers", "effect_everyone")
"""Row keys of :func:`selection_vs_causation`, in order (the display layer words them)."""
GAPS = MEASURES[:3]
EFFECTS = MEASURES[3:]

PROPENSITY_BANDS = 5
"""Quantile bands of the hidden purchase propensity used as strata."""
ACQUISITION_PERIOD_WEEKS = 13
"""Width of the acquisition-date strata (a quarter)."""
PURCHASES_CAP = 20
"""Purchase counts above this share a stratum in ``gap_same_purchases``."""

COLUMNS = ("measure", "baseline", "integrated", "value", "people_a", "people_b", "value_a",
           "value_b", "difference", "relative", "standard_error")
"""Columns of the frame. ``a`` is the multi-channel customers (gaps) or the same people under the
integrated plan (effects); ``b`` the single-channel customers or the same people under the
baseline. ``difference = value_a - value_b`` (currency per person), ``relative = difference /
value_b``, ``standard_error`` of the difference (sampling error of the simulated population)."""


class SelectionError(ValueError):
    """The customers table lacks a plan or a column the comparison needs."""


def channel_breadth(customers: pd.DataFrame) -> pd.Series:
    """Number of channels each row bought in within the horizon (``purchases_<channel>`` > 0)."""
    columns = [c for c in customers.columns if c.startswith("purchases_")]
    return (customers[columns] > 0).sum(axis=1)


def _plan(customers: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = customers[customers["strategy"] == name]
    if rows.empty:
        known = ", ".join(dict.fromkeys(customers["strategy"]))
        raise SelectionError(f"no plan named {name!r} in these results (plans: {known})")
    return rows.sort_values("person").reset_index(drop=True)


def _strata(rows: pd.DataFrame) -> pd.Series:
    """Stratum key per customer from traits fixed before buying.

    Segment, propensity band, acquisition quarter (existing customers apart).
    """
    parts = [rows["segment"].astype(str)]
    if "propensity" in rows:
        ranks = rows["propensity"].rank(method="first", pct=True)
        parts.append(np.ceil(ranks * PROPENSITY_BANDS).astype(int).astype(str))
    since = rows["first_purchase_week"].to_numpy()
    period = np.where(rows["existing_customer"].to_numpy(), -1, since // ACQUISITION_PERIOD_WEEKS)
    parts.append(pd.Series(period, index=rows.index).astype(str))
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key


def _row(measure: str, a: np.ndarray, b: np.ndarray, difference: float, base: float,
         error: float) -> dict[str, object]:
    return {"measure": measure, "people_a": int(a.size), "people_b": int(b.size),
            "value_a": base + difference, "value_b": base, "difference": difference,
            "relative": difference / base if base > 0 else float("nan"), "standard_error": error}


def _raw_gap(multi: pd.Series, single: pd.Series) -> dict[str, object]:
    a, b = multi.to_numpy(float), single.to_numpy(float)
    if min(a.size, b.size) == 0:  # nobody to compare with: no gap, not an error
        return _row("gap_raw", a, b, float("nan"), float("nan"), float("nan"))
    error = (float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))
             if min(a.size, b.size) > 1 else float("nan"))
    row = _row("gap_raw", a, b, float(a.mean() - b.mean()), float(b.mean()), error)
    row["value_a"] = float(a.mean())
    return row


def _stratified_gap(measure: str, value: pd.Series, multi: pd.Series,
                    stratum: pd.Series) -> dict[str, object]:
    """Gap within strata, weighted by each stratum's multi-channel customers.

    Strata without both kinds of customer are left out (``people_a``/``people_b`` count those
    compared).
    """
    frame = pd.DataFrame({"value": value.to_numpy(float), "multi": multi.to_numpy(bool),
                          "stratum": stratum.to_numpy()})
    stats = frame.groupby(["stratum", "multi"])["value"].agg(["mean", "var", "size"]).unstack("multi")
    if not {True, False} <= set(stats.columns.get_level_values("multi")):
        return _row(measure, np.empty(0), np.empty(0), float("nan"), float("nan"), float("nan"))
    stats = stats.dropna(subset=[("mean", True), ("mean", False)])
    if stats.empty:
        return _row(measure, np.empty(0), np.empty(0), float("nan"), float("nan"), float("nan"))
    weight = stats[("size", True)] / stats[("size", True)].sum()
    mean_a = float((weight * stats[("mean", True)]).sum())
    mean_b = float((weight * stats[("mean", False)]).sum())
    variance = (stats[("var", True)].fillna(0) / stats[("size", True)]
                + stats[("var", False)].fillna(0) / stats[("size", False)])
    error = float(np.sqrt((weight**2 * variance).sum()))
    row = _row(measure, np.empty(int(stats[("size", True)].sum())),
               np.empty(int(stats[("size", False)].sum())), mean_a - mean_b, mean_b, error)
    row["value_a"] = mean_a
    return row


def _effect(measure: str, after: np.ndarray, before: np.ndarray) -> dict[str, object]:
    change = after - before
    error = float(change.std(ddof=1) / np.sqrt(change.size)) if change.size > 1 else float("nan")
    base = float(before.mean()) if before.size else float("nan")
    row = _row(measure, after, before, float(change.mean()) if change.size else float("nan"), base, error)
    return row


def selection_vs_causation(customers: pd.DataFrame, *, baseline: str = "multichannel",
                           integrated: str = "omnichannel", value: str = "clv") -> pd.DataFrame:
    """The within-plan multi- vs single-channel gap beside the effect of integrating.

    The effect is measured on the same people (module docstring).

    Parameters
    ----------
    customers:
        One row per person and plan, as ``Results.customers`` (columns ``strategy``, ``person``,
        ``segment``, ``existing_customer``, ``first_purchase_week``, ``purchases``,
        ``purchases_<channel>``, the ``value`` column, and ``propensity`` if stratifying on it).
    baseline, integrated:
        The plans compared (the gap is measured within ``baseline``).
    value:
        The per-person value column: ``clv`` (lifetime, currency per person) or ``clv_horizon``.

    Returns
    -------
    pandas.DataFrame
        One row per measure of :data:`MEASURES`, columns :data:`COLUMNS`.

    Raises
    ------
    SelectionError
        When a plan or a column is missing, or the two plans are not the same people.
    """
    needed = {"strategy", "person", "segment", "existing_customer", "first_purchase_week",
              "purchases", value}
    missing = sorted(needed - set(customers.columns))
    if missing:
        raise SelectionError(f"the customers table lacks {', '.join(missing)}")
    base, other = _plan(customers, baseline), _plan(customers, integrated)
    if not np.array_equal(base["person"].to_numpy(), other["person"].to_numpy()):
        raise SelectionError(f"{baseline!r} and {integrated!r} do not hold the same people")
    breadth = channel_breadth(base)
    customer = base[value].notna()
    multi, single = customer & (breadth >= 2), customer & (breadth == 1)
    bought = multi | single
    rows = [_raw_gap(base.loc[multi, value], base.loc[single, value])]
    rows.append(_stratified_gap("gap_stratified", base.loc[bought, value], multi[bought],
                                _strata(base[bought])))
    purchases = base.loc[bought, "purchases"].clip(upper=PURCHASES_CAP).astype(str)
    rows.append(_stratified_gap("gap_same_purchases", base.loc[bought, value], multi[bought],
                                base.loc[bought, "segment"].astype(str) + "|" + purchases))
    before = base[value].fillna(0.0).to_numpy(float)
    after = other[value].fillna(0.0).to_numpy(float)
    for measure, who in zip(EFFECTS, (multi, single, customer, pd.Series(True, index=base.index)),
                            strict=True):
        mask = who.to_numpy(bool)
        rows.append(_effect(measure, after[mask], before[mask]))
    out = pd.DataFrame(rows)
    out.insert(1, "baseline", baseline)
    out.insert(2, "integrated", integrated)
    out.insert(3, "value", value)
    return out[list(COLUMNS)]


def selection_frame(results: Results, *, baseline: str = "multichannel",
                    integrated: str = "omnichannel", value: str = "clv") -> pd.DataFrame:
    """:func:`selection_vs_causation` of ``results.customers``."""
    return selection_vs_causation(results.customers, baseline=baseline, integrated=integrated,
                                  value=value)


__all__ = ["COLUMNS", "EFFECTS", "GAPS", "MEASURES", "SelectionError", "channel_breadth",
           "selection_frame", "selection_vs_causation"]
