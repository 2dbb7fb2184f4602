"""Hand-over documents, importable without Streamlit: the verdict, the board report (HTML and
PDF), chart exports with provenance, and the run bundle.

>>> from simulation import Scenario
>>> from simulation.report.build import prepare, write_report
>>> inputs = prepare(Scenario.preset("fashion"))            # simulates and analyses
>>> write_report(inputs, "out/")                            # out/report.html, out/report.pdf

Modules: ``labels`` (plain names), ``verdict``, ``figures`` (exports), ``document`` (HTML),
``pdf`` (Chromium printing), ``build``, ``bundle`` (zip), ``command`` (CLI). This package
imports nothing itself, so ``explorer`` chart modules may use ``labels`` without a cycle.
"""
