"""Customer segments from behaviour: KMeans on recency, frequency, spend and channel mix.

Segments are defined once, on the baseline plan's behaviour (the first plan of a run), and held
fixed across plans: the baseline's buyers are clustered the way a marketer would segment a
customer base (:class:`~sklearn.cluster.KMeans` on standardized log recency, log frequency and
log spend plus the share of purchases made in each channel; the channel-mix block weighs as much
as the three RFM columns together), and every person keeps the baseline's label under every
plan. People who bought nothing under the baseline form one more group, ``no_purchase:``,
where the customers a plan wins show up. Segments are keyed by their role in the baseline's
profile (``high_value:store``, ``lapsed:`` for lapsed multi-channel buyers, ...; the display
layer words them). Because the labels depend only on the baseline plan, a plan's segments do
not depend on which other plans run beside it, and the app's split runs join exactly
(:func:`segment_frames` takes the baseline run apart).

Three frames:

* ``segments``: one row per plan and segment with buyers, the profile of the plan's buyers in
  it (size, recency, frequency, spend, CLV, channel mix, and the hidden behavioural segments
  they come from, which only the simulator knows).
* ``segment_change``: one row per plan and segment (every segment under every plan, the same
  people): customers, active customers at the horizon, spend, cost to serve and value, so the
  display can show each segment's gain or loss against the baseline.
* ``segment_value``: one row per plan and hidden behavioural segment (the same people in every
  plan): buyers, multi-channel buyers, purchases and spend per person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import ThreadpoolController

from simulation.core.blocks import add_bincount, blocks
from simulation.core.metrics import customer_values, serve_costs_of
from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.state import PlanState, RunOutput
from simulation.core.world import CHANNELS_IN_MASK

N_SEGMENTS = 5
SAMPLE_MAX = 6000
"""Most baseline customers the clustering is fitted on."""
LAPSED_AFTER_WEEKS = 52
"""A segment whose mean weeks since the last purchase exceeds this is called lapsed."""
DOMINANT_CHANNEL_SHARE = 0.6
"""A segment buying at least this share in one channel is named after it."""
_STEP_SAMPLE = 9
_THREADS = ThreadpoolController()


def rfm_features(state: PlanState, horizon: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Customers with a recorded purchase and their (P, 3 + C) clustering features.

    Columns: log(1 + weeks since last purchase at the horizon), log(1 + purchases),
    log(1 + net spend), then the share of purchases in each channel.
    """
    return _features(state, horizon, np.flatnonzero(state.records.slot))


def _features(state: PlanState, horizon: int, bought: NDArray[np.int64]) -> tuple[
        NDArray[np.int64], NDArray[np.float64]]:
    """:func:`rfm_features` of the people ``bought`` (people with purchase records).

    The rows of those who bought under this plan: the same numbers as their rows for everyone.
    """
    records = state.records
    counts = records.select("purchases_by_channel", bought).astype(np.float64)
    total = counts.sum(axis=0)
    here = total > 0
    people, counts, n = bought[here], counts[:, here], total[here]
    x = np.empty((people.size, 3 + counts.shape[0]))
    x[:, 0] = np.log1p(horizon - state.last_purchase_week[people].astype(np.float64))
    x[:, 1] = np.log1p(n)
    spend = records.select("spend_by_channel", people).sum(axis=0, dtype=np.float64)
    x[:, 2] = np.log1p(np.maximum(spend, 0.0))
    x[:, 3:] = (counts / n).T
    return people, x


def _buyers(state: PlanState) -> NDArray[np.int64]:
    """The people of :func:`rfm_features` (a purchase under this plan), without the features."""
    bought = np.flatnonzero(state.records.slot)
    here = np.zeros(bought.size, dtype=bool)
    for block in blocks(bought.size):
        counts = state.records.select("purchases_by_channel", bought[block])
        here[block] = counts.sum(axis=0, dtype=np.int64) > 0
    return bought[here]


def block_weights(n_channels: int) -> NDArray[np.float64]:
    """Column weights after standardizing: 1 for recency, frequency and spend, then C channel weights.

    The C channel-mix columns together weigh as much as recency, frequency and spend together,
    however many channels there are.
    """
    return np.concatenate([np.ones(3), np.full(n_channels, np.sqrt(3.0 / n_channels))])


