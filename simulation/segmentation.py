"""Customer segments from behaviour: KMeans on recency, frequency, spend and channel mix.

The clusters are what a marketer would find in the baseline plan's customer base at the
horizon: a :class:`~sklearn.cluster.KMeans` fit (standardized log recency, log frequency,
log spend and the share of purchases made in each channel) on at most ``SAMPLE_MAX`` of the
first plan's customers. Every plan's customers are then assigned to those same clusters, so
profiles are comparable across plans (like ``npv_gain``, they are relative to the first plan:
running other plans beside it does not change them, running another first does).

Two frames:

* ``segments``: one row per plan and segment, the profile of the plan's customers in it
  (size, recency, frequency, spend, CLV, channel mix, and the hidden behavioural segments they
  come from, which only the simulator knows).
* ``segment_gains``: the same people followed across plans. Each person is put in the segment
  their baseline behaviour falls in (or "not a customer under <baseline>"), and their purchases
  and spend under each plan are compared: who gains from integration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import ThreadpoolController

from simulation.engine import RunOutput, StrategyState
from simulation.metrics import customer_lifetime_values
from simulation.random_streams import Draw, RandomStreams

N_SEGMENTS = 5
SAMPLE_MAX = 20_000
"""Most baseline customers the clustering is fitted on."""
LAPSED_AFTER_WEEKS = 52
"""A segment whose mean weeks since the last purchase exceeds this is called lapsed."""
DOMINANT_CHANNEL_SHARE = 0.6
"""A segment buying at least this share in one channel is named after it."""
_STEP_SAMPLE = 9
_THREADS = ThreadpoolController()


def rfm_features(state: StrategyState, horizon: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
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
    """Column weights after standardizing: the C channel-mix columns together weigh as much
    as recency, frequency and spend together, however many channels there are."""
    return np.concatenate([np.ones(3), np.full(n_channels, np.sqrt(3.0 / n_channels))])


def _weigh(x: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    return x * weights


def fit_segments(x: NDArray[np.float64], *, n_segments: int, random_state: int) -> Pipeline:
    """Standardize, weigh the blocks, then KMeans with a fixed seed (single-threaded: exact)."""
    weights = block_weights(x.shape[1] - 3)
    model = make_pipeline(
        StandardScaler(),
        FunctionTransformer(_weigh, kw_args={"weights": weights}),
        KMeans(n_clusters=n_segments, n_init=4, random_state=random_state),
    )
    with _THREADS.limit(limits=1):
        model.fit(x)
    return model


def _names(profile: pd.DataFrame, channels: tuple[str, ...]) -> list[str]:
    """Readable names from a baseline profile sorted by spend per customer (best first)."""
    lapsed = profile["recency_weeks"] > LAPSED_AFTER_WEEKS
    active_rank = (~lapsed).cumsum()
    n_active = int((~lapsed).sum())
    names = []
    for i, row in enumerate(profile.itertuples(index=False)):
        mix = np.array([getattr(row, f"mix_{c}") for c in channels])
        where = f"{channels[int(mix.argmax())]}-led" if mix.max() >= DOMINANT_CHANNEL_SHARE else "multi-channel"
        if lapsed.iloc[i]:
            tier = "lapsed"
        elif active_rank.iloc[i] == 1:
            tier = "high-value"
        elif active_rank.iloc[i] == n_active:
            tier = "occasional"
        else:
            tier = "regular"
        name = f"{tier} {where}"
        while name in names:
            name += " +"
        names.append(name)
    return names


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
        "channels_bought": np.array([bin(m).count("1") for m in range(256)])[state.channels_bought[people]],
        "clv": customer_lifetime_values(run, state)[people],
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


def segment_frames(run: RunOutput, *, n_segments: int = N_SEGMENTS) -> dict[str, pd.DataFrame]:
    """``segments`` (profiles per plan) and ``segment_gains`` (baseline segments followed).

    Customer counts and people are scaled to the real market; means are per customer (or per
    person in ``segment_gains``) in simulated currency units, which need no scaling. Empty frames
    when the baseline has fewer than 10 customers per segment.
    """
    world = run.world
    scenario = world.scenario
    horizon = scenario.market.horizon_weeks
    base_people, base_x = rfm_features(run.states[0], horizon)
    if base_people.size < 10 * n_segments:
        return {"segments": pd.DataFrame(), "segment_gains": pd.DataFrame()}
    streams = RandomStreams(scenario.seed)
    rate = min(1.0, SAMPLE_MAX / base_people.size)
    fit_rows = streams.uniform(Draw.MODEL, 0, _STEP_SAMPLE, base_people) < rate
    model = fit_segments(base_x[fit_rows], n_segments=n_segments,
                         random_state=streams.seed_for(Draw.MODEL))

    def assign(x: NDArray[np.float64]) -> NDArray[np.int64]:
        with _THREADS.limit(limits=1):
            return model.predict(x).astype(np.int64)  # type: ignore[no-any-return]

    base_label = assign(base_x)
    base_profile = _profile(run, 0, base_people, base_x, base_label, n_segments)
    order = base_profile.sort_values("spend", ascending=False).index.to_numpy()
    rank = np.empty(n_segments, dtype=np.int64)
    rank[order] = np.arange(n_segments)
    names = _names(base_profile.loc[order].reset_index(drop=True), world.channels.names)

    membership = np.full(world.n_people, n_segments, dtype=np.int64)
    membership[base_people] = rank[base_label]
    profiles = []
    for s, strategy in enumerate(world.strategies):
        if s == 0:
            people, x, label, profile = base_people, base_x, base_label, base_profile
        else:
            people, x = rfm_features(run.states[s], horizon)
            label = assign(x) if people.size else np.zeros(0, dtype=np.int64)
            profile = _profile(run, s, people, x, label, n_segments)
        profile = profile.loc[order].reset_index(drop=True)
        n_customers = max(float(profile["customers"].sum()), 1.0)
        profile.insert(0, "strategy", strategy)
        profile.insert(1, "segment", names)
        profile.insert(2, "rank", np.arange(1, n_segments + 1))
        profile.insert(4, "share_of_customers", profile["customers"] / n_customers)
        profile["customers"] *= scenario.scale
        profiles.append(profile)
    segments = pd.concat(profiles, ignore_index=True)
    return {"segments": segments, "segment_gains": _gains(run, membership, names)}


def _gains(run: RunOutput, membership: NDArray[np.int64], names: list[str]) -> pd.DataFrame:
    world = run.world
    scale = world.scenario.scale
    labels = [*names, f"not a customer under {world.strategies[0]}"]
    size = np.bincount(membership, minlength=len(labels)).astype(float)
    rows = []
    base_spend = None
    for s, strategy in enumerate(world.strategies):
        state = run.states[s]
        spend = np.bincount(membership, weights=state.spend_by_channel.sum(axis=0, dtype=np.float64),
                            minlength=len(labels))
        purchases = np.bincount(membership, weights=state.purchases_by_channel.sum(axis=0, dtype=np.float64),
                                minlength=len(labels))
        customers = np.bincount(membership, weights=(state.purchases_by_channel.sum(axis=0) > 0),
                                minlength=len(labels))
        per_person = np.divide(spend, size, out=np.full(size.size, np.nan), where=size > 0)
        if base_spend is None:
            base_spend = per_person
        for i, label in enumerate(labels):
            rows.append({
                "strategy": strategy, "segment": label, "rank": i + 1, "people": size[i] * scale,
                "customer_share": customers[i] / size[i] if size[i] else np.nan,
                "purchases_per_person": purchases[i] / size[i] if size[i] else np.nan,
                "spend_per_person": per_person[i],
                "spend_gain_per_person": per_person[i] - base_spend[i],
            })
    return pd.DataFrame(rows)


__all__ = ["N_SEGMENTS", "fit_segments", "rfm_features", "segment_frames"]
