"""The input boundary: everything a person hands the explorer passes through here.

One boundary per kind of input. Each decodes bytes (UTF-8 with or without BOM, UTF-16,
Windows-1252/Latin-1, the encoding reported), limits size before and after decompression and
nesting depth, parses, and either returns a typed value or raises :class:`InputError` listing
specific problems (what, where, why). Nothing else in the project opens a user's file or
parses a user's text:

* :mod:`simulation.inputs.text`: bytes to text, with the encoding found;
* :mod:`simulation.inputs.json_input`: JSON objects with size and depth limits (scenario files,
  uploads and the share link's payload, which carries data only, never a path);
* :mod:`simulation.inputs.csv_input`: delimited tables (event logs), delimiter and decimal
  separator sniffed, read in chunks so memory is bounded by the chunk, not the file;
* :mod:`simulation.inputs.dates`: a date column's format, decided once from a sample;
* :mod:`simulation.inputs.safe_output`: what goes back out (CSV cells that a spreadsheet would
  run as formulas are neutralised, as OWASP recommends);
* :mod:`simulation.inputs.problems`: :class:`InputError`, the one exception type, and the limits.

This package sits below every other layer and imports none of them.
"""

from simulation.inputs.problems import InputError
from simulation.inputs.safe_output import neutralise_cell, safe_csv_bytes, safe_frame, write_safe_csv

__all__ = ["InputError", "neutralise_cell", "safe_csv_bytes", "safe_frame", "write_safe_csv"]
