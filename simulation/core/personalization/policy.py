"""The learned offer-targeting policy: what unified customer data is worth (docs/MODEL.md section 3, step 7).

Each plan's own data trains the models its ``identity`` level allows
(:mod:`~simulation.core.personalization.features`): channel models on siloed records, one
unified model on linked people, or both, and offers go to the best-scored people
(:mod:`~simulation.core.personalization.lists`).

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

All choices are deterministic: hashed draws of :class:`~simulation.core.random_streams.Draw` ``MODEL``
(sampling, hold-out, linking) and ``TARGETING`` (random offers, tie-breaks), a solver that draws
nothing (Newton-Cholesky), and BLAS/OpenMP limited to one thread while fitting and scoring.
Each plan keeps its own state, so a plan's numbers do not depend on which plans run beside it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from simulation.core.capabilities import Capability
from simulation.core.currency import exchange_rate
from simulation.core.personalization.features import (
    STEP_SAMPLE,
    STEP_TEST,
    ChannelRecords,
    PurchaseHistory,
    channel_records,
    linked,
    subset_records,
    unified_features,
)
from simulation.core.personalization.lists import (
    CandidatePool,
    list_entries,
    list_quotas,
    merged_priority,
)
from simulation.core.personalization.models import (
    LinearScorer,
    fittable,
    siloed_model,
    trusted_input,
    unified_model,
)
from simulation.core.personalization.quality import roc_auc, top_decile_precision
from simulation.core.personalization.report import DataRegime, RoundRecord, report_frame
from simulation.core.personalization.uplift import (
    EXPLORE_SHARE,
    STEP_ARM,
    STEP_EXPLORE,
    STEP_HOLDOUT,
    ExperimentWeek,
    qini_coefficient,
    transformed_label,
)
from simulation.core.random_streams import Draw
from simulation.core.recognition import recognised_share
from simulation.core.targeting import (
    TargetingContext,
    WeeklyDraw,
    WeekPurchases,
    bernoulli_positions,
    random_recipients,
)

if TYPE_CHECKING:
    from simulation.core.state import PlanState
    from simulation.core.world import World

TEST_SHARE = 0.3
"""Share of each round's sample held out to measure AUC and top-decile precision."""
SAMPLE_MAX = 3000
"""Most people sampled per plan and round (training plus held-out)."""
CANDIDATE_MULTIPLE = 2.0
"""Candidate list length at a round, in weekly budgets (covers people lost during the round)."""
SCORE_CHUNK = 1 << 14
"""People scored per block, to bound the memory of feature matrices at large N."""

_IDENTITY = list(Capability).index(Capability.IDENTITY)
_THREADS = ThreadpoolController()

_ROUND_LOCK = threading.Lock()
"""The engine may advance plans in threads; BLAS/OpenMP thread limits are process-wide, so one
plan's round (fit, evaluate, rank) runs at a time, single-threaded, and results stay exact."""


class TargetingMode(StrEnum):
    """How offers are aimed."""

    LEARNED = "learned"
    """Top-scored people by the data the plan's ``identity`` level allows."""
    RANDOM = "random"
    """Random eligible people; the models are still trained and measured, never used."""
    UPLIFT = "uplift"
    """Top people by predicted uplift (:mod:`~simulation.core.personalization.uplift`): a share
    of each week's offers is a randomised experiment, and a class-transformation model trained
    on it ranks the rest."""


@dataclass
class _Sample:
    """The people a round samples to label and train on at the next round."""

    week: int
    people: NDArray[np.int64]
    test: NDArray[np.bool_]
    unified: NDArray[np.float32] | None
    """Unified features of ``people`` when drawn; None if nobody will be linked at the round
    that trains on the sample."""
    records: ChannelRecords | None
    """Channel records of ``people`` when drawn; None if everybody will be linked then."""


