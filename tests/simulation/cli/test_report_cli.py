"""``python -m simulation report`` and ``bundle``: both files written, the PDF's text read back."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from simulation import Scenario
from simulation.cli.main import main
from simulation.display.labels import kpi_header
from simulation.report.pdf import chromium_path

pypdf = pytest.importorskip("pypdf")
needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = Scenario.preset("fashion").replace(market__population=800, market__horizon_weeks=52)
    path = tmp_path_factory.mktemp("scenario") / "fashion.json"
    path.write_text(scenario.to_json())
    return path


@needs_chromium
def test_report_writes_html_and_a_2_to_4_page_pdf_with_the_verdict(scenario_file: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]):
    code = main(["report", "--scenario", str(scenario_file), "--out", str(tmp_path),
                 "--replications", "4", "--jobs", "1", "--quiet"])
    assert code == 0
    verdict = capsys.readouterr().out.splitlines()[0]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<title>" in html and "<svg" in html
    reader = pypdf.PdfReader(tmp_path / "report.pdf")
    assert 2 <= len(reader.pages) <= 4
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert " ".join(verdict.split()) in text
    for section in ("The question", "The verdict", "What the answer hangs on",
                    "Assumptions and their sources", "Caveats", "seed 20261125"):
        assert section in text


@needs_chromium
def test_bundle_holds_scenario_tables_charts_report_and_readme(scenario_file: Path, tmp_path: Path):
    code = main(["bundle", "--scenario", str(scenario_file), "--out", str(tmp_path),
                 "--replications", "3", "--jobs", "1", "--quiet"])
    assert code == 0
    [path] = list(tmp_path.glob("*-bundle.zip"))
    names = set(zipfile.ZipFile(path).namelist())
    assert {"scenario.json", "version.json", "README.txt", "report.html", "report.pdf",
            "tables/kpis.csv", "charts/funnel.png", "charts/funnel.svg", "charts/funnel.html"} <= names
    z = zipfile.ZipFile(path)
    readme = z.read("README.txt").decode()
    assert all(name in readme for name in names - {"README.txt"})
    saved = Scenario.from_json(z.read("scenario.json").decode())
    assert saved == Scenario.from_json(scenario_file.read_text())
    header = io.StringIO(z.read("tables/kpis.csv").decode()).readline()
    assert kpi_header("conversion_rate", "USD") in header and kpi_header("npv", "USD") in header
    assert "<title>" in z.read("charts/funnel.html").decode()


def test_report_refuses_bad_input_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["report", "--preset", "fashion", "--out", str(tmp_path), "--replications", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--replications" in err
    assert main(["report", "--preset", "no_such_preset", "--out", str(tmp_path)]) == 2
