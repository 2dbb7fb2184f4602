"""Numbers for people: currency, percentages, thousands, weeks; NaN becomes "n/a"."""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥",
                    "AUD": "A$", "CAD": "C$", "CHF": "CHF ", "SEK": "SEK ", "NOK": "NOK ",
                    "DKK": "DKK ", "BRL": "R$"}
_SCALES = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))
NOT_AVAILABLE = "n/a"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def symbol(currency: str) -> str:
    """Prefix for amounts in ``currency`` ("$" for USD; the code and a space otherwise)."""
    return CURRENCY_SYMBOLS.get(currency.upper(), f"{currency} ")


def compact(value: float, *, digits: int = 3) -> str:
    """1234567 -> "1.23M"; 950 -> "950"; 3.5 -> "3.5"; keeps ``digits`` significant digits."""
    size = abs(value)
    for factor, suffix in _SCALES:
        if size >= factor * 0.9995:
            scaled = value / factor
            decimals = max(0, digits - len(str(int(round(abs(scaled), 6)))))
            return f"{scaled:,.{decimals}f}{suffix}"
    if size >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def money(value: float | None, currency: str, *, exact: bool = False, signed: bool = False) -> str:
    """Money with the currency symbol: "$17.7M", "-$250k", or "$17,722,470" when ``exact``."""
    if _missing(value):
        return NOT_AVAILABLE
    assert value is not None
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    body = f"{abs(value):,.0f}" if exact else compact(abs(value))
    if not exact and abs(value) < 100 and value != int(value):
        body = f"{abs(value):,.2f}"
    return f"{sign}{symbol(currency)}{body}"


def percent(value: float | None, *, digits: int = 1, signed: bool = False) -> str:
    """A share as a percentage: 0.557 -> "55.7%"."""
    if _missing(value):
        return NOT_AVAILABLE
    assert value is not None
    return f"{value * 100:{'+' if signed else ''},.{digits}f}%"


def points(value: float | None, *, digits: int = 1) -> str:
    """A difference of two shares in percentage points: 0.028 -> "+2.8 pp"."""
    if _missing(value):
        return NOT_AVAILABLE
    assert value is not None
    return f"{value * 100:+,.{digits}f} pp"


def count(value: float | None, *, exact: bool = False) -> str:
    """People or journeys: "278k", or "278,325" when ``exact``."""
    if _missing(value):
        return NOT_AVAILABLE
    assert value is not None
    return f"{value:,.0f}" if exact else compact(value)


def week(value: float | None) -> str:
    """A payback week: "week 86 (1.7 years)"; NaN means not within the horizon."""
    if _missing(value):
        return "not within horizon"
    assert value is not None
    if value == 0:
        return "from week 0"
    return f"week {value:.0f} ({value / 52:.1f} years)"


def week_short(value: float | None) -> str:
    """A payback week for a small card: "week 86"; "never" beyond the horizon."""
    if _missing(value):
        return "beyond horizon"
    assert value is not None
    return "week 0" if value == 0 else f"week {value:.0f}"


def axis_scale(values: list[float] | tuple[float, ...]) -> tuple[float, str]:
    """Divisor and word for a money axis: (1e6, "millions") when the largest value is 12.3M."""
    finite = [abs(v) for v in values if not _missing(float(v))]
    largest = max(finite, default=0.0)
    for factor, word in ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands")):
        if largest >= factor:
            return factor, word
    return 1.0, ""


def money_axis_title(what: str, currency: str, word: str) -> str:
    """ "Net cash flow (USD millions)"."""
    unit = f"{currency} {word}".strip()
    return f"{what} ({unit})"


def plain(value: object) -> str:
    """A parameter value as written in a table: 500,000; 0.35; 250,000.5; text unchanged."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.6g}" if abs(value) < 1000 else f"{value:,.2f}"
    return f"{value:,.0f}"


_MARKDOWN_SPECIALS = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]<>|~$:"})


def escaped(text: object) -> str:
    """User text (a scenario, file or channel name) made safe to show inside Markdown: every
    Markdown, HTML and LaTeX control character escaped and line breaks flattened, so the text
    is shown as typed and can never become a link, a tag or a formula."""
    flat = " ".join(str(text).split())
    return flat.translate(_MARKDOWN_SPECIALS)
