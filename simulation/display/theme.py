"""Colours and the plotly template: Okabe-Ito (colour-blind safe), one fixed colour per strategy."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from simulation import Plan
from simulation.display.labels import plan_name

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
"""Okabe and Ito (2008), the palette distinguishable with every common colour-vision deficiency."""

STRATEGY_COLOURS = {
    Plan.MULTICHANNEL.value: OKABE_ITO["orange"],
    Plan.OMNICHANNEL.value: OKABE_ITO["blue"],
    Plan.CUSTOM.value: OKABE_ITO["bluish_green"],
}
STRATEGY_DASHES = {
    Plan.MULTICHANNEL.value: "solid",
    Plan.OMNICHANNEL.value: "dash",
    Plan.CUSTOM.value: "dot",
}
"""Line styles as a second cue beside colour, for print and grey-scale copies."""

LOSS_COLOUR = OKABE_ITO["vermillion"]
PURCHASE_COLOUR = OKABE_ITO["sky_blue"]
NEUTRAL_COLOUR = "#6B6B6B"
FONT_FAMILY = ('"Source Sans Pro", "Noto Sans", "Noto Sans Thai", Loma, Garuda, Helvetica, Arial, '
               "sans-serif")
"""Latin first (Streamlit's own face), then faces that carry Thai and Vietnamese: Noto Sans
(Latin with Vietnamese diacritics) and Noto Sans Thai from Debian's fonts-noto-core, Loma and
Garuda from fonts-thai-tlwg (``make browser`` installs both), so browsers, kaleido's PNG/SVG
and the PDF report find a glyph for every character instead of drawing empty boxes."""


def plan_colour(strategy: str) -> str:
    """The strategy's colour; other plan names (added by later pages) get the spare colours."""
    if strategy in STRATEGY_COLOURS:
        return STRATEGY_COLOURS[strategy]
    spare = [OKABE_ITO[k] for k in ("reddish_purple", "sky_blue", "yellow", "black", "vermillion")]
    return spare[sum(map(ord, strategy)) % len(spare)]


def plan_label(strategy: str) -> str:
    """The plan's name as shown (:func:`simulation.display.labels.plan_name`)."""
    return plan_name(strategy)


@functools.lru_cache(maxsize=1)
def template() -> go.layout.Template:
    """White background, readable fonts, legend on top, Okabe-Ito colourway.

    Built once (about 2 ms, at every chart of every script run otherwise): a figure given it
    takes a copy, so the shared one is never changed.
    """
    return go.layout.Template(layout=go.Layout(
        font={"family": FONT_FAMILY, "size": 14, "color": "#262730"},
        title={"font": {"size": 18}, "x": 0, "xanchor": "left"},
        colorway=[STRATEGY_COLOURS[s.value] for s in Plan]
        + [OKABE_ITO[k] for k in ("reddish_purple", "sky_blue", "vermillion", "yellow", "black")],
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis={"showgrid": False, "linecolor": "#8C8C8C", "ticks": "outside", "zeroline": False,
               "title": {"standoff": 8}, "automargin": True},
        yaxis={"gridcolor": "#E6E6E6", "linecolor": "#8C8C8C", "zeroline": True,
               "zerolinecolor": "#B0B0B0", "title": {"standoff": 8}, "automargin": True},
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom",
                "xref": "container", "x": 0, "xanchor": "left", "title": {"text": ""}},
        margin={"l": 10, "r": 10, "t": 60, "b": 90},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        separators=".,",
    ))


TITLE_LINE = 52
"""Characters per title line: longer titles wrap (plotly never wraps, and a long title ran off a
phone screen or under the toolbar)."""


Y_TITLE_LINE = 30
"""Characters above which a vertical axis title is set on two lines."""


SUBTITLE_WIDTH = 1.45
"""A ``<sup>`` subtitle's characters are smaller: its lines may hold this many times more."""

X_TITLE_LINE = 40
"""Widest horizontal axis title line (:func:`text_width`): a longer title wraps (it was cut at
both ends on a phone, 390 px, where a plot is about 330 px wide)."""

PHONE_FIGURE_PX = 358
"""A chart's width on a 390 px phone screen (the page's side padding taken off)."""

TITLE_PX_PER_CHARACTER = 7.5
"""Pixels an average character of an axis or subplot title takes (13-14 px type)."""

TICK_PX_PER_CHARACTER = 7.0
"""Pixels an average character of a category label takes (12 px type)."""

SUBTITLE_LINE = 46
"""Widest subplot title line (:func:`text_width`): a longer one wraps (13 px type, phone width)."""

COLORBAR_LINE = 16
"""Widest colour-bar title line (:func:`text_width`): it sits above a bar at the right edge, and
a wider one ran off it (keep such titles short: every line widens the bar's margin)."""

LEGEND_LINE = 42
"""Widest legend entry line (:func:`text_width`): the entry's symbol takes about 40 px."""

THAI_CHARACTER_WIDTH = 1.3
"""Width of a spacing Thai character in Latin characters: Thai glyphs are wider than the average
Latin letter, and its vowel and tone marks above and below take no width."""

