"""Switching currency converts every money parameter by the stored, dated rate: never a relabel."""

from __future__ import annotations

import math
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from simulation import Scenario, ScenarioError, simulate
from simulation.core import currency as fx
from simulation.core.kpis import KPI_BY_KEY, Kind
from simulation.inputs import InputError

ROOT = Path(__file__).resolve().parents[3]


def _money_values(scenario: Scenario) -> dict[str, float]:
    return {path: float(getattr(model, name)) for model, name, path in fx.money_fields(scenario)}


def test_rates_file_gives_every_rate_a_date_kind_and_source():
    table = tomllib.loads(fx.RATES_FILE.read_text(encoding="utf-8"))
    assert {"USD", "THB", "VND", "MYR", "EUR"} <= set(table)
    for code, row in table.items():
        assert row["per_usd"] > 0 and row["kind"] and len(row["source"]) > 20, code
        assert len(row["date"]) == 10 and row["date"][:2] == "20", code
    assert fx.rate("USD", "THB") == table["THB"]["per_usd"]
    assert fx.rate("THB", "MYR") == pytest.approx(table["MYR"]["per_usd"] / table["THB"]["per_usd"])


def test_every_money_field_is_found():
    """Every field declared in a currency unit, and nothing else (shares, counts, weeks)."""
    paths = set(_money_values(Scenario.preset("fashion")))
    assert {"market.reach_cost", "segments[0].order_value", "channels[1].fulfilment_cost",
            "channels[0].contact_cost", "business.annual_revenue", "economics.offer_cost",
            "behaviour.return_processing_cost", "capability_costs.inventory.one_off_per_store",
            "capability_costs.identity.cost_per_profile_yearly"} <= paths
    assert not paths & {"market.market_size", "business.orders_per_year", "business.stores",
                        "economics.gross_margin", "segments[0].share"}


@pytest.mark.parametrize("code", ["THB", "VND", "MYR", "EUR"])
def test_switching_currency_multiplies_every_money_parameter_by_the_rate(code):
    usd = Scenario.preset("fashion")
    local = usd.in_currency(code)
    assert local.market.currency == code
    factor = fx.exchange_rate(code).per_usd
    before, after = _money_values(usd), _money_values(local)
    assert before.keys() == after.keys()
    for path, value in before.items():
        assert after[path] == pytest.approx(value * factor, rel=1e-12), path
    # everything that is not money is untouched
    strip = lambda s: {k: v for k, v in s.model_dump().items() if k not in ("market",)}  # noqa: E731
    assert usd.replace(market__currency=code) != local
    assert strip(usd.in_currency(code).in_currency("USD")).keys() == strip(usd).keys()
    assert local.market.market_size == usd.market.market_size and local.seed == usd.seed
    assert local.segments[0].share == usd.segments[0].share


@pytest.mark.parametrize("name", ["fashion", "thai_fashion", "vietnam_fnb"])
def test_round_trip_returns_the_original_values(name):
    original = Scenario.preset(name)
    for code in ("THB", "VND", "MYR", "EUR", "USD"):
        back = original.in_currency(code).in_currency(original.market.currency)
        assert back.market.currency == original.market.currency
        for path, value in _money_values(original).items():
            assert _money_values(back)[path] == pytest.approx(value, rel=1e-12, abs=0), (code, path)
        assert back.canonical_key().count(",") == original.canonical_key().count(",")


def test_json_round_trip_and_link_keep_the_currency():
    local = Scenario.preset("fashion").in_currency("VND")
    assert Scenario.from_json(local.to_json()) == local
    assert Scenario.from_url_token(local.to_url_token()) == local
    assert Scenario.from_json(local.to_json()).market.currency == "VND"


