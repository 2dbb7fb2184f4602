"""Entry module of a simulation worker process: ``python -m explorer.worker FD [NICE]``.

Started by :class:`explorer.pool.WorkerPool` as ``python -m explorer.worker FD [NICE]`` with one
end of a socket pair as ``FD``; ``NICE`` lowers its CPU priority (the pool's analysis workers,
which must leave the CPU to the interactive ones first; processes it starts inherit it). It
imports the engine (never the app script or Streamlit) and loads its compiled kernels, says it
is ready, then runs the jobs it is sent one at a time and sends back each result pickled, or
the exception it raised. It
exits when the socket closes or its parent process goes away. A thread reads the messages, so
a stoppable job (an analysis, which polls ``should_cancel`` between its tasks) can be asked to
stop while it runs; the worker then goes on to the next job instead of being ended and replaced.

Messages in: ``("run", seq, function, args, kwargs, wants_progress, provides, stoppable)`` and
``("stop", seq)``. Out: ``("ready",)``, ``("progress", seq, fraction, message)``,
``("done", seq, [payload, ...])`` (one pickled value, or one per key of ``provides`` from the
dict the function returned), ``("error", seq, text, pickled exception or None)`` and
``("stopped", seq)`` (a job asked to stop ended by raising).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import queue
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

PROGRESS_EVERY_SECONDS = 0.2


def _watch_parent(parent: int) -> None:
    """End this process when the server that started it has gone (it is then re-parented)."""
    while True:
        time.sleep(2.0)
        if os.getppid() != parent:
            os._exit(0)


def _progress_sender(connection: Connection, lock: threading.Lock, seq: int):  # type: ignore[no-untyped-def]
    last = [0.0]

    def report(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_SECONDS and fraction < 1.0:
            return
        last[0] = now
        with lock:
            connection.send(("progress", seq, float(fraction), str(message)))

    return report


def _payloads(value: Any, provides: tuple[Any, ...]) -> list[bytes]:
    if not provides:
        return [pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)]
    return [pickle.dumps(value[key], protocol=pickle.HIGHEST_PROTOCOL) for key in provides]


def _error_payload(error: BaseException) -> bytes | None:
    try:
        return pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None


def _read(connection: Connection, jobs: queue.Queue[tuple[Any, ...] | None], stops: set[int]) -> None:
    """Queue the jobs sent, note which were asked to stop; None when the connection closes."""
    try:
        while True:
            message = connection.recv()
            if message[0] == "stop":
                stops.add(message[1])
            else:
                jobs.put(message)
    except (EOFError, OSError):
        jobs.put(None)


def serve(connection: Connection) -> None:
    """Answer jobs until the connection closes."""
    import simulation.core.api  # noqa: F401  (numpy, pandas, scikit-learn: paid once, before "ready")
    from explorer.pool import release_freed_memory
    from simulation.core.kernels import threads
    from simulation.core.warm_up import warm_up

    # One worker of several: the pool's processes fill the cores, so kernels run on one thread
    # here (and only their serial variants are loaded).
    threads.one_thread()
    # The engine's compiled kernels, every signature a run can call: loaded from numba's on-disk
    # cache (about 1.4 s), or compiled once on a fresh machine (seconds), before "ready" rather
    # than in a session's first run.
    warm_up()

    lock = threading.Lock()
    jobs: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
    stops: set[int] = set()
    """Jobs asked to stop (a job's seq may arrive here before the job starts)."""
    threading.Thread(target=_read, args=(connection, jobs, stops), name="worker-reader",
                     daemon=True).start()
    connection.send(("ready",))
    while (message := jobs.get()) is not None:
        _, seq, function, args, kwargs, wants_progress, provides, *rest = message
        if wants_progress:
            kwargs = {**kwargs, "progress": _progress_sender(connection, lock, seq)}
        if rest and rest[0]:
            kwargs = {**kwargs, "should_cancel": lambda seq=seq: seq in stops}
        try:
            reply: tuple[Any, ...] = ("done", seq, _payloads(function(*args, **kwargs), provides))
        except Exception as error:
            if seq in stops:
                reply = ("stopped", seq)
            else:
                text = "".join(traceback.format_exception_only(type(error), error)).strip()
                reply = ("error", seq, text, _error_payload(error))
        stops.discard(seq)
        with lock:
            connection.send(reply)
        stopped = reply[0] != "done"
        del reply, function, args, kwargs, message
        if stopped:
            # What the interrupted job held may sit in reference cycles through its traceback's
            # frames; a stopped worker goes on instead of being replaced, so collect them now.
            gc.collect()
        release_freed_memory()  # the run's arrays are gone: give their pages back


def main(argv: list[str]) -> None:
    """Serve jobs over the connection whose file descriptor is ``argv[1]`` until it closes.

    The process ends itself when the server that started it has gone, and ends quietly on a
    closed connection or Ctrl-C.
    """
    connection = Connection(int(argv[1]))
    if len(argv) > 2 and int(argv[2]) > 0:
        os.nice(int(argv[2]))
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    with contextlib.suppress(EOFError, OSError, KeyboardInterrupt):
        serve(connection)


if __name__ == "__main__":
    main(sys.argv)
