"""The selection vs causation view: plain words, one bar per measure, catalog text for each."""

from __future__ import annotations

import plotly.graph_objects as go

from simulation.analysis.selection import EFFECTS, MEASURES
from simulation.display import selection_charts, theme
from simulation.display.text import has_text


def test_every_measure_and_message_has_catalog_text():
    for measure in MEASURES:
        assert has_text(f"selection.measure.{measure}")
    for key in ("title", "subtitle", "axis", "empty", "too_few", "hover", "sentence", "caption"):
        assert has_text(f"selection.{key}")


def test_figure_has_one_bar_per_measure_effects_in_the_plan_colour(small_results):
    fig = selection_charts.selection_figure(small_results)
    (bars,) = fig.data
    assert isinstance(bars, go.Bar) and len(bars.y) == len(MEASURES)
    data = selection_charts.selection_data(small_results).iloc[::-1]
    expected = [theme.plan_colour("omnichannel") if m in EFFECTS else theme.NEUTRAL_COLOUR
                for m in data["measure"]]
    assert list(bars.marker.color) == expected


def test_sentence_quotes_the_gap_and_the_effect(small_results):
    data = selection_charts.selection_data(small_results).set_index("measure")
    sentence = selection_charts.selection_sentence(small_results)
    assert f"{data.loc['gap_raw', 'relative'] * 100:+,.0f}%" in sentence
    assert f"{data.loc['effect_single', 'relative'] * 100:+,.0f}%" in sentence
    assert "who they are" in sentence


def test_results_without_per_person_data_say_so(small_results):
    from simulation import Results

    bare = Results(**{k: getattr(small_results, k) for k in (
        "scenario", "kpis", "weekly", "survival", "funnel", "flows", "losses", "channel_usage",
        "mechanisms")})
    fig = selection_charts.selection_figure(bare)
    assert not fig.data and "No per-person data" in fig.layout.annotations[0].text
