"""The share link carries data only: no payload makes the server open, stat or read a file,
tell whether a path exists, or inflate more than the scenario limit; ``Scenario.from_json``
never takes a string for a path. Every refusal is a :class:`ScenarioError`."""

from __future__ import annotations

import base64
import builtins
import io
import json
import os
import pathlib
import sys
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from simulation.core.parameters import ScenarioError
from simulation.core.scenario import Scenario
from simulation.inputs.json_input import json_from_link, link_token
from simulation.inputs.problems import MAX_LINK_CHARACTERS, MAX_SCENARIO_BYTES, InputError

PATHS = ["/etc/passwd", "/etc/shadow", "etc/passwd", "../../../../etc/passwd", "./secret.json",
         "~/.ssh/id_rsa", "file:///etc/passwd", "file://localhost/etc/passwd", "/dev/zero",
         "/dev/urandom", "/proc/self/environ", "C:\\Windows\\win.ini", "\\\\server\\share\\x.json",
         "data/presets/benchmark_retailer.toml", "%2Fetc%2Fpasswd", "/etc/passwd\x00.json"]

_audit_active = False
_opened: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if _audit_active and event in ("open", "os.listdir", "os.scandir"):
        _opened.append(f"{event} {args[0]!r}")


sys.addaudithook(_audit)  # cannot be removed; records only inside `no_file_access`


