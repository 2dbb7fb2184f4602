"""The Evidence page's run: the published figures measured in the shipped presets.

The table depends on the presets alone (never on the session's scenario), so it is computed once
for every session and kept.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation.calibration.evidence import evidence_table


@st.cache_data(max_entries=2, show_spinner=False)
def table() -> pd.DataFrame:
    """Every evidence row beside the model's figure, measured the way its study measured it.

    Returns
    -------
    pandas.DataFrame
        :func:`simulation.calibration.evidence.evidence_table` with each preset's own population.
    """
    return evidence_table()
