"""The tables the pages show, checked against the results they are built from."""

from __future__ import annotations

from explorer import tables
from simulation import Scenario
from simulation.core.results import Results
from simulation.display.labels import glossary
from simulation.display.params import parameters


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
    assert list(tables.glossary_table()["Term"]) == list(glossary())


def test_parameter_lines_hold_every_parameter_by_group(small_scenario):
    table = tables.parameter_table(small_scenario)
    groups = tables.parameter_lines(table)
    assert sum(lines.count("\n- ") + 1 for _, lines in groups) == len(table)
    assert [name.rsplit(" (", 1)[0] for name, _ in groups] == list(table.iloc[:, 0].unique())
    first = table.iloc[0]
    assert f"**{first.iloc[1]}**" in groups[0][1] and "Source" in groups[0][1]
