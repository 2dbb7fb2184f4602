"""The one lookup from a stable key to the text a person reads.

The engine and the analyses emit keys (``capability`` ``"context"``, loss ``cause``
``"stock_out"``, ``mechanism`` ``"lost_context"``, KPI columns, stages, plans); everything shown
to a user is looked up here, ``text("capability.context.name")``. A key is the dotted path of an
entry; placeholders are ``{name}`` fields filled from the keyword arguments.

Catalogs live in ``simulation/display/catalogs/``. English, the source, is ``en.toml``. Another
language is a gettext catalog ``<code>.po`` whose entries carry the key as ``msgctxt`` and the
English text as ``msgid`` (so a translator reads the English, and gettext tools see which
translations went stale when the English changed): :func:`write_template` writes the
``messages.pot`` template that Babel's ``pybabel init``/``update`` turn into ``<code>.po``. A
language could also be written as ``<code>.toml`` with the English file's keys.

Languages: :func:`use_language` sets the language of the current context (a Streamlit session's
script thread, a CLI run) and :func:`language` reads it; a key missing from another language's
catalog falls back to English, and a key missing from English is a bug (``KeyError``).
:func:`catalog_keys` lists every key a complete catalog holds, parameter keys included;
:func:`missing`, :func:`stale` and :func:`broken_placeholders` find a catalog's gaps.

Parameter meanings and sources are declared with ``param()`` beside each field
(``simulation.core.scenario``); :func:`param_text` looks up ``param.<Model>.<field>.meaning`` (or
``.source``) and falls back to that declaration in English.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
import string
import tomllib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal
from pydantic import BaseModel

from simulation.core.presets import preset_descriptions
from simulation.core.scenario import Scenario
from simulation.inputs.problems import Problem

CATALOG_DIR = Path(__file__).with_name("catalogs")
ENGLISH = "en"
LANGUAGE_NAMES = {"en": "English", "th": "ไทย", "vi": "Tiếng Việt", "ms": "Bahasa Melayu"}
"""The languages a user can choose, each named in itself (the switch's options)."""

_language: ContextVar[str] = ContextVar("language", default=ENGLISH)


def languages() -> tuple[str, ...]:
    """Codes of the languages with a catalog file, English first."""
    codes = sorted({p.stem for p in CATALOG_DIR.glob("*.toml")} | {p.stem for p in CATALOG_DIR.glob("*.po")})
    return (ENGLISH, *(c for c in codes if c != ENGLISH))


def _flatten(table: Mapping[str, Any], prefix: str, out: dict[str, str]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, Mapping):
            _flatten(value, key, out)
        else:
            out[key] = str(value)


@functools.cache
def catalog(lang: str = ENGLISH) -> Mapping[str, str]:
    """Every entry of ``lang``'s catalog by dotted key (read once per process).

    For a gettext catalog, its translated, not fuzzy entries.
    """
    return MappingProxyType({key: string for key, (_english, string) in _entries(lang).items()})


@functools.cache
def _entries(lang: str) -> Mapping[str, tuple[str, str]]:
    """Key -> (English the translation was made from, translation) of ``lang``'s catalog."""
    toml, po = CATALOG_DIR / f"{lang}.toml", CATALOG_DIR / f"{lang}.po"
    if toml.is_file():
        flat: dict[str, str] = {}
        _flatten(tomllib.loads(toml.read_text(encoding="utf-8")), "", flat)
        return MappingProxyType({key: (value, value) for key, value in flat.items()})
    if po.is_file():
        with po.open("rb") as handle:
            messages = read_po(handle, locale=lang)
        return MappingProxyType({
            str(m.context): (str(m.id), str(m.string)) for m in messages
            if m.context and m.string and not m.fuzzy})
    raise KeyError(f"no text catalog for language {lang!r}; known: {', '.join(languages())}")


def language() -> str:
    """The language of the current context: the one place that knows it.

    English unless :func:`use_language` or :func:`set_language` set another.
    """
    return _language.get()


def set_language(lang: str) -> None:
    """Look text up in ``lang`` for the rest of the current context.

    The context is one Streamlit script run or one command; :func:`use_language` sets it for a
    block.
    """
    catalog(lang)
    _language.set(lang)


def supported(value: object) -> str | None:
    """The language code of ``value`` when it is one of :data:`LANGUAGE_NAMES`, else None.

    Accepts "th", "th-TH", "vi_VN", "MS"; links, files and headers are untrusted input.
    """
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGE_NAMES else None


def preferred(accept_language: str | None) -> str | None:
    """The first of :data:`LANGUAGE_NAMES` in an HTTP ``Accept-Language`` header.

    By its ``q`` weights ("th-TH,th;q=0.9,en;q=0.8" -> "th"); None when it names none of them.
    """
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for order, part in enumerate(accept_language[:1000].split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        code = supported(tag)
        if code and weight > 0:
            weighted.append((-weight, order, code))
    return min(weighted)[2] if weighted else None


@contextlib.contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Look text up in ``lang`` inside the ``with`` block (this thread or task only)."""
    catalog(lang)  # an unknown language fails here, not at the first lookup
    token = _language.set(lang)
    try:
        yield
    finally:
        _language.reset(token)


def has_text(key: str) -> bool:
    """Whether ``key`` has English text (every language falls back to it)."""
    return key in catalog(ENGLISH)


def text(key: str, /, **values: object) -> str:
    """The text of ``key`` in the current language, its ``{placeholders}`` filled from ``values``.

    Raises
    ------
    KeyError
        When English has no entry for ``key`` (a key the code emits without text).
    """
    entries = catalog(language())
    template = entries.get(key)
    if template is None:
        template = catalog(ENGLISH)[key]
    return template.format(**values) if values else template


def _problem_number(value: float) -> str:
    """A number inside a problem, grouped as the reader writes it (small whole numbers bare)."""
    if isinstance(value, int) and abs(value) < 10_000:
        return str(value)
    return format_decimal(value, format="#,##0.######", locale=language())


def say(problem: str) -> str:
    """A problem with an input in the current language.

    A :class:`~simulation.inputs.problems.Problem` is looked up by its key (fields that are
    problems in turn, numbers in the reader's format); any other text, and every problem in
    English, is returned as it is.
    """
    if isinstance(problem, Problem) and language() != ENGLISH:
        return problem.say(text, _problem_number)
    return problem


def placeholders(template: str) -> set[str]:
    """Names of the ``{placeholders}`` in ``template``."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def param_key(model: type[BaseModel], field: str, what: str) -> str:
    """``param.Channel.conversion.meaning``: the key of a parameter's meaning or source."""
    return f"param.{model.__name__}.{field}.{what}"


def param_text(model: type[BaseModel], field: str, what: str, declared: str) -> str:
    """A parameter's ``meaning`` or ``source`` in the current language.

    A key missing from that language falls back to English, and English to ``declared`` (the
    ``param()`` declaration in ``simulation.core.scenario``).
    """
    key = param_key(model, field, what)
    entries = catalog(language())
    if key in entries:
        return entries[key]
    return catalog(ENGLISH).get(key, declared)


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    seen.setdefault(model.__name__, model)
    for field in model.model_fields.values():
        for kind in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(kind, type) and issubclass(kind, BaseModel) and kind.__name__ not in seen:
                _models(kind, seen)


def declared_label(field: str) -> str:
    """A parameter's English label, made from its field name (``gross_margin`` -> "Gross margin")."""
    return field.replace("_", " ").capitalize()


def unit_key(unit: str) -> str:
    """``unit.declared.currency_order``: the key of a declared unit ("currency/order")."""
    return "unit.declared." + (re.sub(r"[^a-z0-9]+", "_", unit.lower()).strip("_") or "none")


def unit_text(unit: str) -> str:
    """A declared unit ("currency/order", "share of revenue") in the current language."""
    if not unit:
        return unit
    key = unit_key(unit)
    entries = catalog(language())
    return entries.get(key) or catalog(ENGLISH).get(key, unit)


def preset_key(name: str) -> str:
    """``preset.fashion.description``: the key of a preset's description."""
    return f"preset.{name}.description"


def preset_description(name: str, declared: str) -> str:
    """A preset's description in the current language (``declared``: its file's English)."""
    key = preset_key(name)
    return catalog(language()).get(key) or catalog(ENGLISH).get(key, declared)


def param_keys() -> dict[str, str]:
    """Key -> English text of every declared parameter's label, meaning, source and unit.

    Also each shipped preset's description (declared in its file under ``data/presets/``).
    """
    models: dict[str, type[BaseModel]] = {}
    _models(Scenario, models)
    out: dict[str, str] = {}
    for model in models.values():
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if "unit" not in extra:
                continue
            declared = {"label": declared_label(name), "meaning": field.description or "",
                        "source": str(extra.get("source", ""))}
            for what, default in declared.items():
                if default:
                    out[param_key(model, name, what)] = param_text(model, name, what, default)
            unit = str(extra["unit"])
            if unit:
                out[unit_key(unit)] = catalog(ENGLISH).get(unit_key(unit), unit)
    for preset, description in preset_descriptions().items():
        if description:
            out[preset_key(preset)] = catalog(ENGLISH).get(preset_key(preset), description)
    return out


def catalog_keys() -> dict[str, str]:
    """Key -> English text of everything a complete catalog translates (parameters included)."""
    with use_language(ENGLISH):
        return {**catalog(ENGLISH), **param_keys()}


def missing(lang: str) -> list[str]:
    """Keys of :func:`catalog_keys` that ``lang``'s own catalog lacks.

    For English, its declared parameter metadata counts as present.
    """
    own = catalog(lang)
    needed = catalog(ENGLISH) if lang == ENGLISH else catalog_keys()
    return [key for key in needed if key not in own]


def broken_placeholders(lang: str) -> list[str]:
    """Keys whose ``lang`` text has other placeholders than the English text."""
    english = catalog_keys()
    return [key for key, value in catalog(lang).items()
            if key in english and placeholders(value) != placeholders(english[key])]


def stale(lang: str) -> list[str]:
    """Keys whose ``lang`` translation was made from other English than today's."""
    english = catalog_keys()
    return [key for key, (source, _) in _entries(lang).items()
            if key in english and source != english[key]]


TEMPLATE_DATE = datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)
"""The template's ``POT-Creation-Date``, fixed: a clock time made every regeneration rewrite
the header of all four files, and branches that each added a key conflicted there."""


def write_template(path: Path) -> int:
    """Write the gettext template (``messages.pot``) of every key; returns the number of entries.

    Each entry has the key as ``msgctxt`` and the English text as ``msgid``.
    """
    template = Catalog(project="omnichannel-explorer", charset="utf-8", creation_date=TEMPLATE_DATE)
    for key, english in catalog_keys().items():
        flags = ("python-brace-format",) if placeholders(english) else ()
        template.add(english, context=key, flags=flags)
    with path.open("wb") as handle:
        write_po(handle, template, width=100)
    return len(template)


TEMPLATE = CATALOG_DIR / "messages.pot"


def update_catalogs(template_path: Path = TEMPLATE) -> dict[str, int]:
    """Write the template, then bring every ``<code>.po`` up to date with it.

    Babel's catalog update: new keys are added untranslated, removed keys dropped, a key whose
    English changed is kept but marked fuzzy, which :func:`catalog` ignores until a translator
    confirms it. Returns the number of entries left to translate per language.
    """
    write_template(template_path)
    with template_path.open("rb") as handle:
        template = read_po(handle)
    left: dict[str, int] = {}
    for po in sorted(CATALOG_DIR.glob("*.po")):
        with po.open("rb") as handle:
            translated = read_po(handle, locale=po.stem)
        translated.update(template, no_fuzzy_matching=True, update_header_comment=False)
        for message in list(translated):
            english = template.get(message.id, message.context) if message.id else None
            if english is None and message.id:
                translated.delete(message.id, message.context)
        with po.open("wb") as handle:
            write_po(handle, translated, width=100, omit_header=False, ignore_obsolete=True)
        left[po.stem] = sum(1 for m in translated if m.id and (not m.string or m.fuzzy))
    _entries.cache_clear()
    catalog.cache_clear()
    return left


def init_catalog(lang: str, template_path: Path = TEMPLATE) -> Path:
    """Start ``<lang>.po`` from the template (every entry untranslated)."""
    write_template(template_path)
    with template_path.open("rb") as handle:
        template = read_po(handle, locale=lang)
    template.locale = lang  # type: ignore[assignment]
    target = CATALOG_DIR / f"{lang}.po"
    with target.open("wb") as handle:
        write_po(handle, template, width=100)
    return target


def check(langs: tuple[str, ...] | None = None) -> list[str]:
    """One line per problem of every translated catalog: missing, stale, broken placeholders."""
    problems = []
    for lang in langs or languages()[1:]:
        for what, keys in (("untranslated", missing(lang)), ("stale", stale(lang)),
                           ("placeholders differ", broken_placeholders(lang))):
            problems += [f"{lang}: {what}: {key}" for key in keys]
    return problems


def _main(argv: list[str]) -> int:
    """``python -m simulation.display.text update|check|init LANG|template PATH``."""
    command, *rest = argv or ["check"]
    if command.endswith(".pot"):  # the older form: python -m simulation.display.text messages.pot
        command, rest = "template", [command]
    if command == "template":
        target = Path(rest[0]) if rest else TEMPLATE
        print(f"{write_template(target)} entries written to {target}")
        return 0
    if command == "init":
        print(f"started {init_catalog(rest[0])}")
        return 0
    if command == "update":
        for lang, left in update_catalogs().items():
            print(f"{lang}.po: {left} entries to translate")
        return 0
    if command == "check":
        problems = check()
        print("\n".join(problems) or f"complete: {', '.join(languages())}")
        return 1 if problems else 0
    print("usage: python -m simulation.display.text update|check|init LANG|template [PATH]")
    return 2


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))


__all__ = ["CATALOG_DIR", "ENGLISH", "LANGUAGE_NAMES", "TEMPLATE", "broken_placeholders", "catalog",
           "catalog_keys", "check", "declared_label", "has_text", "init_catalog", "language",
           "languages", "missing", "param_key", "param_keys", "param_text", "placeholders",
           "preferred", "preset_description", "preset_key", "say", "set_language", "stale",
           "supported", "text", "unit_key", "unit_text", "update_catalogs", "use_language",
           "write_template"]
