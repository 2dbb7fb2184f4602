"""Learned personalization: siloed vs unified data (docs/MODEL.md section 3, step 7)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from simulation import CapabilityLevels, Scenario, simulate, simulate_plans
from simulation.core.personalization import (
    ChannelRecords,
    LinearScorer,
    ListEntries,
    PersonalizedTargeting,
    PurchaseHistory,
    TargetingMode,
    channel_features,
    channel_records,
    linked,
    list_quotas,
    merged_priority,
    personalization_summary,
    roc_auc,
    siloed_model,
    unified_features,
    unified_model,
)
from simulation.core.personalization.lists import descending_order
from simulation.core.personalization.models import fit_newton_cholesky
from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.records import BuyerRecords
from simulation.core.targeting import WeekPurchases

ZERO = CapabilityLevels.uniform(0.0)
OTHER_RATES = ["lost_context", "stock_out", "contact_conflict"]
"""Lost context per channel switch, stock-outs per purchase attempt, conflicts per contact."""


def _binomial_se(rate: float, n: float) -> float:
    return float(np.sqrt(max(rate * (1 - rate), 1e-12) / max(n, 1)))


def _trained(report: pd.DataFrame) -> pd.DataFrame:
    return report[report["regime"] != "none"]


# --- the three checks of the issue -----------------------------------------------------------


@pytest.fixture(scope="module")
def default_results(default_scenario: Scenario):
    return simulate(default_scenario)


def test_unified_auc_is_above_siloed_auc_with_the_default_preset(default_results):
    report = default_results.extras["personalization"]
    siloed = _trained(report[report["strategy"] == "multichannel"])
    unified = _trained(report[(report["strategy"] == "omnichannel") & (report["regime"] == "unified")])
    # Multichannel links only the people recognised by other means (loyalty card, login).
    r0 = default_results.scenario.behaviour.recognised_without_identity
    assert (siloed["regime"] == ("blend" if r0 > 0 else "siloed")).all()
    assert len(unified) >= 5
    assert unified["auc"].mean() > siloed["auc"].mean()
    # Paired by round (same weeks, same people in both plans' worlds): unified wins in most.
    paired = siloed.set_index("round")["auc"].reindex(unified["round"])
    assert (unified["auc"].to_numpy() > paired.to_numpy()).mean() >= 0.75


@pytest.fixture(scope="module")
def identity_ladder(default_scenario: Scenario):
    plans = {f"identity {level}": ZERO.model_copy(update={"identity": level})
             for level in (0.0, 0.5, 1.0)}
    return simulate_plans(default_scenario.replace(market__population=12_000), plans)


def test_raising_identity_alone_raises_auc_and_incremental_margin_per_offer(identity_ladder):
    report = identity_ladder.extras["personalization"]
    after_ramp = report[report["week"] >= 39]  # identity's ramp-up is 39 weeks
    summary = personalization_summary(after_ramp)
    names = ["identity 0.0", "identity 0.5", "identity 1.0"]
    auc = summary.loc[names, "auc"].to_numpy()
    margin = summary.loc[names, "incremental_margin_per_offer"].to_numpy()
    assert auc[0] < auc[2]
    assert auc[0] < auc[1] + 0.01 and auc[1] < auc[2] + 0.01  # monotone within noise
    assert margin[0] < margin[2]


def test_raising_identity_alone_leaves_the_other_mechanisms_rates_unchanged(identity_ladder):
    table = identity_ladder.mechanisms.set_index(["strategy", "mechanism"])
    for mechanism in OTHER_RATES:
        base = table.loc[("identity 0.0", mechanism)]
        for level in ("identity 0.5", "identity 1.0"):
            moved = table.loc[(level, mechanism)]
            se = np.hypot(_binomial_se(base["rate"], base["opportunities"]),
                          _binomial_se(moved["rate"], moved["opportunities"]))
            assert abs(moved["rate"] - base["rate"]) < 4 * se, (level, mechanism)


def _purchases_per_offer(report: pd.DataFrame, strategy: str) -> tuple[float, float]:
    """Offered people's purchases in the offer week per offer, and the offers (scaled)."""
    rows = report[(report["strategy"] == strategy) & (report["round"] >= 1)]
    return rows["offer_purchases"].sum() / rows["offers"].sum(), rows["offers"].sum()


