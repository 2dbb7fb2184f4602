"""Learned offer targeting: what unified customer data is worth (MODEL.md step 8).

Every person has a hidden propensity to shop (``world.people.propensity``) that multiplies their
journey rate in every channel. The marketer never sees it. It sees interaction histories, and
those reveal the propensity only as well as the data is joined up:

* **Siloed** (``identity`` = 0). Each channel keeps its own records. Channel *c* knows the people
  who had a touchpoint with it and, for them, its own recency, frequency and spend. It trains a
  model on its own records to predict a purchase *in its own channel* in the next window, and
  scores only the people it knows. As in a business run by channel teams, each channel spends
  its own part of the offer budget, in proportion to the people it knows, on the top of its own
  list. A person on two channels' lists gets one offer (the engine sends at most one a week) and
  the slot passes to the next name, so the budget is always spent on distinct people.
* **Unified** (``identity`` = 1). One customer view: every channel's recency, frequency and spend
  plus cross-channel features (total purchases, last purchase anywhere, channels used and
  bought, customer tenure), one model predicting a purchase anywhere.
* **In between.** ``identity`` is the share of customer records that are linked: a person is
  linked when a hashed uniform draw of theirs is below the level, so raising the level links a
  superset. Linked people are on the unified model's list, the others on the channel lists.
  The budget is shared among the lists in proportion to the people on them (linked people;
  then the unlinked, split by channel as above), so no comparison of scores from different
  models is needed; linking is random, so neither group is favoured.

The ordering that spends the budget (:func:`merged_priority`) is also what the held-out AUC and
top-decile precision measure, so the reported model quality is the quality of the targeting.

Model: a scikit-learn pipeline of :class:`~sklearn.preprocessing.StandardScaler` and
:class:`~sklearn.linear_model.LogisticRegression`. Logistic regression rather than gradient
boosting because the signal (log counts and exponential recency against a multiplicative
propensity) is close to linear in the logit, because it fits a few thousand rows in a few
milliseconds single-threaded (the budget is at most +50% on a run), and because a linear score
is cheap to apply to a million people in blocks (:class:`LinearScorer`). The C channel models are
fitted in one call on a block-diagonal design (channel *c*'s rows are non-zero only in channel
*c*'s columns, each block with its own intercept column and no shared intercept): the loss and
the L2 penalty split into independent per-channel parts, so the solution is exactly that of C
separate penalized models, each seeing only its own channel's rows and columns
(``tests/simulation/test_personalization.py`` checks this against separate fits).

Schedule. A round starts every ``economics.retrain_every_weeks`` weeks (the cadence, default 13).
At a round the policy (1) labels the people it sampled at the previous round by whether they
bought in the weeks since (the label window equals the cadence), (2) trains on 70% of them and
measures ROC AUC and top-decile precision on the held-out 30% against the business outcome
(a purchase in any channel), (3) scores every eligible person, ranks them once and keeps a
candidate list twice the weekly budget long, and (4) samples people for the next round (at most
``sample_max``, so training cost does not grow with the population). Every week of the round
offers go to the first ``round(offer_share x eligible)`` candidates still eligible; nobody is
re-ranked until the next round. Until the first model exists (the first cadence weeks), or when
a round has too little data to train, offers go to random eligible people exactly as
:class:`~simulation.core.targeting.RandomTargeting` sends them.

Incremental purchases. An offer multiplies the person's journey chance that week by
(1 + ``offer_uplift``), so of the journeys offered people open, a share
uplift / (1 + uplift) would not have happened without the offer. The report applies that share
to the offered people's purchases and spend in the week of the offer: an expectation the
simulator knows without peeking at anyone's draws. It is exact while the boosted journey chance
stays below 1; it is an upper bound for people whose chance is capped at 1 and it leaves out the
small reminder effect of the offer as one more contact.

All choices are deterministic: hashed draws of :class:`~simulation.core.random_streams.Draw` ``MODEL``
(sampling, hold-out, linking) and ``TARGETING`` (random offers, tie-breaks), the same
``random_state`` for every plan, and BLAS/OpenMP limited to one thread while fitting and scoring.
Each plan keeps its own state, so a plan's numbers do not depend on which plans run beside it.
"""

from __future__ import annotations

import math
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sklearn
from numpy.typing import NDArray
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

