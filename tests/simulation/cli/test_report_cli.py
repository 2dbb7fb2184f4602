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
    scenario = Scenario.preset("fashion").replace(market__population=800, market__horizon_weeks=26)
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


THAI_MARKS = {chr(c) for c in (0x0E31, *range(0x0E34, 0x0E38), *range(0x0E47, 0x0E4F))}
"""Thai marks set above a letter (upper vowels, tone marks): pypdf reads some of their shifted
glyph forms (Noto Sans Thai moves a mark left over a tall letter such as ป, or up over an upper
vowel) as U+0000 or not at all, though the text layer holds them (poppler's pdftotext reads
them back). The letters on the line must all be there, in order."""


def _skeleton(value: str) -> str:
    """Text without spaces and Thai marks, NFKC-normalised (pypdf splits ำ into ํ and า)."""
    import unicodedata

    value = unicodedata.normalize("NFKC", value)
    return "".join(c for c in value if not c.isspace() and c != "\x00" and c not in THAI_MARKS)


@needs_chromium
def test_thai_report_has_a_thai_text_layer_in_thai_fonts(scenario_file: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]):
    from simulation.display.text import text, use_language

    code = main(["report", "--scenario", str(scenario_file), "--out", str(tmp_path), "--lang", "th",
                 "--replications", "4", "--jobs", "1", "--quiet"])
    assert code == 0
    verdict = capsys.readouterr().out.splitlines()[0]
    assert any("\u0e00" <= c <= "\u0e7f" for c in verdict)  # the CLI's verdict is Thai
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="th">' in html
    reader = pypdf.PdfReader(tmp_path / "report.pdf")
    assert 2 <= len(reader.pages) <= 4
    layer = " ".join(p.extract_text() for p in reader.pages)
    thai = sum("\u0e00" <= c <= "\u0e7f" for c in layer)
    assert thai > 1000, thai
    assert _skeleton(verdict) in _skeleton(layer)
    with use_language("th"):
        for key in ("board_report.verdict_heading", "board_report.believe_heading",
                    "board_report.caveats_heading"):
            assert _skeleton(text(key)) in _skeleton(layer), key
    assert "The verdict" not in layer and "Caveats" not in layer
    # No tofu: every font Chromium embedded is a real one, and a Thai one draws the Thai text
    # (a missing glyph would fall back to a font without Thai, which the text layer cannot
    # reach; the embedded font names show which drew it).
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Thai" in f or any(t in f for t in ("Loma", "Garuda", "Kinnari", "Norasi", "Waree",
                                                   "Umpush", "Sawasdee", "Purisa", "Tlwg"))
               for f in fonts), fonts
