"""Observable purchase KPIs by tenure, one definition for an uploaded log and the simulator.

Everything here reads a table of *buying weeks*: one row per customer and week with at least one
purchase (``customer``, ``week`` counted from the start of the observation, ``amount`` spent that
week, ``orders`` placed that week). A customer's several orders in one week count as one
purchase: the simulator lets a person buy at most once a week, so this is the unit both sides
can count. ``orders`` keeps the log's own count so orders per purchase can be reported.

Tenure is weeks since the customer's first purchase. A KPI over a window of ``W`` weeks counts
only customers whose first purchase is at least ``W`` weeks before the end of the observation,
so every counted customer was watched for the whole window (cohort-matched: the simulated
customers are measured over the same tenure windows as the log's).

When a customer was acquired matters too: in the simulator (as in life) people who buy soon
after they are reached are the keener ones. So simulated customers are weighted to the log's
acquisition weeks (:class:`Acquisition`): a log customer acquired in week ``f`` is matched with
the simulated customers acquired in the same week of the calibration run (weeks scaled into the
run's acquisition window when the log's acquisition spans longer).

=========================  ===================================================================
KPI (``W`` = window)       definition
=========================  ===================================================================
``repeat_{W}w``            share of customers with a second purchase within ``W`` weeks of
                           the first
``purchases_{W}w``         purchases per customer in their first ``W`` weeks (the first
                           included)
``share_3plus_{W}w``       share of customers with 3 or more purchases in their first ``W``
                           weeks (with ``repeat``: the frequency distribution 1 / 2 / 3+)
``active_late_{W}w``       share of customers buying in the last quarter of their first ``W``
                           weeks (weeks 40-52 for 52: "months 10-12")
``revenue_{W}w``           revenue (gross order value) per customer in their first ``W`` weeks
``aov``                    gross order value per purchase
``repeat_value_ratio``     value of a repeat purchase over a first one (:func:`spend_kpis`)
``spend_spread``           spread of customers' own spending levels (:func:`spend_kpis`)
=========================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simulation.inputs.problems import Problem

WINDOWS = (52, 39, 26, 13)
"""Tenure windows in weeks, longest first; 52 weeks is the first year."""
WINDOW_KINDS = ("repeat", "purchases", "share_3plus", "active_late", "revenue")


def kpi_name(kind: str, window: int) -> str:
    """The KPI name of ``kind`` over a ``window``-week window, e.g. ``repeat_52w``."""
    return f"{kind}_{window}w"


def window_label(kind: str, window: int) -> str:
    """Plain-language name of a windowed KPI (what it counts).

    Keyed text of the catalog's ``calibration_kpi.window`` table: English as a ``str``, said in
    the reader's language by a display.
    """
    if kind not in ("repeat", "purchases", "share_3plus", "active_late", "revenue"):
        raise KeyError(kind)
    if kind == "active_late":
        if window == 52:
            return Problem("calibration_kpi.window.active_late_52")
        return Problem("calibration_kpi.window.active_late", first=window - window // 4 + 1, last=window)
    span = (Problem("calibration_kpi.window.months_12") if window == 52
            else Problem("calibration_kpi.window.weeks", weeks=window))
    return Problem(f"calibration_kpi.window.{kind}", span=span)


def windowed_kpis(window: int) -> list[str]:
    """The names of the :data:`WINDOW_KINDS` KPIs over a ``window``-week window."""
    return [kpi_name(k, window) for k in WINDOW_KINDS]


@dataclass(frozen=True)
class BuyingWeeks:
    """Purchases as buying weeks (see the module docstring), customers coded 0..n-1."""

    customer: NDArray[np.int64]
    week: NDArray[np.int64]
    amount: NDArray[np.float64]
    orders: NDArray[np.int64]
    n_customers: int
    weeks: int
    """Weeks observed: purchases fall in weeks 0 .. weeks - 1."""

    @property
    def first(self) -> NDArray[np.int64]:
        """First purchase week of each customer."""
        first = np.full(self.n_customers, np.iinfo(np.int64).max)
        np.minimum.at(first, self.customer, self.week)
        return first

    def before(self, week: int) -> BuyingWeeks:
        """The observation cut at ``week``: customers who bought before it, their purchases before it."""
        keep = self.week < week
        codes, customer = np.unique(self.customer[keep], return_inverse=True)
        return BuyingWeeks(customer=customer.astype(np.int64), week=self.week[keep],
                           amount=self.amount[keep], orders=self.orders[keep],
                           n_customers=codes.size, weeks=week)


def buying_weeks(customer: Iterable[object], day: NDArray[np.float64], amount: NDArray[np.float64],
                 *, weeks: int | None = None) -> BuyingWeeks:
    """Collapse purchases (``day``: days since the start of the observation) into buying weeks."""
    frame = pd.DataFrame({"customer": pd.Series(list(customer) if not isinstance(customer, pd.Series)
                                                else customer.to_numpy()),
                          "week": np.floor(np.asarray(day, dtype=float) / 7.0).astype(np.int64),
                          "amount": np.asarray(amount, dtype=float)})
    codes = pd.factorize(frame["customer"])[0]
    grouped = frame.assign(code=codes).groupby(["code", "week"], sort=True).agg(
        amount=("amount", "sum"), orders=("amount", "size")).reset_index()
    span = int(grouped["week"].max()) + 1 if len(grouped) else 0
    return BuyingWeeks(customer=grouped["code"].to_numpy(np.int64), week=grouped["week"].to_numpy(np.int64),
                       amount=grouped["amount"].to_numpy(float), orders=grouped["orders"].to_numpy(np.int64),
                       n_customers=int(codes.max()) + 1 if len(codes) else 0,
                       weeks=span if weeks is None else weeks)


def widest_window(bw: BuyingWeeks, *, min_share: float = 0.5) -> int | None:
    """The longest of :data:`WINDOWS` over which at least ``min_share`` of customers were watched."""
    first = bw.first
    for w in WINDOWS:
        if first.size and np.mean(first <= bw.weeks - w) >= min_share:
            return w
    return None


def tenure_kpis(bw: BuyingWeeks, window: int, weights: NDArray[np.float64] | None = None
                ) -> dict[str, float]:
    """The windowed KPIs of the module docstring for one window (NaN if no customer qualifies).

    ``weights``: one per customer (e.g. :meth:`Acquisition.weights`); equal if not given.
    """
    first = bw.first
    w = np.ones(bw.n_customers) if weights is None else weights
    eligible = (first <= bw.weeks - window) & (w > 0)
    names = windowed_kpis(window)
    if not eligible.any():
        return dict.fromkeys(names, float("nan"))
    tenure = bw.week - first[bw.customer]
    inside = eligible[bw.customer] & (tenure < window)
    count = np.bincount(bw.customer[inside], minlength=bw.n_customers)[eligible]
    late = inside & (tenure >= window - window // 4)
    active_late = np.bincount(bw.customer[late], minlength=bw.n_customers)[eligible] > 0
    revenue = np.bincount(bw.customer[inside], weights=bw.amount[inside], minlength=bw.n_customers)
    we = w[eligible]
    return dict(zip(names, [float(np.average(count >= 2, weights=we)), float(np.average(count, weights=we)),
                            float(np.average(count >= 3, weights=we)),
                            float(np.average(active_late, weights=we)),
                            float(np.average(revenue[eligible], weights=we))], strict=True))


def order_kpis(bw: BuyingWeeks, weights: NDArray[np.float64] | None = None) -> dict[str, float]:
    """Gross value per purchase (buying week) and the log's orders per purchase."""
    n = bw.week.size
    if not n:
        return {"aov": float("nan"), "orders_per_purchase": float("nan")}
    w = np.ones(n) if weights is None else weights[bw.customer]
    return {"aov": float(np.average(bw.amount, weights=w)) if w.sum() > 0 else float("nan"),
            "orders_per_purchase": float(bw.orders.sum() / n)}


