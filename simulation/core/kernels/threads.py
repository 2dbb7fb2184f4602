"""How many threads a run and its compiled kernels may use, declared once for the whole process.

A run of :data:`~simulation.core.plan_threads.SPLIT_FROM_PEOPLE` people or more with several
plans uses the threads for its plans (:mod:`simulation.core.plan_threads`) and keeps each
group's kernels serial (:func:`serial_here`); otherwise its kernels may use them, as follows.

Every kernel that runs over people has a serial compiled variant and, where its iterations are
independent, a parallel one (``numba.prange``) that gives the same bytes. :func:`parallel`
decides per call which one runs: the parallel variant only when this process may use more than
one thread and the call is large enough for threads to pay (:data:`MIN_PARALLEL` items).

The setting, highest precedence first:

* :func:`set_threads` (the Python API; the CLI's ``--threads``);
* the environment variable :data:`THREADS_ENV` (a whole number >= 1);
* one thread. On the 2-core reference machine a 1M-person run with the kernels on every core
  took 8% longer (median of five alternating pairs, 14.4 s against 13.3 s) and 16% more CPU
  than on one thread: the run's draw-ahead thread already uses part of the second core, and
  about half the run is numpy and Python between the kernels, which threads do not shorten.
  More threads may pay on a machine with idle cores; they are asked for, never assumed.
  Capped at the cores numba may use (``NUMBA_NUM_THREADS``).

Processes that already fill the cores with processes run on one thread whatever the setting
(:func:`set_threads` ``(1)`` at their start): the app's pool workers (:mod:`explorer.worker`),
the analyses' joblib and Dask workers (:mod:`simulation.analysis.parallel`,
:mod:`simulation.analysis.cluster`) and the Streamlit server itself (its sessions are threads;
it never launches a parallel kernel).
A process on one thread never loads numba's threading layer, and never compiles a parallel
variant (:func:`simulation.core.kernels.warm_up` warms up only the variants the process uses).

Threading layer: numba's ``threadsafe`` choice (TBB, else OpenMP; on this project's Linux
machines GNU OpenMP, with ``OMP_WAIT_POLICY=PASSIVE`` unless set), never ``workqueue``, which
aborts the process when two Python threads launch parallel kernels at once. If no thread-safe
layer can be loaded, kernels run serially.
GNU OpenMP is not fork-safe: a process that has run parallel kernels must start its workers
with ``spawn``/``fork+exec`` (``subprocess.Popen``, joblib's loky, Dask's nanny all do).
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

THREADS_ENV = "OMNICHANNEL_THREADS"
"""Environment variable with the number of threads kernels may use (a whole number >= 1)."""
DEFAULT_THREADS = 1
"""Threads when neither :func:`set_threads` nor :data:`THREADS_ENV` says (see the module docstring)."""
MIN_PARALLEL = 1 << 15
"""Items (people, pairs, journeys) below which a kernel runs serially: a parallel launch costs
some microseconds, and small calls (the app's 20k-person runs) gain nothing from it."""
CHUNK = 1 << 14
"""Items per chunk of the compacting parallel kernels (fixed, whatever the threads: each chunk
counts its hits, then writes them at its offset, so the output is the serial order)."""
THREAD_SAFE_LAYERS = ("threadsafe", "safe", "tbb", "omp")
"""numba threading layers that tolerate parallel launches from several Python threads."""

_setting: int | None = None
"""What :func:`set_threads` set (None: the environment, else one thread)."""
_forced = False
"""Whether :func:`always_parallel` is in force."""
SAMPLE_SECONDS = 0.25
"""How often :func:`core_is_free` looks again at what the machine's other processes use."""
_sample: tuple[float, float, float] | None = None
"""(monotonic time, CPU seconds every process has used, CPU seconds this one has used) when
:func:`core_is_free` last looked."""
_free = True
"""Its last answer."""
_layer_ok: bool | None = None
"""Whether a thread-safe threading layer can be loaded (None: not checked yet)."""
_here = threading.local()
"""Per Python thread: ``serial`` while :func:`serial_here` is in force in that thread."""


class ThreadSettingError(ValueError):
    """The thread setting (:data:`THREADS_ENV` or :func:`set_threads`) is not a whole number >= 1."""


def _validated(value: object, source: str) -> int:
    """``value`` as a number of threads, or :class:`ThreadSettingError` naming ``source``."""
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        number = 0
    if isinstance(value, bool) or number < 1:
        raise ThreadSettingError(
            f"{source} must be a whole number >= 1 (1 = serial), not {value!r}")
    return number


def available() -> int:
    """Threads numba may use in this process (``NUMBA_NUM_THREADS``, every core by default)."""
    import numba  # here, not at the top: the app's server sets its threads without loading numba

    config: Any = numba.config
    return int(config.NUMBA_NUM_THREADS)


def set_threads(threads: int | None) -> None:
    """Let the kernels use ``threads`` threads (capped at :func:`available`); None: the default (one).

    Raises
    ------
    ThreadSettingError
        If ``threads`` is not a whole number >= 1.
    """
    global _setting
    _setting = None if threads is None else _validated(threads, "the number of threads")


def threads() -> int:
    """Threads the kernels use now (see the module docstring for the precedence)."""
    if _setting is not None:
        wanted = _setting
    elif (value := os.environ.get(THREADS_ENV, "").strip()) != "":
        wanted = _validated(value, f"the environment variable {THREADS_ENV}")
    else:
        return DEFAULT_THREADS
    wanted = min(wanted, available())
    if wanted > 1 and not _thread_safe_layer():
        return 1
    return wanted


def _thread_safe_layer() -> bool:
    """Whether numba will load a thread-safe threading layer (asked for on first use)."""
    global _layer_ok
    if _layer_ok is None:
        import numba

        # OpenMP threads wait for the next parallel loop asleep, not spinning: between kernels
        # the main thread runs numpy for milliseconds, and on a machine whose cores are busy a
        # spinning thread takes CPU from it (a parallel kernel took 5-10x its serial time).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        config: Any = numba.config
        layer = str(config.THREADING_LAYER)
        if layer == "default":
            config.THREADING_LAYER = layer = "threadsafe"
        _layer_ok = layer in THREAD_SAFE_LAYERS and _loadable(layer)
        if not _layer_ok:
            warnings.warn(f"numba's threading layer {layer!r} is not thread-safe or cannot be "
                          "loaded; the kernels run on one thread", RuntimeWarning, stacklevel=3)
    return _layer_ok


def _loadable(layer: str) -> bool:
    """Whether the libraries of ``layer`` (TBB, or OpenMP where allowed) import."""
    candidates = {"tbb": ("tbbpool",), "safe": ("tbbpool",), "omp": ("omppool",),
                  "threadsafe": ("tbbpool", "omppool")}[layer]
    for name in candidates:
        try:
            __import__(f"numba.np.ufunc.{name}")
        except ImportError:
            continue
        return True
    return False


def one_thread() -> None:
    """Run this process's kernels on one thread: for processes that are one of many workers."""
    set_threads(1)


def _busy_seconds() -> float | None:
    """CPU seconds all processes have used since boot (``/proc/stat``), None where unknown."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def core_is_free() -> bool:
    """Whether the machine's other processes leave this one a core beyond its own thread.

    Looked at every :data:`SAMPLE_SECONDS` at most: the cores the other processes kept busy
    since the last look (all CPU time less this process's). On a machine whose cores are all
    busy, a parallel loop waits at its end for a thread the system has not run yet, and the
    kernels took 1.1-3x their serial time; they then run serially. The answer changes speed
    only, never a result (the variants give the same bytes).
    """
    global _sample, _free
    now = time.monotonic()
    if _sample is not None and now - _sample[0] < SAMPLE_SECONDS:
        return _free
    busy, ours = _busy_seconds(), time.process_time()
    if busy is None:
        return True
    if _sample is not None:
        others = (busy - _sample[1] - (ours - _sample[2])) / (now - _sample[0])
        _free = others <= available() - 1.5
    _sample = (now, busy, ours)
    return _free


def parallel(size: int) -> bool:
    """Whether a kernel over ``size`` items runs its parallel variant now.

    Only with more than one thread, on at least :data:`MIN_PARALLEL` items, while
    :func:`core_is_free`, or always within :func:`always_parallel`.

    When it does, numba's thread count for the calling thread (a per-thread setting) is set
    to :func:`threads` first.
    """
    if getattr(_here, "serial", False):
        return False
    if _forced:
        n = threads()
    else:
        if size < MIN_PARALLEL:
            return False
        n = threads()
        if n <= 1 or not core_is_free():
            return False
    import numba

    if numba.get_num_threads() != n:
        numba.set_num_threads(n)
    if numba.get_parallel_chunksize() != 1:
        # Every parallel loop runs over chunks of CHUNK items: handed out one at a time, so a
        # thread that starts late (its core busy with another process) leaves its share to the
        # others instead of holding up the loop's end with half the work.
        numba.set_parallel_chunksize(1)
    return True


@contextmanager
def serial_here() -> Iterator[None]:
    """Within the block, kernels called from this Python thread take their serial variants.

    For a thread that is one of several running at once in this process (the plans of a run
    split over threads, :func:`simulation.core.api.run_plans`): the threads already fill the
    cores, and parallel kernels launched from each would compete for them.
    """
    saved = getattr(_here, "serial", False)
    _here.serial = True
    try:
        yield
    finally:
        _here.serial = saved


@contextmanager
def always_parallel(chunk: int | None = None) -> Iterator[None]:
    """Within the block, every kernel call takes its parallel variant, on :func:`threads` threads.

    Of any size, and even on one thread (for warming up, and for tests). ``chunk``: items per
    chunk meanwhile (tests use small ones to cross chunk boundaries).
    """
    global _forced, CHUNK
    saved = _forced, CHUNK
    _forced, CHUNK = True, chunk or CHUNK
    try:
        yield
    finally:
        _forced, CHUNK = saved


def variants() -> list[AbstractContextManager[None]]:
    """One block per kernel variant this process runs: serial; parallel too if threads > 1.

    For warming up only what the process will use (a one-thread worker compiles no parallel
    variant, whose compilation takes seconds).
    """
    if threads() > 1:
        return [nullcontext(), always_parallel()]
    return [nullcontext()]


__all__ = ["CHUNK", "DEFAULT_THREADS", "MIN_PARALLEL", "SAMPLE_SECONDS", "THREADS_ENV", "ThreadSettingError",
           "always_parallel", "available", "core_is_free", "one_thread", "parallel", "serial_here",
           "set_threads", "threads", "variants"]
