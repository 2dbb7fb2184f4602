"""Tables the pages show, built from a scenario or its results (no Streamlit).

Pages draw them; building them here keeps the pages to collecting inputs and drawing, and lets
the tests check the tables without a page.
"""

from __future__ import annotations

import pandas as pd

from simulation import Scenario
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display.labels import glossary
from simulation.display.params import parameters
from simulation.display.text import text


def customers_lost_to_churn(results: Results) -> pd.Series:
    """Customers each plan lost to over-messaging churn (scaled to the market), by plan key."""
    losses = results.losses
    return losses[losses["unit"] == "customers"].set_index("strategy")["lost"]


def parameter_table(scenario: Scenario) -> pd.DataFrame:
    """Every parameter of ``scenario`` with its group, value, unit, meaning and source.

    Values are shown plainly (``0.35``, ``20,000``), the seed in full so it can be copied.
    """
    return pd.DataFrame([{
        text("method.column_group"): p.group, text("method.column_parameter"): p.info.label,
        text("method.column_value"): str(p.info.value) if p.info.path == "seed" else fmt.plain(p.info.value),
        text("method.column_unit"): p.info.unit,
        text("method.column_meaning"): p.info.meaning, text("method.column_source"): p.info.source,
    } for p in parameters(scenario)])


def parameter_lines(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The rows of :func:`parameter_table` by group: (group with its count, Markdown list).

    A line reads "**Label**: value unit. Meaning. *Source: ...*", escaped.
    """
    group, label, value, unit, meaning, source = table.columns
    out = []
    for name, rows in table.groupby(group, sort=False):
        lines = [f"- **{fmt.escaped(row[label])}**: "
                 f"{fmt.escaped(' '.join(str(x) for x in (row[value], row[unit]) if str(x)))}. "
                 f"{fmt.escaped(str(row[meaning]).rstrip('. '))}. "
                 f"*{fmt.escaped(source)}: {fmt.escaped(row[source])}*"
                 for _, row in rows.iterrows()]
        out.append((f"{name} ({len(rows)})", "\n".join(lines)))
    return out


def glossary_table() -> pd.DataFrame:
    """The glossary's terms and their meanings, in the glossary's order."""
    terms = glossary()
    return pd.DataFrame({text("method.column_term"): list(terms),
                         text("method.column_meaning"): list(terms.values())})
