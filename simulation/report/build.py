"""Prepare, build and write the board report (simulation + analyses -> HTML + PDF)."""

from __future__ import annotations

from pathlib import Path

from simulation.analysis.believe import believe
from simulation.analysis.decisions import DecisionRequest, decision_analysis
from simulation.analysis.runs import Execution
from simulation.core.api import simulate
from simulation.core.scenario import Scenario
from simulation.report.document import ReportInputs, render_charts, report_html
from simulation.report.pdf import html_to_pdf
from simulation.report.verdict import full_request


def prepare(scenario: Scenario, request: DecisionRequest | None = None, *,
            analysis_population: int | None = None, beliefs: bool = True,
            execution: Execution | None = None) -> ReportInputs:
    """Simulate ``scenario`` and run the decision analyses behind the report.

    Parameters
    ----------
    scenario:
        The scenario of the report (its point run is simulated at its own population).
    request:
        The analyses (default: :func:`~simulation.report.verdict.full_request`, as the app).
    analysis_population:
        Simulated people per analysis run (default: the scenario's own, so the report's point
        numbers and intervals come from the same people and seeds).
    beliefs:
        Also run what you would have to believe (:func:`~simulation.analysis.believe.believe`
        of the analysed scenario, the Decisions page's analysis; the longest part).
    execution:
        Workers, progress, cancellation and cache of the analyses.
    """
    request = request or full_request()
    analysed = scenario.replace(market__population=analysis_population) if analysis_population else scenario
    analysis = decision_analysis(analysed, request, execution)
    found = believe(analysed, execution=execution) if beliefs else None
    return ReportInputs(scenario=scenario, results=simulate(scenario), analysis=analysis,
                        request=request, analysed=analysed, beliefs=found)


def build_report(inputs: ReportInputs) -> tuple[str, bytes]:
    """The report as HTML text and PDF bytes (raises ExportError / PdfError without Chromium)."""
    page = report_html(inputs, svgs=render_charts(inputs))
    return page, html_to_pdf(page)


def write_report(inputs: ReportInputs, out: str | Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``out`` (created if needed)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    page, pdf = build_report(inputs)
    html_path, pdf_path = folder / "report.html", folder / "report.pdf"
    html_path.write_text(page, encoding="utf-8")
    pdf_path.write_bytes(pdf)
    return html_path, pdf_path


