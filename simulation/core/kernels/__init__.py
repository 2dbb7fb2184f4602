"""Compiled kernels (numba) for the engine's hottest passes over people.

Each kernel is a loop over people (or journeys, or pairs) that replaces a chain of vectorized
numpy passes whose temporaries and repeated gathers cost more than the arithmetic. They compute
exactly what the numpy expressions they replace computed, bit for bit:

* only integer work, gathers, comparisons and ``+ - * /`` in the same order and precision as
  numpy (float32 where numpy stayed in float32, float64 where it promoted); no transcendental
  function (``exp``, ``log`` ...) is evaluated in a kernel, since LLVM's libm may differ from
  numpy's SIMD implementations in the last bit;
* sums in the order numpy adds (``np.bincount`` adds its weights one by one, in order), never
  a pairwise sum;
* no ``fastmath`` (it would reorder and contract arithmetic), ``error_model="numpy"`` (a
  division by zero gives inf/nan as in numpy instead of raising);
* parallel variants (``numba.prange``) only where they give the serial variant's bytes:
  independent iterations, compactions in two passes over fixed chunks (each chunk's hits at
  its offset, the serial order), float sums added serially in the serial order afterwards;
  :mod:`~simulation.core.kernels.threads` chooses the variant per call (one-thread processes,
  the app's workers, never run or compile a parallel one);
* thresholds that numpy compared with a float32 draw in float32 (a Python float meets a float32
  array as a float32, NEP 50) are passed rounded to float32
  (:func:`~simulation.core.kernels.common.compared_with_float32`).

Modules: :mod:`~simulation.core.kernels.common` (options, the hashed draw),
:mod:`~simulation.core.kernels.walk` (the journey walk), :mod:`~simulation.core.kernels.keys`
(contact-key bookkeeping), :mod:`~simulation.core.kernels.steps` (weekly steps over people),
:mod:`~simulation.core.kernels.purchases` (what a week's purchases write),
:mod:`~simulation.core.kernels.features` (table look-ups for the personalization features),
:mod:`~simulation.core.kernels.select` (selections and gathers over whole populations),
:mod:`~simulation.core.kernels.outcomes` (what a week's walked journeys write),
:mod:`~simulation.core.kernels.draws` (hashed uniform draws of many people),
:mod:`~simulation.core.kernels.threads` (how many threads the kernels use).

Compiled code is cached on disk (``cache=True``): in ``NUMBA_CACHE_DIR`` if set, else in
``__pycache__`` beside the modules, or, where that is read-only, in the user's cache directory;
where none is writable the kernels compile in each process, with a warning
(:func:`~simulation.core.kernels.common.disk_cache_available`). A fresh process loads the cache
in well under a second of CPU; the first process on a machine compiles (about 33 s of CPU for
the serial variants, 55 s for the parallel ones, measured on the 2-core machine).
:func:`warm_up` does either ahead of the first run (the app's worker processes call it at
start), for the variants the process uses; ``python -m simulation.core.warm_up`` fills the cache
on two cores before a test suite starts (``make test``). numba's cache checks only the calling
function's own file: after editing a helper in another module (``common.py``), clear the cache
(``NUMBA_CACHE_DIR`` or the ``__pycache__`` ``*.nbi``/``*.nbc`` files) before trusting a test
run.
"""

from __future__ import annotations


def warm_up() -> None:
    """Compile (or load from the cache) every kernel variant this process uses, on tiny inputs."""
    from simulation.core.kernels import draws, features, outcomes, select, threads

    features.warm_up()
    select.warm_up()  # these have one (serial) variant
    outcomes.warm_up()
    draws.warm_up()
    for variant in threads.variants():  # the parallel ones only where this process uses them
        with variant:
            _warm_up_threaded()


def warm_up_parallel() -> None:
    """Compile (or load from the cache) the parallel variants only, whatever the thread count."""
    from simulation.core.kernels import threads

    with threads.always_parallel():
        _warm_up_threaded()


def _warm_up_threaded() -> None:
    """The warm-ups of the modules whose kernels have a serial and a parallel variant."""
    from simulation.core.kernels import keys, purchases, steps, walk

    walk.warm_up()
    keys.warm_up()
    steps.warm_up()
    purchases.warm_up()


__all__ = ["warm_up", "warm_up_parallel"]