from simulation.core.random_streams import Draw
from simulation.core.scenario import Capability
from simulation.core.targeting import TargetingContext, WeeklyDraw, WeekPurchases, random_recipients
from simulation.core.world import CHANNELS_IN_MASK

if TYPE_CHECKING:
    from simulation.core.engine import PlanState
    from simulation.core.random_streams import RandomStreams
    from simulation.core.scenario import Scenario
    from simulation.core.world import World

RECENCY_SCALE_WEEKS = 13.0
"""Recency features are exp(-weeks since the last purchase / this scale), 0 if never."""
TEST_SHARE = 0.3
"""Share of each round's sample held out to measure AUC and top-decile precision."""
SAMPLE_MAX = 3000
"""Most people sampled per plan and round (training plus held-out)."""
CANDIDATE_MULTIPLE = 2.0
"""Candidate list length at a round, in weekly budgets (covers people lost during the round)."""
MIN_TRAIN_ROWS = 30
"""Fewer training rows (or a single class) and the round falls back to random offers."""
SCORE_CHUNK = 1 << 14
"""People scored per block, to bound the memory of feature matrices at large N."""
REGULARIZATION_C = 1.0
"""Inverse L2 strength of the logistic regressions (features are standardized)."""

_STEP_SAMPLE, _STEP_TEST, _STEP_LINK = 1, 2, 3
_IDENTITY = list(Capability).index(Capability.IDENTITY)
_THREADS = ThreadpoolController()


def _trusted_input() -> AbstractContextManager[None]:
    """Skip scikit-learn's per-call input and parameter checks (a third of a small fit's time):
    the engine builds the features itself, finite float32 of fixed shape."""
    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


_ROUND_LOCK = threading.Lock()
"""The engine may advance plans in threads; BLAS/OpenMP thread limits are process-wide, so one
plan's round (fit, evaluate, rank) runs at a time, single-threaded, and results stay exact."""


class TargetingMode(StrEnum):
    """How offers are aimed."""

    LEARNED = "learned"
    """Top-scored people by the data the plan's ``identity`` level allows."""
    RANDOM = "random"
    """Random eligible people; the models are still trained and measured, never used."""


class DataRegime(StrEnum):
    """Which models a round used."""

    NONE = "none"
    SILOED = "siloed"
    UNIFIED = "unified"
    BLEND = "blend"


# --------------------------------------------------------------------------------------------
# Features the marketer can see


@dataclass
class PurchaseHistory:
    """Per-plan records the engine does not keep: week of the last purchase in each channel."""

    last_purchase_week: NDArray[np.int16]
    """(C, N) week of the person's latest purchase in the channel, -1 if none."""

    @classmethod
    def empty(cls, n_channels: int, n_people: int) -> PurchaseHistory:
        return cls(last_purchase_week=np.full((n_channels, n_people), -1, dtype=np.int16))

    def record(self, purchases: WeekPurchases, week: int) -> None:
        self.last_purchase_week[purchases.channel, purchases.person] = week


