"""Numbers for people: currency, percentages, thousands, weeks, dates; NaN becomes "n/a".

Everything follows the reader's language (:func:`simulation.display.text.language`) through
Babel's CLDR data: grouping and decimal marks (Vietnamese writes 1.234.567,5), currency symbols
and their side, dates. Compact amounts keep one style in every language ("17.7M", "250k",
"2.5bn"; "17,7M" in Vietnamese) so a money figure and a count read alike. The words around
numbers ("week 86", "pp", "n/a") come from the catalog.
"""

from __future__ import annotations

import datetime as dt
import math

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, get_currency_precision, get_currency_symbol

from simulation.core.kpis import KPI_BY_KEY, Kind
from simulation.display.text import ENGLISH, catalog, language, say, text
from simulation.inputs import problems

_SCALES = ((1e9, "billion"), (1e6, "million"), (1e3, "thousand"))
"""Compact scales and their catalog keys (``compact.million`` is "{number}M" in English)."""
NOT_AVAILABLE = "n/a"
"""English for a missing value; :func:`not_available` gives it in the reader's language."""
LOCALES = {"en": "en_US", "th": "th_TH", "vi": "vi_VN", "ms": "ms_MY"}
"""The Babel locale that formats numbers and dates for each language."""


def locale() -> str:
    """The Babel locale of the current language ("th_TH")."""
    return LOCALES.get(language(), LOCALES[ENGLISH])


def duration(seconds: float) -> str:
    """A duration in the reader's language: "42 s", "1 min 22 s" ("1 นาที 22 วินาที" in Thai)."""
    return say(problems.duration(seconds))


def not_available() -> str:
    """The words for a missing value ("n/a") in the reader's language."""
    return text("format.not_available")


def decimal(value: float, digits: int = 0, *, signed: bool = False, grouped: bool = True) -> str:
    """``value`` with exactly ``digits`` decimals in the reader's locale.

    1234.5 -> "1,234.50" (English), "1.234,50" (Vietnamese); ``signed`` writes "+" before a
    positive value; a value that rounds to zero has no sign.
    """
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * digits if digits > 0 else "")
    body = format_decimal(abs(value), format=pattern, locale=locale(), decimal_quantization=True)
    if round(abs(value), digits) == 0:
        return body  # "-0.0" and "+0.0" say nothing
    return ("-" if value < 0 else "+" if signed else "") + body


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _locale(locale: str | None) -> Locale:
    try:
        return Locale.parse(locale or language())
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def symbol(currency: str, locale: str | None = None) -> str:
    """The currency's symbol in ``locale`` (CLDR via Babel).

    "$" for USD in English, "฿" for THB in Thai, "RM" for MYR in Malay, the code where the
    locale has no symbol ("THB").
    """
    return str(get_currency_symbol(currency.upper(), locale=_locale(locale)))


def prefix(currency: str, locale: str | None = None) -> str:
    """What goes before an axis tick: the symbol, set off by a space when made of letters ("$", "THB ")."""
    sym = symbol(currency, locale)
    return sym + (" " if sym[-1:].isalpha() else "")


def _symbol_first(loc: Locale) -> bool:
    pattern = loc.currency_formats["standard"].pattern.split(";")[0]
    return pattern.index("\xa4") < pattern.index("0")


def compact(value: float, *, digits: int = 3) -> str:
    """1234567 -> "1.23M"; 950 -> "950"; 3.5 -> "3.5"; keeps ``digits`` significant digits.

    With the reader's separators and scale words: "1,23 tr" and "278 nghìn" in Vietnamese,
    "1.23 j" in Malay (the ``compact`` catalog entries).
    """
    return _compact_shown(value, _locale(None), digits=digits)


def _compact_shown(value: float, loc: Locale, *, digits: int = 3) -> str:
    number, scale = _compact_parts(value, digits=digits)
    shown = _localised(number, loc)
    return text(f"compact.{scale}", number=shown) if scale else shown