def _behaviour_free(scenario: Scenario) -> Scenario:
    """Everyone alike and memoryless: one segment, no hidden propensity spread, no reminder
    effect, churn unmoved by satisfaction, loyalty or contacts. Past behaviour then says nothing
    about the next purchase."""
    segment = scenario.segments[2].model_dump() | {"name": "everyone", "share": 1.0}
    return scenario.replace(
        segments=[segment],
        market__population=8000, market__horizon_weeks=104,
        behaviour__intent_heterogeneity=0.0, behaviour__reminder_max_uplift=0.0,
        behaviour__satisfaction_churn_elasticity=0.0, behaviour__loyal_hazard_multiplier=1.0,
        behaviour__churn_per_excess_contact=0.0,
    )


def test_without_behavioural_signal_models_score_chance_and_targeting_adds_nothing(default_scenario):
    scenario = _behaviour_free(default_scenario)
    plans = {"siloed": ZERO, "unified": ZERO.model_copy(update={"identity": 1.0})}
    learned = simulate_plans(scenario, plans).extras["personalization"]
    random = simulate_plans(
        scenario, plans, targeting=PersonalizedTargeting(mode=TargetingMode.RANDOM)
    ).extras["personalization"]
    for strategy in plans:
        rounds = _trained(learned[(learned["strategy"] == strategy) & (learned["week"] >= 39)])
        n1 = rounds["test_people"] * rounds["base_rate"]
        n0 = rounds["test_people"] - n1
        # Hanley-McNeil standard error of an AUC of 0.5, for the mean over the rounds.
        se = np.sqrt(((n1 + n0 + 1) / (12 * n1 * n0)).mean() / len(rounds))
        assert abs(rounds["auc"].mean() - 0.5) < 4 * se, strategy

        (p_learned, n_learned), (p_random, n_random) = (
            _purchases_per_offer(report, strategy) for report in (learned, random)
        )
        scale = scenario.scale
        se = np.hypot(_binomial_se(p_learned, n_learned / scale), _binomial_se(p_random, n_random / scale))
        assert abs(p_learned - p_random) < 4 * se, strategy


# --- features and the blend ------------------------------------------------------------------


def _state(purchases: list[list[int]], spend: list[list[float]], used: list[int]) -> SimpleNamespace:
    counts = np.array(purchases, dtype=np.uint16)
    n = counts.shape[1]
    return SimpleNamespace(
        records=BuyerRecords.from_dense(purchases_by_channel=counts,
                                        spend_by_channel=np.array(spend, dtype=np.float32)),
        channels_used=np.array(used, dtype=np.uint8),
        channels_bought=np.array([sum(1 << c for c in range(counts.shape[0]) if counts[c, i])
                                  for i in range(n)], dtype=np.uint8),
        last_purchase_week=np.full(n, -1, dtype=np.int16),
        customer_since=np.where(counts.sum(axis=0) > 0, 0, -1).astype(np.int16),
    )


