"""The tables the pages show, checked against the results they are built from."""

from __future__ import annotations

from explorer import tables
from simulation import Scenario, simulate
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display import theme
from simulation.display.labels import GLOSSARY
from simulation.display.params import parameters


def test_investment_totals_show_costs_as_negative_money_and_gains_against_multichannel(
    small_results: Results,
):
    table = tables.investment_totals(small_results)
    kpis, currency = small_results.kpis, small_results.scenario.market.currency
    assert list(table.columns) == [theme.plan_label(p) for p in kpis.index]
    omni = theme.plan_label("omnichannel")
    assert table.loc["Integration cost (one-off and running)", omni] == fmt.money(
        -kpis.loc["omnichannel", "integration_cost"], currency)
    assert table.loc["NPV gain vs. multichannel", omni] == fmt.money(
        kpis.loc["omnichannel", "npv_gain"], currency, signed=True)
    multi = theme.plan_label("multichannel")
    assert table.loc["NPV gain vs. multichannel", multi] == "baseline"
    assert table.loc["ROI on integration", multi] == table.loc["Payback", multi] == "n/a"
    assert "NPV" in table.index  # no terminal value in this scenario: plain NPV


def test_the_npv_row_says_when_it_includes_the_terminal_value(small_scenario: Scenario):
    results = simulate(small_scenario.replace(economics__terminal_value_share=1.0,
                                              market__population=1000, market__horizon_weeks=52))
    assert "NPV incl. terminal value" in tables.investment_totals(results).index


def test_customers_lost_to_churn_are_the_losses_counted_in_customers(small_results: Results):
    lost = tables.customers_lost_to_churn(small_results)
    assert set(lost.index) == set(small_results.kpis.index)
    rows = small_results.losses[small_results.losses["unit"] == "customers"]
    assert lost.sum() == rows["lost"].sum()


def test_parameter_table_has_every_parameter_and_the_seed_in_full(small_scenario: Scenario):
    table = tables.parameter_table(small_scenario.replace(seed=1234567))
    assert list(table.columns) == ["Group", "Parameter", "Value", "Unit", "Meaning", "Source"]
    assert len(table) == len(parameters(small_scenario))
    assert "1234567" in set(table["Value"])  # not "1,234,567": the seed is copied as typed


def test_glossary_table_keeps_the_glossary_order():
    assert list(tables.glossary_table()["Term"]) == list(GLOSSARY)
