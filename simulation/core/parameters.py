"""Declaring parameters once: value, unit, range, meaning and source.

Every numeric field of the scenario is declared with :func:`param`, which stores its unit and
source beside pydantic's bounds. The app builds its sliders from this metadata and the method
page prints it, so there is no second hand-written list that could drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic.fields import FieldInfo

from simulation.inputs import InputError
from simulation.inputs.problems import Problem, Problems, at, joined, unchanged


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
        raise ValueError(Problem("problem.scenario.control_characters_lines"))
    return text


def _label(text: str) -> str:
    _printable(text)
    if "<" in text or ">" in text:
        raise ValueError(Problem("problem.scenario.markup"))
    return text


def _one_line(text: str) -> str:
    if any(not ch.isprintable() and ch not in "\n\t" for ch in text):
        raise ValueError(Problem("problem.scenario.control_characters"))
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

    def one_line(self, say: Callable[[str], str] = unchanged) -> str:
        """The problems joined on one line, for a CLI exit message or a UI banner.

        ``say`` puts each problem into the reader's language (default: English).
        """
        return say(at(Problem("problem.invalid_scenario"), joined(self.problems)))


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "scenario"


_BOUND_WORDS = {
    "greater_than_equal": ("ge", "below"),
    "greater_than": ("gt", "must_be_above"),
    "less_than_equal": ("le", "above"),
    "less_than": ("lt", "must_be_below"),
}
_PYDANTIC_CHECKS = frozenset({
    "int_from_float", "int_parsing", "int_type", "float_parsing", "float_type", "finite_number",
    "bool_parsing", "bool_type", "string_type", "enum", "string_too_long", "string_too_short",
    "string_pattern_mismatch", "dict_type", "list_type", "model_type"})
"""Pydantic error types said through the catalog (others keep pydantic's English)."""


def _shown(value: Any) -> Any:
    """A rejected value as a message quotes it: numbers as numbers, the rest as ``repr``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return repr(value)


def _describe(error: Any) -> list[str]:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind in _BOUND_WORDS:
        key, words = _BOUND_WORDS[kind]
        return [Problem(f"problem.scenario.{words}", value=_shown(value), bound=_shown(ctx.get(key)))]
    if kind == "missing":
        return [Problem("problem.scenario.required")]
    if kind == "extra_forbidden":
        return [Problem("problem.scenario.unknown")]
    cause = ctx.get("error")
    if isinstance(cause, Problems):
        return list(cause.problems)
    if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Problem):
        why: str = cause.args[0]
    elif kind in _PYDANTIC_CHECKS:
        why = Problem(f"problem.scenario.{kind}", **{k: v for k, v in ctx.items() if k != "error"})
    else:
        why = str(error.get("msg", kind)).removeprefix("Value error, ")
    return [at(repr(value), why) if not isinstance(value, (dict, list)) else why]


def problems_from(error: ValidationError) -> list[str]:
    """Human-readable ``path: value why`` lines from a pydantic validation error.

    A model-level check that found several problems gives one line each, under its own path
    (the whole scenario's are not prefixed).
    """
    out: list[str] = []
    for e in error.errors():
        where = _location(tuple(e["loc"]))
        out += [p if where == "scenario" and isinstance(e.get("ctx", {}).get("error"), Problems)
                else at(where, p) for p in _describe(e)]
    return out


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


def field_bounds(field: FieldInfo, *, per_usd: float = 1.0) -> tuple[float | None, float | None]:
    """Lower and upper bound of a scenario field (None: unbounded), as declared on it.

    The last ``ge``/``gt`` and ``le``/``lt`` of its metadata; a money field's ``le_usd`` (an
    upper bound in US dollars) times ``per_usd``, the scenario currency's units per dollar.
    """
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    lo = hi = None
    for item in field.metadata:
        lo = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else lo
        lo = getattr(item, "gt", None) if getattr(item, "gt", None) is not None else lo
        hi = getattr(item, "le", None) if getattr(item, "le", None) is not None else hi
        hi = getattr(item, "lt", None) if getattr(item, "lt", None) is not None else hi
    if "le_usd" in extra:
        hi = float(extra["le_usd"]) * per_usd  # type: ignore[arg-type]
    return lo, hi


def field_info(model: BaseModel, name: str, path: str, *, per_usd: float = 1.0) -> ParameterInfo:
    """Metadata for field ``name`` of ``model`` (bounds, unit, meaning, source).

    ``per_usd`` is the scenario currency's units per US dollar: a money field's upper bound is
    declared in dollars and shown in the scenario's currency.
    """
    field = type(model).model_fields[name]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    lo, hi = field_bounds(field, per_usd=per_usd)
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
