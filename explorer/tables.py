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


def customers_lost_to_churn(results: Results) -> pd.Series:
    """Customers each plan lost to over-messaging churn (scaled to the market), by plan key."""
    losses = results.losses
    return losses[losses["unit"] == "customers"].set_index("strategy")["lost"]


def parameter_table(scenario: Scenario) -> pd.DataFrame:
    """Every parameter of ``scenario`` with its group, value, unit, meaning and source.

    Values are shown plainly (``0.35``, ``20,000``), the seed in full so it can be copied.
    """
    return pd.DataFrame([{
        "Group": p.group, "Parameter": p.info.label,
        "Value": str(p.info.value) if p.info.path == "seed" else fmt.plain(p.info.value),
        "Unit": p.info.unit,
        "Meaning": p.info.meaning, "Source": p.info.source,
    } for p in parameters(scenario)])


def glossary_table() -> pd.DataFrame:
    """The glossary's terms and their meanings, in the glossary's order."""
    terms = glossary()
    return pd.DataFrame({"Term": list(terms), "Meaning": list(terms.values())})
