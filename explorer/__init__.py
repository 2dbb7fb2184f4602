"""UI helpers of the Streamlit explorer: theme, formatting, chart builders, widgets, state.

``theme``, ``format``, ``params``, ``runs``, ``charts`` and ``summary`` never import Streamlit
and are unit-tested on their own; ``state``, ``sidebar``, ``downloads`` and ``ui`` draw.
"""
