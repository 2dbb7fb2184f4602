"""The models that score people: scikit-learn logistic regressions folded into linear scorers.

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
(``tests/simulation/core/test_personalization.py`` checks this against separate fits).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

MIN_TRAIN_ROWS = 30
"""Fewer training rows (or a single class) and the round falls back to random offers."""
REGULARIZATION_C = 1.0
"""Inverse L2 strength of the logistic regressions (features are standardized)."""


def trusted_input() -> AbstractContextManager[None]:
    """Skip scikit-learn's per-call input and parameter checks (a third of a small fit's time).

    The engine builds the features itself, finite float32 of fixed shape.
    """
    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


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
        """The linear function of a fitted scaler + logistic regression ``pipeline``."""
        scaler, model = pipeline[0], pipeline[-1]
        weights = model.coef_[0] / scaler.scale_
        offset = float(model.intercept_[0]) if model.fit_intercept else 0.0
        if scaler.with_mean:
            offset -= float(scaler.mean_ @ weights)
        return cls(weights=weights.astype(np.float32), offset=offset)

    def logit(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """The logit of each row of ``x`` (shape (n, features)), as float64 of shape (n,)."""
        return (x @ self.weights).astype(np.float64) + self.offset  # type: ignore[no-any-return]


def fittable(labels: NDArray[np.bool_]) -> bool:
    """Whether a round can train on ``labels``: at least :data:`MIN_TRAIN_ROWS` rows and both classes."""
    return bool(labels.size >= MIN_TRAIN_ROWS and 0 < np.count_nonzero(labels) < labels.size)


__all__ = ["MIN_TRAIN_ROWS", "REGULARIZATION_C", "LinearScorer", "fittable", "siloed_model", "trusted_input",
           "unified_model"]
