"""The BG/NBD-style drop-out after a repeat purchase: neutral at 0, and it moves only what follows
a repeat purchase (first and second purchases and conversion are unchanged; later buying falls)."""

from __future__ import annotations

import numpy as np

from simulation import CapabilityLevels, Scenario
from simulation.core.api import simulate_plans


def _run(scenario: Scenario, p: float):
    s = scenario.replace(behaviour__dropout_after_purchase=p)
    return simulate_plans(s, {"current": CapabilityLevels.uniform(0.0)}, segments=False)


def test_zero_is_bit_identical_and_a_positive_share_cuts_repeat_buying_only() -> None:
    # No targeted offers: the learned targeting reads purchases, so it would carry the change
    # to other people's first purchases.
    base = Scenario.preset("benchmark_retailer").replace(
        market__population=3000, market__horizon_weeks=60, economics__offers_per_week_share=0.0,
        market__existing_customer_share=0.0)  # (an existing customer's first purchase here is a repeat)
    plain = simulate_plans(base, {"current": CapabilityLevels.uniform(0.0)}, segments=False)
    zero, quits = _run(base, 0.0), _run(base, 0.4)
    assert plain.kpis.equals(zero.kpis)
    np.testing.assert_array_equal(plain.customers["purchases"], zero.customers["purchases"])
    k0, k1 = zero.kpis.loc["current"], quits.kpis.loc["current"]
    # First purchases happen before the drop-out can act; the draws of first journeys are shared.
    assert k1["conversion_rate"] == k0["conversion_rate"]
    # (not purchases_per_customer_year: that is per active week, and quitters stop counting)
    # As in BG/NBD the drop-out follows repeat purchases only: who buys a second time is
    # unchanged, buying after the second falls.
    def bought(r, n: int) -> int:
        return int((r.customers["purchases"] >= n).sum())

    def later(r) -> int:
        return int((r.customers["purchases"] - 2).clip(lower=0).sum())

    assert bought(quits, 2) == bought(zero, 2)
    assert later(quits) < 0.7 * later(zero)
    assert k1["repeat_12m"] == k0["repeat_12m"]
