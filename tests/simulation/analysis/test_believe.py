"""What you would have to believe: thresholds where the gain is 0, and the break-even map."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import Scenario, simulate
from simulation.analysis import believe as believe_module
from simulation.analysis.believe import at_size, believe, hybrid_candidates
from simulation.analysis.ranges import RangeSpec, resolve_range, with_values
from simulation.analysis.runs import Execution, PlanTask, run_plan_task

SPECS = (RangeSpec("behaviour.siloed_context_kept", 0.2, 1.0),
         RangeSpec("implementation_risk.one_off_overrun", 0.0, 2.0))


@pytest.fixture(scope="module")
def marginal(default_scenario: Scenario) -> Scenario:
    """A business small enough that integrating is a close call."""
    scenario = default_scenario.replace(market__population=2500, market__horizon_weeks=104)
    return at_size(scenario, 0.35)


@pytest.fixture(scope="module")
def result(marginal: Scenario):
    return believe(marginal, specs=SPECS, execution=Execution(n_jobs=1))


def test_each_reported_threshold_is_a_zero_or_a_located_step_of_the_gain(result, marginal):
    """A threshold is either where the gain is 0 within the tolerance, or, where the finite
    population makes the gain jump over zero by more than that, a bracket narrower than the
    search's resolution with the gain's sign on each side confirmed by simulating there."""
    found = result.thresholds.dropna(subset=["threshold"])
    assert len(found) >= 2, result.thresholds[["label", "plan", "gain_low", "gain_high"]]
    plans = {"multichannel": (0.0,) * 6, "omnichannel": (1.0,) * 6, result.hybrid: result.hybrid_levels}
    for row in found.itertuples():
        assert row.status in ("converged", "step"), row
        r = resolve_range(marginal, next(s for s in SPECS if s.path == row.parameter))
        width = r.high[0] - r.low[0]

        def gain_at(value: float, row=row, r=r, width=width) -> float:
            run = run_plan_task(PlanTask.of(with_values(marginal, [(r, (value - r.low[0]) / width)]), plans))
            return float(run.kpis.loc[row.plan, "npv_gain"])

        tolerance = 0.01 * abs(row.gain_high - row.gain_low)
        if row.status == "converged":
            assert abs(gain_at(row.threshold)) <= tolerance + 1e-6, (row.label, row.plan, row.threshold)
        else:
            assert row.bracket_high - row.bracket_low <= believe_module.RESOLUTION_SHARE * width + 1e-12
            below, above = gain_at(row.bracket_low), gain_at(row.bracket_high)
            assert (below, above) == pytest.approx((row.gain_below, row.gain_above))
            assert np.sign(below) != np.sign(above)
            assert min(abs(below), abs(above)) > tolerance * 0.5  # the step is real
        # The threshold separates the two signs of the gain.
        assert np.sign(row.gain_low) != np.sign(row.gain_high)


def _search(gain, base_u: float = 0.5):
    """search_thresholds on one made-up gain curve of one plan."""
    curve = {(0, "p"): {float(u): gain(float(u)) for u in np.linspace(0, 1, believe_module.GRID_POINTS)}}
    curve[(0, "p")].setdefault(base_u, gain(base_u))
    calls: list[int] = []

    def evaluate(points):
        calls.append(len(points))
        return [{"p": gain(u)} for _, u in points]

    brackets = believe_module.search_thresholds(curve, [base_u], evaluate)
    points = curve[(0, "p")]
    return brackets[(0, "p")], believe_module._status(points, brackets[(0, "p")]), calls, points


def test_the_search_converges_on_a_smooth_gain():
    bracket, status, calls, _ = _search(lambda u: 100.0 * (0.37 - u) ** 3 + 10 * (0.37 - u))
    assert status == "converged" and len(calls) <= believe_module.MAX_ROUNDS
    assert min(bracket) <= 0.37 + 1e-3 and max(bracket) >= 0.37 - 1e-3


def test_a_step_over_zero_larger_than_the_tolerance_is_located_not_left_unresolved():
    """A gain made of steps 3% of its swing high, crossing zero between two steps: no value makes
    it 0 within 1%, so regula falsi alone never converges; the search locates the jump."""
    def gain(u: float) -> float:
        return 45.0 - 100.0 * np.floor(u * 33.0) / 33.0 - 1.0

    bracket, status, _, points = _search(gain)
    assert status == "step"
    low, high = bracket
    assert high - low <= believe_module.RESOLUTION_SHARE
    assert np.sign(points[low]) != np.sign(points[high])
    jump = np.floor(low * 33.0) != np.floor(high * 33.0)
    assert jump  # the bracket holds the step's edge


def test_a_gain_that_keeps_its_sign_has_no_threshold():
    bracket, status, calls, _ = _search(lambda u: 5.0 + u)
    assert bracket is None and status == "none" and calls == []


def test_the_break_even_map_spans_sizes_on_both_sides_of_the_line(result):
    omni = result.size_map.query("strategy == 'omnichannel'")
    assert set(omni["value"]) and omni["annual_revenue"].nunique() >= 5
    smallest = omni[omni["annual_revenue"] == omni["annual_revenue"].min()]
    largest = omni[omni["annual_revenue"] == omni["annual_revenue"].max()]
    assert (smallest["npv_gain"] < 0).all()  # fixed costs: a small shop does not integrate
    assert (largest["npv_gain"] > 0).all()
    # Larger businesses gain more at every value of the assumption.
    for _, rows in omni.groupby("value"):
        gains = rows.sort_values("annual_revenue")["npv_gain"].to_numpy()
        assert np.all(np.diff(gains) > 0)


def test_hybrids_are_partial_plans(marginal: Scenario):
    for levels in hybrid_candidates(marginal).values():
        assert 0 < sum(levels) < 6


def test_penalties_shrinking_to_none_lower_the_omnichannel_gain_monotonically(default_scenario):
    """Context kept -> 1, abandonment on lost context -> 0, differing offers -> 0 together."""
    scenario = default_scenario.replace(market__population=4000, market__horizon_weeks=104)
    b = scenario.behaviour
    gains, frames = [], []
    for t in (0.0, 1 / 3, 2 / 3, 1.0):
        penalised = scenario.replace(
            behaviour__siloed_context_kept=b.siloed_context_kept + t * (1 - b.siloed_context_kept),
            behaviour__lost_context_abandon_share=b.lost_context_abandon_share * (1 - t),
            behaviour__conflict_rate=b.conflict_rate * (1 - t))

        results = simulate(penalised)
        gains.append(float(results.kpis.loc["omnichannel", "npv_gain"]))
        frames.append(results.mechanisms)
    assert np.all(np.diff(gains) < 0), gains
    # With no penalty left, the siloed mechanisms report no lost context or conflicts, and the
    # remaining gain is carried by the others (stock-outs, over-messaging, returns, offers).
    none = frames[-1].set_index(["strategy", "mechanism"])["events"]
    assert none[("multichannel", "lost_context")] == 0
    assert none[("multichannel", "journey_conflict")] == 0
    assert none[("multichannel", "stock_out")] > none[("omnichannel", "stock_out")]


def test_estimate_is_a_positive_number_of_seconds(marginal: Scenario):
    from simulation.analysis.believe import estimate_believe_seconds

    seconds = estimate_believe_seconds(marginal, SPECS, n_jobs=1)
    assert 0 < seconds < 3600


def test_believe_command_prints_thresholds_and_writes_the_map(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    scenario = tmp_path / "shop.json"
    Scenario.preset("small_business").replace(
        market__population=500, market__horizon_weeks=40).to_json(scenario)
    done = subprocess.run(
        [sys.executable, "-m", "simulation", "believe", "--scenario", str(scenario), "--quiet",
         "--jobs", "1", "--out", str(tmp_path / "out")],
        cwd=Path(__file__).resolve().parents[3], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Best hybrid at today's values" in done.stdout
    assert (tmp_path / "out" / "believe_size_map.csv").stat().st_size > 0
    assert (tmp_path / "out" / "believe_thresholds.csv").stat().st_size > 0
