"""Every kernel test runs on each kernel variant: serial, and parallel on one and two threads.

Three variants, not more: every kernel test module runs once per variant, and CI has 15
minutes; chunks of 2 and 3 already put the tests' small inputs across many chunk boundaries.
Import :func:`kernel_variant` into a test module (an autouse fixture): its tests then run once
serially and once per parallel case. The parallel cases use tiny chunks, so the small inputs
of the tests cross many chunk boundaries (sizes 0, 1, chunk - 1, chunk, chunk + 1 and many
chunks all come up), and compare against the same numpy references as the serial variant.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulation.core.kernels import threads

VARIANTS = {
    "serial": (1, None),
    "parallel-1-thread-chunk-2": (1, 2),
    "parallel-2-threads-chunk-3": (2, 3),
}
"""Variant name: (threads, chunk; None = the serial variant)."""


@pytest.fixture(scope="module", autouse=True, params=list(VARIANTS), ids=list(VARIANTS))
def kernel_variant(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the module's tests on one kernel variant (see the module docstring)."""
    n_threads, chunk = VARIANTS[request.param]
    threads.set_threads(n_threads)
    try:
        if chunk is None:
            yield request.param
        else:
            with threads.always_parallel(chunk):
                yield request.param
    finally:
        threads.set_threads(None)
