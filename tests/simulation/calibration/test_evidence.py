"""Published evidence: every row marked `target` is reproduced by the shipped presets, measured
the way its study measured it (data/evidence.csv, simulation/evidence.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from simulation.calibration.evidence import EVIDENCE_PATH, evidence_table, load_evidence, targets_missed

SHARED = Path(__file__).resolve().parents[4] / "shared" / "evidence.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return evidence_table()


def test_every_target_row_is_within_its_published_tolerance(table: pd.DataFrame) -> None:
    targets = table[table["kind"] == "target"]
    assert len(targets) == 10
    missed = targets_missed(table)
    assert missed.empty, missed[["id", "published", "model", "tolerance_low", "tolerance_high",
                                 "model_note"]].to_string()


def test_display_only_rows_say_what_the_model_says_and_why_they_are_not_targets(
        table: pd.DataFrame) -> None:
    display = table[table["kind"] == "display only"]
    assert set(display["id"]) == {"aberdeen_retention", "idc_lifetime_value"}
    assert display["model"].notna().all()
    assert display["model_note"].str.contains("model:").all()
    assert display["does_not_show"].str.len().gt(20).all()


def test_every_row_has_source_grade_and_what_the_study_does_not_show() -> None:
    rows = load_evidence()
    for column in ("source", "url", "grade", "causal", "shows", "does_not_show", "model_measure"):
        assert rows[column].notna().all(), column
    assert not (rows["source"] == "same").any()


@pytest.mark.skipif(not SHARED.is_file(), reason="the shared evidence file is not beside the repo")
def test_data_copy_keeps_every_published_figure_of_the_shared_file() -> None:
    with SHARED.open(encoding="utf-8") as handle:
        shared = {row["id"]: row["value"] for row in csv.DictReader(handle)}
    ours = load_evidence(EVIDENCE_PATH).set_index("id")["value"].to_dict()
    assert ours == shared
