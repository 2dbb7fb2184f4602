"""Hand-over documents, importable without Streamlit.

The verdict, the board report (HTML and PDF), chart exports with provenance, and the run
bundle.

>>> from simulation import Scenario
>>> from simulation.report.build import prepare, write_report
>>> inputs = prepare(Scenario.preset("fashion"))            # simulates and analyses
>>> write_report(inputs, "out/")                            # out/report.html, out/report.pdf

Modules: ``verdict``, ``figures`` (exports), ``document`` (HTML), ``pdf`` (Chromium
printing), ``build``, ``bundle`` (zip). Plain names come from :mod:`simulation.display.labels`;
the commands are in :mod:`simulation.cli.report_commands`. This package imports nothing itself,
so importing one module does not load the others.
"""
