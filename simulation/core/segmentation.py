"""Customer segments from behaviour: KMeans on recency, frequency, spend and channel mix.

Each plan's customers (people with a recorded purchase) are clustered at the horizon the way a
marketer would segment a customer base: :class:`~sklearn.cluster.KMeans` on standardized
log recency, log frequency and log spend plus the share of purchases made in each channel (the
channel-mix block weighs as much as the three RFM columns together). Each plan is clustered on
its own customers with the same seed, so a plan's segments do not depend on which plans run
beside it, and the app's split runs join exactly. Segments are keyed by their role in the
profile (``high_value:store``, ``lapsed:`` for lapsed multi-channel buyers, ...; the display
layer words them), so the same kind of customer can be found under each plan.

Two frames:

* ``segments``: one row per plan and segment, the profile of the plan's customers in it
  (size, recency, frequency, spend, CLV, channel mix, and the hidden behavioural segments they
  come from, which only the simulator knows).
* ``segment_value``: one row per plan and hidden behavioural segment (the same people in every
  plan): buyers, multi-channel buyers, purchases and spend per person. Compared with the first
  plan it shows who gains from integration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import ThreadpoolController

from simulation.core.metrics import lifetime_values
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
    counts = state.purchases_by_channel.astype(np.float64)
    total = counts.sum(axis=0)
    people = np.flatnonzero(total > 0)
    n = total[people]
    x = np.empty((people.size, 3 + counts.shape[0]))
    x[:, 0] = np.log1p(horizon - state.last_purchase_week[people].astype(np.float64))
    x[:, 1] = np.log1p(n)
    x[:, 2] = np.log1p(np.maximum(state.spend_by_channel[:, people].sum(axis=0, dtype=np.float64), 0.0))
    x[:, 3:] = (counts[:, people] / n).T
    return people, x


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


def _profile(run: RunOutput, s: int, people: NDArray[np.int64], x: NDArray[np.float64],
             label: NDArray[np.int64], n_segments: int) -> pd.DataFrame:
    world = run.world
    state = run.states[s]
    horizon = world.scenario.market.horizon_weeks
    channels = world.channels.names
    frame = pd.DataFrame({
        "segment_id": label,
        "recency_weeks": horizon - state.last_purchase_week[people].astype(np.float64),
        "purchases": state.purchases_by_channel[:, people].sum(axis=0, dtype=np.float64),
        "spend": state.spend_by_channel[:, people].sum(axis=0, dtype=np.float64),
        "channels_bought": CHANNELS_IN_MASK[state.channels_bought[people]],
        "clv": lifetime_values(run, s)[people],
    })
    for c, name in enumerate(channels):
        frame[f"mix_{name}"] = x[:, 3 + c]
    hidden = world.people.segment[people]
    for g, name in enumerate(world.segments.names):
        frame[f"true_{name}"] = (hidden == g).astype(np.float64)
    grouped = frame.groupby("segment_id")
    out = grouped.mean()
    out.insert(0, "customers", grouped.size().astype(float))
    out = out.reindex(range(n_segments))
    out["customers"] = out["customers"].fillna(0.0)
    return out


def plan_segments(run: RunOutput, s: int, *, n_segments: int = N_SEGMENTS) -> pd.DataFrame:
    """Profiles of plan ``s``'s customers in ``n_segments`` KMeans clusters, best-spending first.

    The clustering is fitted on the plan's own customers (at most ``SAMPLE_MAX`` of them, a
    hashed sample), so a plan's segments do not depend on which plans run beside it. Empty when
    the plan has fewer than 10 buyers per segment.
    """
    world = run.world
    scenario = world.scenario
    people, x = rfm_features(run.states[s], scenario.market.horizon_weeks)
    if people.size < 10 * n_segments:
        return pd.DataFrame()
    streams = RandomStreams(scenario.seed)
    rate = min(1.0, SAMPLE_MAX / people.size)
    fit_rows = streams.uniform(Draw.MODEL, 0, _STEP_SAMPLE, people) < rate
    model = fit_segments(x[fit_rows], n_segments=n_segments,
                         random_state=streams.seed_for(Draw.MODEL))
    with _THREADS.limit(limits=1):
        label = model.predict(x).astype(np.int64)
    profile = _profile(run, s, people, x, label, n_segments)
    profile = profile.sort_values("spend", ascending=False).reset_index(drop=True)
    n_customers = max(float(profile["customers"].sum()), 1.0)
    profile.insert(0, "strategy", world.plan_names[s])
    profile.insert(1, "segment", _names(profile, world.channels.names))
    profile.insert(2, "rank", np.arange(1, len(profile) + 1))
    profile.insert(4, "share_of_customers", profile["customers"] / n_customers)
    profile["customers"] *= scenario.scale
    return profile


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
        purchases = state.purchases_by_channel.sum(axis=0, dtype=np.float64)
        spend = state.spend_by_channel.sum(axis=0, dtype=np.float64)
        buyers = np.bincount(segment, weights=purchases > 0, minlength=n_groups)
        multi = np.bincount(segment, weights=CHANNELS_IN_MASK[state.channels_bought] >= 2, minlength=n_groups)
        per_purchases = np.bincount(segment, weights=purchases, minlength=n_groups) / safe
        per_spend = np.bincount(segment, weights=spend, minlength=n_groups) / safe
        for g, name in enumerate(world.segments.names):
            rows.append({
                "strategy": plan, "behavioural_segment": name, "people": size[g] * scale,
                "buyer_share": buyers[g] / safe[g],
                "multi_channel_buyer_share": multi[g] / max(buyers[g], 1.0),
                "purchases_per_person": per_purchases[g], "spend_per_person": per_spend[g],
            })
    return pd.DataFrame(rows)


SEGMENT_FRAMES = ("segments", "segment_value")
"""Names of the frames :func:`segment_frames` returns (``Results.extras`` keys)."""


def segment_frames(run: RunOutput, *, n_segments: int = N_SEGMENTS) -> dict[str, pd.DataFrame]:
    """``segments`` (KMeans profiles per plan) and ``segment_value`` (hidden segments per plan)."""
    profiles = [plan_segments(run, s, n_segments=n_segments) for s in range(len(run.states))]
    profiles = [p for p in profiles if not p.empty]
    segments = pd.concat(profiles, ignore_index=True) if profiles else pd.DataFrame()
    return dict(zip(SEGMENT_FRAMES, (segments, behavioural_segment_value(run)), strict=True))


__all__ = ["N_SEGMENTS", "SEGMENT_FRAMES", "behavioural_segment_value", "fit_segments", "plan_segments",
           "rfm_features", "segment_frames", "segment_role_parts"]