def test_channel_features_read_only_their_own_channel():
    state = _state([[3, 0], [1, 2]], [[90.0, 0.0], [20.0, 50.0]], used=[0b11, 0b10])
    history = PurchaseHistory.empty(2, 2)
    history.record(WeekPurchases(person=np.array([0, 1]), channel=np.array([1, 1]),
                                 net_value=np.array([20.0, 25.0]),
                                 order_value=np.array([20.0, 25.0]),
                                 offered=np.zeros(2, dtype=bool)), week=5)
    people = np.array([0, 1])
    before = channel_features(state, history, 1, people, week=6)
    state.records = BuyerRecords.from_dense(  # channel 0's records change, channel 1's do not
        purchases_by_channel=np.array([[50, 50], [1, 2]], dtype=np.uint16),
        spend_by_channel=np.array([[999.0, 999.0], [20.0, 50.0]], dtype=np.float32))
    history.record(WeekPurchases(person=np.array([0, 1]), channel=np.array([0, 0]),
                                 net_value=np.array([9.0, 9.0]), order_value=np.array([9.0, 9.0]),
                                 offered=np.zeros(2, dtype=bool)), week=5)
    np.testing.assert_array_equal(channel_features(state, history, 1, people, week=6), before)
    np.testing.assert_allclose(before[:, 0], np.exp(-1 / 13))  # bought in channel 1 a week ago
    np.testing.assert_allclose(before[:, 1], np.log1p([1, 2]))


def test_a_channel_has_records_only_of_the_people_it_knows():
    state = _state([[1, 0, 0], [0, 1, 0]], [[10.0, 0, 0], [0, 10.0, 0]], used=[0b01, 0b11, 0b10])
    records = channel_records(state, PurchaseHistory.empty(2, 3), np.array([0, 1, 2]), week=3)
    pairs = sorted(zip(records.person_pos.tolist(), records.channel.tolist(), strict=True))
    assert pairs == [(0, 0), (1, 0), (1, 1), (2, 1)]
    for row, channel in enumerate(records.channel):
        other = [c for c in range(2) if c != channel]
        assert not records.design[row, [4 * c + k for c in other for k in range(4)]].any()
        assert records.design[row, 4 * channel] == 1.0  # the channel's own intercept column


def test_unified_features_add_cross_channel_totals_to_every_channel_view():
    state = _state([[2, 0], [1, 3]], [[40.0, 0.0], [15.0, 60.0]], used=[0b11, 0b10])
    x = unified_features(state, PurchaseHistory.empty(2, 2), np.array([0, 1]), week=10)
    assert x.shape == (2, 4 * 2 + 6)
    np.testing.assert_allclose(x[:, 8], np.log1p([3, 3]))  # purchases in all channels
    np.testing.assert_array_equal(x[:, 10], [2, 1])  # channels used
    np.testing.assert_array_equal(x[:, 11], [2, 1])  # channels bought in


def test_linked_share_follows_identity_and_higher_levels_link_a_superset():
    streams = RandomStreams(11)
    people = np.arange(20_000)
    low, high = linked(streams, people, 0.3), linked(streams, people, 0.6)
    assert not (low & ~high).any()
    for level, mask in ((0.3, low), (0.6, high)):
        assert abs(mask.mean() - level) < 4 * _binomial_se(level, people.size)
    assert not linked(streams, people, 0.0).any() and linked(streams, people, 1.0).all()


def test_merged_lists_spend_the_budget_in_proportion_to_their_quotas():
    # List 0 (unified) ranks people 0-59, list 1 (a channel) people 60-99.
    n = 100
    entries = ListEntries(
        list_id=np.r_[np.zeros(60), np.ones(40)].astype(np.int64),
        person=np.arange(n, dtype=np.int64),
        logit=np.r_[np.linspace(1, 0, 60), np.linspace(1, 0, 40)],
    )
    quotas = list_quotas(60, np.array([40]), n)
    np.testing.assert_allclose(quotas, [0.6, 0.4])
    order, key = merged_priority(entries, quotas, tie=np.zeros(n), n_people=n)
    assert sorted(order.tolist()) == list(range(n))
    assert np.count_nonzero(order[:50] < 60) == 30
    assert (np.diff(order[order < 60]) > 0).all()  # each list keeps its own order
    assert np.isfinite(key).all()


