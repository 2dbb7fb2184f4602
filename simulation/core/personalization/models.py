"""The models that score people: scikit-learn logistic regressions folded into linear scorers.

Model: standardized features (the arithmetic of :class:`~sklearn.preprocessing.StandardScaler`,
done in numpy, bit for bit) and a :class:`~sklearn.linear_model.LogisticRegression`
(:class:`StandardizedLogit`). Logistic regression rather than gradient
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

try:  # scikit-learn's private solver (the pinned version's); without it, the public fit
    from sklearn._loss.loss import HalfBinomialLoss
    from sklearn.linear_model._glm._newton_solver import NewtonCholeskySolver
    from sklearn.linear_model._linear_loss import LinearModelLoss
except ImportError:  # pragma: no cover - only with a scikit-learn that moved them
    NewtonCholeskySolver = None

MIN_TRAIN_ROWS = 30
"""Fewer training rows (or a single class) and the round falls back to random offers."""
REGULARIZATION_C = 1.0
"""Inverse L2 strength of the logistic regressions (features are standardized)."""


def trusted_input() -> AbstractContextManager[None]:
    """Skip scikit-learn's per-call input and parameter checks (a third of a small fit's time).

    The engine builds the features itself, finite float32 of fixed shape.
    """
    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


class StandardizedLogit:
    """Standardize the columns, then fit a logistic regression: a scaler + classifier pipeline, lighter.

    The same numbers as ``make_pipeline(StandardScaler(with_mean=...), LogisticRegression(...))``
    bit for bit (``tests/simulation/core/test_personalization.py`` checks it): the column mean
    and variance are StandardScaler's two-pass float64 computation, near-constant columns keep
    scale 1 by its rule, and the float32 design is centred and scaled in float32 as its
    ``transform`` does. Done here in numpy because StandardScaler's general path (incremental
    statistics, NaN handling, array-API dispatch) and the pipeline's routing cost more than the
    fit itself on the few hundred rows of a round, 48 times in a default run.

    Parameters
    ----------
    classifier:
        The unfitted logistic regression.
    with_mean:
        Whether columns are centred (False for the block-diagonal channel design, whose zeros
        must stay zeros).
    """

    def __init__(self, classifier: LogisticRegression, *, with_mean: bool = True) -> None:
        self.classifier = classifier
        self.with_mean = with_mean
        self.mean_: NDArray[np.float64] = np.zeros(0)
        self.scale_: NDArray[np.float64] = np.ones(0)

    def fit(self, x: NDArray[np.float32], labels: NDArray[np.bool_]) -> StandardizedLogit:
        """Fit the column statistics and the classifier on ``x`` (rows, features) and 0/1 ``labels``."""
        n = float(x.shape[0])
        total = np.asarray(np.sum(x, axis=0, dtype=np.float64))
        mean = total / n
        deviation = x - mean
        correction = np.sum(deviation, axis=0)
        deviation **= 2
        variance = (np.sum(deviation, axis=0) - correction**2 / n) / n
        eps = np.finfo(np.float64).eps
        constant = variance <= n * eps * variance + (n * mean * eps) ** 2
        scale = np.sqrt(variance)
        scale[constant] = 1.0
        self.mean_, self.scale_ = mean, scale
        fit_newton_cholesky(self.classifier, self.transform(x), labels)
        return self

    def transform(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        """Standardized copy of ``x`` (float32, as StandardScaler keeps float32 input)."""
        out = np.array(x, dtype=np.float32, order="K")  # the layout of x, as sklearn's copy keeps it
        if self.with_mean:
            out -= self.mean_.astype(np.float32)
        out /= self.scale_.astype(np.float32)
        return out

    def decision_function(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """The classifier's logit of each row of raw ``x``."""
        return self.classifier.decision_function(self.transform(x))  # type: ignore[no-any-return]


def unified_model(random_state: int) -> StandardizedLogit:
    """Standardized logistic regression (Newton-Cholesky: a handful of iterations on ~30 columns).

    ``random_state`` is the run's model seed, for a solver that draws; Newton-Cholesky draws
    nothing, so it is not passed on (:func:`_logistic`).
    """
    return StandardizedLogit(_logistic(random_state, fit_intercept=True))


def siloed_model(random_state: int) -> StandardizedLogit:
    """C channel models in one fit: no centring and no shared intercept keep the blocks apart."""
    return StandardizedLogit(_logistic(random_state, fit_intercept=False), with_mean=False)


def _logistic(random_state: int, *, fit_intercept: bool) -> LogisticRegression:
    """The L2 logistic regression both models use.

    Newton-Cholesky is deterministic and never uses ``random_state`` (scikit-learn uses it to
    shuffle rows for the sag, saga and liblinear solvers only), but given an integer it still
    builds a NumPy ``RandomState`` at every fit (about 0.5 ms, 5-8% of a round's small fit); so the
    regression gets ``None`` and the same coefficients bit for bit
    (``tests/simulation/core/test_personalization.py``). Pass the seed on if the solver changes.
    """
    del random_state
    return LogisticRegression(C=REGULARIZATION_C, solver="newton-cholesky", max_iter=100,
                              fit_intercept=fit_intercept, random_state=None)


