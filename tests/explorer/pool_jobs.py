"""Small module-level jobs for the worker-pool tests (workers import them by reference)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def square_slowly(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return x * x


def die_once(marker: str) -> str:
    """Ends its worker abruptly the first time (as an out-of-memory kill would), then works."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died")
        os._exit(137)
    return "finished on a fresh worker"


def always_die() -> None:
    os._exit(137)


def sleep_with_a_child(pid_file: str) -> None:
    """Starts a grandchild process (as joblib's workers would), records both pids, sleeps."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path(pid_file).write_text(f"{os.getpid()} {child.pid}")
    time.sleep(600)


def refuse(message: str) -> None:
    raise ValueError(message)


def report_progress(steps: int, progress=None) -> int:  # type: ignore[no-untyped-def]
    for step in range(steps):
        if progress is not None:
            progress((step + 1) / steps, f"step {step + 1}")
        time.sleep(0.05)
    return steps


def steps_until_stopped(pid_file: str, steps: int, should_cancel=None) -> int:  # type: ignore[no-untyped-def]
    """Records its pid, then takes ``steps`` steps of 0.05 s, looking between them whether to
    stop (as an analysis looks between its tasks); raises when asked to."""
    Path(pid_file).write_text(str(os.getpid()))
    for _ in range(steps):
        if should_cancel is not None and should_cancel():
            raise RuntimeError("stopped between steps")
        time.sleep(0.05)
    return steps


def never_looks(pid_file: str, should_cancel=None) -> None:  # type: ignore[no-untyped-def]
    """A stoppable job that never looks whether to stop."""
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(600)


def wait_for_gate(gate: str, value: int) -> int:
    """Returns ``value`` once the file ``gate`` exists (the test decides when a job ends)."""
    path = Path(gate)
    while not path.exists():
        time.sleep(0.01)
    return value


def kernel_threads() -> tuple[int, bool, bool]:
    """This worker's kernel threads, whether a 1M-person kernel call would run in parallel, and
    whether numba's threading layer was ever loaded here."""
    import numba.np.ufunc.parallel as numba_parallel

    from simulation.core.kernels import threads

    return threads.threads(), threads.parallel(10**6), bool(numba_parallel._is_initialized)
