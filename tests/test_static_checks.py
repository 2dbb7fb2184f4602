"""House rules a reviewer would otherwise check by hand: lint clean, engine fully typed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> list[str]:
    local = Path(sys.executable).with_name(name)
    return [str(local)] if local.exists() else [shutil.which(name) or name]


def test_ruff_finds_nothing_to_fix():
    done = subprocess.run([*_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_accepts_the_engine_app_and_benchmarks():
    # No arguments: the files listed in pyproject.toml (simulation, explorer, pages, app, bench).
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
