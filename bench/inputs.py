"""Event-log validation: time and peak memory of ``validate_events`` on a 20 MB and a 200 MB log.

Prints, never asserts (issue 11's figures). For each size a synthetic log is written to a temp
folder (deterministic: a fixed seed; rows like ``C0012345,2024-03-05 14:22:10,store,purchase,59.90``,
visits without an amount, a few returns, customers with whole histories spread over two years),
then ``validate_events`` reads it in a fresh process that reports rows read, rows kept, the
share of customers sampled, seconds, rows per second and its peak resident memory (``ru_maxrss``
of the child, with the footprint after imports for comparison).

Target (issue 11): the 200 MB log validates under 400 MB peak; memory is bounded by the sample
(``MAX_ROWS_DEFAULT`` rows), not by the file. Timings on a shared machine are noisy.

Usage: python bench/inputs.py [--sizes-mb 20 200] [--chunksize ROWS] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 400
CHANNELS = np.array(["store", "web", "app", "social", "messaging"])
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from simulation.calibration.eventlog import validate_events
footprint = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
log = validate_events({path!r}, **{options!r})
seconds = time.perf_counter() - start
print(json.dumps({{"rows_read": log.rows_read, "rows_kept": len(log.events),
                  "sampled_share": log.sampled_share, "seconds": seconds,
                  "footprint_mb": footprint / 1024,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "notes": log.notes}}))
"""


def write_log(path: Path, size_mb: float, *, seed: int = 20240305) -> int:
    """A synthetic log of about ``size_mb`` MB at ``path``; returns the rows written."""
    rng = np.random.default_rng(seed)
    target = size_mb * 1_000_000
    customers = max(1_000, int(target / 52 / 10))  # about ten events per customer
    start = np.datetime64("2023-01-01T00:00:00")
    rows = written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("customer_id,timestamp,channel,event_type,amount\n")
        row_bytes = 48.0  # refined after each block, so the file ends close to its size
        while written < target:
            block = int(min(200_000, max(1_000, (target - written) / row_bytes + 1)))
            who = rng.integers(0, customers, block)
            when = start + rng.integers(0, 2 * 365 * 86_400, block).astype("timedelta64[s]")
            channel = CHANNELS[rng.choice(len(CHANNELS), block, p=[0.4, 0.25, 0.2, 0.1, 0.05])]
            kind = rng.choice(np.array(["visit", "purchase", "return"]), block, p=[0.55, 0.42, 0.03])
            amount = np.round(rng.lognormal(3.8, 0.6, block), 2)
            stamps = np.datetime_as_string(when, unit="s")
            lines = [
                f"C{c:07d},{t[:10]} {t[11:]},{ch},{k},{'' if k == 'visit' else f'{a:.2f}'}\n"
                for c, t, ch, k, a in zip(who, stamps, channel, kind, amount, strict=True)
            ]
            text = "".join(lines)
            handle.write(text)
            written += len(text)
            rows += block
            row_bytes = written / rows
    return rows


def measure(path: Path, chunksize: int | None = None) -> dict[str, object]:
    options = {"chunksize": chunksize} if chunksize else {}
    child = CHILD.format(root=str(ROOT), path=str(path), options=options)
    done = subprocess.run([sys.executable, "-c", child],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=float, nargs="+", default=[20, 200])
    parser.add_argument("--chunksize", type=int, help="rows per chunk (default: validate_events')")
    parser.add_argument("--keep", action="store_true", help="keep the generated logs")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_inputs_"))
    print(f"validate_events peak memory (target: under {TARGET_MB} MB for a 200 MB log); "
          f"chunksize {args.chunksize or 'default'}; shared 2-core machine, timings noisy")
    try:
        for size in args.sizes_mb:
            path = folder / f"events_{size:g}mb.csv"
            began = time.perf_counter()
            rows = write_log(path, size)
            made = time.perf_counter() - began
            mb = path.stat().st_size / 1e6
            result = measure(path, args.chunksize)
            print(f"\n{mb:,.0f} MB log, {rows:,} rows (written in {made:.1f} s):")
            if "error" in result:
                print(f"  failed: {result['error']}")
                continue
            seconds = float(result["seconds"])  # type: ignore[arg-type]
            peak = float(result["peak_mb"])  # type: ignore[arg-type]
            print(f"  rows read      {result['rows_read']:,}")
            print(f"  rows kept      {result['rows_kept']:,}")
            print(f"  sampled share  {float(result['sampled_share']):.1%} of customers")  # type: ignore[arg-type]
            print(f"  time           {seconds:.1f} s ({int(result['rows_read']) / seconds:,.0f} rows/s)")  # type: ignore[call-overload]
            print(f"  peak RSS       {peak:,.0f} MB (after imports {float(result['footprint_mb']):,.0f} MB; "  # type: ignore[arg-type]
                  f"{peak / mb:.2f} x the file)")
            print(f"  target         under {TARGET_MB} MB: {'met' if peak < TARGET_MB else 'NOT met'}")
            for note in result.get("notes", []):  # type: ignore[attr-defined]
                print(f"  note           {note}")
    finally:
        if args.keep:
            print(f"\nlogs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
