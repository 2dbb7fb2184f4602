"""Charts for print and hand-over: a provenance line on the image, PNG/SVG through kaleido, HTML.

kaleido 1.x renders with a Chrome/Chromium (Debian's ``chromium`` here, found on its own); one
browser is kept alive for a batch of exports (:func:`exporting`), about 0.2 s per chart instead
of ~4 s. Without a browser :class:`ExportError` says so in one line; HTML needs no browser.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from contextlib import contextmanager

import plotly.graph_objects as go

from simulation.core.scenario import APP_VERSION, Scenario
from simulation.display.text import text

PRINT_SIZE = (900, 330)
"""CSS pixels of a chart on an A4 page (scaled to the text width when printed)."""
PNG_SCALE = 3


class ExportError(RuntimeError):
    """A static image could not be made (no Chromium for kaleido, or the export failed)."""


def provenance(scenario: Scenario, when: dt.date | None = None) -> str:
    """``Scenario "Fashion retailer", seed 7, app 0.2.0, 2026-11-30``, in the current language.

    The date stays ISO 8601 in every language: unambiguous on a printed chart.
    """
    day = (when or dt.date.today()).isoformat()
    return text("chart_export.provenance", name=scenario.name, seed=scenario.seed, version=APP_VERSION,
                date=day)


def source() -> str:
    """The source line of every exported chart and of the report, in the current language."""
    return text("chart_export.source")


def stamped(fig: go.Figure, scenario: Scenario, when: dt.date | None = None) -> go.Figure:
    """A copy of ``fig`` with the scenario, date and source as the last lines of its title.

    The top margin (and the height, if set) grows by 30 px to fit them; under the plot they
    collided with the legend.
    """
    out = go.Figure(fig)
    title = out.layout.title.text or ""
    line = f"{_plain(provenance(scenario, when))}<br>{_plain(source())}"
    out.update_layout(
        title={"text": f"{title}<br><span style='font-size:11px;color:#6B6B6B'>{line}</span>"},
        margin={"t": int(out.layout.margin.t or 60) + 30},
    )
    if out.layout.height:
        out.update_layout(height=int(out.layout.height) + 30)
    return out


def _plain(text: str) -> str:
    # plotly reads a small HTML subset: escape only what would start a tag or an entity.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def page_html(fig: go.Figure, title: str, *, plotly_js: bool | str = True) -> str:
    """The chart as an interactive HTML page with ``title`` as its title.

    ``plotly_js`` True embeds plotly.js (self-contained); a file name loads it from beside the
    page.
    """
    body = fig.to_html(include_plotlyjs=plotly_js, full_html=True,
                       config={"displaylogo": False, "responsive": True})
    return body.replace("<head>", f"<head><title>{html.escape(title)}</title>", 1)


@contextmanager
def exporting() -> Iterator[None]:
    """Keep one kaleido browser alive for the exports inside the block."""
    import kaleido

    started = False
    try:
        kaleido.start_sync_server(silence_warnings=True)
        started = True
    except Exception:
        started = False
    try:
        yield
    finally:
        if started:
            kaleido.stop_sync_server(silence_warnings=True)


def image(fig: go.Figure, fmt: str, *, size: tuple[int, int] = PRINT_SIZE) -> bytes:
    """``fig`` as ``"svg"`` or ``"png"`` bytes (PNG at :data:`PNG_SCALE`x)."""
    width, height = size
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bytes(fig.to_image(format=fmt, width=width, height=height,
                                      scale=PNG_SCALE if fmt == "png" else 1))
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ExportError(f"static chart export needs Chromium (apt-get install chromium): {first}") from None