EARLY_WEEKS = 13
"""Length of the window from a first purchase (tenure weeks 0-12) that ``early_repeat`` counts."""


def early_repeat(bw: BuyingWeeks, weights: NDArray[np.float64] | None = None) -> float:
    """Repeat purchases per customer in tenure weeks 1-12, among customers watched that long.

    The window is the first :data:`EARLY_WEEKS` weeks from the first purchase (tenure weeks
    0-12), the first purchase itself not counted: the burst of buying right after a first
    purchase, which steady buy-till-you-die rates miss. ``weights`` as in :func:`tenure_kpis`.
    """
    return tenure_kpis(bw, EARLY_WEEKS, weights)[kpi_name("purchases", EARLY_WEEKS)] - 1.0


SPEND_KPIS = ("repeat_value_ratio", "spend_spread")
"""What order values say about customers (:func:`spend_kpis`)."""


def spend_kpis(bw: BuyingWeeks, weights: NDArray[np.float64] | None = None,
               max_tenure: NDArray[np.int64] | None = None) -> dict[str, float]:
    """How order values differ between customers, as two observable KPIs.

    ``repeat_value_ratio``
        Average value of a repeat purchase over that of a first purchase. Above 1 when the
        customers who come back often also spend more per order (repeat purchases are
        weighted towards them; on CDNOW's weeks 1-39: $41.3 against $34.2).
    ``spend_spread``
        Spread of customers' own spending levels: the standard deviation of customers' mean
        log order value, less what their purchase-to-purchase variation puts into it (a
        method-of-moments estimate, as the Gamma-Gamma model's heterogeneity in average spend,
        Fader & Hardie 2013), among customers with 2 or more purchases of positive value.

    ``weights``: one per customer; ``max_tenure``: per customer, purchases at this tenure
    (weeks since the first) or later are left out, so simulated customers are watched as
    long as the log's.
    """
    nan = float("nan")
    first = bw.first
    tenure = bw.week - first[bw.customer]
    w = np.ones(bw.n_customers) if weights is None else weights
    keep = (w[bw.customer] > 0) & (bw.amount > 0)
    if max_tenure is not None:
        keep &= tenure < max_tenure[bw.customer]
    cust, amount, repeat = bw.customer[keep], bw.amount[keep], tenure[keep] > 0
    wr = w[cust]
    out = {"repeat_value_ratio": nan, "spend_spread": nan}
    if repeat.any() and (~repeat).any() and wr[repeat].sum() > 0 and wr[~repeat].sum() > 0:
        out["repeat_value_ratio"] = float(np.average(amount[repeat], weights=wr[repeat])
                                          / np.average(amount[~repeat], weights=wr[~repeat]))
    log_value = np.log(amount)
    n = np.bincount(cust, minlength=bw.n_customers).astype(float)
    total = np.bincount(cust, weights=log_value, minlength=bw.n_customers)
    square = np.bincount(cust, weights=log_value**2, minlength=bw.n_customers)
    two = n >= 2
    if two.sum() >= 10 and w[two].sum() > 0:
        mean = total[two] / n[two]
        within = (square[two] - n[two] * mean**2) / (n[two] - 1)  # each customer's variance
        wt = w[two]
        centre = np.average(mean, weights=wt)
        between = np.average((mean - centre) ** 2, weights=wt) - np.average(within / n[two], weights=wt)
        out["spend_spread"] = float(np.sqrt(max(between, 0.0)))
    return out