SUBPLOT_TITLE_LINE = 36
"""Characters above which a subplot's title wraps (centred on a narrow plot, it ran off a phone)."""


_NO_BREAK_AFTER = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")
"""Thai leading vowels: written before the consonant they follow in speech, never line-final."""

THAI_WORD_STARTS = ("การ", "ความ", "และ", "ทุก", "ที่", "ของ", "ต่อ", "ได้", "ข้าม", "ช่องทาง",
                    "ลูกค้า", "สินค้า", "ราคา", "ข้อความ", "เทียบ", "ตาม", "จาก", "ใน")
"""Thai words a line may break before (Thai writes no spaces between words)."""

THAI_SYLLABLE_STARTS = _NO_BREAK_AFTER
"""Thai vowels written before their consonant: a syllable starts there, so a line may also break
before one when no word in :data:`THAI_WORD_STARTS` offers a break."""

THAI_WHOLE_WORDS = ("ข้อความ", "บริการ", "ต่อเนื่อง", "ติดต่อ", "ประมาณการ", "ลูกค้า", "สินค้า",
                    "มัลติแชนแนล", "ออมนิแชนแนล")
"""Thai words that contain one of :data:`THAI_WORD_STARTS` and must not be cut there."""

MIN_PIECE = 3
"""Fewest characters a piece cut from a Thai word may have."""


def text_width(text: str) -> float:
    """Width of ``text`` in average Latin characters (tags left out).

    Combining marks count nothing and Thai letters :data:`THAI_CHARACTER_WIDTH` each, so a Thai
    title is measured as it draws, not by its code points.
    """
    plain = re.sub(r"<[^>]+>", "", text)
    return sum(0.0 if unicodedata.category(ch) == "Mn" else
               THAI_CHARACTER_WIDTH if "\u0e00" <= ch <= "\u0e7f" else 1.0 for ch in plain)


def wrap_axis_title(title: str, limit: float) -> str:
    """``title`` on as few lines as keep each within ``limit`` (:func:`text_width`), lines even."""
    if not title or "<br>" in title or text_width(title) <= limit:
        return title
    best: str | None = None
    # Never narrower than its longest Latin word (Thai phrases are cut at syllables instead).
    floor = max((len(word) for word in title.split(" ") if word.isascii()), default=8)
    for width in range(len(title), max(floor, 8) - 1, -1):  # the fewest lines, then the most even
        wrapped = wrap_title(title, width=width)
        if not all(text_width(line) <= limit for line in wrapped.split("<br>")):
            continue
        if best is not None and wrapped.count("<br>") > best.count("<br>"):
            break
        best = wrapped
    return best if best is not None else wrap_title(title, width=max(math.ceil(limit), 8))


def _found(text: str, word: str) -> list[int]:
    """Every position ``word`` starts at in ``text``."""
    out, at = [], text.find(word)
    while at >= 0:
        out.append(at)
        at = text.find(word, at + 1)
    return out


def _cut(rest: str, width: int) -> int:
    """Where to cut ``rest`` (no spaces) so its first piece holds at most ``width`` characters.

    Before a word of :data:`THAI_WORD_STARTS` (not inside one of :data:`THAI_WHOLE_WORDS`), else
    before a leading vowel (a syllable's start), else between characters: never before a
    combining mark (vowel or tone above or below) nor after a leading vowel.
    """
    span = range(MIN_PIECE, min(width, len(rest) - MIN_PIECE) + 1)
    inside = {j + k for w in THAI_WHOLE_WORDS for j in _found(rest, w) for k in range(1, len(w))}
    words = [i for i in span if rest.startswith(THAI_WORD_STARTS, i) and i not in inside]
    syllables = [i for i in span if rest[i] in THAI_SYLLABLE_STARTS and i not in inside]
    best = max(words, default=None)
    if best is None or (syllables and best < width // 2 <= max(syllables)):
        best = max(syllables, default=best)
    if best is not None:
        return best
    cut = width
    while cut > 1 and (unicodedata.category(rest[cut]) == "Mn" or rest[cut - 1] in _NO_BREAK_AFTER
                       or (cut in inside and cut > MIN_PIECE)):
        cut -= 1
    return cut


def _pieces(word: str, width: int) -> list[str]:
    """``word`` cut into pieces of at most ``width`` characters where it is longer.

    Thai writes a phrase without spaces, so a Thai title is one long "word": it is cut where
    :func:`_cut` finds a place, at a word or syllable when it can.
    """
    pieces: list[str] = []
    while len(word) > width:
        cut = _cut(word, width)
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]