def _compact(value: float, *, digits: int = 3) -> str:
    """:func:`compact` in English ("1,234.5k")."""
    number, scale = _compact_parts(value, digits=digits)
    return catalog(ENGLISH)[f"compact.{scale}"].format(number=number) if scale else number


def _compact_parts(value: float, *, digits: int = 3) -> tuple[str, str | None]:
    """The scaled number with English separators, and its scale's key (None under 1,000)."""
    size = abs(value)
    for factor, scale in _SCALES:
        if size >= factor * 0.9995:
            scaled = value / factor
            decimals = max(0, digits - len(str(int(round(abs(scaled), 6)))))
            return f"{scaled:,.{decimals}f}", scale
    if size >= 100:
        return f"{value:,.0f}", None
    return f"{value:,.2f}".rstrip("0").rstrip("."), None


def money(value: float | None, currency: str, *, exact: bool = False, signed: bool = False,
          locale: str | None = None) -> str:
    """Money in ``currency`` as ``locale`` writes it (the active language when None).

    The symbol and its position come from CLDR via Babel, with the currency's own decimals (none
    for VND or JPY). "$17.7M", "-$250k", or "$17,722,470" when ``exact``; amounts under 100
    (under 1,000 when ``exact``) keep their minor units: "$85.82", "฿85.82" in Thai, "86 ₫" in
    Vietnamese. A symbol made of letters is set off by a space ("THB 85.82", "SEK 1.50k").
    """
    if _missing(value):
        return not_available()
    assert value is not None
    loc = _locale(locale)
    code = currency.upper()
    size = abs(value)
    digits = get_currency_precision(code)
    if size < (1000 if exact else 100) and value != int(value) and digits:
        body = format_decimal(size, format="#,##0." + "0" * digits, locale=loc)
    elif exact or size < 100:
        body = format_decimal(round(size), format="#,##0", locale=loc)
    else:
        body = _compact_shown(size, loc)
    sign = "-" if value < 0 and body.strip("0.,\xa0 ") else ("+" if signed and value > 0 else "")
    sym = symbol(code, str(loc))
    if _symbol_first(loc):
        gap = " " if sym[-1].isalpha() else ""
        return f"{sign}{sym}{gap}{body}"
    return f"{sign}{body}\xa0{sym}"


def _localised(text: str, loc: Locale) -> str:
    """An English-formatted compact number ("1,234.5k") with the locale's separators."""
    if loc.language == "en":
        return text
    group, decimal = loc.number_symbols["latn"]["group"], loc.number_symbols["latn"]["decimal"]
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)


def percent(value: float | None, *, digits: int = 1, signed: bool = False) -> str:
    """A share as a percentage: 0.557 -> "55.7%" ("55,7%" in Vietnamese)."""
    if _missing(value):
        return not_available()
    assert value is not None
    return decimal(value * 100, digits, signed=signed) + "%"


def points(value: float | None, *, digits: int = 1) -> str:
    """A difference of two shares in percentage points: 0.028 -> "+2.8 pp"."""
    if _missing(value):
        return not_available()
    assert value is not None
    shown = decimal(value * 100, digits, signed=True)
    return text("format.points", value=shown if shown[0] in "+-" else "+" + shown)


def count(value: float | None, *, exact: bool = False) -> str:
    """People or journeys: "278k", or "278,325" when ``exact`` ("278.325" in Vietnamese)."""
    if _missing(value):
        return not_available()
    assert value is not None
    return decimal(value) if exact else compact(value)


def week(value: float | None) -> str:
    """A payback week: "week 86 (1.7 years)"; NaN means not within the horizon."""
    if _missing(value):
        return text("format.not_within_horizon")
    assert value is not None
    if value == 0:
        return text("format.from_week_0")
    return text("format.week_years", week=decimal(value, grouped=False), years=decimal(value / 52, 1))


