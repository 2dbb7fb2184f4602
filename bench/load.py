"""Many sessions at once against a local ``streamlit run app.py`` (prints, never asserts).

    python bench/load.py [--sessions 1 5 10 20] [--settle 180] [--root DIR] [--port N]

Starts the app of ``--root`` (default: this checkout) on 127.0.0.1 and drives it with
protocol-level clients: each speaks Streamlit's own websocket protocol (``/_stcore/stream``,
protobuf ``BackMsg``/``ForwardMsg`` from ``streamlit.proto``), so no browser runs and the times
are the server's alone. For each number of sessions, that many clients connect at once; each
waits for its first render (the default scenario), then moves the horizon slider to its own
value (all three plans re-simulated) and then a capability slider to its own value (the custom
plan re-simulated), waiting each time for the script run to finish. Horizons are distinct
across sessions and levels, so no update is served from another session's cache. Then each
client stays on the page as a browser would, rerunning the page's auto-refreshing fragments
(``st.fragment(run_every=...)``, announced by ``auto_rerun`` messages) at their interval until
the Overview's verdict shows its probability (a percentage instead of "…"), at most
``--verdict-wait`` seconds (0: leave at once, as before).

Printed per level: first-render and slider-update median, p90 and max, and the seconds from
the capability update to the verdict's probability (median / p90 / max, and how many sessions
saw it within the wait). Memory: the server's
resident set (the app process plus every process it started, e.g. simulation workers) when
idle after one warm-up session, its peak under load, and ``--settle`` seconds after the last
sessions closed (the issue asks for three minutes; pass less for a quick run); idle and after
``--settle`` also the proportional set size (PSS: pages shared between the processes, such as
the libraries every worker maps, counted once), what the server costs the machine. CPU: seconds the
app process used during the level (all its threads), also per script run it finished (whole
runs and fragment runs; less sensitive to other load on the machine than wall times), and
seconds its worker processes used, also split by the pool's lane (interactive workers: the
slider runs; analysis workers: background work such as the verdict's) with the number of worker
processes started during the level (a cancelled background job's worker is replaced).

Clients are bounded (at most 50, loopback only, each run waits at most ``--timeout`` s).
The machine may be shared: timings are noisy, compare runs side by side (``--root`` of a
``git worktree`` of the old commit) and quote ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
MAX_SESSIONS = 50
HORIZON_KEY = "p__market__horizon_weeks"
CAPABILITY_KEY = "p__custom_plan__inventory"
PROBABILITY_LABEL = "P(omnichannel beats multichannel"
FRAGMENT_TIMEOUT = 30.0
DEFAULT_HORIZON = 156
HORIZONS = [h for h in range(88, 236, 4) if h != DEFAULT_HORIZON]
"""36 horizons around the default (cost per run about the default's on average)."""


@dataclass
class Session:
    """One protocol-level client: its widget ids, query string and measured times."""

    number: int
    widgets: dict[str, str] = field(default_factory=dict)
    query: str = ""
    first_render: float = float("nan")
    updates: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    """Widget values sent so far (a browser sends every widget's state with each rerun)."""
    fragments: dict[str, float] = field(default_factory=dict)
    """Auto-rerunning fragments of the page: id -> interval (s)."""
    settled: bool = False
    """The verdict's probability is on the page."""
    probability: float = float("nan")
    """Seconds from the capability update to the verdict's probability."""
    runs: int = 0
    """Script runs (whole or fragment) the server finished for this client."""


def _rerun(session: Session, widget: str | None = None, value: float | None = None,
           fragment: str | None = None) -> bytes:
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = session.query
    if widget is not None and value is not None:
        session.values[session.widgets[widget]] = value
    for widget_id, widget_value in session.values.items():
        ws = state.widget_states.widgets.add()
        ws.id = widget_id
        ws.double_array_value.data[:] = [widget_value]
    if fragment is not None:
        state.fragment_id = fragment
        state.is_auto_rerun = True
    else:
        session.fragments.clear()  # a full run announces its fragments again
    return msg.SerializeToString()


async def _until_finished(ws, session: Session, timeout: float,  # type: ignore[no-untyped-def]
                          fragment_run: bool = False) -> None:
    """Read ForwardMsgs until the script run finishes; note widget ids and the query string."""
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout)
        msg = ForwardMsg.FromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "slider":
                for key in (HORIZON_KEY, CAPABILITY_KEY):
                    if element.slider.id.endswith(key):
                        session.widgets[key] = element.slider.id
            elif element.WhichOneof("type") == "exception":
                session.errors.append(element.exception.message)
            elif element.WhichOneof("type") == "metric" and element.metric.label.startswith(
                    PROBABILITY_LABEL):
                session.settled = element.metric.body.endswith("%")
        elif kind == "page_info_changed":
            session.query = msg.page_info_changed.query_string
        elif kind == "new_session" and not msg.metadata.run.fragment_ids:
            session.fragments.clear()  # a full run (also one the page asked for) announces its own
        elif kind == "auto_rerun":
            session.fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            session.fragments.pop(msg.stop_auto_rerun.fragment_id, None)
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue
            session.runs += 1
            if status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                if fragment_run:
                    return
                continue  # a fragment's run, not the one waited for
            if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                session.errors.append(f"script finished with status {status}")
            return