@dataclass(frozen=True)
class TenureCurves:
    """Cumulative repeat buying of the customers watched for ``max_tenure`` weeks.

    ``counts`` and ``spend`` are the repeat purchases and revenue (currency) in tenure weeks
    1 .. k, shape ``(customers, max_tenure + 1)``; ``first`` is each one's first purchase week.
    """

    counts: NDArray[np.float64]
    spend: NDArray[np.float64]
    first: NDArray[np.int64]


def tenure_curves(bw: BuyingWeeks, max_tenure: int) -> TenureCurves:
    """:class:`TenureCurves` of the customers of ``bw`` watched for ``max_tenure`` weeks."""
    counts, spend = cumulative_by_tenure(bw, max_tenure)
    first = bw.first
    return TenureCurves(counts=counts, spend=spend, first=first[first <= bw.weeks - 1 - max_tenure])


def cumulative_by_tenure(bw: BuyingWeeks, max_tenure: int, *, complete: bool = True
                         ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per customer, purchases and revenue in tenure weeks 1 .. k (repeat buying), k = 0..max_tenure.

    Returns two ``(customers, max_tenure + 1)`` arrays; with ``complete`` only customers watched
    for ``max_tenure`` weeks after their first purchase are kept.
    """
    first = bw.first
    tenure = bw.week - first[bw.customer]
    keep = (tenure >= 1) & (tenure <= max_tenure)
    counts = np.zeros((bw.n_customers, max_tenure + 1))
    spend = np.zeros((bw.n_customers, max_tenure + 1))
    np.add.at(counts, (bw.customer[keep], tenure[keep]), 1.0)
    np.add.at(spend, (bw.customer[keep], tenure[keep]), bw.amount[keep])
    rows = first <= bw.weeks - 1 - max_tenure if complete else np.ones(bw.n_customers, dtype=bool)
    return np.cumsum(counts[rows], axis=1), np.cumsum(spend[rows], axis=1)


def lifetime_kpis(bw: BuyingWeeks) -> dict[str, float]:
    """The event-log KPIs that count purchases only, on buying weeks.

    These are the ones of :data:`simulation.calibration.eventlog.EVENT_KPIS` that need no
    visits: ``repeat_12m`` (which is ``repeat_52w``), ``active_second_year`` and
    ``purchases_per_buyer_year``.
    """
    first = bw.first
    tenure = bw.week - first[bw.customer]
    nan = float("nan")
    observed2 = first <= bw.weeks - 104
    second_year = (tenure >= 52) & (tenure < 104)
    active2 = np.bincount(bw.customer[second_year], minlength=bw.n_customers) > 0
    exposure_years = np.clip(bw.weeks - first, 1, None).sum() * 7 / 365.25
    return {
        "repeat_12m": tenure_kpis(bw, 52)["repeat_52w"],
        "active_second_year": float(active2[observed2].mean()) if observed2.any() else nan,
        "purchases_per_buyer_year": float(bw.week.size / exposure_years) if bw.n_customers else nan,
    }


def nbd_spread(bw: BuyingWeeks) -> float | None:
    """Spread (coefficient of variation) of customers' repeat-buying rates, or None.

    By the method of moments of the negative binomial distribution (NBD; Ehrenberg 1959, the
    count part of Pareto/NBD and BG/NBD): with ``m`` and ``v`` the mean and variance of repeat
    purchases in the widest window (:func:`widest_window`), ``r = m^2 / (v - m)`` and the
    gamma-distributed rates have CV ``1 / sqrt(r)``. Drop-out is ignored, so this is a starting
    point for the fit, not an estimate. None if the log is too short or shows no overdispersion.
    """
    window = widest_window(bw)
    if window is None:
        return None
    first = bw.first
    eligible = first <= bw.weeks - window
    tenure = bw.week - first[bw.customer]
    repeats = np.bincount(bw.customer[(tenure >= 1) & (tenure < window)],
                          minlength=bw.n_customers)[eligible]
    m, v = float(repeats.mean()), float(repeats.var())
    if not (m > 0 and v > m):
        return None
    return float(np.sqrt((v - m) / m**2))


RECENT_WEEKS = 13


@dataclass(frozen=True)
class Acquisition:
    """When a log's customers made their first purchase: what a simulated cohort is matched to."""

    weeks: NDArray[np.int64]
    """Distinct first-purchase weeks."""
    customers: NDArray[np.int64]
    """Customers acquired in each of them."""
    end: int
    """Weeks observed."""
    stretch: bool = False
    """Lay a log that acquired over fewer weeks than the run's window over the whole window, so
    every customer the run acquires is used. Right only where acquisition timing says nothing
    about later behaviour: a repeat propensity drawn afresh at the first purchase (log fits,
    ``behaviour.repeat_propensity_correlation`` = 0); with one propensity for both, the
    customers a run acquires early are the keener ones and must be matched week for week."""

    @classmethod
    def of(cls, bw: BuyingWeeks, *, stretch: bool = False) -> Acquisition:
        """The acquisition of the customers in ``bw``: first-purchase weeks and counts."""
        weeks, customers = np.unique(bw.first, return_counts=True)
        return cls(weeks=weeks.astype(np.int64), customers=customers.astype(np.int64), end=bw.weeks,
                   stretch=stretch)

    def simulated_week(self, window: int) -> NDArray[np.int64]:
        """The calibration run's acquisition week matched with each of :attr:`weeks`.

        The log's weeks are scaled into the run's ``window`` weeks when the log acquired over
        more, or with :attr:`stretch`.
        """
        scale = window / (int(self.weeks.max()) + 1) if self.weeks.size else 1.0
        if not self.stretch:
            scale = min(1.0, scale)
        return np.minimum(window - 1, np.floor(self.weeks * scale)).astype(np.int64)

    def weights(self, first: NDArray[np.int64], window: int) -> NDArray[np.float64]:
        """Weight of each simulated customer, so simulated acquisition weeks match the log's.

        ``first`` is each simulated customer's first purchase week; the weight is 0 outside the
        matched weeks.
        """
        target = np.bincount(self.simulated_week(window), weights=self.customers, minlength=window)
        inside = (first >= 0) & (first < window)
        have = np.bincount(first[inside], minlength=window).astype(float)
        per_week = np.divide(target, have, out=np.zeros(window), where=have > 0)
        out = np.zeros(first.size)
        out[inside] = per_week[first[inside]]
        return out

    def watched_tenure(self, first: NDArray[np.int64], window: int) -> NDArray[np.int64]:
        """Per simulated customer, the tenure (weeks) the log watched its matched customers for.

        ``first`` is each simulated customer's first purchase week. The tenure is the log's end
        less the matched customers' first week, customer-weighted where several log weeks meet
        one simulated week, rounded to whole weeks; 0 outside the matched weeks.
        """
        matched = self.simulated_week(window)
        count = np.bincount(matched, weights=self.customers, minlength=window)
        span = np.bincount(matched, weights=self.customers * (self.end - self.weeks), minlength=window)
        per_week = np.divide(span, count, out=np.zeros(window), where=count > 0)
        inside = (first >= 0) & (first < window)
        out = np.zeros(first.size, dtype=np.int64)
        out[inside] = np.rint(per_week[first[inside]]).astype(np.int64)
        return out

    def curves(self, tc: TenureCurves, window: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean simulated cumulative counts and spend for each of :attr:`weeks`.

        Averaged over the simulated customers acquired in the matched week (over all of them
        where none was).
        """
        matched = self.simulated_week(window)
        pooled_c, pooled_s = tc.counts.mean(axis=0), tc.spend.mean(axis=0)
        counts = np.empty((matched.size, tc.counts.shape[1]))
        spend = np.empty_like(counts)
        for i, g in enumerate(matched):
            rows = tc.first == g
            counts[i] = tc.counts[rows].mean(axis=0) if rows.any() else pooled_c
            spend[i] = tc.spend[rows].mean(axis=0) if rows.any() else pooled_s
        return counts, spend

    def block_repeat(self, tc: TenureCurves, window: int) -> dict[str, float]:
        """Repeat purchases per customer in each block of the log, as the simulation expects.

        The same keys as :func:`block_repeat` (with ``recent_active``), from the simulated
        customers matched to each acquisition week.
        """
        counts, _ = self.curves(tc, window)
        mean = np.concatenate([np.zeros((counts.shape[0], 1)), counts], axis=1)
        top = counts.shape[1] - 1
        rows = np.arange(self.weeks.size)
        out = {}
        for name, (a, b) in blocks(self.end).items():
            upto = np.clip(b - 1 - self.weeks, -1, top) + 1
            start = np.clip(a - 1 - self.weeks, -1, top) + 1
            out[name] = float((self.customers * (mean[rows, upto] - mean[rows, start])).sum()
                              / self.customers.sum())
        if "recent_repeat" in out:  # recency: who bought again in the last block
            a, b = blocks(self.end)["recent_repeat"]
            matched = self.simulated_week(window)
            padded = np.concatenate([np.zeros((tc.counts.shape[0], 1)), tc.counts], axis=1)
            active = np.empty(self.weeks.size)
            for i, g in enumerate(matched):
                sel = tc.first == g
                own = padded[sel] if sel.any() else padded
                u = int(np.clip(b - 1 - self.weeks[i], -1, top)) + 1
                v = int(np.clip(a - 1 - self.weeks[i], -1, top)) + 1
                active[i] = float(np.mean(own[:, u] - own[:, v] > 0))
            out["recent_active"] = float((self.customers * active).sum() / self.customers.sum())
        return out


def blocks(weeks: int) -> dict[str, tuple[int, int]]:
    """The log cut from its end into up to three blocks of :data:`RECENT_WEEKS` weeks.

    ``recent_repeat`` is the last, ``repeat_block_2`` and ``repeat_block_3`` the ones before
    it; each is ``(start, end)``, end excluded, and only blocks starting at week 1 or later.
    """
    names = ("recent_repeat", "repeat_block_2", "repeat_block_3")
    out = {}
    for i, name in enumerate(names):
        b = weeks - i * RECENT_WEEKS
        if b - RECENT_WEEKS < 1:
            break
        out[name] = (b - RECENT_WEEKS, b)
    return out


def block_repeat(bw: BuyingWeeks) -> dict[str, float]:
    """The log's repeat purchases per customer in each of :func:`blocks`.

    The calibration/holdout tracking curve of the fitting part, in three sums; with the last
    block, also ``recent_active``: the share of customers who bought again in it.
    """
    first = bw.first
    repeat = bw.week > first[bw.customer]
    n = max(bw.n_customers, 1)
    out = {name: float((repeat & (bw.week >= a) & (bw.week < b)).sum() / n)
           for name, (a, b) in blocks(bw.weeks).items()}
    if "recent_repeat" in out:
        a, b = blocks(bw.weeks)["recent_repeat"]
        rows = repeat & (bw.week >= a) & (bw.week < b)
        out["recent_active"] = float(np.unique(bw.customer[rows]).size / n)
    return out
