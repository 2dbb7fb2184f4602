"""The Streamlit explorer: what the pages share, and each page's cached runs.

``page_list`` (the pages, plain data), ``runs`` (the split plan runs a pool worker is sent),
``tables`` (tables built from results), ``heap`` (freezes what the imports made, so the
collection after every script run stays cheap), ``pool`` (the worker processes every session shares)
and ``worker`` (a worker process's entry module) never import Streamlit. ``state`` (the
session's scenario, the worker pool, the cached results), ``background`` (the pool's jobs
every session shares), ``sidebar``, ``ui`` (headers, KPI cards, the one ``chart``),
``downloads``, ``report_view`` (the report and bundle buttons), ``verdict_view`` (the verdict
panel), ``compare`` (saved scenarios side by side) and the pages' inputs and runs
(``calibration_inputs``, ``decision_runs``, ``calibration_runs``, ``evidence_runs``) draw or
cache. The figures and their text come from :mod:`simulation.display`.
"""