def week_short(value: float | None) -> str:
    """A payback week for a small card: "week 86"; "beyond horizon" beyond the horizon."""
    if _missing(value):
        return text("format.beyond_horizon")
    assert value is not None
    return text("format.week", week=decimal(value, grouped=False))


def kpi(key: str, value: float | None, currency: str, *, exact: bool = False,
        signed: bool = False) -> str:
    """KPI ``key``'s value as shown everywhere (cards, tables, the command line).

    By its kind in :data:`simulation.core.kpis.KPIS`: a share as a percentage, money with the
    currency, a count of people, a payback week, a return as a percentage.
    """
    kind = KPI_BY_KEY[key].kind
    if kind is Kind.SHARE:
        return percent(value, signed=signed)
    if kind is Kind.MONEY:
        return money(value, currency, exact=exact, signed=signed)
    if kind is Kind.COUNT:
        return count(value, exact=exact)
    if kind is Kind.WEEKS:
        return week(value) if exact else week_short(value)
    if kind is Kind.RATIO:
        return percent(value, digits=0, signed=signed)
    if _missing(value):
        return not_available()
    assert value is not None
    return decimal(value, 2, signed=signed)


def kpi_change(key: str, value: float, base: float, currency: str) -> str | None:
    """The change of KPI ``key`` against the baseline's value, or None when there is none.

    Percentage points for a share, otherwise the difference and, for money, the relative change.
    """
    if _missing(value) or _missing(base) or value == base:
        return None
    kind = KPI_BY_KEY[key].kind
    if kind is Kind.SHARE:
        return points(value - base)
    relative = f" ({percent((value - base) / abs(base), signed=True)})" if base and kind is Kind.MONEY else ""
    return kpi(key, value - base, currency, signed=True) + relative


def axis_scale(values: list[float] | tuple[float, ...]) -> tuple[float, str]:
    """Divisor and word for a money axis: (1e6, "millions") when the largest value is 12.3M."""
    finite = [abs(v) for v in values if not _missing(float(v))]
    largest = max(finite, default=0.0)
    for factor, key in ((1e9, "format.billions"), (1e6, "format.millions"), (1e3, "format.thousands")):
        if largest >= factor:
            return factor, text(key)
    return 1.0, ""


def money_axis_title(what: str, currency: str, word: str) -> str:
    """An axis title with its unit: "Net cash flow (USD millions)"."""
    unit = f"{currency} {word}".strip()
    return f"{what} ({unit})"


def date(value: dt.date, *, long: bool = False) -> str:
    """A calendar date in the reader's locale.

    "Nov 30, 2026", "30 thg 11, 2026" (Vietnamese), "30 พ.ย. 2026" (Thai, Gregorian year);
    ``long`` spells the month out.
    """
    return format_date(value, format="long" if long else "medium", locale=locale())


def plain(value: object) -> str:
    """A parameter value as written in a table: 500,000; 0.35; 250,000.5; text unchanged.

    With the reader's separators: 0,35 and 500.000 in Vietnamese.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        english = f"{value:,.6g}" if abs(value) < 1000 else f"{value:,.2f}"
    else:
        english = f"{value:,.0f}"
    return localised(english)


def localised(english: str) -> str:
    """A number written the English way ("1,234.5", "-25%") with the reader's separators."""
    return _localised(english, _locale(None))


_MARKDOWN_SPECIALS = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]<>|~$:"})


def escaped(text: object) -> str:
    """User text (a scenario, file or channel name) made safe to show inside Markdown.

    Every Markdown, HTML and LaTeX control character is escaped and runs of whitespace (line
    breaks too) become one space, so the text is shown as typed and can never become a link, a
    tag or a formula. A problem with an input is said in the reader's language.
    """
    flat = " ".join(say(text).split()) if isinstance(text, str) else " ".join(str(text).split())
    return flat.translate(_MARKDOWN_SPECIALS)
