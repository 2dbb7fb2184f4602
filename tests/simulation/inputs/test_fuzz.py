"""Fuzzing every boundary: whatever bytes, JSON trees or CSV grids arrive, the boundary either
returns a typed value or raises its own error (an :class:`InputError` subclass), never anything
else; and what it returns keeps its promises."""

from __future__ import annotations

import json
import string
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from simulation.calibration.eventlog import STANDARD_COLUMNS, EventLogError, validate_events
from simulation.core.parameters import ScenarioError
from simulation.core.scenario import Scenario
from simulation.inputs.dates import EARLIEST, latest_plausible
from simulation.inputs.json_input import json_from_bytes, json_from_link, link_token, parse_json_object
from simulation.inputs.problems import InputError
from simulation.inputs.text import decode_bytes

FUZZ = settings(deadline=None, max_examples=60, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=30)

# Bytes that look like the start of something real, then noise.
PREFIXES = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"{", b"[",
            b'{"name": ', b"PK\x03\x04", b"\x89PNG", b"customer_id,timestamp,channel,event_type,amount\n",
            b"\x00", b"\x1f\x8b", b"eJ"]
noise = st.tuples(st.sampled_from(PREFIXES), st.binary(max_size=600)).map(lambda p: p[0] + p[1])


@FUZZ
@given(noise)
def test_decode_bytes_returns_text_or_refuses(raw: bytes):
    try:
        decoded = decode_bytes(raw)
    except InputError as error:
        assert error.problems and all(p for p in error.problems)
        return
    assert isinstance(decoded.text, str) and decoded.encoding_name


@FUZZ
@given(noise)
def test_json_from_bytes_returns_an_object_or_refuses(raw: bytes):
    try:
        data = json_from_bytes(raw)
    except InputError as error:
        assert error.problems
        return
    assert isinstance(data, dict)


@FUZZ
@given(noise)
def test_scenario_from_bytes_returns_a_scenario_or_a_scenario_error(raw: bytes):
    try:
        assert isinstance(Scenario.from_json(raw), Scenario)
    except ScenarioError as error:
        assert error.problems


@FUZZ
@given(st.one_of(st.text(max_size=300), st.text(alphabet=string.ascii_letters + string.digits + "-_=",
                                                     max_size=400)))
def test_scenario_from_any_text_or_link_payload_returns_or_refuses(text: str):
    for call in (Scenario.from_json, Scenario.from_url_token):
        try:
            assert isinstance(call(text), Scenario)
        except ScenarioError as error:
            assert error.problems


@FUZZ
@given(noise)
def test_any_bytes_packed_as_a_valid_token_return_or_refuse(raw: bytes):
    import base64
    import zlib

    token = base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")
    try:
        assert isinstance(Scenario.from_url_token(token), Scenario)
    except ScenarioError as error:
        assert error.problems


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                      st.text(max_size=30))
json_tree = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=30)


def _nest(value: Any, depth: int, kinds: list[str]) -> str:
    """``value`` as JSON inside ``depth`` levels of lists and objects (built as text: the json
    module itself cannot write very deep trees)."""
    opening = "".join("[" if kinds[i % len(kinds)] == "list" else '{"k":' for i in range(depth))
    closing = "".join("]" if kinds[i % len(kinds)] == "list" else "}" for i in reversed(range(depth)))
    return opening + json.dumps(value) + closing


@FUZZ
@given(json_tree, st.integers(0, 3000), st.lists(st.sampled_from(["list", "dict"]), min_size=1, max_size=3))
def test_random_json_trees_including_deep_ones_parse_or_refuse(tree: Any, depth: int, kinds: list[str]):
    text = _nest(tree, depth, kinds)  # NaN and Infinity are written as such
    for call in (parse_json_object, Scenario.from_json):
        try:
            call(text)
        except InputError as error:
            assert error.problems
    try:
        Scenario.from_url_token(link_token(text))
    except ScenarioError as error:
        assert error.problems


def _leaves(data: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _leaves(v, (*path, i))] or [path]
    return [path]


