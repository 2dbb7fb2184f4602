"""The command line: outputs written, comparison table printed, bad input exits 2 in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulation", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_run_writes_every_frame_and_a_summary(tmp_path):
    done = _run("run", "--preset", "benchmark_retailer", "--population", "1000", "--quiet",
                "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    for name in ("kpis", "weekly", "survival", "funnel", "flows", "losses", "channel_usage",
                 "customers"):
        assert (tmp_path / f"{name}.csv").stat().st_size > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["kpis"]) >= {"multichannel", "omnichannel", "custom"}
    assert "NPV gain vs multichannel" in done.stdout


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
