"""Module-level work for the background-job tests (a job's process must import it)."""

from __future__ import annotations

import time

from simulation.analysis.runs import Execution


def add(a: int, b: int, execution: Execution) -> int:
    if execution.progress is not None:
        execution.progress(0.5, "half way")
    return a + b


def slow(seconds: float, execution: Execution) -> str:
    time.sleep(seconds)
    return "slept"


def fail(execution: Execution) -> None:
    raise ValueError("no such thing")


def crash(execution: Execution) -> None:
    """Ends its worker abruptly every time (as an out-of-memory kill would)."""
    import os

    os._exit(137)


def crash_analysis(key: str, request: object, execution: Execution) -> None:
    """In place of the verdict's analysis: its worker dies every time."""
    crash(execution)


def counted(path: str, execution: Execution) -> int:
    """Notes each time it runs (a line in ``path``), takes a moment, returns the count."""
    from pathlib import Path

    with Path(path).open("a") as file:
        file.write("ran\n")
    time.sleep(0.5)
    return len(Path(path).read_text().splitlines())
