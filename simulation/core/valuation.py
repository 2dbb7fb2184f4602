"""Valuation parameters: what a run is valued at, which no simulated decision depends on.

The real market size (how many real people a simulated person stands for), gross margin, the
margin given up by harmonised prices, the costs to serve an order, the business's size (stores)
and the one-off, per-store, per-order and per-profile costs of the integration capabilities and
their budget overrun turn what the simulated people did into market totals and money; none of
them changes what anybody does (capability ramp-up weeks and implementation delay do, so they
are not among them). The engine therefore never reads them: it keeps each person's
discounted net revenue and costs, and :mod:`simulation.core.metrics` applies the scale, the margin
and the integration-cost schedule afterwards. A finished run can thus be valued at other
prices without simulating again (:func:`revalue_run`), which is exact: the numbers equal a
fresh run at those prices. The app answers the margin and integration-cost sliders this way.

The integration-cost schedules (:func:`integration_cost_schedule` and its one-off and running
parts) price each plan's capability levels week by week, in real currency: they read the run's
weekly orders and active customers, never influence them.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.core.scenario import Capability, Scenario
from simulation.core.state import RunOutput
from simulation.core.tallies import Tally
from simulation.core.world import World

_CAPABILITY_PRICES = ("one_off_cost", "one_off_per_store", "running_cost_weekly",
                      "running_per_store_weekly", "cost_per_order", "cost_per_profile_yearly")

VALUATION_PARAMETERS: tuple[str, ...] = (
    "market__market_size",
    "economics__gross_margin",
    "economics__network_fulfilment_cost",
    "economics__click_collect_share",
    "economics__click_collect_cost",
    "economics__pickup_addon_share",
    "economics__pickup_addon_value",
    "economics__stock_cover_weeks",
    "economics__safety_stock_share",
    "economics__holding_cost_yearly",
    "economics__pooling_realised_share",
    "economics__service_contact_cost",
    "economics__harmonisation_margin_cost",
    "economics__terminal_value_share",
    "business__stores",
    "business__annual_revenue",
    "business__orders_per_year",
    "implementation_risk__one_off_overrun",
    "implementation_risk__overrun_low",
    "implementation_risk__overrun_high",
    "implementation_risk__delay_low_weeks",
    "implementation_risk__delay_high_weeks",
    "channels__*__fulfilment_cost",
    *(f"capability_costs__{capability.value}__{cost}"
      for capability in Capability for cost in _CAPABILITY_PRICES),
)
"""Scenario parameters (``Scenario.replace`` paths; ``*`` = every element of a list) that only
value a run."""

_FIXED: dict[str, Any] = {name: 0 for name in VALUATION_PARAMETERS} | {
    "market__market_size": 1_000_000}


def _paths(data: dict[str, Any], path: str) -> list[tuple[Any, str]]:
    """(container, key) of every value ``path`` names in dumped scenario ``data``."""
    *parents, leaf = path.split("__")
    targets: list[Any] = [data]
    for part in parents:
        if part == "*":
            targets = [item for target in targets for item in target]
        else:
            targets = [target[part] for target in targets]
    return [(target, leaf) for target in targets]


def _with(scenario: Scenario, values: dict[str, Any] | Scenario) -> Scenario:
    data = scenario.model_dump(mode="python")
    source = values.model_dump(mode="python") if isinstance(values, Scenario) else {}
    for path in VALUATION_PARAMETERS:
        places = _paths(data, path)
        if isinstance(values, Scenario):
            if len(_paths(source, path)) != len(places):
                return Scenario.validated(source)  # another channel list: nothing to keep
            for (target, leaf), (origin, _) in zip(places, _paths(source, path), strict=True):
                target[leaf] = origin[leaf]
        else:
            for target, leaf in places:
                target[leaf] = values[path]
    return Scenario.validated(data)


_PARTS: OrderedDict[str, Scenario] = OrderedDict()
"""Recent :func:`simulated_part` results by the scenario's canonical key (a few dozen kB)."""
_PARTS_MAX = 64
_PARTS_LOCK = threading.Lock()


def simulated_part(scenario: Scenario) -> Scenario:
    """``scenario`` with every valuation parameter at a fixed value.

    Two scenarios that differ only in valuation parameters have the same simulated part (and
    simulate identically). Remembered for the last few scenarios: the app's cache keys and
    every valuation ask for it several times per run, and building it validates a whole
    scenario (scenarios are immutable, so equal keys give an equal part).
    """
    key = scenario.canonical_key()
    with _PARTS_LOCK:
        found = _PARTS.get(key)
        if found is not None:
            _PARTS.move_to_end(key)
            return found
    found = _with(scenario, _FIXED)
    with _PARTS_LOCK:
        _PARTS[key] = found
        while len(_PARTS) > _PARTS_MAX:
            _PARTS.popitem(last=False)
    return found


def with_prices_of(scenario: Scenario, priced: Scenario) -> Scenario:
    """``scenario`` with the valuation parameters of ``priced``."""
    return _with(scenario, priced)


