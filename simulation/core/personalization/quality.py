"""How well a model ranks: ROC AUC and top-decile precision on held-out people.

Both take boolean labels (bought in the label window) and a score, higher = more likely; the
AUC is a probability in [0, 1] (NaN with a single class), the precision a share of buyers.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata


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


__all__ = ["roc_auc", "top_decile_precision"]