def test_kpis_of_a_converted_scenario_are_the_originals_times_the_rate():
    """Randomness is drawn per person from the seed, never from money, and learned targeting
    reads spend in dollars, so a converted run makes the same decisions: money KPIs scale by the
    rate, shares and counts are equal. Only float rounding separates them: per-person CLV and
    terminal value accumulate in float32 (about 1e-8 relative), hence rtol=1e-7 for money;
    migrated revenue is a difference of per-person float32 spends, where that rounding does not
    cancel (about 1e-7), hence 1e-6 there."""
    usd = Scenario.preset("fashion").replace(market__population=1500, market__horizon_weeks=52)
    code = "THB"
    factor = fx.rate("USD", code)
    a = simulate(usd).kpis
    b = simulate(usd.in_currency(code)).kpis
    assert list(a.index) == list(b.index)
    checked = 0
    for key in a.columns:
        if key not in KPI_BY_KEY:
            continue
        kind = KPI_BY_KEY[key].kind
        x, y = a[key].to_numpy(float), b[key].to_numpy(float)
        if kind is Kind.MONEY:
            rtol = 1e-6 if key == "migrated_revenue" else 1e-7
            np.testing.assert_allclose(y, x * factor, rtol=rtol, atol=1e-6, err_msg=key)
        else:
            np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-12, err_msg=key)
        checked += 1
    assert checked >= 10
    assert b.loc["multichannel", "clv"] == pytest.approx(a.loc["multichannel", "clv"] * factor, rel=1e-7)


def test_unknown_currency_is_one_clear_input_error():
    with pytest.raises(fx.UnknownCurrency) as caught:
        Scenario.preset("fashion").in_currency("XYZ")
    assert isinstance(caught.value, ScenarioError) and isinstance(caught.value, InputError)
    line = caught.value.one_line()
    assert "\n" not in line and "'XYZ' has no exchange rate" in line and "THB" in line
    with pytest.raises(ScenarioError, match="'XYZ' has no exchange rate"):
        Scenario.validated({"market": {"currency": "XYZ"}})


def test_unknown_currency_on_the_command_line_exits_2_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "simulation", "run", "--preset", "fashion",
                           "--population", "200", "--quiet", "--currency", "XYZ"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "'XYZ' has no exchange rate" in done.stderr


def test_money_bounds_follow_the_currency():
    """A bound is declared in dollars: an ordinary dong price passes, an absurd one does not."""
    vnd = Scenario.preset("vietnam_fnb")
    assert vnd.segments[0].order_value > 1000  # far above the dollar bound of a contact cost
    with pytest.raises(ScenarioError, match=r"market.reach_cost: .* is above .* VND"):
        vnd.replace(market__reach_cost=1001 * fx.rate("USD", "VND"))
    with pytest.raises(ScenarioError, match=r"market\.reach_cost: 1001\.0 is above 1,000 USD"):
        Scenario().replace(market__reach_cost=1001.0)


def test_learned_targeting_ranks_the_same_shoppers_in_any_currency():
    """Spend enters the targeting features in dollars: log(1 + spend) in baht would rank the
    same shoppers differently (seen before the fix: journey conversion off by 0.2%)."""
    usd = Scenario.preset("grocery").replace(market__population=1200, market__horizon_weeks=40)
    a = simulate(usd).kpis
    b = simulate(usd.in_currency("VND")).kpis
    for key in ("journey_conversion", "repeat_rate", "loyal_share", "mean_satisfaction"):
        np.testing.assert_allclose(b[key].to_numpy(float), a[key].to_numpy(float), rtol=1e-9)


@pytest.mark.parametrize(("name", "code"), [("thai_fashion", "THB"), ("vietnam_fnb", "VND"),
                                            ("malaysia_small_business", "MYR")])
def test_market_presets_are_in_local_money(name, code):
    scenario = Scenario.preset(name)
    assert scenario.market.currency == code
    factor = fx.rate("USD", code)
    # money stated from local prices, not the US preset converted: the order value is not any
    # US preset's order value times the rate
    usd_values = {s.order_value for p in ("fashion", "grocery", "small_business")
                  for s in Scenario.preset(p).segments}
    assert all(not math.isclose(s.order_value, v * factor, rel_tol=0.01)
               for s in scenario.segments for v in usd_values)
    # a money field the preset leaves out is the default converted, not relabelled
    assert scenario.economics.click_collect_cost == pytest.approx(
        Scenario().economics.click_collect_cost * factor)
