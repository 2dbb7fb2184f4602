"""The Evidence page's published-vs-model chart names each figure in words."""

from __future__ import annotations

import pandas as pd

from simulation.display import evidence_view


def test_figures_are_named_by_what_they_measure_not_by_their_ids():
    long = ("in-store spend per shopping occasion of multi-channel vs single-channel customers "
            "of one large US retailer over fourteen months")
    table = pd.DataFrame({
        "id": ["hbr_mix_multi", "hbr_store_spend", "unchecked"],
        "metric": ["share of customers using more than one channel", long, "not checked here"],
        "within": [True, False, None], "tolerance_low": [0.6, 0.0, 0.0], "tolerance_high": [0.8, 0.1, 0.1],
        "published_value": [0.73, 0.04, 0.0], "model": [0.7, 0.2, 0.0]})
    fig = evidence_view.comparison_figure(table)
    labels = list(fig.data[0].y)
    assert labels == ["in-store spend per shopping<br>occasion of multi-channel…",
                      "share of customers using more<br>than one channel"]
    assert not any("_" in label for label in labels)
    assert list(fig.data[2].customdata) == [long, "share of customers using more than one channel"]
