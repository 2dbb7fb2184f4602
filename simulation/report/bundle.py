"""The run bundle: one zip with everything needed to check, reuse or re-run a result.

Contents (described again in the zip's README.txt): the scenario JSON, every table as CSV with
readable column names and units, every chart as PNG, SVG and interactive HTML (scenario, date
and source on the image), the board report (HTML and PDF), and the version and seed.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from simulation.core.scenario import APP_VERSION
from simulation.display import charts
from simulation.display.labels import readable_columns
from simulation.display.text import language, text
from simulation.inputs import safe_csv_bytes
from simulation.report import figures
from simulation.report.document import ReportInputs, report_figures, report_html
from simulation.report.pdf import PdfError, html_to_pdf


def table_csv(frame: pd.DataFrame, currency: str | None = None) -> bytes:
    """A table as UTF-8 CSV with readable column names and units.

    Formula-like cells are neutralised (:mod:`simulation.inputs.safe_output`).
    """
    return safe_csv_bytes(readable_columns(frame, currency))


def bundle_figures(inputs: ReportInputs) -> dict[str, go.Figure]:
    """The app's main charts and the report's, by file stem."""
    r = inputs.results
    out = {
        "change_vs_multichannel": charts.kpi_change_figure(r),
        "funnel": charts.funnel_figure(r),
        "lost_sales": charts.losses_figure(r),
        "cohort_survival": charts.survival_figure(r),
        "cumulative_cash_flow": charts.cumulative_cash_figure(r),
        "payback": charts.cash_gain_figure(r),
        "npv": charts.npv_figure(r),
    }
    out.update(report_figures(inputs))
    return out


def _readme(files: dict[str, str], inputs: ReportInputs) -> str:
    s = inputs.scenario
    command = f"python -m simulation bundle --scenario scenario.json --out DIR --lang {language()}"
    lines = [
        text("bundle_readme.title"),
        "",
        f"{figures.provenance(s, inputs.day)}.",
        text("bundle_readme.verdict", sentence=inputs.verdict.sentence()),
        "",
        text("bundle_readme.rerun", command=command, version=APP_VERSION),
        text("bundle_readme.money", currency=s.market.currency),
        "",
        text("bundle_readme.files"),
    ]
    lines += [f"  {name:<48} {what}" for name, what in sorted(files.items())]
    return "\n".join(lines) + "\n"


def bundle_bytes(inputs: ReportInputs, *, images: bool = True) -> bytes:
    """The run bundle as zip bytes, built in memory.

    ``images``: add PNG/SVG charts and the PDF (they need Chromium); without Chromium they are
    left out and README.txt says so.
    """
    s, cur = inputs.scenario, inputs.scenario.market.currency
    files: dict[str, str] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        def put(name: str, data: str | bytes, what: str) -> None:
            z.writestr(name, data)
            files[name] = what

        put("scenario.json", s.to_json() + "\n", text("bundle_readme.scenario"))
        put("version.json", json.dumps({"app_version": APP_VERSION, "seed": s.seed, "scenario": s.name,
                                        "date": inputs.day.isoformat(),
                                        "analysis_runs": inputs.request.replications,
                                        "analysis_population": inputs.analysed.market.population},
                                       indent=2) + "\n", text("bundle_readme.version"))
        tables = {**inputs.results.frames(),
                  **{k: v for k, v in inputs.analysis.frames().items() if isinstance(v, pd.DataFrame)},
                  **(inputs.beliefs.frames() if inputs.beliefs is not None else {})}
        for name, frame in tables.items():
            put(f"tables/{name}.csv", table_csv(frame, cur),
                text("bundle_readme.table", name=name.replace("_", " ")))
        figs = {k: figures.stamped(f, s, inputs.day) for k, f in bundle_figures(inputs).items()}
        for name, fig in figs.items():
            title = text("chart_export.html_title", chart=(fig.layout.title.text or name).split("<br>")[0],
                         name=s.name, seed=s.seed)
            put(f"charts/{name}.html", figures.page_html(fig, title, plotly_js="plotly.min.js"),
                text("bundle_readme.chart_html"))
        put("charts/plotly.min.js", get_plotlyjs(), text("bundle_readme.plotly_js"))
        missing = []
        svgs: dict[str, str] = {}
        if images:
            try:
                with figures.exporting():
                    for name, fig in figs.items():
                        put(f"charts/{name}.png", figures.image(fig, "png", size=(1200, 675)),
                            text("bundle_readme.chart_png"))
                        svg = figures.image(fig, "svg", size=(1200, 675))
                        put(f"charts/{name}.svg", svg, text("bundle_readme.chart_svg"))
                    svgs = {k: figures.image(f, "svg").decode("utf-8")
                            for k, f in report_figures(inputs).items()}
                    svgs = {k: v[v.index("<svg"):] for k, v in svgs.items()}
            except figures.ExportError as error:
                missing.append(str(error))
        page = report_html(inputs, svgs=svgs)
        put("report.html", page, text("bundle_readme.report_html"))
        if images and svgs:
            try:
                put("report.pdf", html_to_pdf(page), text("bundle_readme.report_pdf"))
            except PdfError as error:
                missing.append(str(error))
        readme = _readme(files, inputs)
        if missing:
            readme += "\n" + text("bundle_readme.left_out", reasons="; ".join(missing)) + "\n"
        z.writestr("README.txt", readme)
    return buffer.getvalue()


def write_bundle(inputs: ReportInputs, out: str | Path) -> Path:
    """Write ``<scenario>-seed<seed>-bundle.zip`` into ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    slug = "_".join(filter(None, "".join(c if c.isalnum() else "_" for c in inputs.scenario.name.lower())
                           .split("_"))) or "scenario"
    path = folder / f"{slug}-seed{inputs.scenario.seed}-bundle.zip"
    path.write_bytes(bundle_bytes(inputs))
    return path