def test_a_person_on_two_channel_lists_is_listed_once_at_the_better_place():
    entries = ListEntries(list_id=np.array([1, 1, 2, 2]), person=np.array([0, 1, 1, 2]),
                          logit=np.array([2.0, 1.0, 3.0, 0.0]))
    quotas = list_quotas(0, np.array([2, 2]), 3)
    order, key = merged_priority(entries, quotas, tie=np.zeros(3), n_people=3)
    assert order.tolist() == [0, 1, 2]  # person 1 once, at channel 2's first place
    assert key[1] == pytest.approx(2.0)  # first of channel 2's list (quota 1/2)


def test_stacked_siloed_fit_equals_separate_channel_fits():
    rng = np.random.default_rng(3)
    n_channels, rows_per_channel = 3, 400
    design = np.zeros((n_channels * rows_per_channel, 4 * n_channels), dtype=np.float32)
    labels = np.zeros(n_channels * rows_per_channel, dtype=bool)
    for c in range(n_channels):
        block = slice(c * rows_per_channel, (c + 1) * rows_per_channel)
        x = rng.normal(size=(rows_per_channel, 3))
        design[block, 4 * c] = 1.0
        design[block, 4 * c + 1 : 4 * c + 4] = x
        labels[block] = rng.random(rows_per_channel) < 1 / (1 + np.exp(-(x @ [1.0, -0.5, 0.2] + c - 1)))
    stacked = siloed_model(0).fit(design, labels)
    scaled = stacked.transform(design)
    for c in range(n_channels):
        block = slice(c * rows_per_channel, (c + 1) * rows_per_channel)
        columns = slice(4 * c, 4 * c + 4)
        alone = LogisticRegression(solver="newton-cholesky", fit_intercept=False, tol=1e-8)
        alone.fit(scaled[block, columns], labels[block])
        np.testing.assert_allclose(stacked.classifier.coef_[0, columns], alone.coef_[0], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(("with_mean", "order"), [(True, "C"), (False, "C"), (True, "F")])
def test_standardized_logit_is_the_sklearn_pipeline_bit_for_bit(with_mean, order):
    rng = np.random.default_rng(11)
    x = (rng.lognormal(size=(700, 8)) * [1, 10, 100, 0.01, 1, 1, 3, 1e4]).astype(np.float32)
    x[:, 5] = 2.5  # a constant column keeps scale 1
    x[::3, 6] = 0.0
    y = rng.random(700) < 1 / (1 + np.exp(-np.log(x[:, 0])))
    x = np.asarray(x, order=order)
    model = (unified_model if with_mean else siloed_model)(0).fit(x, y)
    seeded = clone(model.classifier).set_params(random_state=7)  # Newton-Cholesky never draws
    pipeline = make_pipeline(StandardScaler(with_mean=with_mean), seeded).fit(x, y)
    assert np.array_equal(model.mean_, pipeline[0].mean_)
    assert np.array_equal(model.scale_, pipeline[0].scale_)
    assert np.array_equal(model.transform(x), pipeline[0].transform(x))
    assert np.array_equal(model.classifier.coef_, pipeline[-1].coef_)
    assert np.array_equal(model.decision_function(x), pipeline.decision_function(x))


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(("dtype", "order"), [(np.float32, "C"), (np.float32, "F"), (np.float64, "C")])
def test_direct_newton_cholesky_fit_is_logistic_regression_fit_bit_for_bit(fit_intercept, dtype, order):
    rng = np.random.default_rng(17)
    x = np.asarray(rng.normal(size=(900, 12)) * rng.lognormal(size=12), dtype=dtype, order=order)
    y = rng.random(900) < 1 / (1 + np.exp(-(x[:, 0] - 0.5 * x[:, 3] + 1.0)))
    direct = fit_newton_cholesky(unified_model(0).classifier.set_params(fit_intercept=fit_intercept), x, y)
    reference = clone(direct).fit(x, y)
    for name in ("coef_", "intercept_", "classes_", "n_iter_"):
        got, want = getattr(direct, name), getattr(reference, name)
        assert got.dtype == want.dtype and np.array_equal(got, want), name
    assert direct.n_features_in_ == reference.n_features_in_
    assert np.array_equal(direct.decision_function(x), reference.decision_function(x))


def test_direct_fit_refuses_a_single_class_like_logistic_regression():
    x = np.ones((40, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="two classes"):
        fit_newton_cholesky(unified_model(0).classifier, x, np.zeros(40, dtype=bool))


def test_linear_scorer_reproduces_the_pipeline_and_auc_matches_sklearn():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(500, 6)).astype(np.float32)
    y = rng.random(500) < 1 / (1 + np.exp(-x[:, 0]))
    model = unified_model(0).fit(x, y)
    np.testing.assert_allclose(LinearScorer.of(model).logit(x), model.decision_function(x),
                               rtol=1e-5, atol=1e-5)
    score = np.round(x[:, 0], 1)  # ties count one half in both
    assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score))


