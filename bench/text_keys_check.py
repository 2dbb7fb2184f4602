"""Check that frames whose category columns became keys (issue 12) read back as before.

The losses, flows, mechanisms, customers and segments frames used to hold English text in their
category columns (cause, destination, mechanism, opportunity, stage, lapse_cause, segment); they
now hold keys the display layer words. This maps the keys back through the English catalog and
compares every frame of the six presets and a 60k run with the old commit's, exactly (values,
dtypes and the bench/fingerprint.py digest).

Usage (from the project root; OLD is a worktree of the commit before the change):
    (cd OLD && python /path/to/bench/text_keys_check.py dump /tmp/old.pkl)
    python bench/text_keys_check.py compare /tmp/old.pkl
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path.cwd()))

# bench/ is on the path when this runs as a script
from fingerprint import case_frames

FRAMES = ("losses", "flows", "mechanisms", "customers", "segments")


def _frames() -> dict[str, dict[str, pd.DataFrame]]:
    out = {}
    for name, frames in case_frames():
        out[name] = {f: frames[f] for f in FRAMES}
        print(name, flush=True)
    return out


def _as_text(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    from simulation.core.tallies import LOSS_PREFIX
    from simulation.display import labels
    from simulation.display.text import text

    f = frame.copy()
    if name == "losses":
        f["cause"] = f["cause"].map(labels.cause_name)
    if name == "flows":
        f["destination"] = [f"lost: {labels.cause_name(d.removeprefix(LOSS_PREFIX))}"
                            if d.startswith(LOSS_PREFIX) else d for d in f["destination"]]
    if name == "mechanisms":
        f["mechanism"] = f["mechanism"].map(labels.mechanism_name)
        f["opportunity"] = f["opportunity"].map(lambda k: text(f"opportunity.{k}"))
    if name == "segments":
        f["segment"] = f["segment"].map(labels.segment_name)
    if name == "customers":
        f["stage"] = f["stage"].map(lambda s: labels.stage_name(s) if s == "not_reached" else s)
        f["lapse_cause"] = f["lapse_cause"].map(lambda k: text(f"lapse.{k}") if k else "")
    return f


def main() -> int:
    command, path = sys.argv[1], sys.argv[2]
    if command == "dump":
        Path(path).write_bytes(pickle.dumps(_frames()))
        return 0
    sys.path.insert(0, str(Path.cwd() / "bench"))
    from fingerprint import digest

    old = pickle.loads(Path(path).read_bytes())
    different = 0
    for case, frames in _frames().items():
        for name, frame in frames.items():
            mapped, before = _as_text(name, frame), old[case][name]
            for column in mapped.columns:  # mapped text columns in the old frames' text dtype
                if mapped[column].dtype == object or str(mapped[column].dtype).startswith("str"):
                    mapped[column] = mapped[column].astype(before[column].dtype)
            try:
                pd.testing.assert_frame_equal(mapped, before, check_exact=True)
                same = digest(mapped) == digest(before)
            except AssertionError as error:
                print(error)
                same = False
            different += not same
            print(case, name, "identical once worded" if same else "DIFFERENT", flush=True)
    print("all identical" if not different else f"{different} frames differ")
    return 1 if different else 0


if __name__ == "__main__":
    raise SystemExit(main())