BASE = json.loads(Scenario().to_json())
BASE_LEAVES = _leaves(BASE)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(BASE_LEAVES), json_tree), min_size=1, max_size=3))
def test_a_valid_scenario_with_random_values_in_random_fields_validates_or_refuses(
        changes: list[tuple[tuple, Any]]):
    data = json.loads(json.dumps(BASE))
    for path, value in changes:
        target = data
        for key in path[:-1]:
            target = target[key]
        if path:
            target[path[-1]] = value
    text = json.dumps(data)
    try:
        scenario = Scenario.from_json(text)
    except ScenarioError as error:
        assert error.problems
        return
    assert Scenario.from_url_token(scenario.to_url_token()) == scenario


# CSV grids ---------------------------------------------------------------------------------

CP1252_SAFE = string.ascii_letters + string.digits + " éàüñçÑ€\u2013"  # en dash: in cp1252
ODD_IDS = ["=1+1", "+C001", "-C002", "@C003", '=HYPERLINK("http://x.example")', "", " ", "ñandú"]
ODD_DATES = ["1800-01-01", "2999-12-31", "31/02/2024", "", "0000-00-00", "2024-13-45", "yesterday",
             "1e9", "2024-03-05T14:22:10+07:00"]
ODD_AMOUNTS = ["", "inf", "-inf", "nan", "1e400", "-5", "1.234,56", "1,234", "=1+1", "abc"]
DATE_STYLES = {"iso": "%Y-%m-%d", "iso time": "%Y-%m-%d %H:%M:%S", "compact": "%Y%m%d",
               "day first": "%d/%m/%Y", "month first": "%m/%d/%Y", "dotted": "%d.%m.%Y %H:%M"}
AMOUNT_STYLES = {"point": lambda v: f"{v:.2f}", "comma": lambda v: f"{v:.2f}".replace(".", ","),
                 "thousands": lambda v: f"{v:,.2f}",
                 "european": lambda v: f"{v:,.2f}".replace(",", " ").replace(".", ","),
                 "currency": lambda v: f"$ {v:.2f}", "code": lambda v: f"{v:.2f} THB"}


@st.composite
def event_rows(draw: st.DrawFn, date_style: str, amount_style: str) -> list[str]:
    """One row in the file's styles; about one in six has something odd about it."""
    when = pd.Timestamp("2021-01-01") + pd.Timedelta(minutes=draw(st.integers(0, 3 * 525_600)))
    cells = [f"C{draw(st.integers(0, 30)):03d}", when.strftime(DATE_STYLES[date_style]),
             draw(st.sampled_from(["store", "web", "app", "Store ", "boutique café", "fax"])),
             draw(st.sampled_from(["visit", "purchase", "purchase", "return", "PURCHASE"])),
             AMOUNT_STYLES[amount_style](draw(st.floats(0.01, 5000)))]
    odd = draw(st.integers(0, 11))
    if odd == 0:
        cells[0] = draw(st.sampled_from(ODD_IDS))
    elif odd == 1:
        cells[1] = draw(st.sampled_from(ODD_DATES))
    elif odd == 2:
        cells[4] = draw(st.sampled_from(ODD_AMOUNTS))
    elif odd == 3:
        cells[2:4] = [draw(st.sampled_from(["", "=cmd|' /C calc'!A0"])),
                      draw(st.sampled_from(["", "refund"]))]
    elif odd == 4:
        cells = cells + draw(st.sampled_from([["extra"], [""], ["a", "b"]]))
    elif odd == 5:
        cells = cells[: draw(st.integers(1, 4))]
    return cells


