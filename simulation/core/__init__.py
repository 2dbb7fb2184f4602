"""The engine core: a scenario in, the simulated plans' tidy results out.

Parameters and the scenario tree (``parameters``, ``scenario``, ``presets``, ``capabilities``,
``kpis``, ``valuation``, ``currency``), the arrays and randomness of a run (``world``, ``random_streams``),
the weekly engine and its parts (``engine``, ``journey``, ``contacts``, ``keys``, ``state``,
``tallies``, ``targeting``, ``personalization``), the outputs (``metrics``, ``segmentation``,
``results``) and the entry point (``api``).
"""