@dataclass
class _PlanTargeting:
    """What the policy keeps for one plan: its purchase records, sample, candidates and rounds."""

    history: PurchaseHistory
    sample: _Sample | None = None
    candidates: NDArray[np.int64] | None = None
    """Ranked person indices of the current round; None = random offers."""
    offered: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rounds: list[RoundRecord] = field(default_factory=list)
    next_round_week: int = 0
    experiment: list[ExperimentWeek] = field(default_factory=list)
    """Uplift mode: the randomised offer experiment's weeks since the last round."""


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
        self._plans: dict[int, _PlanTargeting] = {}
        self._world: World | None = None
        self._last_week = -1
        self._draw = WeeklyDraw()

    # TargetingPolicy --------------------------------------------------------------------

    def select(self, context: TargetingContext) -> NDArray[np.int64]:
        """The week's offer recipients: the top of the round's ranked list who are eligible, up to the budget.

        A new training round starts when it is due; without a trained list (or in random mode) a
        random ``offer_share`` of eligible people gets offers.
        """
        self._bind(context.week, context.world)
        plan = self._plan(context.plan, context.state)
        if context.week >= plan.next_round_week:
            self._start_round(plan, context)
        explored = np.zeros(0, dtype=np.int64)
        if self.mode is TargetingMode.UPLIFT:
            explored = self._explore(plan, context)
        if plan.candidates is None or self.mode is TargetingMode.RANDOM:
            plan.offered = random_recipients(context, self._draw)
        else:
            available = plan.candidates[context.is_eligible(plan.candidates)]
            if explored.size or plan.experiment:
                in_experiment = np.isin(available, plan.experiment[-1].people) if plan.experiment \
                    else np.zeros(available.size, dtype=bool)
                available = available[~in_experiment]
            plan.offered = available[:max(context.budget - explored.size, 0)]
        if explored.size:
            plan.offered = np.union1d(plan.offered[~np.isin(plan.offered, explored)], explored)
        plan.rounds[-1].offers += plan.offered.size
        return plan.offered

    def observe_week(self, week: int, plan_index: int, state: PlanState,
                     purchases: WeekPurchases) -> None:
        """Record a plan's purchases of ``week`` in its history and count those that followed an offer."""
        self._bind(week, None)
        plan = self._plan(plan_index, state)
        plan.history.record(purchases, week)
        if plan.experiment and plan.experiment[-1].week == week and plan.experiment[-1].people.size:
            rows = plan.experiment[-1]
            bought = np.zeros(rows.people.size, dtype=np.uint8)
            pos = np.searchsorted(rows.people, purchases.person)
            hit = (pos < rows.people.size) & (rows.people[np.minimum(pos, rows.people.size - 1)]
                                               == purchases.person)
            np.bitwise_or.at(bought, pos[hit], np.left_shift(1, purchases.channel[hit]).astype(np.uint8))
            rows.bought = bought
        if plan.offered.size and purchases.person.size:
            hit = purchases.offered
            current = plan.rounds[-1]
            current.offer_purchases += int(np.count_nonzero(hit))
            current.offer_net_value += float(purchases.net_value[hit].sum())
            if self._world is not None:
                share = incremental_share(self._world, purchases.person[hit])
                if share is not None:
                    current.offer_incremental += float(share.sum())
                    current.offer_incremental_value += float((share * purchases.net_value[hit]).sum())
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

    def _plan(self, index: int, state: PlanState) -> _PlanTargeting:
        plan = self._plans.get(index)
        if plan is None:
            n_channels, n_people = state.records.n_channels, state.records.n_people
            plan = _PlanTargeting(history=PurchaseHistory.empty(n_channels, n_people, state.records.slot))
            plan.rounds.append(RoundRecord(index=0, week=0))
            self._plans[index] = plan
        return plan

    def _start_round(self, plan: _PlanTargeting, context: TargetingContext) -> None:
        week = context.week
        cadence = context.world.scenario.economics.retrain_every_weeks
        plan.next_round_week = (week // cadence + 1) * cadence
        current = plan.rounds[-1]
        if plan.sample is not None:
            current = RoundRecord(index=current.index + 1, week=week)
            plan.rounds.append(current)
            current.identity = context.identity
            with _ROUND_LOCK, _THREADS.limit(limits=1), trusted_input():
                plan.candidates = self._train_and_rank(plan, plan.sample, current, context)
        plan.sample = self._next_sample(plan, context)

    def _next_sample(self, plan: _PlanTargeting, context: TargetingContext) -> _Sample | None:
        """The people the next round labels and trains on (None if there is no next round).

        Their features are what the marketer sees of them now, and only those the next round's
        ``identity`` level will use (linking is all or nothing at 1 and 0).
        """
        eligible, week, world = context.eligible, context.week, context.world
        if plan.next_round_week >= world.scenario.market.horizon_weeks:
            return None
        identity = _recognised_at(world, plan.next_round_week, context.plan)
        rate = min(1.0, self.sample_max / max(eligible.size, 1))
        people = eligible[context.streams.uniform(Draw.MODEL, week, STEP_SAMPLE, eligible) < rate]
        test = context.streams.uniform(Draw.MODEL, week, STEP_TEST, people) < TEST_SHARE
        state, history = context.state, plan.history
        per_usd = exchange_rate(world.scenario.market.currency).per_usd
        return _Sample(
            week=week, people=people, test=test,
            unified=(unified_features(state, history, people, week, per_usd=per_usd)
                     if identity > 0 else None),
            records=(channel_records(state, history, people, week, per_usd=per_usd)
                     if identity < 1 else None),
        )

    def _train_and_rank(self, plan: _PlanTargeting, sample: _Sample, current: RoundRecord,
                        context: TargetingContext) -> NDArray[np.int64] | None:
        """Label last round's sample, fit, evaluate on the held-out part, rank everyone now."""
        state, streams = context.state, context.streams
        seed = streams.seed_for(Draw.MODEL)
        bought = state.last_purchase_week[sample.people] >= sample.week
        is_linked = linked(streams, sample.people, context.recognised)
        train = ~sample.test

        unified: LinearScorer | None = None
        siloed: LinearScorer | None = None
        rows = train & is_linked
        if sample.unified is not None and rows.any() and fittable(bought[rows]):
            unified = LinearScorer.of(unified_model(seed).fit(sample.unified[rows], bought[rows]))
        records = sample.records
        if records is not None and not is_linked.all():
            bought_here = (
                plan.history.last_week(sample.people[records.person_pos], records.channel)
                >= sample.week
            )
            silo_rows = train[records.person_pos]
            if fittable(bought_here[silo_rows]):
                siloed = LinearScorer.of(
                    siloed_model(seed).fit(records.design[silo_rows], bought_here[silo_rows])
                )
        need_unified, need_siloed = is_linked.any(), not is_linked.all()
        if (need_unified and unified is None) or (need_siloed and siloed is None):
            plan.experiment = []
            return None  # too little data this round: random offers until the next one
        current.regime = (DataRegime.BLEND if need_unified and need_siloed
                          else DataRegime.UNIFIED if need_unified else DataRegime.SILOED)

        test = np.flatnonzero(sample.test)
        current.train_people = int(np.count_nonzero(train))
        current.test_people = test.size
        if test.size:
            test_linked = is_linked[test]
            unlinked_records = (subset_records(records, test[~test_linked], sample.people.size)
                                if records is not None else None)
            entries = list_entries(
                unified, siloed,
                sample.unified[test[test_linked]] if sample.unified is not None else None,
                unlinked_records, test_linked)
            known = np.bincount(
                unlinked_records.channel if unlinked_records is not None else np.zeros(0, np.int64),
                minlength=plan.history.n_channels)
            quotas = list_quotas(int(np.count_nonzero(test_linked)), known, test.size)
            tie = streams.uniform(Draw.TARGETING, context.week, 1, sample.people[test])
            _, key = merged_priority(entries, quotas, tie, test.size)
            score = -key
            labels = bought[test]
            current.base_rate = float(labels.mean())
            current.auc = roc_auc(labels, score)
            current.top_decile_precision = top_decile_precision(labels, score, tie)
        if self.mode is TargetingMode.UPLIFT:
            scorers = self._fit_uplift(plan, context, current, unified, siloed)
            plan.experiment = []
            if scorers is None:
                return None
            unified, siloed = scorers
        return self._rank(plan, unified, siloed, context, current)

    # Uplift -----------------------------------------------------------------------------

    def _explore(self, plan: _PlanTargeting, context: TargetingContext) -> NDArray[np.int64]:
        """Draw this week's experiment: random eligible people, half offered (returned), half not.

        Their features as the plan's data shows them now are kept for the next round.
        """
        world, week = context.world, context.week
        rate = min(1.0, 2.0 * EXPLORE_SHARE * context.offer_share)
        people = bernoulli_positions(context.streams, week, world.n_people, rate, kind=Draw.MODEL,
                                     step=STEP_EXPLORE)
        people = people[context.is_eligible(people)]
        treated = context.streams.uniform(Draw.MODEL, week, STEP_ARM, people) < 0.5
        later = min(plan.next_round_week, world.scenario.market.horizon_weeks - 1)
        levels = (context.recognised, _recognised_at(world, later, context.plan))
        state, history = context.state, plan.history
        plan.experiment.append(ExperimentWeek(
            week=week, people=people, treated=treated,
            unified=unified_features(state, history, people, week) if max(levels) > 0 else None,
            records=channel_records(state, history, people, week) if min(levels) < 1 else None,
        ))
        return people[treated]  # type: ignore[no-any-return]

    def _fit_uplift(self, plan: _PlanTargeting, context: TargetingContext, current: RoundRecord,
                    purchase_unified: LinearScorer | None, purchase_siloed: LinearScorer | None
                    ) -> tuple[LinearScorer | None, LinearScorer | None] | None:
        """Class-transformation models on the experiment since the last round (70% of rows).

        Also the Qini coefficients of uplift and purchase scores on the other 30%.
        """
        weeks = [w for w in plan.experiment if w.bought.size == w.people.size and w.people.size]
        if not weeks:
            return None
        streams, seed = context.streams, context.streams.seed_for(Draw.MODEL)
        people = np.concatenate([w.people for w in weeks])
        treated = np.concatenate([w.treated for w in weeks])
        bits = np.concatenate([w.bought for w in weeks])
        z = transformed_label(bits > 0, treated)
        holdout = streams.uniform(Draw.MODEL, context.week, STEP_HOLDOUT, people) < TEST_SHARE
        is_linked = linked(streams, people, context.recognised)
        n_features = next((w.unified.shape[1] for w in weeks if w.unified is not None), 0)
        unified_x = np.zeros((people.size, n_features), dtype=np.float32)
        has_unified = np.zeros(people.size, dtype=bool)
        parts: list[ChannelRecords] = []
        start = 0
        for w in weeks:
            block = slice(start, start + w.people.size)
            if w.unified is not None:
                unified_x[block], has_unified[block] = w.unified, True
            if w.records is not None:
                parts.append(ChannelRecords(design=w.records.design, person_pos=w.records.person_pos + start,
                                            channel=w.records.channel))
            start += w.people.size
        records = (ChannelRecords(design=np.concatenate([r.design for r in parts]),
                                  person_pos=np.concatenate([r.person_pos for r in parts]),
                                  channel=np.concatenate([r.channel for r in parts]))
                   if parts else None)
        if records is not None:
            # Siloed rows: people not linked now; each channel sees only its own purchases.
            keep = ~is_linked[records.person_pos]
            records = ChannelRecords(design=records.design[keep], person_pos=records.person_pos[keep],
                                     channel=records.channel[keep])
        unified: LinearScorer | None = None
        siloed: LinearScorer | None = None
        rows = ~holdout & is_linked & has_unified
        if rows.any() and fittable(z[rows]):
            unified = LinearScorer.of(unified_model(seed).fit(unified_x[rows], z[rows]))
        if records is not None and records.person_pos.size:
            bought_here = ((bits[records.person_pos] >> records.channel.astype(np.uint8)) & 1) > 0
            z_here = transformed_label(bought_here, treated[records.person_pos])
            train = ~holdout[records.person_pos]
            if fittable(z_here[train]):
                siloed = LinearScorer.of(siloed_model(seed).fit(records.design[train], z_here[train]))
        if (context.recognised > 0 and unified is None) or (context.recognised < 1 and siloed is None):
            return None
        test = np.flatnonzero(holdout)
        tie = streams.uniform(Draw.TARGETING, context.week, 2, people[test])
        bought = bits[test] > 0
        for name, scorers in (("qini", (unified, siloed)),
                              ("qini_purchase", (purchase_unified, purchase_siloed))):
            score = _person_scores(scorers, unified_x, has_unified & is_linked, records, test)
            setattr(current, name, qini_coefficient(score, bought, treated[test], tie))
        current.experiment_people = int(people.size)
        return unified, siloed

    def _rank(self, plan: _PlanTargeting, unified: LinearScorer | None, siloed: LinearScorer | None,
              context: TargetingContext, current: RoundRecord) -> NDArray[np.int64]:
        """Score every eligible person in blocks and keep ``CANDIDATE_MULTIPLE`` weekly budgets.

        Each list (unified; one per channel) keeps its best entries up to its quota of the
        candidate list; the merge shares the budget among the lists in proportion to their
        quotas (:func:`merged_priority`), the same ordering the held-out AUC measures.
        """
        state, streams, week = context.state, context.streams, context.week
        eligible = context.eligible
        n_channels = plan.history.n_channels
        is_linked = linked(streams, eligible, context.recognised)
        current.linked_share = float(is_linked.mean()) if eligible.size else float("nan")
        unlinked_used = state.channels_used[eligible[~is_linked]]
        known = np.array([np.count_nonzero((unlinked_used >> c) & 1) for c in range(n_channels)])
        quotas = list_quotas(int(np.count_nonzero(is_linked)), known, eligible.size)
        keep = min(eligible.size,
                   math.ceil(CANDIDATE_MULTIPLE * context.offer_share * eligible.size) + 32)
        limit = np.ceil(keep * quotas).astype(np.int64)
        tie = streams.uniform(Draw.TARGETING, week, 1, eligible)
        per_usd = exchange_rate(context.world.scenario.market.currency).per_usd
        pool = CandidatePool(limit, tie)
        for start in range(0, eligible.size, SCORE_CHUNK):
            block = slice(start, start + SCORE_CHUNK)
            people = eligible[block]
            block_linked = is_linked[block]
            unified_x = (unified_features(state, plan.history, people[block_linked], week,
                                          per_usd=per_usd)
                         if block_linked.any() else None)
            records = (channel_records(state, plan.history, people[~block_linked], week,
                                       per_usd=per_usd)
                       if not block_linked.all() else None)
            entries = list_entries(unified, siloed, unified_x, records, block_linked, offset=start)
            pool.add(entries)
        order, _ = pool.merged_priority(quotas, eligible.size)
        return eligible[order]  # type: ignore[no-any-return]

    # Report -----------------------------------------------------------------------------

    def report(self) -> pd.DataFrame:
        """One row per plan and round; see :func:`report_frame`."""
        return report_frame(self._world, {s: plan.rounds for s, plan in self._plans.items()})


def _recognised_at(world: World, week: int, plan: int) -> float:
    """Share of people recognised across channels under plan ``plan`` in ``week``."""
    identity = float(world.effective_levels(week)[plan, _IDENTITY])
    return float(recognised_share(world.scenario.behaviour.recognised_without_identity, identity))


def _person_scores(scorers: tuple[LinearScorer | None, LinearScorer | None],
                   unified_x: NDArray[np.float32], use_unified: NDArray[np.bool_],
                   records: ChannelRecords | None, rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """Logit per row of ``rows``.

    The unified scorer's where the row is linked, else the best of the channel scorer over the
    channels that know the person (-inf if none or no scorer).
    """
    unified, siloed = scorers
    score = np.full(rows.size, -np.inf)
    linked_rows = use_unified[rows]
    if unified is not None and linked_rows.any():
        score[linked_rows] = unified.logit(unified_x[rows[linked_rows]])
    if siloed is not None and records is not None and records.person_pos.size:
        position = np.full(use_unified.size, -1, dtype=np.int64)
        position[rows] = np.arange(rows.size)
        at = position[records.person_pos]
        keep = (at >= 0) & ~linked_rows[np.maximum(at, 0)]
        np.maximum.at(score, at[keep], siloed.logit(records.design[keep]))
    return score


def incremental_share(world: World, person: NDArray[np.int64]) -> NDArray[np.float64] | None:
    """Share of offered people's purchases the offer caused, per purchase.

    When offer response differs by person (``offer_response_intent_elasticity`` > 0); None when
    it is the same uplift / (1 + uplift) for everyone (the report applies it).
    """
    economics = world.scenario.economics
    k = economics.offer_response_intent_elasticity
    if k <= 0 or economics.offer_uplift <= 0:
        return None
    propensity = np.maximum(world.people.propensity[person].astype(np.float64), 1e-6)
    uplift = economics.offer_uplift * propensity ** -k
    return uplift / (1.0 + uplift)  # type: ignore[no-any-return]


__all__ = ["CANDIDATE_MULTIPLE", "SAMPLE_MAX", "SCORE_CHUNK", "TEST_SHARE", "PersonalizedTargeting",
           "TargetingMode"]