@st.composite
def grids(draw: st.DrawFn) -> tuple[list[list[str]], str, str, list[str]]:
    """A whole file: rows in one date and amount style, a delimiter, an encoding, a header."""
    date_style = draw(st.sampled_from(sorted(DATE_STYLES)))
    amount_style = draw(st.sampled_from(sorted(AMOUNT_STYLES)))
    rows = draw(st.lists(event_rows(date_style, amount_style), min_size=1, max_size=40))
    order = draw(st.permutations(range(len(STANDARD_COLUMNS))))  # columns in any order
    names = draw(st.sampled_from([list(STANDARD_COLUMNS), list(STANDARD_COLUMNS),
                                  ["cust", "when", "chan", "type", "amt"]]))
    header = [names[i] for i in order]
    rows = [[r[i] for i in order if i < len(r)] + r[len(order):] for r in rows]
    return (rows, draw(st.sampled_from([",", ";", "\t", "|", " "])),
            draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])), header)


def _encode(rows: list[list[str]], delimiter: str, encoding: str, header: list[str]) -> bytes:
    def cell(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n")) or (delimiter == " " and not value):
            return '"' + value.replace('"', '""') + '"'
        return value
    text = "".join(delimiter.join(cell(v) for v in r) + "\r\n" for r in [header, *rows])
    if encoding == "cp1252":
        text = "".join(ch if ch in CP1252_SAFE or ch in string.printable else "?" for ch in text)
    return text.encode(encoding)


def _check_log(log: Any) -> None:
    events = log.events
    assert list(events.columns) == list(STANDARD_COLUMNS)
    assert len(events) > 0
    assert np.isfinite(events["amount"].to_numpy()).all() and (events["amount"] >= 0).all()
    assert events["timestamp"].between(EARLIEST, latest_plausible()).all()
    assert (events["customer_id"] != "").all() and (events["channel"] != "").all()
    assert set(events["event_type"]) <= {"visit", "purchase", "return"}
    if log.sampled_share == 1.0:
        assert len(events) + int(log.dropped["rows"].sum()) == log.rows_read


@FEW
@given(grids(), st.sampled_from([None, True, False]), st.sampled_from([None, "given"]),
       st.sampled_from([5, 1_000_000]))
def test_random_csv_grids_validate_or_raise_event_log_error(
        grid: tuple, day_first: bool | None, given_delimiter: str | None, max_rows: int):
    rows, delimiter, encoding, header = grid
    raw = _encode(rows, delimiter, encoding, header)
    mapping = dict(zip(STANDARD_COLUMNS, ["cust", "when", "chan", "type", "amt"], strict=True))
    try:
        log = validate_events(raw, day_first=day_first, chunksize=7, max_rows=max_rows,
                              delimiter=delimiter if given_delimiter else None,
                              mapping=mapping if "cust" in header else None)
    except EventLogError as error:
        assert error.problems and all(p for p in error.problems)
        event("refused")
        return
    event("accepted")
    _check_log(log)


@FEW
@given(noise)
def test_random_bytes_as_an_event_log_validate_or_raise_event_log_error(raw: bytes):
    try:
        _check_log(validate_events(raw, chunksize=5))
    except EventLogError as error:
        assert error.problems


@pytest.mark.parametrize("max_rows", [40, 10_000])
def test_sampling_keeps_whole_customer_histories_whatever_the_chunking(max_rows: int):
    rng = np.random.default_rng(3)
    customers = rng.integers(0, 30, 200)
    text = "customer_id,timestamp,channel,event_type,amount\n" + "".join(
        f"C{c:03d},2024-01-{1 + i % 28:02d},web,purchase,{i % 50 + 1}.00\n" for i, c in enumerate(customers))
    full = validate_events(text.encode(), chunksize=1_000)
    for chunksize in (7, 1_000):
        log = validate_events(text.encode(), max_rows=max_rows, chunksize=chunksize)
        kept = set(log.events["customer_id"])
        whole = full.events[full.events["customer_id"].isin(kept)]
        assert len(whole) == len(log.events)  # every row of each kept customer
        assert len(log.events) <= max(max_rows, 1) or log.sampled_share == 1.0


def test_json_from_link_on_random_tokens_is_covered_by_the_scenario_tests():
    # json_from_link is what Scenario.from_url_token calls; one direct check of its type.
    with pytest.raises(InputError):
        json_from_link("A" * 10)
