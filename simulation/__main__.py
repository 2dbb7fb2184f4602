"""``python -m simulation``: the command line (:func:`simulation.cli.main.main`)."""

import sys

from simulation.cli.main import main

sys.exit(main())