def revalue_run(run: RunOutput, scenario: Scenario) -> RunOutput:
    """``run`` valued at ``scenario``'s prices.

    Raises ``ValueError`` unless ``scenario`` differs from the run's own scenario only in
    valuation parameters.
    """
    if simulated_part(scenario) != simulated_part(run.world.scenario):
        raise ValueError("the scenario differs from the run's in more than its valuation "
                         "parameters (market size, margins, costs to serve, capability costs, "
                         "business size); simulate it instead")
    return dataclasses.replace(run, world=dataclasses.replace(run.world, scenario=scenario))


def one_off_cost_schedule(world: World) -> NDArray[np.float64]:
    """(P, T) one-off integration spend per week in real currency.

    A capability's one-off cost at full level is fixed + per store x stores, times 1 + the
    programme's overrun; a plan pays it x (level - level already in place, if positive), spread
    evenly over the implementation delay and the capability's ramp-up (paid in the first week
    when both are 0).
    """
    scenario = world.scenario
    horizon = scenario.market.horizon_weeks
    weeks = np.arange(horizon)
    stores = scenario.business.stores
    overrun = 1.0 + scenario.implementation_risk.one_off_overrun
    delay = scenario.implementation_risk.delay_weeks
    cost = np.zeros((len(world.plan_names), horizon))
    for i, capability in enumerate(Capability):
        price = scenario.capability_costs.of(capability)
        span = max(delay + price.ramp_weeks, 1)
        total = (price.one_off_cost + price.one_off_per_store * stores) * overrun
        one_off = np.where(weeks < span, total / span, 0.0)
        built = np.maximum(world.levels[:, i : i + 1] - world.existing_capabilities[i], 0.0)
        cost += built * one_off[None, :]
    return cost


def running_cost_schedule(world: World, weekly: NDArray[np.float64]) -> NDArray[np.float64]:
    """(P, T) running integration cost per week in real currency, from week 0.

    Per capability at full level: fixed + per store x stores every week, + per order x the
    plan's orders that week, + per profile / 52 x its active customers that week; a plan pays
    it x its level. ``weekly`` is the run's (P, T, tallies) counters (simulated people, scaled
    here to the market).
    """
    scenario = world.scenario
    stores = scenario.business.stores
    orders = weekly[:, :, Tally.PURCHASES] * scenario.scale
    profiles = weekly[:, :, Tally.ACTIVE_CUSTOMERS] * scenario.scale
    cost = np.zeros(orders.shape)
    for i, capability in enumerate(Capability):
        price = scenario.capability_costs.of(capability)
        per_week = (price.running_cost_weekly + price.running_per_store_weekly * stores
                    + price.cost_per_order * orders + price.cost_per_profile_yearly / 52 * profiles)
        cost += world.levels[:, i : i + 1] * per_week
    return cost


def stock_saving_schedule(world: World, net_revenue: NDArray[np.float64]) -> NDArray[np.float64]:
    """(P, T) holding cost of safety stock saved each week by pooled stock, in real currency.

    Pooling the stock of n locations with independent demand cuts the safety stock needed for
    the same fill rate by a factor sqrt(n) (Eppen 1979, the square-root law). A plan's stock is
    ``stock_cover_weeks`` of its own weekly net sales, ``safety_stock_share`` of it safety
    stock, held at ``holding_cost_yearly`` / 52 a week; the saving is that cost x (1 -
    1/sqrt(stores)) x ``pooling_realised_share`` x the plan's inventory level that week (it
    phases in with the capability). 0 with at most one store. ``net_revenue`` is the run's
    (P, T) net revenue in real currency.
    """
    scenario = world.scenario
    stores = scenario.business.stores
    if stores <= 1:
        return np.zeros(net_revenue.shape)
    e = scenario.economics
    inventory = list(Capability).index(Capability.INVENTORY)
    level = _effective_levels(world, net_revenue.shape[1], inventory)
    per_revenue = (e.stock_cover_weeks * e.safety_stock_share * e.holding_cost_yearly / 52
                   * (1.0 - 1.0 / np.sqrt(stores)) * e.pooling_realised_share)
    return level * per_revenue * net_revenue  # type: ignore[no-any-return]


def _effective_levels(world: World, horizon: int, capability: int) -> NDArray[np.float64]:
    """(P, T) level of ``capability`` in force each week.

    :meth:`World.effective_levels` for every week at once (the same arithmetic, element by element).
    """
    existing = world.existing_capabilities[capability]
    ramp = world.ramp_weeks[capability]
    since = np.arange(horizon) - world.delay_weeks
    phase = np.minimum(1.0, since / np.maximum(ramp, 1)) if ramp > 0 else np.ones(horizon)
    planned = world.levels[:, capability : capability + 1]
    level = existing + (planned - existing) * phase[None, :]
    level[:, since < 0] = existing
    return level  # type: ignore[no-any-return]


def integration_cost_schedule(world: World, weekly: NDArray[np.float64]) -> NDArray[np.float64]:
    """(P, T) integration spend per week in real currency: one-off plus running."""
    return one_off_cost_schedule(world) + running_cost_schedule(world, weekly)


__all__ = ["VALUATION_PARAMETERS", "integration_cost_schedule", "one_off_cost_schedule", "revalue_run",
           "running_cost_schedule", "simulated_part", "stock_saving_schedule", "with_prices_of"]
