"""Keep garbage collection off the sessions' path: freeze what the imports made, collect now and then.

Streamlit runs a full garbage collection (``gc.collect(2)``, option ``runner.postScriptGC``)
after every script run, holding the interpreter lock. The app process holds about 200k
objects from its imports (pandas, scipy, scikit-learn, plotly, pydantic), and a full
collection walked all of them every time: measured with py-spy on the protocol-level load
benchmark (bench/load.py, 10 sessions), that collection was 56% of the app process's
lock-holding time, and each one stalls every other session's script. The objects the imports
made live as long as the process, so :func:`freeze_imports` moves them into the collector's
permanent generation (:func:`gc.freeze`) once new modules have been imported; later
collections walk only what the sessions created since, and still free it (cached results,
closed sessions' state) as before. Reference counting frees frozen objects as usual; only a
reference cycle among objects frozen here would stay, and those are module-level objects
that live as long as the process anyway.

Freezing was not enough under load: with twenty sessions the objects they create (widget
state, cached results' frames) made the collection after each run 45% of the app's
lock-holding time again (py-spy, 20 sessions). So ``runner.postScriptGC`` is off
(``.streamlit/config.toml``) and :func:`after_run` makes the full collection at most once every
:data:`COLLECT_EVERY_SECONDS` for the whole server instead of once per script run; Python's
automatic (generational) collection keeps running as usual, and the worker pool's janitor
collects when the result cache drops entries (so memory goes back after sessions close).
"""

from __future__ import annotations

import gc
import sys
import threading
import time

_lock = threading.Lock()
_modules_frozen = 0
"""How many modules were loaded at the last freeze."""
COLLECT_EVERY_SECONDS = 5.0
"""At most one full collection per this many seconds after script runs, server-wide."""
_last_collect = 0.0


def after_run() -> None:
    """At the end of every script run: freeze new imports, else a full collection now and then.

    Replaces Streamlit's ``runner.postScriptGC`` (one full collection per run, off in the
    config) with at most one per :data:`COLLECT_EVERY_SECONDS`; a run that finds another
    thread collecting does not wait for it.
    """
    global _last_collect
    if freeze_imports() or time.monotonic() - _last_collect < COLLECT_EVERY_SECONDS:
        return
    if not _lock.acquire(blocking=False):
        return
    try:
        if time.monotonic() - _last_collect >= COLLECT_EVERY_SECONDS:
            gc.collect()
            _last_collect = time.monotonic()
    finally:
        _lock.release()


def freeze_imports() -> bool:
    """Collect, then freeze every object now alive, if modules were imported since last time.

    Called at the end of every script run; does nothing (and costs a length check) unless a
    run imported new modules (the first run of the process, the first visit to a page).

    Returns
    -------
    bool
        Whether it froze (new modules had been imported).
    """
    global _modules_frozen, _last_collect
    if len(sys.modules) == _modules_frozen:
        return False
    with _lock:
        if len(sys.modules) == _modules_frozen:
            return False
        gc.collect()  # garbage left by the imports is freed, not frozen
        gc.freeze()
        _modules_frozen = len(sys.modules)
        _last_collect = time.monotonic()
    return True