def recency(last_week: NDArray[np.int16], week: int,
            out: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
    """exp(-(week - last) / RECENCY_SCALE_WEEKS) where a purchase exists, else 0."""
    scaled = (last_week.astype(np.float32) - np.float32(week)) / np.float32(RECENCY_SCALE_WEEKS)
    if out is None:
        out = np.empty(last_week.shape, dtype=np.float32)
    out[...] = 0.0
    return np.exp(scaled, out=out, where=last_week >= 0)


def channel_feature_names() -> tuple[str, ...]:
    """Columns one siloed channel model sees (besides its intercept)."""
    return ("recency", "log_purchases", "log_spend")


def channel_features(state: PlanState, history: PurchaseHistory, channel: int,
                     people: NDArray[np.int64], week: int,
                     out: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
    """(P, 3) what channel ``channel`` knows of ``people`` from its own records only.

    ``out``: where to write them (a (P, 3) view, e.g. columns of a larger column-major matrix,
    where each column is contiguous and cheap to fill).
    """
    if out is None:
        out = np.empty((people.size, 3), dtype=np.float32, order="F")
    recency(np.take(history.last_purchase_week[channel], people), week, out=out[:, 0])
    np.log1p(np.take(state.purchases_by_channel[channel], people), out=out[:, 1], dtype=np.float32)
    spend = np.take(state.spend_by_channel[channel], people)
    np.log1p(np.maximum(spend, 0.0, out=spend), out=out[:, 2])
    return out


def unified_feature_names(channel_names: tuple[str, ...]) -> tuple[str, ...]:
    per_channel = [f"{stem}_{name}" for name in channel_names
                   for stem in ("recency", "log_purchases", "log_spend", "known")]
    return (*per_channel, "log_purchases_total", "recency_any", "channels_used",
            "channels_bought", "log_tenure_weeks", "is_customer")


def unified_features(state: PlanState, history: PurchaseHistory,
                     people: NDArray[np.int64], week: int) -> NDArray[np.float32]:
    """(P, 4 C + 6) the 360-degree view: every channel's records plus cross-channel features."""
    n_channels = history.last_purchase_week.shape[0]
    # Column-major: every feature is written as one contiguous column.
    out = np.empty((people.size, 4 * n_channels + 6), dtype=np.float32, order="F")
    used = np.take(state.channels_used, people)
    base = 4 * n_channels
    # Every channel's four columns at once: channel_features' columns plus "known", as a
    # (channel, feature, person) view of the first 4 C columns.
    blocks = out[:, :base].T.reshape(n_channels, 4, people.size)
    recency(np.take(history.last_purchase_week, people, axis=1), week, out=blocks[:, 0])
    counts = np.take(state.purchases_by_channel, people, axis=1)
    np.log1p(counts, out=blocks[:, 1], dtype=np.float32)
    spend = np.take(state.spend_by_channel, people, axis=1)
    np.log1p(np.maximum(spend, 0.0, out=spend), out=blocks[:, 2])
    blocks[:, 3] = (used[None, :] >> np.arange(n_channels, dtype=used.dtype)[:, None]) & 1
    np.log1p(counts.sum(axis=0, dtype=np.float32), out=out[:, base])
    recency(np.take(state.last_purchase_week, people), week, out=out[:, base + 1])
    out[:, base + 2] = np.take(CHANNELS_IN_MASK, used)
    out[:, base + 3] = np.take(CHANNELS_IN_MASK, np.take(state.channels_bought, people))
    since = np.take(state.customer_since, people)
    out[:, base + 4] = np.where(since >= 0, np.log1p(np.maximum(week - since, 0)), 0.0)
    out[:, base + 5] = since >= 0
    return out


@dataclass(frozen=True)
class ChannelRecords:
    """Siloed records of a set of people: one row per (person, channel that knows them)."""

    design: NDArray[np.float32]
    """(R, 4 C) block-diagonal: channel c's row holds [1, features] in columns 4c..4c+3."""
    person_pos: NDArray[np.int64]
    """(R,) position of the row's person in the people array it was built from."""
    channel: NDArray[np.int64]
    """(R,) the channel of the row."""


def channel_records(state: PlanState, history: PurchaseHistory, people: NDArray[np.int64],
                    week: int) -> ChannelRecords:
    """Every channel's own view of the people it knows, stacked block-diagonally."""
    n_channels = history.last_purchase_week.shape[0]
    used = state.channels_used[people]
    positions = [np.flatnonzero((used >> c) & 1) for c in range(n_channels)]
    rows = sum(p.size for p in positions)
    design = np.zeros((rows, 4 * n_channels), dtype=np.float32, order="F")
    start = 0
    for c, pos in enumerate(positions):
        block = slice(start, start + pos.size)
        design[block, 4 * c] = 1.0
        channel_features(state, history, c, np.take(people, pos), week,
                         out=design[block, 4 * c + 1 : 4 * c + 4])
        start += pos.size
    channel = np.repeat(np.arange(n_channels), [p.size for p in positions])
    person_pos = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    return ChannelRecords(design=design, person_pos=person_pos.astype(np.int64), channel=channel)


def linked(streams: RandomStreams, people: NDArray[np.int64], identity: float) -> NDArray[np.bool_]:
    """Whether each person's records are linked across channels at this ``identity`` level.

    A fixed hashed draw per person below the level: the linked share is ``identity`` in
    expectation, and a higher level links a superset of the people a lower one links.
    """
    if identity <= 0.0:
        return np.zeros(people.size, dtype=bool)
    if identity >= 1.0:
        return np.ones(people.size, dtype=bool)
    return streams.uniform(Draw.MODEL, 0, _STEP_LINK, people) < identity  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# Models


def unified_model(random_state: int) -> Pipeline:
    """Scaler + logistic regression (Newton-Cholesky: a handful of iterations on ~30 columns)."""
    return make_pipeline(
        StandardScaler(),
        LogisticRegression(C=REGULARIZATION_C, solver="newton-cholesky", max_iter=100,
                           random_state=random_state),
    )


def siloed_model(random_state: int) -> Pipeline:
    """C channel models in one fit: no centring and no shared intercept keep the blocks apart."""
    return make_pipeline(
        StandardScaler(with_mean=False),
        LogisticRegression(C=REGULARIZATION_C, solver="newton-cholesky", max_iter=100,
                           fit_intercept=False, random_state=random_state),
    )


@dataclass(frozen=True)
class LinearScorer:
    """The fitted pipeline folded into one linear function: logit = x @ weights + offset.

    Same ranking as ``pipeline.predict_proba`` (the logistic function is monotone) without
    sklearn's per-call input validation, which dominates when scoring in many blocks. The
    weights are float32 like the features: a float32 matrix-vector product is about ten times
    faster than one that first converts every feature to float64, and 7 significant digits
    are plenty to rank people (equal logits are ordered by the hashed tie-break).
    """

    weights: NDArray[np.float32]
    offset: float

    @classmethod
    def of(cls, pipeline: Pipeline) -> LinearScorer:
        scaler, model = pipeline[0], pipeline[-1]
        weights = model.coef_[0] / scaler.scale_
        offset = float(model.intercept_[0]) if model.fit_intercept else 0.0
        if scaler.with_mean:
            offset -= float(scaler.mean_ @ weights)
        return cls(weights=weights.astype(np.float32), offset=offset)

    def logit(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        return (x @ self.weights).astype(np.float64) + self.offset  # type: ignore[no-any-return]


def _fittable(labels: NDArray[np.bool_]) -> bool:
    return bool(labels.size >= MIN_TRAIN_ROWS and 0 < np.count_nonzero(labels) < labels.size)


@dataclass(frozen=True)
class ListEntries:
    """Scored entries of the offer lists: list 0 is the unified model's (linked people), list
    1 + c is channel c's (unlinked people it knows). One person may sit on several lists."""

    list_id: NDArray[np.int64]
    person: NDArray[np.int64]
    """Position of the entry's person in the array of people scored."""
    logit: NDArray[np.float64]

    @classmethod
    def concat(cls, parts: list[ListEntries]) -> ListEntries:
        return cls(list_id=np.concatenate([p.list_id for p in parts]),
                   person=np.concatenate([p.person for p in parts]),
                   logit=np.concatenate([p.logit for p in parts]))


def list_entries(unified: LinearScorer | None, siloed: LinearScorer | None,
                 unified_x: NDArray[np.float32] | None, records: ChannelRecords | None,
                 is_linked: NDArray[np.bool_], offset: int = 0) -> ListEntries:
    """Entries for a block of people: the linked by the unified model, the others by each
    channel model that knows them.

    ``unified_x`` holds the linked people's unified features and ``records`` the unlinked
    people's channel records (``person_pos`` counting among the unlinked), both in the order of
    the block; ``offset`` is added to positions (blocks of a larger array).
    """
    parts = [ListEntries(list_id=np.zeros(0, dtype=np.int64), person=np.zeros(0, dtype=np.int64),
                         logit=np.zeros(0))]
    if unified is not None and unified_x is not None and unified_x.shape[0]:
        linked_pos = np.flatnonzero(is_linked)
        parts.append(ListEntries(list_id=np.zeros(linked_pos.size, dtype=np.int64),
                                 person=linked_pos + offset, logit=unified.logit(unified_x)))
    if siloed is not None and records is not None and records.person_pos.size:
        unlinked = np.flatnonzero(~is_linked)
        parts.append(ListEntries(list_id=1 + records.channel.astype(np.int64),
                                 person=unlinked[records.person_pos] + offset,
                                 logit=siloed.logit(records.design)))
    return ListEntries.concat(parts)


def list_quotas(n_linked: int, known_unlinked: NDArray[np.int64], n_people: int) -> NDArray[np.float64]:
    """Share of the offer budget each list spends: the linked people's share for the unified
    list; the unlinked people's share, split in proportion to the people each channel knows,
    for the channel lists (each siloed channel team runs its own part of the budget)."""
    n_unlinked_share = 1.0 - n_linked / max(n_people, 1)
    known = known_unlinked.astype(np.float64)
    split = known / known.sum() if known.sum() > 0 else known
    return np.concatenate([[n_linked / max(n_people, 1)], n_unlinked_share * split])


def _top_per_list(entries: ListEntries, tie: NDArray[np.floating], limit: NDArray[np.int64]
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row indices of each list's best ``limit[list]`` entries (best first) and their rank."""
    rows_out, ranks_out = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for list_id in np.flatnonzero(np.bincount(entries.list_id, minlength=limit.size)):
        rows = np.flatnonzero(entries.list_id == list_id)
        m = int(min(rows.size, limit[list_id]))
        if m <= 0:
            continue
        if m < rows.size:
            rows = rows[np.argpartition(-entries.logit[rows], m - 1)[:m]]
        rows = rows[np.lexsort((-tie[entries.person[rows]], -entries.logit[rows]))]
        rows_out.append(rows)
        ranks_out.append(np.arange(rows.size))
    return np.concatenate(rows_out), np.concatenate(ranks_out)


def merged_priority(entries: ListEntries, quotas: NDArray[np.float64], tie: NDArray[np.floating],
                    n_people: int, *, keep: int | None = None
                    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Merge the lists so each spends its quota: people best first, and each person's key.

    The i-th entry (from 0) of a list with quota q gets key (i + 1) / q; walking the merged
    list by key takes entries from each list in proportion to its quota. A person on several
    lists keeps their best key (one offer; the next entry takes the other slot). With ``keep``
    each list contributes at most ceil(keep x q) entries. Keys are +inf for unlisted people.
    """
    limit = np.full(quotas.size, np.iinfo(np.int64).max, dtype=np.int64)
    if keep is not None:
        limit = np.ceil(keep * quotas).astype(np.int64)
    rows, rank = _top_per_list(entries, tie, limit)
    person = entries.person[rows]
    lists = entries.list_id[rows]
    with np.errstate(divide="ignore"):
        key = (rank + 1) / quotas[lists]
    if lists.size and quotas[lists[0]] > 0 and (lists == lists[0]).all():
        # One list: keys rise along it and nobody is on it twice, so it is already merged.
        best = np.full(n_people, np.inf)
        best[person] = key
        return person, best
    order = np.lexsort((-tie[person], key))
    person, key = person[order], key[order]
    _, first = np.unique(person, return_index=True)
    first.sort()
    best = np.full(n_people, np.inf)
    best[person[first]] = key[first]
    return person[first], best


def roc_auc(labels: NDArray[np.bool_], score: NDArray[np.float64]) -> float:
    """Area under the ROC curve by the Mann-Whitney rank sum (ties count one half)."""
    positives = int(np.count_nonzero(labels))
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))



def top_decile_precision(labels: NDArray[np.bool_], score: NDArray[np.float64],
                         tie: NDArray[np.floating]) -> float:
    """Share of buyers among the 10% best-scored (ties broken by ``tie``)."""
    k = max(1, math.ceil(0.1 * labels.size))
    order = np.lexsort((-tie, -score))
    return float(labels[order[:k]].mean())


# --------------------------------------------------------------------------------------------
# The policy


@dataclass
class _Sample:
    week: int
    people: NDArray[np.int64]
    test: NDArray[np.bool_]
    unified: NDArray[np.float32] | None
    """Unified features of ``people`` when drawn; None if nobody will be linked at the round
    that trains on the sample."""
    records: ChannelRecords | None
    """Channel records of ``people`` when drawn; None if everybody will be linked then."""


@dataclass
class _Round:
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


@dataclass
class _PlanState:
    history: PurchaseHistory
    sample: _Sample | None = None
    candidates: NDArray[np.int64] | None = None
    """Ranked person indices of the current round; None = random offers."""
    offered: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rounds: list[_Round] = field(default_factory=list)
    next_round_week: int = 0


class PersonalizedTargeting:
    """Offers to the people a model trained on the plan's own data scores highest.

    The default policy of :func:`simulation.simulate`; see the module docstring for the data
    each ``identity`` level allows, the schedule and the incremental-purchase estimate. One
    instance serves one run (all its plans); :meth:`report` gives the per-round figures.

    Parameters
    ----------
    mode:
        :attr:`TargetingMode.LEARNED` aims offers with the models; :attr:`TargetingMode.RANDOM`
        sends them to random people but still trains and measures the models (a like-for-like
        baseline for what targeting adds).
    sample_max:
        Most people sampled per plan and round to train and evaluate on.
    """

    def __init__(self, *, mode: TargetingMode = TargetingMode.LEARNED,
                 sample_max: int = SAMPLE_MAX) -> None:
        self.mode = TargetingMode(mode)
        self.sample_max = int(sample_max)
        self._plans: dict[int, _PlanState] = {}
        self._world: World | None = None
        self._last_week = -1
        self._draw = WeeklyDraw()

    # TargetingPolicy --------------------------------------------------------------------

    def select(self, context: TargetingContext) -> NDArray[np.int64]:
        self._bind(context.week, context.world)
        plan = self._plan(context.strategy, context.state)
        if context.week >= plan.next_round_week:
            self._start_round(plan, context)
        if plan.candidates is None or self.mode is TargetingMode.RANDOM:
            plan.offered = random_recipients(context, self._draw)
        else:
            available = plan.candidates[context.is_eligible(plan.candidates)]
            plan.offered = available[:context.budget]
        plan.rounds[-1].offers += plan.offered.size
        return plan.offered

    def observe_week(self, week: int, strategy: int, state: PlanState,
                     purchases: WeekPurchases) -> None:
        self._bind(week, None)
        plan = self._plan(strategy, state)
        plan.history.record(purchases, week)
        if plan.offered.size and purchases.person.size:
            hit = purchases.offered
            current = plan.rounds[-1]
            current.offer_purchases += int(np.count_nonzero(hit))
            current.offer_net_value += float(purchases.net_value[hit].sum())
        plan.offered = plan.offered[:0]

    # Rounds -----------------------------------------------------------------------------

    def _bind(self, week: int, world: World | None) -> None:
        """A week earlier than the last one seen means a new run: forget everything."""
        if week < self._last_week:
            self._plans.clear()
            self._world = None
        self._last_week = week
        if world is not None and self._world is None:
            self._world = world

    def _plan(self, strategy: int, state: PlanState) -> _PlanState:
        plan = self._plans.get(strategy)
        if plan is None:
            n_channels, n_people = state.purchases_by_channel.shape
            plan = _PlanState(history=PurchaseHistory.empty(n_channels, n_people))
            plan.rounds.append(_Round(index=0, week=0))
            self._plans[strategy] = plan
        return plan

    def _start_round(self, plan: _PlanState, context: TargetingContext) -> None:
        week = context.week
        cadence = context.world.scenario.economics.retrain_every_weeks
        plan.next_round_week = (week // cadence + 1) * cadence
        current = plan.rounds[-1]
        if plan.sample is not None:
            current = _Round(index=current.index + 1, week=week)
            plan.rounds.append(current)
            current.identity = context.identity
            with _ROUND_LOCK, _THREADS.limit(limits=1), _trusted_input():
                plan.candidates = self._train_and_rank(plan, plan.sample, current, context)
        plan.sample = self._next_sample(plan, context)

    def _next_sample(self, plan: _PlanState, context: TargetingContext) -> _Sample | None:
        """The people the next round labels and trains on (None if there is no next round).

        Their features are what the marketer sees of them now, and only those the next round's
        ``identity`` level will use (linking is all or nothing at 1 and 0).
        """
        eligible, week, world = context.eligible, context.week, context.world
        if plan.next_round_week >= world.scenario.market.horizon_weeks:
            return None
        identity = float(world.effective_levels(plan.next_round_week)[context.strategy, _IDENTITY])
        rate = min(1.0, self.sample_max / max(eligible.size, 1))
        people = eligible[context.streams.uniform(Draw.MODEL, week, _STEP_SAMPLE, eligible) < rate]
        test = context.streams.uniform(Draw.MODEL, week, _STEP_TEST, people) < TEST_SHARE
        state, history = context.state, plan.history
        return _Sample(
            week=week, people=people, test=test,
            unified=unified_features(state, history, people, week) if identity > 0 else None,
            records=channel_records(state, history, people, week) if identity < 1 else None,
        )

    def _train_and_rank(self, plan: _PlanState, sample: _Sample, current: _Round,
                        context: TargetingContext) -> NDArray[np.int64] | None:
        """Label last round's sample, fit, evaluate on the held-out part, rank everyone now."""
        state, streams = context.state, context.streams
        seed = streams.seed_for(Draw.MODEL)
        bought = state.last_purchase_week[sample.people] >= sample.week
        is_linked = linked(streams, sample.people, context.identity)
        train = ~sample.test

        unified: LinearScorer | None = None
        siloed: LinearScorer | None = None
        rows = train & is_linked
        if sample.unified is not None and rows.any() and _fittable(bought[rows]):
            unified = LinearScorer.of(unified_model(seed).fit(sample.unified[rows], bought[rows]))
        records = sample.records
        if records is not None and not is_linked.all():
            bought_here = (
                plan.history.last_purchase_week[records.channel, sample.people[records.person_pos]]
                >= sample.week
            )
            silo_rows = train[records.person_pos]
            if _fittable(bought_here[silo_rows]):
                siloed = LinearScorer.of(
                    siloed_model(seed).fit(records.design[silo_rows], bought_here[silo_rows])
                )
        need_unified, need_siloed = is_linked.any(), not is_linked.all()
        if (need_unified and unified is None) or (need_siloed and siloed is None):
            return None  # too little data this round: random offers until the next one
        current.regime = (DataRegime.BLEND if need_unified and need_siloed
                          else DataRegime.UNIFIED if need_unified else DataRegime.SILOED)

        test = np.flatnonzero(sample.test)
        current.train_people = int(np.count_nonzero(train))
        current.test_people = test.size
        if test.size:
            test_linked = is_linked[test]
            unlinked_records = (_subset(records, test[~test_linked], sample.people.size)
                                if records is not None else None)
            entries = list_entries(
                unified, siloed,
                sample.unified[test[test_linked]] if sample.unified is not None else None,
                unlinked_records, test_linked)
            known = np.bincount(
                unlinked_records.channel if unlinked_records is not None else np.zeros(0, np.int64),
                minlength=plan.history.last_purchase_week.shape[0])
            quotas = list_quotas(int(np.count_nonzero(test_linked)), known, test.size)
            tie = streams.uniform(Draw.TARGETING, context.week, 1, sample.people[test])
            _, key = merged_priority(entries, quotas, tie, test.size)
            score = -key
            labels = bought[test]
            current.base_rate = float(labels.mean())
            current.auc = roc_auc(labels, score)
            current.top_decile_precision = top_decile_precision(labels, score, tie)
        return self._rank(plan, unified, siloed, context, current)

    def _rank(self, plan: _PlanState, unified: LinearScorer | None, siloed: LinearScorer | None,
              context: TargetingContext, current: _Round) -> NDArray[np.int64]:
        """Score every eligible person in blocks and keep ``CANDIDATE_MULTIPLE`` weekly budgets.

        Each list (unified; one per channel) keeps its best entries up to its quota of the
        candidate list; the merge shares the budget among the lists in proportion to their
        quotas (:func:`merged_priority`), the same ordering the held-out AUC measures.
        """
        state, streams, week = context.state, context.streams, context.week
        eligible = context.eligible
        n_channels = plan.history.last_purchase_week.shape[0]
        is_linked = linked(streams, eligible, context.identity)
        current.linked_share = float(is_linked.mean()) if eligible.size else float("nan")
        unlinked_used = state.channels_used[eligible[~is_linked]]
        known = np.array([np.count_nonzero((unlinked_used >> c) & 1) for c in range(n_channels)])
        quotas = list_quotas(int(np.count_nonzero(is_linked)), known, eligible.size)
        keep = min(eligible.size,
                   math.ceil(CANDIDATE_MULTIPLE * context.offer_share * eligible.size) + 32)
        limit = np.ceil(keep * quotas).astype(np.int64)
        tie = streams.uniform(Draw.TARGETING, week, 1, eligible)
        kept = [list_entries(None, None, None, None, is_linked[:0])]
        for start in range(0, eligible.size, SCORE_CHUNK):
            block = slice(start, start + SCORE_CHUNK)
            people = eligible[block]
            block_linked = is_linked[block]
            unified_x = (unified_features(state, plan.history, people[block_linked], week)
                         if block_linked.any() else None)
            records = (channel_records(state, plan.history, people[~block_linked], week)
                       if not block_linked.all() else None)
            entries = list_entries(unified, siloed, unified_x, records, block_linked, offset=start)
            rows, _ = _top_per_list(entries, tie, limit)
            kept.append(ListEntries(list_id=entries.list_id[rows], person=entries.person[rows],
                                    logit=entries.logit[rows]))
        order, _ = merged_priority(ListEntries.concat(kept), quotas, tie, eligible.size, keep=keep)
        return eligible[order]  # type: ignore[no-any-return]

    # Report -----------------------------------------------------------------------------

    def report(self) -> pd.DataFrame:
        """One row per plan and round; see :func:`report_frame`."""
        return report_frame(self._world, self._plans)


REPORT_COLUMNS = (
    "strategy", "round", "week", "weeks", "identity", "linked_share", "regime", "train_people",
    "test_people", "base_rate", "auc", "top_decile_precision", "top_decile_lift", "offers",
    "offer_purchases", "incremental_purchases", "incremental_revenue", "incremental_margin",
    "offer_cost", "incremental_contribution", "incremental_margin_per_offer",
)


def report_frame(world: World | None, plans: dict[int, Any]) -> pd.DataFrame:
    """Per plan and training round: model quality on held-out people and what offers earned.

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
    if world is None or not plans:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("strategy", "regime") else float)
                             for c in REPORT_COLUMNS})
    scenario = world.scenario
    economics = scenario.economics
    horizon = scenario.market.horizon_weeks
    share = economics.offer_uplift / (1.0 + economics.offer_uplift)
    rows = []
    for s in sorted(plans):
        rounds: list[_Round] = plans[s].rounds
        for i, r in enumerate(rounds):
            end = rounds[i + 1].week if i + 1 < len(rounds) else horizon
            incremental_revenue = r.offer_net_value * share
            cost = r.offers * economics.offer_cost
            rows.append({
                "strategy": world.strategies[s], "round": r.index, "week": r.week,
                "weeks": end - r.week, "identity": r.identity, "linked_share": r.linked_share,
                "regime": r.regime.value, "train_people": r.train_people,
                "test_people": r.test_people, "base_rate": r.base_rate, "auc": r.auc,
                "top_decile_precision": r.top_decile_precision,
                "top_decile_lift": r.top_decile_precision / r.base_rate
                if r.base_rate > 0 else float("nan"),
                "offers": r.offers, "offer_purchases": r.offer_purchases,
                "incremental_purchases": r.offer_purchases * share,
                "incremental_revenue": incremental_revenue, "offer_cost": cost,
            })
    return price_report(pd.DataFrame(rows), scenario)


_SCALED_COLUMNS = ["offers", "offer_purchases", "incremental_purchases", "incremental_revenue",
                   "offer_cost"]


def price_report(report: pd.DataFrame, scenario: Scenario, *, scale_from: float = 1.0) -> pd.DataFrame:
    """The report scaled to ``scenario``'s market and with margin columns at its gross margin:
    the two things a report needs that the run itself does not fix (:mod:`simulation.core.valuation`).

    ``scale_from`` is the scale the counts and money of ``report`` are at (1: simulated people).
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
    """Per strategy: mean AUC and precision over trained rounds, offer totals and revenue lift.

    ``revenue_lift`` = incremental revenue / (revenue - incremental revenue), the emergent
    counterpart of the 5-25% "personalization lifts revenue" range (McKinsey 2021), when
    ``kpis`` is given.
    """
    trained = report[report["regime"] != DataRegime.NONE.value]
    grouped = report.groupby("strategy", sort=False)
    out = pd.DataFrame({
        "auc": trained.groupby("strategy", sort=False)["auc"].mean(),
        "top_decile_precision": trained.groupby("strategy", sort=False)["top_decile_precision"].mean(),
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


def _subset(records: ChannelRecords, positions: NDArray[np.int64], n_people: int) -> ChannelRecords:
    """The rows of ``records`` whose person is in ``positions``, re-indexed to that subset."""
    new_pos = np.full(n_people, -1, dtype=np.int64)
    new_pos[positions] = np.arange(positions.size)
    keep = new_pos[records.person_pos] >= 0
    return ChannelRecords(design=records.design[keep], person_pos=new_pos[records.person_pos[keep]],
                          channel=records.channel[keep])


__all__ = [
    "ChannelRecords",
    "DataRegime",
    "PersonalizedTargeting",
    "PurchaseHistory",
    "TargetingMode",
    "channel_features",
    "channel_records",
    "linked",
    "personalization_summary",
    "report_frame",
    "unified_features",
]