def _weigh(x: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    return x * weights


def fit_segments(x: NDArray[np.float64], *, n_segments: int, random_state: int) -> Pipeline:
    """Standardize, weigh the blocks, then KMeans with a fixed seed (single-threaded: exact)."""
    weights = block_weights(x.shape[1] - 3)
    model = make_pipeline(
        StandardScaler(),
        FunctionTransformer(_weigh, kw_args={"weights": weights}),
        KMeans(n_clusters=n_segments, n_init=2, random_state=random_state),
    )
    with _THREADS.limit(limits=1):
        model.fit(x)
    return model


def _names(profile: pd.DataFrame, channels: tuple[str, ...]) -> list[str]:
    """Role keys of the segments of a baseline profile sorted by spend per customer (best first).

    Keys are ``tier:channel`` (``high_value:store``; the channel empty when no channel
    dominates), with a ``+`` after the tier for each earlier segment with the same role. The
    display layer words them ("high-value store-led"); see :func:`segment_role_parts`.
    """
    lapsed = profile["recency_weeks"] > LAPSED_AFTER_WEEKS
    active_rank = (~lapsed).cumsum()
    n_active = int((~lapsed).sum())
    names: list[str] = []
    shares = profile[[f"mix_{c}" for c in channels]].to_numpy()
    for i, mix in enumerate(shares):
        dominant = mix.max() >= DOMINANT_CHANNEL_SHARE
        lead = channels[int(mix.argmax())] if dominant else ""
        if lapsed.iloc[i]:
            tier = "lapsed"
        elif active_rank.iloc[i] == 1:
            tier = "high_value"
        elif active_rank.iloc[i] == n_active:
            tier = "occasional"
        else:
            tier = "regular"
        while f"{tier}:{lead}" in names:
            tier += "+"
        names.append(f"{tier}:{lead}")
    return names


def segment_role_parts(key: str) -> tuple[str, str | None, int]:
    """``(tier, leading channel or None, repeats)`` of a segment role key from :func:`_names`."""
    head, _, lead = key.partition(":")
    tier = head.rstrip("+")
    return tier, lead or None, len(head) - len(tier)


def _profile(run: RunOutput, s: int, people: NDArray[np.int64], label: NDArray[np.int64],
             n_segments: int) -> pd.DataFrame:
    """Mean profile of plan ``s``'s buyers ``people`` by segment ``label``, one row per segment.

    One column at a time, each filled a block of buyers at a time (:mod:`simulation.core.blocks`):
    the means pandas takes of the whole table, column by column, with few temporaries over
    every buyer.
    """
    world = run.world
    state = run.states[s]
    records = state.records
    horizon = world.scenario.market.horizon_weeks
    channels = world.channels.names
    values = customer_values(run, s)
    where = np.minimum(np.searchsorted(values.who, people), max(values.who.size - 1, 0))

    def by_block(column: Callable[[NDArray[np.int64], slice], NDArray[Any]]) -> NDArray[np.float64]:
        out = np.empty(people.size)
        for block in blocks(people.size):
            out[block] = column(people[block], block)
        return out

    def clv(some: NDArray[np.int64], block: slice) -> NDArray[np.float64]:
        if not values.who.size:
            return np.full(some.size, np.nan)
        at = where[block]  # lifetime_values(run, s)[some]: NaN for people who are no customers
        return np.where(values.who[at] == some, values.horizon[at] + values.tail[at], np.nan)

    purchases = by_block(lambda some, _: records.select("purchases_by_channel", some).sum(
        axis=0, dtype=np.float64))

    def mix(c: int) -> NDArray[np.float64]:  # rfm_features' share of purchases in channel c
        return by_block(lambda some, block: records.take("purchases_by_channel", some, channel=c)
                        .astype(np.float64) / purchases[block])

    hidden = world.people.segment
    columns: list[tuple[str, Callable[[], NDArray[Any]]]] = [
        ("recency_weeks", lambda: horizon - state.last_purchase_week[people].astype(np.float64)),
        ("purchases", lambda: purchases),
        ("spend", lambda: by_block(lambda some, _: records.select(
            "spend_by_channel", some).sum(axis=0, dtype=np.float64))),
        ("channels_bought", lambda: CHANNELS_IN_MASK[state.channels_bought[people]]),
        ("clv", lambda: by_block(clv)),
        *((f"mix_{name}", (lambda c=c: mix(c))) for c, name in enumerate(channels)),
        *((f"true_{name}", (lambda g=g: (hidden[people] == g).astype(np.float64)))
          for g, name in enumerate(world.segments.names)),
    ]
    means = [pd.Series(column(), name=name).groupby(label).mean() for name, column in columns]
    out = pd.concat(means, axis=1).rename_axis("segment_id")
    out.insert(0, "customers", pd.Series(label).groupby(label).size().astype(float))
    out = out.reindex(range(n_segments))
    out["customers"] = out["customers"].fillna(0.0)
    return out


NO_PURCHASE = "no_purchase:"
"""Role key of the people who bought nothing under the baseline plan."""


@dataclass(frozen=True)
class SegmentAssignment:
    """Each person's segment, defined once on the baseline plan's behaviour."""

    label: NDArray[np.int64]
    """(N,) index into :attr:`names` (the last index: no purchase under the baseline)."""
    names: tuple[str, ...]
    """Role keys, the baseline's best-spending segment first, :data:`NO_PURCHASE` last."""


def baseline_segments(run: RunOutput, *, n_segments: int = N_SEGMENTS) -> SegmentAssignment | None:
    """Cluster the buyers of ``run``'s first plan (the baseline) and label every person.

    The clustering is fitted on at most ``SAMPLE_MAX`` of the baseline's buyers (a hashed
    sample). None when the baseline has fewer than 10 buyers per segment.
    """
    world = run.world
    scenario = world.scenario
    state = run.states[0]
    horizon = scenario.market.horizon_weeks
    people = _buyers(state)
    if people.size < 10 * n_segments:
        return None
    streams = RandomStreams(scenario.seed)
    rate = min(1.0, SAMPLE_MAX / people.size)
    # The features of the hashed sample, then every buyer's label, a block of buyers at a time
    # (the rows of rfm_features; simulation.core.blocks).
    sample = [x[streams.uniform(Draw.MODEL, 0, _STEP_SAMPLE, some) < rate]
              for some, x in (_features(state, horizon, people[block])
                              for block in blocks(people.size))]
    model = fit_segments(np.concatenate(sample) if sample else np.empty((0, 3 + len(world.channels.names))),
                         n_segments=n_segments, random_state=streams.seed_for(Draw.MODEL))
    cluster = np.empty(people.size, dtype=np.int64)
    with _THREADS.limit(limits=1):
        for block in blocks(people.size):
            cluster[block] = model.predict(_features(state, horizon, people[block])[1])
    profile = _profile(run, 0, people, cluster, n_segments)
    order = profile.sort_values("spend", ascending=False).index.to_numpy()
    names = _names(profile.loc[order].reset_index(drop=True), world.channels.names)
    rank = np.empty(n_segments, dtype=np.int64)
    rank[order] = np.arange(n_segments)
    label = np.full(world.n_people, n_segments, dtype=np.int64)
    label[people] = rank[cluster]
    return SegmentAssignment(label=label, names=(*names, NO_PURCHASE))


def plan_segments(run: RunOutput, s: int, assignment: SegmentAssignment) -> pd.DataFrame:
    """Profiles of plan ``s``'s buyers in the baseline's segments, in the baseline's order.

    Segments without buyers under the plan are left out.
    """
    world = run.world
    scenario = world.scenario
    people = _buyers(run.states[s])
    n_groups = len(assignment.names)
    profile = _profile(run, s, people, assignment.label[people], n_groups)
    n_customers = max(float(profile["customers"].sum()), 1.0)
    profile.insert(0, "strategy", world.plan_names[s])
    profile.insert(1, "segment", list(assignment.names))
    profile.insert(2, "rank", np.arange(1, n_groups + 1))
    profile.insert(4, "share_of_customers", profile["customers"] / n_customers)
    profile["customers"] *= scenario.scale
    return profile[profile["customers"] > 0].reset_index(drop=True)


def segment_change(run: RunOutput, assignment: SegmentAssignment) -> pd.DataFrame:
    """Per plan and fixed segment: what the segment's people bring (scaled to the market).

    ``people`` in the segment, ``customers`` among them (ever, within the horizon),
    ``active_customers`` at the horizon, ``spend`` (net revenue), ``cost_to_serve``
    (fulfilment and network costs) and ``value`` (lifetime value: margin on revenue minus
    contact, offer, returns and serving costs, plus the expected value after the horizon), money
    discounted to week 0 so segments and plans add up.
    """
    world = run.world
    scenario = world.scenario
    scale = scenario.scale
    label = assignment.label
    n_groups = len(assignment.names)
    d = scenario.weekly_discount_rate
    people = np.bincount(label, minlength=n_groups).astype(float)
    rows = []
    for s, plan in enumerate(world.plan_names):
        state = run.states[s]
        values = customer_values(run, s)
        value = np.zeros(n_groups)
        for block in blocks(values.who.size):
            who = values.who[block]
            at_week0 = ((values.horizon[block] + values.tail[block])
                        / (1.0 + d) ** state.customer_since[who])
            add_bincount(value, label[who], at_week0)
        del values
        # Totals of every person's numbers by segment, a block of people at a time, in
        # np.bincount's order (simulation.core.blocks).
        sums = {column: np.zeros(n_groups)
                for column in ("customers", "active_customers", "spend", "cost_to_serve")}
        for block in blocks(world.n_people):
            some = label[block]
            customer = state.customer_since[block] >= 0
            add_bincount(sums["customers"], some, customer)
            add_bincount(sums["active_customers"], some, customer & (state.lapse_week[block] < 0))
            spend = np.take(state.records.table("revenue_discounted"), state.records.slot[block])
            add_bincount(sums["spend"], some, spend.astype(np.float64))
            add_bincount(sums["cost_to_serve"], some,
                         serve_costs_of(run, s, np.arange(block.start, block.stop)))
        for g, name in enumerate(assignment.names):
            rows.append({"strategy": plan, "segment": name, "rank": g + 1,
                         "people": people[g] * scale})
        block_rows = rows[-n_groups:]
        for column, numbers in (*((column, total * scale) for column, total in sums.items()),
                                ("value", value * scale)):
            for g in range(n_groups):
                block_rows[g][column] = float(numbers[g])
    return pd.DataFrame(rows)


def behavioural_segment_value(run: RunOutput) -> pd.DataFrame:
    """Per plan and hidden behavioural segment (store-first, ...): what its people are worth.

    The hidden segments are the same people in every plan, so comparing a row with the first
    plan's shows who gains from integration. ``people`` is scaled to the market; the rest are
    per person (purchases, net spend in simulated currency) or shares.
    """
    world = run.world
    scale = world.scenario.scale
    segment = world.people.segment.astype(np.int64)
    n_groups = len(world.segments.names)
    size = np.bincount(segment, minlength=n_groups).astype(float)
    safe = np.maximum(size, 1.0)
    rows = []
    for s, plan in enumerate(world.plan_names):
        state = run.states[s]
        records = state.records
        # Per-segment totals a block of people at a time, in np.bincount's order
        # (simulation.core.blocks); per person what records.channel_total gives.
        buyers, multi = np.zeros(n_groups), np.zeros(n_groups)
        purchases_sum, spend_sum = np.zeros(n_groups), np.zeros(n_groups)
        for block in blocks(world.n_people):
            some = segment[block]
            here = np.flatnonzero(records.slot[block])
            purchases, spend = np.zeros(some.size), np.zeros(some.size)
            purchases[here] = records.take("purchases_by_channel", here + block.start).sum(
                axis=0, dtype=np.float64)
            spend[here] = records.take("spend_by_channel", here + block.start).sum(axis=0, dtype=np.float64)
            add_bincount(buyers, some, purchases > 0)
            add_bincount(multi, some, CHANNELS_IN_MASK[state.channels_bought[block]] >= 2)
            add_bincount(purchases_sum, some, purchases)
            add_bincount(spend_sum, some, spend)
        per_purchases = purchases_sum / safe
        per_spend = spend_sum / safe
        for g, name in enumerate(world.segments.names):
            rows.append({
                "strategy": plan, "behavioural_segment": name, "people": size[g] * scale,
                "buyer_share": buyers[g] / safe[g],
                "multi_channel_buyer_share": multi[g] / max(buyers[g], 1.0),
                "purchases_per_person": per_purchases[g], "spend_per_person": per_spend[g],
            })
    return pd.DataFrame(rows)


SEGMENT_FRAMES = ("segments", "segment_change", "segment_value")
"""Names of the frames :func:`segment_frames` returns (``Results.extras`` keys)."""


def segment_frames(run: RunOutput, *, baseline: RunOutput | None = None,
                   n_segments: int = N_SEGMENTS) -> dict[str, pd.DataFrame]:
    """The frames ``segments``, ``segment_change`` and ``segment_value``.

    ``segments``: profiles per plan; ``segment_change``: each fixed segment under each plan;
    ``segment_value``: hidden segments per plan.

    Segments are defined on the first plan of ``baseline`` (default: of ``run``), which must
    hold the same people: the app values a run's custom plan apart from its standard plans.
    """
    assignment = baseline_segments(baseline if baseline is not None else run, n_segments=n_segments)
    if assignment is None:
        segments, change = pd.DataFrame(), pd.DataFrame()
    else:
        segments = pd.concat([plan_segments(run, s, assignment) for s in range(len(run.states))],
                             ignore_index=True)
        change = segment_change(run, assignment)
    return dict(zip(SEGMENT_FRAMES, (segments, change, behavioural_segment_value(run)), strict=True))


__all__ = [
    "NO_PURCHASE",
    "N_SEGMENTS",
    "SEGMENT_FRAMES",
    "SegmentAssignment",
    "baseline_segments",
    "behavioural_segment_value",
    "fit_segments",
    "plan_segments",
    "rfm_features",
    "segment_change",
    "segment_frames",
    "segment_role_parts",
]