def fit_newton_cholesky(model: LogisticRegression, x: NDArray[np.float32],
                        labels: NDArray[np.bool_]) -> LogisticRegression:
    """``model.fit(x, labels)`` for a binary L2 Newton-Cholesky regression, the same numbers bit for bit.

    The steps :meth:`LogisticRegression.fit` takes on this path (0/1 target in the design's
    dtype, zero start, penalty 1 / (C x rows), scikit-learn's own ``NewtonCholeskySolver`` on
    one thread, coefficients cast to the design's dtype), without its per-call input
    conversion, callback set-up and path machinery: about a third of a round's small fit
    (``tests/simulation/core/test_personalization.py`` checks it against the sklearn pipeline).
    The solver is scikit-learn's private API, so requirements.txt pins scikit-learn. Where
    another version has moved it (an import error) or changed its signature (a type error at
    construction), this falls back to ``model.fit``: the same numbers, a little slower.

    Parameters
    ----------
    model:
        An unfitted ``LogisticRegression(solver="newton-cholesky")`` without class or sample
        weights; its fitted attributes are set as ``fit`` sets them.
    x:
        (rows, features) finite design.
    labels:
        (rows,) outcomes of two classes.

    Returns
    -------
    LogisticRegression
        ``model``, fitted.
    """
    if (NewtonCholeskySolver is None or model.solver != "newton-cholesky"
            or model.penalty not in ("deprecated", "l2") or model.l1_ratio != 0
            or not np.isfinite(model.C) or model.class_weight is not None or model.warm_start):
        return model.fit(x, labels)  # a path this function does not reproduce
    x = np.ascontiguousarray(x)  # fit's validate_data(order="C")
    classes = np.unique(labels)
    if classes.size != 2:
        raise ValueError(f"a logistic regression needs two classes, got {classes.size}")
    fit_intercept = bool(model.fit_intercept)
    target = np.ones(labels.shape, dtype=x.dtype)
    target[labels != classes[1]] = 0.0
    try:
        solver = NewtonCholeskySolver(
            coef=np.zeros(x.shape[1] + int(fit_intercept), dtype=x.dtype),
            linear_loss=LinearModelLoss(base_loss=HalfBinomialLoss(), fit_intercept=fit_intercept),
            l2_reg_strength=1.0 / (model.C * x.shape[0]), tol=model.tol, max_iter=model.max_iter,
            n_threads=1, verbose=model.verbose)
    except TypeError:  # another scikit-learn's private signature
        return model.fit(x, labels)
    coef = np.asarray(solver.solve(X=x, y=target, sample_weight=None).copy(), dtype=x.dtype)
    model.classes_ = classes
    model.n_features_in_ = x.shape[1]
    model.n_iter_ = np.asarray([solver.iteration], dtype=np.int32)
    if fit_intercept:
        model.coef_, model.intercept_ = coef[:-1][None, :], coef[-1:]
    else:
        model.coef_, model.intercept_ = coef[None, :], np.zeros(1, dtype=x.dtype)
    return model


@dataclass(frozen=True)
class LinearScorer:
    """A fitted :class:`StandardizedLogit` folded into one linear function: logit = x @ weights + offset.

    Same ranking as its classifier's ``predict_proba`` (the logistic function is monotone) without
    sklearn's per-call input validation, which dominates when scoring in many blocks. The
    weights are float32 like the features: a float32 matrix-vector product is about ten times
    faster than one that first converts every feature to float64, and 7 significant digits
    are plenty to rank people (equal logits are ordered by the hashed tie-break).
    """

    weights: NDArray[np.float32]
    offset: float

    @classmethod
    def of(cls, fitted: StandardizedLogit) -> LinearScorer:
        """The linear function of a fitted standardized logistic regression."""
        model = fitted.classifier
        weights = model.coef_[0] / fitted.scale_
        offset = float(model.intercept_[0]) if model.fit_intercept else 0.0
        if fitted.with_mean:
            offset -= float(fitted.mean_ @ weights)
        return cls(weights=weights.astype(np.float32), offset=offset)

    def logit(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """The logit of each row of ``x`` (shape (n, features)), as float64 of shape (n,)."""
        return (x @ self.weights).astype(np.float64) + self.offset  # type: ignore[no-any-return]


def fittable(labels: NDArray[np.bool_]) -> bool:
    """Whether a round can train on ``labels``: at least :data:`MIN_TRAIN_ROWS` rows and both classes."""
    return bool(labels.size >= MIN_TRAIN_ROWS and 0 < np.count_nonzero(labels) < labels.size)


__all__ = ["MIN_TRAIN_ROWS", "REGULARIZATION_C", "LinearScorer", "StandardizedLogit", "fit_newton_cholesky",
           "fittable", "siloed_model", "trusted_input", "unified_model"]