async def _run_session(url: str, session: Session, level: int, timeout: float,
                       verdict_wait: float) -> None:
    horizon = HORIZONS[(level + session.number) % len(HORIZONS)]
    capability = 5 * (1 + session.number % 20)
    async with connect(url, subprotocols=["streamlit"], max_size=None,  # type: ignore[list-item]
                       open_timeout=timeout) as ws:
        started = time.perf_counter()
        await ws.send(_rerun(session))
        await _until_finished(ws, session, timeout)
        session.first_render = time.perf_counter() - started
        for key, value in ((HORIZON_KEY, horizon), (CAPABILITY_KEY, capability)):
            if key not in session.widgets:
                session.errors.append(f"no slider {key} on the page")
                return
            started = time.perf_counter()
            await ws.send(_rerun(session, key, value))
            await _until_finished(ws, session, timeout)
            session.updates.append(time.perf_counter() - started)
        await _wait_for_verdict(ws, session, started, timeout, verdict_wait)


async def _wait_for_verdict(ws, session: Session, started: float, timeout: float,  # type: ignore[no-untyped-def]
                            verdict_wait: float) -> None:
    """Rerun the page's auto-refreshing fragments, as the browser does, until the verdict's
    probability shows (``session.probability``: seconds since ``started``) or ``verdict_wait``
    seconds have gone."""
    deadline = started + verdict_wait
    while not session.settled and session.fragments and time.perf_counter() < deadline:
        fragment, interval = next(iter(session.fragments.items()))
        await asyncio.sleep(interval)
        await ws.send(_rerun(session, fragment=fragment))
        try:
            await _until_finished(ws, session, min(timeout, FRAGMENT_TIMEOUT), fragment_run=True)
        except TimeoutError:  # a fragment gone meanwhile is skipped by the server, unanswered
            session.fragments.pop(fragment, None)
    if session.settled:
        session.probability = time.perf_counter() - started


