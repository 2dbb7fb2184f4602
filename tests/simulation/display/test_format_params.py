"""Formatting for people, and the parameter list the sidebar and method page are built from."""

from __future__ import annotations

import math

import pytest

from simulation import Scenario, ScenarioError
from simulation.core.parameters import field_info
from simulation.display import format as fmt
from simulation.display.params import parameters, value_at, with_values


@pytest.mark.parametrize(("value", "currency", "expected"), [
    (17_722_470, "USD", "$17.7M"), (-2_680_000, "USD", "-$2.68M"), (999_400, "EUR", "€999k"),
    (64.58, "GBP", "£64.58"), (2.5e9, "USD", "$2.50bn"), (1500, "SEK", "SEK 1.50k"),
    (math.nan, "USD", "n/a"), (0, "USD", "$0"),
])
def test_money(value, currency, expected):
    assert fmt.money(value, currency) == expected


def test_percent_points_counts_and_weeks():
    assert fmt.percent(0.5571) == "55.7%"
    assert fmt.percent(0.047, signed=True) == "+4.7%"
    assert fmt.points(0.0281) == "+2.8 pp"
    assert fmt.count(278_325) == "278k"
    assert fmt.count(278_325, exact=True) == "278,325"
    assert fmt.week(92) == "week 92 (1.8 years)"
    assert fmt.week(math.nan) == "not within horizon"
    assert fmt.axis_scale([1.7e7, -3e6]) == (1e6, "millions")
    assert fmt.money_axis_title("NPV", "EUR", "millions") == "NPV (EUR millions)"


def test_parameters_cover_every_declared_field_once(default_scenario: Scenario):
    params = parameters(default_scenario)
    keys = [p.widget_key for p in params]
    assert len(keys) == len(set(keys))
    paths = {p.info.path for p in params}
    for section in ("market", "behaviour", "economics", "business", "implementation_risk"):
        model = getattr(default_scenario, section)
        for name, field in type(model).model_fields.items():
            if isinstance(field.json_schema_extra, dict) and "unit" in field.json_schema_extra:
                assert f"{section}.{name}" in paths
    n_channels, n_segments = len(default_scenario.channels), len(default_scenario.segments)
    assert sum(p.group.startswith("Channel:") for p in params) == n_channels * 9
    assert sum("channel_preference" in p.info.path for p in params) == n_channels * n_segments


def test_parameter_metadata_comes_from_the_declaration(default_scenario: Scenario):
    param = next(p for p in parameters(default_scenario) if p.info.path == "market.horizon_weeks")
    assert param.info == field_info(default_scenario.market, "horizon_weeks", "market.horizon_weeks")
    assert param.integer and "Source:" in param.help and "Unit: weeks" in param.help


def test_with_values_edits_nested_values_and_validates(default_scenario: Scenario):
    edited = with_values(default_scenario, {("channels", 1, "conversion"): 0.2,
                                            ("segments", 0, "channel_preference", "web"): 0.3})
    assert edited.channels[1].conversion == 0.2
    assert edited.segments[0].channel_preference["web"] == 0.3
    assert value_at(edited, ("channels", 1, "conversion")) == 0.2
    with pytest.raises(ScenarioError, match="shares add up to"):
        with_values(default_scenario, {("segments", 0, "share"): 0.9})


@pytest.mark.parametrize(("value", "currency", "locale", "expected"), [
    (85.82, "USD", "en", "$85.82"), (17_722_470, "USD", "en", "$17.7M"),
    (85.82, "THB", "th", "฿85.82"), (2_856.5, "THB", "th", "฿2.86k"),
    (85.82, "THB", "en", "THB 85.82"),
    (2_158_470.6, "VND", "vi", "2,16M\xa0₫"), (85.82, "VND", "vi", "86\xa0₫"),
    (65_000, "VND", "vi", "65,0k\xa0₫"),
    (1_234_567, "VND", "vi", "1.234.567\xa0₫"),
    (45.5, "MYR", "ms", "RM 45.50"), (-1_500.0, "MYR", "ms", "-RM 1.50k"),
    (64.58, "EUR", "de", "64,58\xa0€"), (999_400, "EUR", "en", "€999k"),
])
def test_money_by_currency_and_locale(value, currency, locale, expected):
    """Symbol and its side from CLDR (Babel), the currency's own decimals (none for VND)."""
    exact = value == 1_234_567
    assert fmt.money(value, currency, locale=locale, exact=exact) == expected


def test_money_follows_the_active_language():
    from simulation.display.text import languages, use_language
    if "th" not in languages():
        pytest.skip("no Thai catalog on this branch")
    with use_language("th"):
        assert fmt.money(85.82, "THB") == "฿85.82"
