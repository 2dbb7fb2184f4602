"""The Streamlit explorer: what the pages share, and each page's cached runs.

``page_list`` (the pages, plain data), ``runs`` (the split plan runs a pool worker is sent) and
``tables`` (tables built from results) never import Streamlit. ``state`` (the session's
scenario, the worker pool, the cached results), ``sidebar``, ``ui`` (headers, KPI cards, the one
``chart``), ``downloads`` and the pages' runs (``decision_runs``, ``calibration_runs``,
``evidence_runs``) draw or cache. The figures and their text come from
:mod:`simulation.display`.
"""
