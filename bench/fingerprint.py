"""Fingerprint every frame of the six presets, a 60k-person run and the calibration-only mechanisms.

Usage: python bench/fingerprint.py [--out FILE]   (run from the project root)
Two commits that print the same digests give bit-for-bit identical outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path.cwd()))

from simulation import Scenario, simulate

PRESETS = ["banking", "benchmark_retailer", "electronics", "fashion", "grocery", "small_business"]


def digest(frame: pd.DataFrame) -> str:
    values = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=True).to_numpy()
    head = "|".join(map(str, frame.columns)) + "|" + "|".join(map(str, frame.dtypes))
    return hashlib.sha256(head.encode() + values.tobytes()).hexdigest()[:16]


def case_frames() -> Iterator[tuple[str, dict[str, pd.DataFrame]]]:
    """(case name, every frame by name) for the six presets, a 60k-person run and the mechanisms
    only a calibration turns on (no preset does: the new-customer boost, drop-out after a purchase,
    people's own repeat propensity and spend)."""
    cases = {name: Scenario.preset(name) for name in PRESETS}
    cases["benchmark_retailer_60k"] = Scenario.preset("benchmark_retailer").replace(
        market__population=60_000)
    cases["benchmark_retailer_calibrated_mechanisms"] = Scenario.preset("benchmark_retailer").replace(
        behaviour__new_customer_intent_boost=0.8, behaviour__dropout_after_purchase=0.1,
        behaviour__repeat_propensity_heterogeneity=0.5, behaviour__repeat_propensity_correlation=0.5,
        behaviour__spend_heterogeneity=0.5)
    for name, scenario in cases.items():
        results = simulate(scenario)
        frames = dict(results.frames())
        frames["customers"] = results.customers
        for key, frame in sorted(results.extras.items()):
            if isinstance(frame, pd.DataFrame):
                frames["extras." + key] = frame
        yield name, frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    args = parser.parse_args()
    out = {}
    for name, frames in case_frames():
        out[name] = {key: digest(frame) for key, frame in sorted(frames.items())}
        print(name, len(frames), "frames", flush=True)
    text = json.dumps(out, indent=1, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
