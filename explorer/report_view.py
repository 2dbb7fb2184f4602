"""Hand-over buttons: the board report (PDF, HTML) and the run bundle, built only when clicked."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor

import streamlit as st

from explorer import background, downloads
from simulation import Scenario
from simulation.analysis import DecisionAnalysis, DecisionRequest
from simulation.analysis.believe import BeliefResult
from simulation.core.results import Results
from simulation.display.text import language, text, use_language
from simulation.report.build import build_report
from simulation.report.bundle import bundle_bytes
from simulation.report.document import ReportInputs, render_charts, report_html
from simulation.report.figures import ExportError
from simulation.report.pdf import PdfError


def _off_thread(function, *args, lang: str | None = None):  # type: ignore[no-untyped-def]
    # kaleido and Playwright start browsers; keep them off the server's own threads. A deferred
    # download runs on a server thread after the script run: ``lang`` is the session's language.
    context = contextvars.copy_context()

    def call():  # type: ignore[no-untyped-def]
        with use_language(lang or language()):
            return function(*args)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, call).result()


def report_pdf(inputs: ReportInputs, lang: str | None = None) -> bytes:
    """The board report as PDF bytes in ``lang`` (printed by Chromium off the server's threads)."""
    return bytes(_off_thread(build_report, inputs, lang=lang)[1])


def report_page(inputs: ReportInputs, lang: str | None = None) -> str:
    """The board report as one HTML page in ``lang`` (charts rendered off the server's threads).

    Only the page: printing the PDF as well, as :func:`build_report` does, would start Chromium
    for nothing.
    """
    return str(_off_thread(_page_html, inputs, lang=lang))


def beliefs_of(analysed: Scenario) -> BeliefResult | None:
    """The Decisions page's 'what you would have to believe' for ``analysed``, if it has run.

    The page keeps it in the pool's cache under ``(canonical JSON, "believe")`` for every
    session (:func:`explorer.background.finished`); the report
    quotes that result, so both show the same thresholds. It takes minutes, so a report
    downloaded before it ran says where to start it instead of running it on the click.
    """
    found = background.finished((analysed.canonical_key(), "believe"))
    return found if isinstance(found, BeliefResult) else None


def _page_html(inputs: ReportInputs) -> str:
    return report_html(inputs, svgs=render_charts(inputs))


def buttons(results: Results, analysis: DecisionAnalysis | None, request: DecisionRequest,
            *, key: str = "report") -> None:
    """Report (PDF and HTML) and run bundle downloads; disabled until an analysis is in."""
    scenario = results.scenario
    row = st.container(horizontal=True, gap="small", key=f"handover_{key}")
    if analysis is None:
        row.button(text("report.pdf"), disabled=True, key=f"{key}_pdf_wait",
                   help=text("report.wait_help"))
        return
    analysed = scenario if request.tornado else _quick(scenario)
    inputs = ReportInputs(scenario=scenario, results=results, analysis=analysis, request=request,
                          analysed=analysed, beliefs=beliefs_of(analysed))
    lang = language()
    stem = downloads.file_stem(scenario.name, "board_report", scenario.seed)

    def pdf() -> bytes:
        try:
            return report_pdf(inputs, lang)
        except (ExportError, PdfError) as error:
            with use_language(lang):
                return text("report.pdf_failed", error=error).encode()

    row.download_button(text("report.pdf"), pdf, file_name=f"{stem}.pdf", mime="application/pdf",
                        key=f"{key}_pdf", on_click="ignore", icon=":material/picture_as_pdf:",
                        type="primary", help=text("report.pdf_help"))
    row.download_button(text("report.html"), lambda: report_page(inputs, lang), file_name=f"{stem}.html",
                        mime="text/html", key=f"{key}_html", on_click="ignore", icon=":material/download:")
    row.download_button(text("report.bundle"), lambda: _off_thread(bundle_bytes, inputs, lang=lang),
                        file_name=downloads.file_stem(scenario.name, "bundle", scenario.seed) + ".zip",
                        mime="application/zip", key=f"{key}_bundle", on_click="ignore",
                        icon=":material/folder_zip:",
                        help=text("report.bundle_help"))


def _quick(scenario):  # type: ignore[no-untyped-def]
    from simulation.report.verdict import quick_scenario

    return quick_scenario(scenario)
