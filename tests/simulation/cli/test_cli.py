"""The command line: outputs written, comparison table printed, bad input exits 2 in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulation", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_run_writes_every_frame_and_a_summary(tmp_path):
    done = _run("run", "--preset", "benchmark_retailer", "--population", "1000", "--quiet",
                "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    for name in ("kpis", "weekly", "survival", "funnel", "flows", "losses", "channel_usage",
                 "customers", "selection"):
        assert (tmp_path / f"{name}.csv").stat().st_size > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["kpis"]) >= {"multichannel", "omnichannel", "custom"}
    assert "NPV gain vs multichannel" in done.stdout
    assert "the rest of the gap is who they are" in done.stdout  # selection vs causation line


def test_presets_lists_the_default_first():
    done = _run("presets")
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].startswith("benchmark_retailer")


def test_bad_scenario_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"market": {"population": 3}, "channels": [{"name": "x", "conversion": 2}]}')
    done = _run("run", "--scenario", str(bad))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "market.population: 3 is below 100" in lines[0]
    assert "channels[0].conversion: 2 is above 1.0" in lines[0]


def test_unknown_preset_and_missing_file_exit_2():
    assert _run("run", "--preset", "nope").returncode == 2
    missing = _run("run", "--scenario", "/nonexistent/scenario.json")
    assert missing.returncode == 2 and "cannot be read" in missing.stderr


def test_calibrate_from_kpis_prints_fit_and_projection(tmp_path):
    done = _run("calibrate", "--preset", "fashion", "--kpi", "conversion_rate=0.35", "--kpi", "aov=80",
                "--quiet", "--population", "4000", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Target vs fitted" in done.stdout and "NPV gain vs current" in done.stdout
    restored = json.loads((tmp_path / "calibrated_scenario.json").read_text())
    assert restored["name"] == "fashion"


def test_calibrate_from_the_sample_event_log():
    done = _run("calibrate", "--events", str(ROOT / "data" / "sample_events.csv"), "--quiet",
                "--population", "4000")
    assert done.returncode == 0, done.stderr
    assert "visitors who bought" in done.stdout


def test_calibrate_bad_input_exits_2_with_one_line(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("who,when\n1,2024-01-01\n")
    cases = {
        ("calibrate", "--kpi", "foo=1"): "unknown KPI 'foo'",
        ("calibrate", "--kpi", "aov=abc"): "'abc' is not a number",
        ("calibrate", "--kpi", "retention_12m=1.5"): "not lapsed 12 months",
        ("calibrate",): "give KPIs with --kpi",
        ("calibrate", "--events", str(wrong)): "missing columns",
    }
    for args, message in cases.items():
        done = _run(*args)
        assert done.returncode == 2, args
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_evidence_lists_every_target_row():
    done = _run("evidence")
    assert done.returncode == 0, done.stderr
    assert "10 of 10 target rows within tolerance" in done.stdout
