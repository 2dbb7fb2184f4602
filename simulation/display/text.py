"""The one lookup from a stable key to the text a person reads.

The engine and the analyses emit keys (``capability`` ``"context"``, loss ``cause``
``"stock_out"``, ``mechanism`` ``"lost_context"``, KPI columns, stages, plans); everything shown
to a user is looked up here, ``text("capability.context.name")``, from one catalog file per
language in ``simulation/display/text/`` (``en.toml`` today). A key is the dotted path of an
entry; placeholders are ``{name}`` fields filled from the keyword arguments.

Languages: :func:`use_language` sets the language of the current context (a Streamlit session's
script thread, a CLI run) and :func:`language` reads it; a key missing from another language's
catalog falls back to English, and a key missing from English is a bug (``KeyError``).
:func:`catalog_keys` lists every key a complete catalog holds, parameter keys included, so a
test can check that each language has them all with the same placeholders.

Parameter meanings and sources are declared with ``param()`` beside each field
(``simulation.core.scenario``); :func:`param_text` looks up ``param.<Model>.<field>.meaning`` (or
``.source``) and falls back to that declaration in English.
"""

from __future__ import annotations

import contextlib
import functools
import string
import tomllib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from simulation.core.scenario import Scenario

CATALOG_DIR = Path(__file__).with_name("text")
ENGLISH = "en"

_language: ContextVar[str] = ContextVar("language", default=ENGLISH)


def languages() -> tuple[str, ...]:
    """Codes of the languages with a catalog file, English first."""
    codes = sorted(p.stem for p in CATALOG_DIR.glob("*.toml"))
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
    """Every entry of ``lang``'s catalog by dotted key (read once per process)."""
    path = CATALOG_DIR / f"{lang}.toml"
    if not path.is_file():
        raise KeyError(f"no text catalog for language {lang!r}; known: {', '.join(languages())}")
    out: dict[str, str] = {}
    _flatten(tomllib.loads(path.read_text(encoding="utf-8")), "", out)
    return MappingProxyType(out)


def language() -> str:
    """The language of the current context (English unless :func:`use_language` set one)."""
    return _language.get()


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


def placeholders(template: str) -> set[str]:
    """Names of the ``{placeholders}`` in ``template``."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def param_key(model: type[BaseModel], field: str, what: str) -> str:
    """``param.Channel.conversion.meaning``: the key of a parameter's meaning or source."""
    return f"param.{model.__name__}.{field}.{what}"


def param_text(model: type[BaseModel], field: str, what: str, declared: str) -> str:
    """A parameter's ``meaning`` or ``source`` in the current language; English falls back to
    ``declared`` (the ``param()`` declaration in ``simulation.core.scenario``)."""
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


def param_keys() -> dict[str, str]:
    """Key -> English text of every declared parameter's meaning and source."""
    models: dict[str, type[BaseModel]] = {}
    _models(Scenario, models)
    out: dict[str, str] = {}
    for model in models.values():
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if "unit" not in extra:
                continue
            declared = {"meaning": field.description or "", "source": str(extra.get("source", ""))}
            for what, default in declared.items():
                out[param_key(model, name, what)] = param_text(model, name, what, default)
    return out


def catalog_keys() -> dict[str, str]:
    """Key -> English text of everything a complete catalog translates (parameters included)."""
    with use_language(ENGLISH):
        return {**catalog(ENGLISH), **param_keys()}


def missing(lang: str) -> list[str]:
    """Keys of :func:`catalog_keys` that ``lang``'s own catalog lacks (English: its declared
    parameter metadata counts as present)."""
    own = catalog(lang)
    needed = catalog(ENGLISH) if lang == ENGLISH else catalog_keys()
    return [key for key in needed if key not in own]


def broken_placeholders(lang: str) -> list[str]:
    """Keys whose ``lang`` text has other placeholders than the English text."""
    english = catalog_keys()
    return [key for key, value in catalog(lang).items()
            if key in english and placeholders(value) != placeholders(english[key])]


__all__ = ["CATALOG_DIR", "ENGLISH", "broken_placeholders", "catalog", "catalog_keys", "has_text",
           "language", "languages", "missing", "param_key", "param_keys", "param_text",
           "placeholders", "text", "use_language"]
