"""The display layer: every text a person reads, number formats and the chart builders (no Streamlit)."""
