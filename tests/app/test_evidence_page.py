"""The Evidence page driven by AppTest: every target figure accounted for, the table filtered by
how each figure is used, the non-target figures explained one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from simulation import Scenario
from simulation.calibration.evidence import load_evidence

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="module")
def evidence() -> AppTest:
    small = Scenario.preset("fashion").replace(market__population=1000, market__horizon_weeks=52)
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["s"] = small.to_url_token()
    at.run()
    return at.switch_page("pages/evidence.py").run()


def _table(at: AppTest):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if "Use" in d.value.columns)


def test_every_target_figure_is_counted_in_the_verdict_line(evidence: AppTest):
    assert not evidence.exception
    rows = load_evidence()
    targets = int((rows["kind"] == "target").sum())
    said = " ".join(m.value for m in [*evidence.success, *evidence.warning])
    assert f"All {targets} target figures" in said or f"of {targets} target figures" in said


def test_the_use_filter_narrows_the_table_to_the_chosen_kinds(evidence: AppTest):
    rows = load_evidence()
    assert len(_table(evidence)) == len(rows)
    evidence.multiselect(key="evidence_kinds").set_value(["target", "input"]).run()
    assert not evidence.exception
    shown = _table(evidence)
    assert set(shown["Use"]) == {"target", "input"}
    assert len(shown) == int(rows["kind"].isin(["target", "input"]).sum())
    evidence.multiselect(key="evidence_kinds").set_value([]).run()
    assert _table(evidence).empty
    evidence.multiselect(key="evidence_kinds").set_value(list(evidence.multiselect(
        key="evidence_kinds").options)).run()
    assert len(_table(evidence)) == len(rows)


def test_each_figure_that_is_not_a_target_says_why(evidence: AppTest):
    shown = load_evidence().query("kind == 'display only'")
    assert len(shown) > 0
    cards = " ".join(m.value for m in evidence.markdown)
    for metric in shown["metric"]:
        assert f"**{metric}**: published" in cards
    captions = [c.value for c in evidence.caption if c.value.startswith("Shows:")]
    assert len(captions) == len(shown)
    assert all("Does not show:" in c for c in captions)