@contextmanager
def no_file_access(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail on any Path read or stat; record every open() the interpreter audits."""
    global _audit_active

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail(f"a file was touched: {args!r}")

    for name in ("open", "read_bytes", "read_text", "stat", "exists", "is_file", "resolve"):
        monkeypatch.setattr(pathlib.Path, name, refuse)
    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)
    _opened.clear()
    _audit_active = True
    try:
        yield _opened
    finally:
        _audit_active = False
        monkeypatch.undo()


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import everything a refusal might import lazily, before files are watched."""
    for attempt in ("x", link_token("[1]"), link_token('{"colour": 1}'), link_token("{")):
        with pytest.raises(ScenarioError):
            Scenario.from_url_token(attempt)
    for text in ("x", "{", '{"colour": 1}'):
        with pytest.raises(ScenarioError):
            Scenario.from_json(text)


def _refusal(call, *args, **kwargs) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        call(*args, **kwargs)
    assert isinstance(caught.value, InputError) and caught.value.problems
    return caught.value


@pytest.mark.parametrize("payload", PATHS)
def test_a_path_as_the_links_payload_is_refused_without_touching_a_file(payload: str, monkeypatch):
    with no_file_access(monkeypatch) as opened:
        error = _refusal(Scenario.from_url_token, payload)
    assert opened == []
    assert "damaged or truncated" in error.one_line()


@pytest.mark.parametrize("path", ["/etc/passwd", "../../etc/passwd", "file:///etc/passwd", "/dev/zero"])
@pytest.mark.parametrize("wrap", ["raw", "json string", "object"])
def test_a_well_formed_token_carrying_a_path_is_refused_without_touching_a_file(
        path: str, wrap: str, monkeypatch):
    text = {"raw": path, "json string": json.dumps(path), "object": json.dumps({"path": path})}[wrap]
    token = link_token(text)
    with no_file_access(monkeypatch) as opened:
        error = _refusal(Scenario.from_url_token, token)
    assert opened == []
    assert {"raw": "not valid JSON", "json string": "one JSON object",
            "object": "path: is not a known parameter"}[wrap] in error.one_line()


def test_a_link_reveals_neither_a_files_content_nor_whether_it_exists(tmp_path: Path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"market": {"population": "SECRET-4242"}, "name": "SECRET-4242"}')
    shown = _refusal(Scenario.from_url_token, str(secret)).one_line()
    missing = _refusal(Scenario.from_url_token, str(tmp_path / "missing.json")).one_line()
    assert "SECRET" not in shown
    assert shown == missing  # no oracle: an existing and a missing path read the same
    assert "No such file" not in shown


@pytest.mark.parametrize("path", ["/etc/passwd", "/dev/zero", "data/presets/benchmark_retailer.toml",
                                  "tests/data/bad_inputs/bom.json"])
def test_from_json_never_takes_a_string_for_a_path(path: str, monkeypatch):
    with no_file_access(monkeypatch) as opened:
        error = _refusal(Scenario.from_json, path)
        _refusal(Scenario.from_json, path.encode())
    assert opened == []
    assert "not valid JSON" in error.one_line()
    assert "Scenario.from_file" in error.one_line()  # the caller is told what to use instead


def test_from_json_reads_a_file_only_when_given_a_path_object(tmp_path: Path):
    path = tmp_path / "s.json"
    Scenario().replace(name="from a file").to_json(path)
    assert Scenario.from_json(path).name == "from a file"
    assert Scenario.from_file(str(path)).name == "from a file"


def test_a_valid_link_round_trips_without_touching_a_file(monkeypatch):
    scenario = Scenario().replace(name="shared", seed=5)
    token = scenario.to_url_token()
    with no_file_access(monkeypatch) as opened:
        assert Scenario.from_url_token(token) == scenario
    assert opened == []


def _bomb(size: int, *, prefix: bytes = b'{"name":"x"}', piece: bytes = b" " * 1_000_000) -> str:
    compressor = zlib.compressobj(9)
    packed = [compressor.compress(prefix)]
    packed += [compressor.compress(piece) for _ in range(size // len(piece))]
    packed.append(compressor.flush())
    return base64.urlsafe_b64encode(b"".join(packed)).decode("ascii").rstrip("=")


@pytest.fixture(scope="module")
def bomb_300mb() -> str:
    return _bomb(300_000_000)


def test_a_small_token_inflating_past_the_limit_is_refused():
    token = link_token('{"name": "' + "a" * 2_000_000 + '"}')
    assert len(token) < 5_000
    error = _refusal(Scenario.from_url_token, token)
    assert f"inflates to more than {MAX_SCENARIO_BYTES:,} bytes" in error.one_line()


def test_a_token_just_under_the_inflated_limit_is_parsed_not_refused_as_a_bomb():
    text = '{"description": "' + "a" * (MAX_SCENARIO_BYTES - 100) + '"}'
    error = _refusal(Scenario.from_url_token, link_token(text))  # too long a description ...
    assert "inflates" not in error.one_line()  # ... but not taken for a bomb


def test_a_token_at_the_length_limit_inflating_to_45_mb_is_refused_with_bounded_memory():
    token = _bomb(45_000_000)
    assert len(token) <= MAX_LINK_CHARACTERS
    tracemalloc.start()
    try:
        error = _refusal(Scenario.from_url_token, token)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "inflates to more than" in error.one_line()
    assert peak < 8 * MAX_SCENARIO_BYTES  # the limit plus buffers, not 45 MB


def test_a_300_mb_bomb_is_refused_by_length_and_even_without_it_never_inflated(bomb_300mb: str):
    assert "characters long" in _refusal(Scenario.from_url_token, bomb_300mb).one_line()
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="inflates to more than"):
            json_from_link(bomb_300mb, max_characters=10**7)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(bomb_300mb) + 8 * MAX_SCENARIO_BYTES  # the token, not 300 MB


@pytest.mark.parametrize("length", [MAX_LINK_CHARACTERS + 1, 10_000_000])
def test_over_long_tokens_are_refused_before_decoding(length: int):
    error = _refusal(Scenario.from_url_token, "A" * length)
    assert f"{length:,} characters long" in error.one_line()


@pytest.mark.parametrize(("text", "phrase"), [
    ('{"a":' * 5000 + "1" + "}" * 5000, "5000 levels deep"),
    ("[" * 200_000, "levels deep"),
    ('{"seed": NaN}', "NaN is not a number"),
    ('{"economics": {"gross_margin": -Infinity}}', "-Infinity is not a number"),
    ('{"seed": 1, "seed": 2}', "appears twice"),
    ('{"market": {"population": 1e999}}', "market.population"),
])
def test_hostile_json_in_a_token_is_refused_specifically(text: str, phrase: str):
    assert phrase in _refusal(Scenario.from_url_token, link_token(text)).one_line()


def test_a_token_of_non_utf8_bytes_or_non_zlib_data_is_damaged():
    bad_utf8 = base64.urlsafe_b64encode(zlib.compress("café".encode("latin-1"))).decode().rstrip("=")
    not_zlib = base64.urlsafe_b64encode(b"plain bytes, not compressed").decode().rstrip("=")
    for token in (bad_utf8, not_zlib):
        assert "damaged or truncated" in _refusal(Scenario.from_url_token, token).one_line()
