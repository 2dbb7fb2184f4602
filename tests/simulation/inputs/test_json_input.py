"""JSON objects from text, bytes, files and share links: limits on size and depth, strict JSON
(no NaN, no key twice), and a message that says where and why."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simulation.inputs.json_input import (
    json_from_bytes,
    json_from_file,
    json_from_link,
    link_token,
    nesting_depth,
    parse_json_object,
    read_limited,
)
from simulation.inputs.problems import MAX_JSON_DEPTH, MAX_SCENARIO_BYTES, InputError

DATA = {"name": "café", "market": {"population": 200}, "channels": [{"name": "web"}]}
TEXT = json.dumps(DATA)


def _problem(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    assert caught.value.problems, "an InputError always lists its problems"
    return caught.value.one_line()


def test_an_object_parses_to_the_same_dict():
    assert parse_json_object(TEXT) == DATA


@pytest.mark.parametrize(("text", "depth"), [
    ("1", 0), ("{}", 1), ('{"a": [1, {"b": []}]}', 4), ('{"a": "{{{[[["}', 1),
    ('{"a": "quote \\" then {{{"}', 1), ("[" * 50 + "]" * 50, 50),
])
def test_nesting_depth_counts_brackets_outside_strings(text: str, depth: int):
    assert nesting_depth(text) == depth


def test_a_scenario_as_deep_as_the_limit_is_accepted_and_one_deeper_is_refused():
    at_limit = '{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH
    assert parse_json_object(at_limit)["a"]
    deeper = '{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1)
    assert f"nests {MAX_JSON_DEPTH + 1} levels deep" in _problem(parse_json_object, deeper)


@pytest.mark.parametrize("depth", [1_000, 100_000, 1_000_000])
def test_deep_nesting_is_refused_without_recursion_error(depth: int):
    assert "levels deep" in _problem(parse_json_object, "[" * depth + "]" * depth, max_bytes=10**7)


def test_unbalanced_deep_opening_is_refused_as_deep():
    assert "levels deep" in _problem(parse_json_object, '{"a":' + "[" * 10_000)


@pytest.mark.parametrize(("text", "phrase"), [
    ("", "empty"), ("   \n\t", "empty"), ("\ufeff", "empty"),
    ('{"a": 1,}', "line 1 column 9"), ('{\n  "a": 1\n  "b": 2\n}', "line 3 column 3"),
    ('{"a": NaN}', "NaN is not a number JSON allows"),
    ('{"a": -Infinity}', "-Infinity is not a number JSON allows"),
    ('{"a": Infinity}', "Infinity is not a number JSON allows"),
    ('{"a": 1, "a": 2}', "the key 'a' appears twice"),
    ('{"x": {"a": 1, "a": 1}}', "appears twice"),
    ("[1, 2]", "one JSON object"), ('"text"', "one JSON object"), ("42", "one JSON object"),
    ("null", "one JSON object"), ("/etc/passwd", "not valid JSON"),
])
def test_bad_json_is_refused_with_where_and_why(text: str, phrase: str):
    assert phrase in _problem(parse_json_object, text)


def test_a_leading_bom_character_is_ignored():
    assert parse_json_object("\ufeff" + TEXT) == DATA


def test_text_over_the_size_limit_is_refused_before_parsing():
    assert "at most 100 are accepted" in _problem(parse_json_object, " " * 101 + "{}", max_bytes=100)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32", "cp1252"])
def test_bytes_in_every_common_encoding_give_the_same_object(encoding: str):
    assert json_from_bytes(TEXT.encode(encoding) if encoding != "utf-8" else TEXT.encode()) == DATA
    pretty = json.dumps(DATA, ensure_ascii=False, indent=2)
    assert json_from_bytes(pretty.encode(encoding)) == DATA


@pytest.mark.parametrize(("raw", "phrase"), [
    (b"", "empty"), (b" \n ", "empty"), (b"\x89PNG\r\n\x1a\n....", "PNG"),
    (b"PK\x03\x04....", "ZIP"), (b"\x00\x01\x02\x03" * 10, "binary"),
])
def test_bad_bytes_are_refused_specifically(raw: bytes, phrase: str):
    assert phrase in _problem(json_from_bytes, raw)


def test_bytes_over_the_limit_are_refused_before_decoding():
    assert f"at most {MAX_SCENARIO_BYTES:,}" in _problem(json_from_bytes, b" " * (MAX_SCENARIO_BYTES + 1))


def test_a_file_is_read_and_its_problems_carry_its_name(tmp_path: Path):
    good = tmp_path / "good.json"
    good.write_text(TEXT, encoding="utf-16")
    assert json_from_file(good) == DATA
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": NaN}')
    assert _problem(json_from_file, bad).startswith("bad.json: not valid JSON")


def test_missing_folder_device_and_oversized_files_are_refused_without_reading(tmp_path: Path):
    assert "cannot be read" in _problem(read_limited, tmp_path / "nope.json", max_bytes=10)
    assert "not a regular file" in _problem(read_limited, tmp_path, max_bytes=10)
    assert "not a regular file" in _problem(read_limited, "/dev/zero", max_bytes=10)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 11)
    assert "11 bytes; at most 10" in _problem(read_limited, big, max_bytes=10)
    assert read_limited(big, max_bytes=11) == b" " * 11


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert "not a regular file" in _problem(json_from_file, fifo)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_refused(tmp_path: Path):
    locked = tmp_path / "locked.json"
    locked.write_text(TEXT)
    locked.chmod(0)
    assert "cannot be read" in _problem(json_from_file, locked)


def test_link_token_round_trips_and_is_url_safe():
    token = link_token(TEXT)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert json_from_link(token) == DATA


@pytest.mark.parametrize("token", ["", "not a token", "abc$", "A", link_token(TEXT)[:-6],
                                   "eJw", "eJwDAAAAAAE"])
def test_damaged_tokens_are_refused_as_damaged(token: str):
    message = _problem(json_from_link, token)
    assert "damaged or truncated" in message or "not valid JSON" in message or "empty" in message
