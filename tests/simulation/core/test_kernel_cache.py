"""The engine imports and runs where numba cannot cache its kernels on disk (a read-only install
run by a user without a writable home), compiling them in the process instead, with a warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# (Only one kernel is run: compiling every kernel without a cache takes a minute of CPU.)
# numba checks that a cache directory is writable by creating a temporary file in it; making
# that fail everywhere is what a read-only install without a writable home looks like.
NO_WRITABLE_CACHE = r"""
import tempfile, warnings
def refused(*args, dir=None, **kwargs):
    raise PermissionError(13, "Permission denied", dir)
tempfile.TemporaryFile = refused
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import numpy as np
    import simulation.core.api  # the engine and every kernel module: decorated without a cache
    from simulation.core.kernels import common
    from simulation.core.kernels.steps import drift_kernel
satisfaction = np.full(4, 0.5, dtype=np.float32)
drift_kernel(satisfaction, np.float32(0.7), np.float32(0.5))  # compiled here, in the process
said = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
assert common.JIT["cache"] is False, common.JIT
assert any("NUMBA_CACHE_DIR" in s for s in said), said
print(bool(np.allclose(satisfaction, 0.6)))
"""


def test_without_a_writable_cache_the_kernels_compile_in_the_process_with_a_warning(tmp_path: Path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT),
           "OMNICHANNEL_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", NO_WRITABLE_CACHE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "True"
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.nbi"))


def test_with_a_writable_cache_the_kernels_are_cached():
    from simulation.core.kernels import common

    assert common.JIT["cache"] is True
