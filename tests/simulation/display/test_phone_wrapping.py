"""Long chart text wraps to what fits a phone (390 px), measured as drawn: Thai letters wider,
its vowel and tone marks nothing; words and plan names stay whole."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulation.display import theme

THAI_TITLE = "ส่วนต่างรายได้ต่อปีของแผนออมนิแชนแนลเทียบกับมัลติแชนแนลตามขนาดธุรกิจ (ล้านบาท)"


def test_thai_is_measured_by_what_it_draws():
    assert theme.text_width("abc") == 3
    assert theme.text_width("ที่") == theme.THAI_CHARACTER_WIDTH  # one letter, two marks
    assert theme.text_width("<b>ab</b>") == 2


def test_a_long_thai_axis_title_wraps_within_the_limit_without_cutting_a_plan_name():
    wrapped = theme.wrap_axis_title(THAI_TITLE, theme.X_TITLE_LINE)
    lines = wrapped.split("<br>")
    assert len(lines) >= 2
    assert wrapped.replace("<br>", "").replace(" ", "") == THAI_TITLE.replace(" ", "")  # nothing lost
    assert all(theme.text_width(line) <= theme.X_TITLE_LINE for line in lines)
    narrow = theme.wrap_axis_title("NPV ที่เพิ่มขึ้นเทียบกับมัลติแชนแนล (USD ล้าน)", 16).split("<br>")
    assert "มัลติแชนแนล" in narrow


def test_latin_words_are_never_cut():
    lines = theme.wrap_axis_title("NPV gain vs multichannel (USD millions)", 12).split("<br>")
    assert "multichannel" in lines


def test_every_axis_subplot_title_colour_bar_and_legend_entry_is_wrapped():
    fig = make_subplots(rows=2, cols=1, subplot_titles=["x" * 10, THAI_TITLE])
    legend = "Your custom plan (mean $128; within the horizon $91 per customer)"
    fig.add_trace(go.Scatter(x=[1], y=[1], name=legend), row=1, col=1)
    bar = {"title": {"text": "NPV gain vs multichannel (USD millions)"}}
    fig.add_trace(go.Contour(z=[[1, 2], [3, 4]], colorbar=bar), row=2, col=1)
    fig.update_xaxes(title_text=THAI_TITLE, row=2, col=1)
    theme.finish(fig, "title")
    assert "<br>" in fig.layout.xaxis2.title.text
    assert "<br>" in fig.layout.annotations[1].text and "<br>" not in fig.layout.annotations[0].text
    assert "<br>" in fig.data[0].name and "<br>" in fig.data[1].colorbar.title.text


def test_an_x_title_beside_long_bar_labels_gets_the_room_right_of_them():
    short = go.Figure(go.Bar(y=["a", "b"], x=[1, 2], orientation="h"))
    long = go.Figure(go.Bar(y=["personalization_revenue_lift", "b"], x=[1, 2], orientation="h"))
    assert theme.x_title_limit(go.Figure(go.Bar(x=["a"], y=[1]))) == theme.X_TITLE_LINE
    assert theme.x_title_limit(long) < theme.x_title_limit(short) <= theme.X_TITLE_LINE
    long.update_xaxes(title_text="share or relative difference")
    theme.finish(long, "t")
    assert long.layout.xaxis.title.text == "share or relative<br>difference"
