"""Declaring parameters once: value, unit, range, meaning and source.

Every numeric field of the scenario is declared with :func:`param`, which stores its unit and
source beside pydantic's bounds. The app builds its sliders from this metadata and the method
page prints it, so there is no second hand-written list that could drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from simulation.inputs import InputError


def param(
    default: Any,
    *,
    unit: str,
    meaning: str,
    source: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    step: float | None = None,
) -> Any:
    """A pydantic field carrying its unit, one-line meaning and source.

    ``meaning`` becomes the field description (help text in the app); ``source`` says where
    the default comes from (a study in ``data/evidence.csv`` or a stated assumption).
    """
    extra: dict[str, Any] = {"unit": unit, "source": source}
    if unit.startswith("currency") and le is not None:
        # A money bound is stated in US dollars and scaled to the scenario's currency when the
        # scenario is checked (Scenario._consistent), so 100,000 allows as much in dong as in
        # dollars; pydantic's fixed bound would reject an ordinary price in VND.
        extra["le_usd"], le = le, None
    if step is not None:
        extra["step"] = step
    return Field(default, ge=ge, le=le, gt=gt, lt=lt, description=meaning, json_schema_extra=extra)


def _printable(text: str) -> str:
    if any(not ch.isprintable() for ch in text):
        raise ValueError("must not hold control characters (tabs, line breaks)")
    return text


def _label(text: str) -> str:
    _printable(text)
    if "<" in text or ">" in text:
        raise ValueError("must not hold < or > (names label charts, which read them as markup)")
    return text


def _one_line(text: str) -> str:
    if any(not ch.isprintable() and ch not in "\n\t" for ch in text):
        raise ValueError("must not hold control characters")
    return text


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
                 AfterValidator(_label)]
"""A channel or segment name: 1-40 printable characters (it labels charts and CSV columns)."""
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120), AfterValidator(_printable)]
"""A scenario name: at most 120 printable characters."""
Description = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_one_line)]
"""Free text of at most 4,000 characters."""
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 code such as ``USD``, ``THB``, ``VND`` or ``MYR``."""


class FrozenModel(BaseModel):
    """Immutable, strict-about-unknown-keys base for every scenario part."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class ScenarioError(InputError):
    """Raised for an invalid scenario; lists every bad field and why, one per line."""

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        self.args = ("invalid scenario:\n" + "\n".join(f"  {p}" for p in self.problems),)

    def one_line(self) -> str:
        """The problems joined on one line, for a CLI exit message or a UI banner."""
        return "invalid scenario: " + "; ".join(self.problems)


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "scenario"


_BOUND_WORDS = {
    "greater_than_equal": ("ge", "is below"),
    "greater_than": ("gt", "must be above"),
    "less_than_equal": ("le", "is above"),
    "less_than": ("lt", "must be below"),
}


def _describe(error: Any) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind in _BOUND_WORDS:
        key, words = _BOUND_WORDS[kind]
        return f"{value!r} {words} {ctx.get(key)}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known parameter"
    message = str(error.get("msg", kind))
    message = message.removeprefix("Value error, ")
    return f"{value!r}: {message}" if not isinstance(value, (dict, list)) else message


def problems_from(error: ValidationError) -> list[str]:
    """Human-readable ``path: value why`` lines from a pydantic validation error."""
    return [f"{_location(tuple(e['loc']))}: {_describe(e)}" for e in error.errors()]


@dataclass(frozen=True)
class ParameterInfo:
    """Metadata of one scenario field, read from its declaration."""

    path: str
    label: str
    value: Any
    default: Any
    unit: str
    meaning: str
    source: str
    minimum: float | None
    maximum: float | None
    step: float | None


def field_info(model: BaseModel, name: str, path: str, *, per_usd: float = 1.0) -> ParameterInfo:
    """Metadata for field ``name`` of ``model`` (bounds, unit, meaning, source).

    ``per_usd`` is the scenario currency's units per US dollar: a money field's upper bound is
    declared in dollars and shown in the scenario's currency.
    """
    field = type(model).model_fields[name]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    lo = hi = None
    for item in field.metadata:
        lo = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else lo
        lo = getattr(item, "gt", None) if getattr(item, "gt", None) is not None else lo
        hi = getattr(item, "le", None) if getattr(item, "le", None) is not None else hi
        hi = getattr(item, "lt", None) if getattr(item, "lt", None) is not None else hi
    if "le_usd" in extra:
        hi = float(extra["le_usd"]) * per_usd  # type: ignore[arg-type]
    return ParameterInfo(
        path=path,
        label=name.replace("_", " ").capitalize(),
        value=getattr(model, name),
        default=field.default,
        unit=str(extra.get("unit", "")),
        meaning=field.description or "",
        source=str(extra.get("source", "")),
        minimum=lo,
        maximum=hi,
        step=extra.get("step"),  # type: ignore[arg-type]
    )
