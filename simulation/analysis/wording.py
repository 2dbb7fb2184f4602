"""Numbers in sentences: the short money format used in the analyses' one-line findings."""

from __future__ import annotations


def money(amount: float) -> str:
    """``2.7M``, ``-350k``, ``820``: currency amounts rounded for a sentence."""
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    if size >= 1e6:
        return f"{sign}{size / 1e6:,.1f}M"
    if size >= 1e3:
        return f"{sign}{size / 1e3:,.0f}k"
    return f"{sign}{size:,.0f}"
