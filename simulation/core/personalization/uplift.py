"""Targeting by uplift: a randomised offer experiment and a class-transformation model.

Ranking people by their chance to buy sends offers to people who would buy anyway (Ascarza
2018, JMR: the customers most at risk are not those an offer moves). Ranking by *uplift*, the
rise in the chance to buy that the offer causes, needs people with and without an offer who
are otherwise alike. The engine can provide that: each week a share ``EXPLORE_SHARE`` of the
offer budget goes to random eligible people (the treated arm) and as many other random
eligible people are recorded without an offer (the control arm). Each arm's features are
those the plan's data allows at the week of the offer; the outcome is a purchase that week.

Model: class transformation (Jaskowski and Jaroszewicz 2012). With treatment assigned at
random with probability 1/2, Z = Y T + (1 - Y)(1 - T) satisfies
uplift(x) = P(Y=1 | x, T=1) - P(Y=1 | x, T=0) = 2 P(Z=1 | x) - 1, so one classifier of Z
ranks by uplift. It is chosen over a two-model (T-learner) because the arms are equal by
construction (p = 1/2 exactly), because one logistic regression has the variance of one fit
rather than the difference of two noisy fits on a few hundred buyers, and because its logit
is a monotone function of uplift, so the same linear scorers, offer lists and budget shares as
the purchase model apply unchanged (siloed channel models, unified model, blends).

Quality: the Qini coefficient (Radcliffe 2007) on the held-out part of the experiment,
measured for the uplift score and for the purchase-probability score on the same people, so
the report can set the two rankings side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from simulation.core.personalization.features import ChannelRecords

EXPLORE_SHARE = 0.2
"""Share of each week's offer budget sent to random eligible people (the experiment's treated
arm); as many random eligible people form the control arm and get no offer."""
STEP_EXPLORE, STEP_ARM, STEP_HOLDOUT = 4, 5, 6
"""Steps of the hashed ``Draw.MODEL`` uniforms: who joins the experiment in a week, which arm,
and whether the row is held out to measure the Qini coefficient."""


@dataclass
class ExperimentWeek:
    """One week's experiment rows (people in both arms, in increasing order)."""

    week: int
    people: NDArray[np.int64]
    treated: NDArray[np.bool_]
    unified: NDArray[np.float32] | None
    records: ChannelRecords | None
    bought: NDArray[np.uint8] = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    """Bit c set when the person bought in channel c in the week (filled at the week's end)."""


def transformed_label(bought: NDArray[np.bool_], treated: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Z = Y T + (1 - Y)(1 - T): bought with an offer or did not buy without one."""
    return bought == treated  # type: ignore[no-any-return]


def qini_coefficient(score: NDArray[np.float64], bought: NDArray[np.bool_],
                     treated: NDArray[np.bool_], tie: NDArray[np.floating]) -> float:
    """Qini coefficient: mean height of the Qini curve above the random-targeting line.

    People are taken best-scored first (ties by ``tie``); after the top k the curve is
    Q(k) = Y_T(k) - Y_C(k) N_T(k) / N_C(k), the incremental buyers among the top k treated
    (Radcliffe 2007). Returned as the mean over k of (Q(k) - k/n Q(n)) / n: incremental
    purchases per person gained over random ordering, 0 for a ranking no better than random.
    NaN when an arm is empty.
    """
    n = score.size
    if n == 0 or treated.all() or not treated.any():
        return float("nan")
    order = np.lexsort((-tie, -score))
    t, y = treated[order], bought[order]
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    y_t, y_c = np.cumsum(y & t), np.cumsum(y & ~t)
    curve: NDArray[np.float64] = y_t - np.divide(y_c * n_t, n_c, out=np.zeros(n), where=n_c > 0)
    k = np.arange(1, n + 1)
    return float(np.mean(curve - k / n * curve[-1]) / n)


__all__ = ["EXPLORE_SHARE", "STEP_ARM", "STEP_EXPLORE", "STEP_HOLDOUT", "ExperimentWeek",
           "qini_coefficient", "transformed_label"]