def test_a_reused_policy_starts_afresh_and_gives_the_same_numbers(small_scenario):
    policy = PersonalizedTargeting()
    first = simulate(small_scenario, targeting=policy).extras["personalization"]
    second = simulate(small_scenario, targeting=policy).extras["personalization"]
    pd.testing.assert_frame_equal(first, second)


def test_learned_policy_spends_the_same_budget_as_random_offers(small_scenario):
    learned = simulate(small_scenario).weekly.groupby("strategy")["offers"].sum()
    random = simulate(small_scenario, targeting=PersonalizedTargeting(mode=TargetingMode.RANDOM))
    random_offers = random.weekly.groupby("strategy")["offers"].sum()
    assert (abs(learned / random_offers - 1) < 0.05).all()


def test_channel_records_of_nobody_is_empty():
    state = _state([[0]], [[0.0]], used=[0])
    records = channel_records(state, PurchaseHistory.empty(1, 1), np.array([0]), week=1)
    assert isinstance(records, ChannelRecords) and records.person_pos.size == 0


@pytest.mark.parametrize("draws", ["hashed", "coarse", "not_24_bit"])
def test_descending_order_is_lexsort_order(draws: str) -> None:
    """The ranking sort gives lexsort's order: score, then tie-break, then position, every time."""
    rng = np.random.default_rng(7)
    streams = RandomStreams(11)
    for n in (0, 1, 17, 2500, 6000):
        # Few distinct scores (people with the same records score alike), signed zeros, infinities.
        score = rng.choice(np.r_[rng.normal(size=6), 0.0, -0.0, np.inf, -np.inf], size=n)
        tie = {"hashed": streams.uniform(Draw.TARGETING, 3, 1, np.arange(n)),
               "coarse": (rng.integers(0, 5, size=n) / 2.0**24).astype(np.float32),
               "not_24_bit": rng.random(n).astype(np.float32)}[draws]
        np.testing.assert_array_equal(descending_order(score, tie), np.lexsort((-tie, -score)))


@pytest.mark.parametrize("moved", ["import", "signature"])
def test_direct_fit_falls_back_to_the_public_fit_where_scikit_learn_moved_its_solver(moved, monkeypatch):
    """Another scikit-learn may move its private solver or change its arguments: the same fit."""
    import simulation.core.personalization.models as models

    def changed(**_: object) -> None:
        raise TypeError("unexpected keyword argument 'coef'")

    monkeypatch.setattr(models, "NewtonCholeskySolver", None if moved == "import" else changed)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    y = rng.random(300) < 1 / (1 + np.exp(-x[:, 1]))
    got = fit_newton_cholesky(unified_model(0).classifier, x, y)
    want = clone(unified_model(0).classifier).fit(x, y)
    assert np.array_equal(got.coef_, want.coef_) and np.array_equal(got.intercept_, want.intercept_)
