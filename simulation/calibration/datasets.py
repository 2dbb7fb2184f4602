"""Real transaction data shipped by a package: the CDNOW orders export.

CDNOW (Fader & Hardie): every purchase of the 23,570 customers who made their first purchase
at the online CD shop CDNOW in the first quarter of 1997, followed to the end of June 1998
(78 weeks, 69,659 orders): customer id, date (YYYYMMDD), number of CDs, dollar value, separated
by spaces. It is the data set the BG/NBD paper (Fader, Hardie & Lee 2005) is fitted and checked
on. It is read from the ``lifetimes`` package (MIT licence, pinned in requirements-dev.txt),
which ships it in its wheel; nothing is downloaded at run time. The data itself carries no
licence of its own, so it is not copied into this repository.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

CDNOW_MAPPING = {"customer_id": "customer_id", "timestamp": "date", "amount": "dollar_value",
                 "channel": "const:web"}
"""Column mapping of the CDNOW file for :func:`simulation.calibration.eventlog.validate_events`
(orders only, one online channel)."""


class DatasetMissing(LookupError):
    """The package that ships the data set is not installed."""


def cdnow_path() -> Path:
    """Path of ``CDNOW_master.txt`` inside the installed ``lifetimes`` package.

    The package is not imported: only its files are read.

    Raises
    ------
    DatasetMissing
        ``lifetimes`` is not installed, or the file is missing from it.
    """
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetMissing("the CDNOW data set comes with the lifetimes package: "
                             "pip install lifetimes==0.11.3")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"
    if not path.exists():
        raise DatasetMissing(f"{path} is missing from the installed lifetimes package")
    return path


def cdnow_available() -> bool:
    """Whether the CDNOW file can be read here (see :func:`cdnow_path`)."""
    try:
        cdnow_path()
    except DatasetMissing:
        return False
    return True


@functools.lru_cache(maxsize=1)
def cdnow_csv() -> bytes:
    """The CDNOW file as comma-separated UTF-8 text.

    The original aligns its columns with runs of spaces, which a general reader cannot tell
    from empty fields.
    """
    import pandas as pd

    frame = pd.read_csv(cdnow_path(), sep=r"\s+", dtype=str)
    return frame.to_csv(index=False).encode()
