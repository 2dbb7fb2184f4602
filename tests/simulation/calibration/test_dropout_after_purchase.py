"""The BG/NBD-style drop-out after a purchase: neutral at 0, and it moves only what follows a
purchase (first purchases and conversion are unchanged; repeat buying falls)."""

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
        market__population=3000, market__horizon_weeks=60, economics__offers_per_week_share=0.0)
    plain = simulate_plans(base, {"current": CapabilityLevels.uniform(0.0)}, segments=False)
    zero, quits = _run(base, 0.0), _run(base, 0.4)
    assert plain.kpis.equals(zero.kpis)
    np.testing.assert_array_equal(plain.customers["purchases"], zero.customers["purchases"])
    k0, k1 = zero.kpis.loc["current"], quits.kpis.loc["current"]
    # First purchases happen before the drop-out can act; the draws of first journeys are shared.
    assert k1["conversion_rate"] == k0["conversion_rate"]
    # (not purchases_per_customer_year: that is per active week, and quitters stop counting)
    def repeats(r) -> int:
        bought = r.customers["purchases"]
        return int((bought - (bought > 0)).sum())

    assert repeats(quits) < 0.7 * repeats(zero)
    assert k1["repeat_12m"] < k0["repeat_12m"]
