"""Keep Streamlit's collection after every script run cheap: freeze what the imports made.

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
"""

from __future__ import annotations

import gc
import sys
import threading

_lock = threading.Lock()
_modules_frozen = 0
"""How many modules were loaded at the last freeze."""


def freeze_imports() -> bool:
    """Collect, then freeze every object now alive, if modules were imported since last time.

    Called at the end of every script run; does nothing (and costs a length check) unless a
    run imported new modules (the first run of the process, the first visit to a page).

    Returns
    -------
    bool
        Whether it froze (new modules had been imported).
    """
    global _modules_frozen
    if len(sys.modules) == _modules_frozen:
        return False
    with _lock:
        if len(sys.modules) == _modules_frozen:
            return False
        gc.collect()  # garbage left by the imports is freed, not frozen
        gc.freeze()
        _modules_frozen = len(sys.modules)
    return True