async def _level(url: str, sessions: int, level: int, timeout: float,
                 verdict_wait: float = 0.0) -> list[Session]:
    clients = [Session(i) for i in range(sessions)]
    done = await asyncio.gather(*(_run_session(url, c, level, timeout, verdict_wait) for c in clients),
                                return_exceptions=True)
    for client, outcome in zip(clients, done, strict=True):
        if isinstance(outcome, BaseException):
            client.errors.append(f"{type(outcome).__name__}: {outcome}")
    return clients


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def _tree_rss_mb(pid: int) -> float:
    """Resident set of ``pid`` and all its descendants, MB (shared pages counted in each)."""
    return _tree_sum_kb(pid, "status", "VmRSS:") / 1024


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` and its descendants, MB: a page shared by k of them
    (a shared library such as numba's 178 MB LLVM, mapped by every worker) counts 1/k in each,
    so the sum is what the tree costs the machine."""
    return _tree_sum_kb(pid, "smaps_rollup", "Pss:") / 1024


def _tree_sum_kb(pid: int, name: str, field: str) -> int:
    total = 0
    for current in _descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/{name}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1])
    return total


def _lane(pid: int) -> str | None:
    """The pool lane of a worker process (``python -m explorer.worker FD NICE``): "interactive"
    (NICE 0), "analysis" (NICE > 0), or None for another process."""
    with contextlib.suppress(OSError):
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"explorer.worker" in argv:
            tail = argv[argv.index(b"explorer.worker") + 1:]
            return "analysis" if len(tail) > 1 and tail[1] not in (b"", b"0") else "interactive"
    return None


class MemorySampler:
    """Samples the server's tree every 0.2 s in a thread: ``peak`` RSS, and each worker's CPU.

    ``lanes``: per worker process seen, its lane and the CPU seconds it had used when last
    sampled (a worker that exits loses at most its last 0.2 s).
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self.workers: dict[int, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._sample_workers()
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, _tree_rss_mb(self.pid))
            self._sample_workers()

    def _sample_workers(self) -> None:
        for pid in _descendants(self.pid)[1:]:
            lane = self.workers[pid][0] if pid in self.workers else _lane(pid)
            if lane is not None:
                used = _cpu_seconds(pid)
                with self._lock:
                    self.workers[pid] = (lane, max(used, self.workers.get(pid, (lane, 0.0))[1]))

    def snapshot(self) -> dict[int, tuple[str, float]]:
        """The workers' lanes and CPU seconds now."""
        self._sample_workers()
        with self._lock:
            return dict(self.workers)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _lane_cpu(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
              ) -> dict[str, tuple[float, int]]:
    """CPU seconds each lane's workers used between two snapshots, and how many workers started."""
    out: dict[str, tuple[float, int]] = {}
    for pid, (lane, used) in after.items():
        cpu, started = out.get(lane, (0.0, 0))
        out[lane] = (cpu + used - before.get(pid, (lane, 0.0))[1], started + (pid not in before))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _start_server(root: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    launcher = os.environ.get("LOAD_SERVER_LAUNCHER")  # e.g. a profiling wrapper of streamlit
    command = [sys.executable, launcher] if launcher else [sys.executable, "-m", "streamlit", "run", "app.py"]
    server = subprocess.Popen(
        [*command, "--server.port", str(port),
         "--server.address", HOST, "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=root, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(
                f"http://{HOST}:{port}/_stcore/health", timeout=2) as answer:
            if answer.read() == b"ok":
                return server
        if server.poll() is not None:
            break
        time.sleep(0.3)
    server.kill()
    raise SystemExit(f"streamlit did not start; see {log}")


def _stats(values: list[float]) -> str:
    values = [v for v in values if v == v]
    if not values:
        return "n/a"
    ordered = sorted(values)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]  # nearest rank
    return f"{statistics.median(ordered):5.2f} / {p90:5.2f} / {ordered[-1]:5.2f} s"


def _cpu_seconds(pid: int, children: bool = True) -> float:
    """User+system CPU seconds of ``pid`` (its own threads; with ``children``, also its finished
    children's)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used = (11, 12, 13, 14) if children else (11, 12)
        return sum(int(fields[i]) for i in used) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of the app process's own threads, and of the processes it started (workers,
    also those that have exited: they count in the app process's children's time)."""
    own = _cpu_seconds(pid, children=False)
    return own, _cpu_seconds(pid) - own + sum(_cpu_seconds(p) for p in _descendants(pid)[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--settle", type=float, default=180.0,
                        help="seconds to wait after the sessions close before the last memory "
                             "reading (default 180)")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose app.py to serve")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per script run")
    parser.add_argument("--verdict-wait", type=float, default=300.0,
                        help="seconds each session stays for the verdict's probability after its "
                             "capability update (default 300; 0: leave at once)")
    args = parser.parse_args()
    if max(args.sessions) > MAX_SESSIONS or min(args.sessions) < 1:
        parser.error(f"sessions must be between 1 and {MAX_SESSIONS}")
    root = args.root.resolve()
    port = args.port or _free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"load-streamlit-{port}.log"
    url = f"ws://{HOST}:{port}/_stcore/stream"
    print(f"app: {root} (commit {_commit(root)}), {os.cpu_count()} cores; log {log}")
    print("Timings are noisy when the machine is shared: compare runs side by side, quote ratios.")
    server = _start_server(root, port, log)
    try:
        warm = asyncio.run(_level(url, 1, len(HORIZONS) - 1, args.timeout))
        if warm[0].errors:
            print(f"warm-up errors: {warm[0].errors}")
        time.sleep(5)
        idle = _tree_rss_mb(server.pid)
        idle_pss = _tree_pss_mb(server.pid)
        print(f"idle after one warm-up session: {idle:.0f} MB resident, {idle_pss:.0f} MB proportional")
        print(f"{'sessions':>8}  {'first render med / p90 / max':>30}  "
              f"{'update med / p90 / max':>26}  {'probability med / p90 / max (seen)':>38}  "
              f"{'wall':>6}  {'app CPU':>7}  {'per run':>7}  {'workers':>7}  errors")
        sampler = MemorySampler(server.pid)
        lanes_text = []
        for level, sessions in enumerate(args.sessions):
            app_cpu, workers_cpu = _cpu(server.pid)
            workers_before = sampler.snapshot()
            started = time.perf_counter()
            clients = asyncio.run(_level(url, sessions, sum(args.sessions[:level]), args.timeout,
                                         args.verdict_wait))
            wall = time.perf_counter() - started
            app_used = _cpu(server.pid)[0] - app_cpu
            runs = sum(c.runs for c in clients)
            errors = [e for c in clients for e in c.errors]
            print(f"{sessions:>8}  {_stats([c.first_render for c in clients]):>30}  "
                  f"{_stats([u for c in clients for u in c.updates]):>26}  "
                  f"{_stats([c.probability for c in clients]):>26} "
                  f"({sum(c.settled for c in clients):>2}/{sessions:<2})  "
                  f"{wall:5.1f}s  "
                  f"{app_used:6.1f}s  {app_used / max(runs, 1):6.3f}s  "
                  f"{_cpu(server.pid)[1] - workers_cpu:6.1f}s  "
                  f"{len(errors)}"
                  + (f" (first: {errors[0][:120]})" if errors else ""), flush=True)
            lanes = _lane_cpu(workers_before, sampler.snapshot())
            lanes_text.append(f"{sessions:>8}  " + ", ".join(
                f"{lane} {cpu:5.1f}s ({started} started)" for lane, (cpu, started) in sorted(lanes.items())))
        sampler.stop()
        print("workers' CPU by lane (interactive: slider runs; analysis: the verdict's background work, "
              "at lower priority), and worker processes started during the level:")
        print("\n".join(lanes_text))
        closed = _tree_rss_mb(server.pid)
        print(f"memory: idle {idle:.0f} MB, peak {sampler.peak:.0f} MB, "
              f"just after the sessions closed {closed:.0f} MB", flush=True)
        time.sleep(args.settle)
        after, after_pss = _tree_rss_mb(server.pid), _tree_pss_mb(server.pid)
        print(f"memory {args.settle:.0f} s after the sessions closed: {after:.0f} MB "
              f"({after / idle - 1:+.0%} vs idle)")
        if idle_pss and after_pss:  # 0: /proc/PID/smaps_rollup was not readable
            print(f"proportional (shared pages counted once): idle {idle_pss:.0f} MB, "
                  f"after {after_pss:.0f} MB ({after_pss / idle_pss - 1:+.0%})")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    lines = log.read_text(errors="replace").splitlines()
    warnings = [line for line in lines if "warn" in line.lower() or "error" in line.lower()]
    print(f"server log: {len(lines)} lines, {len(warnings)} with a warning or error"
          + (f" (first: {warnings[0][:120]})" if warnings else ""))


def _commit(root: Path) -> str:
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    main()
