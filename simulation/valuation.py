"""Valuation parameters: what a run is valued at, which no simulated decision depends on.

The real market size (how many real people a simulated person stands for), gross margin and the
one-off and running costs of the integration capabilities turn what the simulated people did
into market totals and money; none of them changes what anybody does (capability ramp-up weeks
do, so they are not among them). The engine therefore never reads them: it keeps each person's
discounted net revenue and costs, and :mod:`simulation.metrics` applies the scale, the margin
and the integration-cost schedule afterwards. A finished run can thus be valued at other
prices without simulating again (:func:`revalue_run`), which is exact: the numbers equal a
fresh run at those prices. The app answers the margin and integration-cost sliders this way.
"""

from __future__ import annotations

import dataclasses

from simulation.engine import RunOutput
from simulation.scenario import Capability, Scenario

VALUATION_PARAMETERS: tuple[str, ...] = (
    "market__market_size",
    "economics__gross_margin",
    *(f"capability_costs__{capability.value}__{cost}"
      for capability in Capability for cost in ("one_off_cost", "running_cost_weekly")),
)
"""Scenario parameters (``Scenario.replace`` paths) that only value a run."""

_FIXED_PRICES: dict[str, float | int] = {name: 0.0 for name in VALUATION_PARAMETERS} | {
    "market__market_size": 1_000_000}


def simulated_part(scenario: Scenario) -> Scenario:
    """``scenario`` with every valuation parameter at a fixed value: two scenarios that differ
    only in valuation parameters have the same simulated part (and simulate identically)."""
    return scenario.replace(**_FIXED_PRICES)


def with_prices_of(scenario: Scenario, priced: Scenario) -> Scenario:
    """``scenario`` with the valuation parameters of ``priced``."""
    return scenario.replace(**{name: _value_at(priced, name) for name in VALUATION_PARAMETERS})


def _value_at(scenario: Scenario, path: str) -> float | int:
    value: object = scenario
    for part in path.split("__"):
        value = getattr(value, part)
    return value  # type: ignore[return-value]


def revalue_run(run: RunOutput, scenario: Scenario) -> RunOutput:
    """``run`` valued at ``scenario``'s prices.

    Raises ``ValueError`` unless ``scenario`` differs from the run's own scenario only in
    valuation parameters.
    """
    if simulated_part(scenario) != simulated_part(run.world.scenario):
        raise ValueError("the scenario differs from the run's in more than market size, gross "
                         "margin and capability costs; simulate it instead")
    return dataclasses.replace(run, world=dataclasses.replace(run.world, scenario=scenario))


__all__ = ["VALUATION_PARAMETERS", "revalue_run", "simulated_part", "with_prices_of"]