def _wrapped_lines(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in (piece for spaced in text.split(" ") for piece in _pieces(spaced, width)):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def wrap_title(title: str, width: int = TITLE_LINE) -> str:
    """``title`` with ``<br>`` between words so no line exceeds ``width`` characters.

    A ``<sup>…</sup>`` subtitle after the first ``<br>`` wraps too, each line its own ``<sup>``.
    """
    main, sep, rest = title.partition("<br>")
    if rest.startswith("<sup>") and rest.endswith("</sup>") and rest.count("<sup>") == 1:
        inner = _wrapped_lines(rest[len("<sup>"):-len("</sup>")], int(width * SUBTITLE_WIDTH))
        rest = "<br>".join(f"<sup>{line}</sup>" for line in inner)
    return "<br>".join(_wrapped_lines(main, width)) + sep + rest


def finish(fig: go.Figure, title: str, *, height: int = 440) -> go.Figure:
    """Template, wrapped title (top margin grown to fit it) and height."""
    wrapped = wrap_title(title)
    lines = wrapped.count("<br>") + 1
    fig.update_layout(template=template(), title={"text": wrapped}, height=height + 22 * (lines - 1),
                      margin={"t": 40 + 24 * lines})
    # A long vertical axis title is centred on the plot and can reach up into the chart's own
    # title on a phone: two lines keep it within the plot's height. A long horizontal one ran
    # past the figure's edges. Every axis of every subplot, measured as drawn (Thai is wider).
    def wrap_y(axis: go.layout.YAxis) -> None:
        title = axis.title.text
        if title and "<br>" not in title and text_width(title) > Y_TITLE_LINE:
            axis.title.text = wrap_axis_title(title, max(text_width(title) / 2 + 1, 12))

    limit = x_title_limit(fig)

    def wrap_x(axis: go.layout.XAxis) -> None:
        if axis.title.text:
            axis.title.text = wrap_axis_title(axis.title.text, limit)

    fig.for_each_yaxis(wrap_y)
    fig.for_each_xaxis(wrap_x)
    # Subplot titles are annotations centred above each panel, as wide as their text; a line
    # they gain at the top panel goes up into the margin, which grows by it.
    grown = 0
    for note in fig.layout.annotations:
        if (note.showarrow is False and note.xref == "paper" and note.yref == "paper" and note.text
                and "<br>" not in note.text and text_width(note.text) > min(SUBTITLE_LINE, limit)):
            note.text = wrap_axis_title(note.text, min(SUBTITLE_LINE, limit))
            if note.y is not None and note.y >= 0.99:
                grown = max(grown, note.text.count("<br>"))
    if grown:
        # Plotly centres the title in the top margin: pinned to the top instead, so the margin's
        # new room is between the title and the panel's title (Thai lines are ~22 px high).
        fig.update_layout(margin={"t": fig.layout.margin.t + 22 * grown},
                          height=fig.layout.height + 22 * grown,
                          title={"y": 1.0, "yref": "container", "yanchor": "top", "pad": {"t": 14}})
    for trace in fig.data:
        bar = getattr(trace, "colorbar", None)
        if bar is not None and bar.title.text and "<br>" not in bar.title.text \
                and bar.title.side != "right" and text_width(bar.title.text) > COLORBAR_LINE:
            bar.title.text = wrap_axis_title(bar.title.text, COLORBAR_LINE)
        name = getattr(trace, "name", None)
        if name and trace.showlegend is not False and "<br>" not in name and text_width(name) > LEGEND_LINE:
            trace.name = wrap_axis_title(name, LEGEND_LINE)
    return fig


def x_title_limit(fig: go.Figure) -> float:
    """Widest x-axis title line that stays inside the figure at phone width (:func:`text_width`).

    Plotly centres an x title on the plot area, not the figure: beside the category labels of
    horizontal bars the plot area, and its centre, move right, and a title as wide as the figure
    ran past its right edge. The labels' width is estimated from the longest one.
    """
    labels = [str(v) for trace in fig.data if getattr(trace, "orientation", None) == "h"
              and getattr(trace, "y", None) is not None for v in trace.y]
    if not labels:
        return X_TITLE_LINE
    widest = max(text_width(line) for label in labels for line in label.split("<br>"))
    left = min(12 + TICK_PX_PER_CHARACTER * widest, 0.7 * PHONE_FIGURE_PX)
    right = 10
    centre = left + (PHONE_FIGURE_PX - left - right) / 2
    room = 2 * (PHONE_FIGURE_PX - right - centre)
    return max(12.0, min(float(X_TITLE_LINE), room / TITLE_PX_PER_CHARACTER))


def two_lines(title: str) -> str:
    """``title`` on two lines of about half its length (an axis title under horizontal bars).

    The bars' names leave such a plot narrow on a phone and its axis title is centred on the
    plot: on one line it ran past the screen's edge. A few characters over half, so a break
    between words still leaves two lines, not three.
    """
    return wrap_title(title, width=max(len(title) // 2 + 5, 12))


def signed_bar_labels(fig: go.Figure, categories: Sequence[str], values: Sequence[float],
                      labels: Sequence[str], *, row: int | None = None, col: int | None = None) -> None:
    """Write each horizontal bar's value to the right of the bar, or of zero for a negative bar.

    Plotly's ``textposition="outside"`` puts a negative bar's text left of its end, where it runs
    into the category names on a phone; here every label starts at ``max(value, 0)`` and reads
    left to right. The x range must leave room right of its largest value (about a third).
    """
    for category, value, label in zip(categories, values, labels, strict=True):
        fig.add_annotation(x=max(float(value), 0.0) if np.isfinite(value) else 0.0, y=category,
                           text=label, xanchor="left", xshift=4, showarrow=False, row=row, col=col)
