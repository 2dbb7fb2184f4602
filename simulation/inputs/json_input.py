"""JSON objects from files, uploads and share links, with size and nesting limits.

The share link carries the scenario itself (zlib-compressed JSON, URL-safe base64), never a
path: :func:`json_from_link` decodes it with a bound on the decompressed size, so a small token
that would inflate to hundreds of megabytes is refused before it is inflated. Files are read
only when they are regular files, and never beyond the size limit, so a path to a device
(``/dev/zero``) or a huge file cannot exhaust memory.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import stat
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from simulation.inputs.problems import (
    MAX_JSON_DEPTH,
    MAX_LINK_CHARACTERS,
    MAX_SCENARIO_BYTES,
    InputError,
)
from simulation.inputs.text import decode_bytes

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_URL_SAFE = re.compile(r"^[A-Za-z0-9_\-]*={0,2}$")
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("{"), ord("[")]] = 1
_OPEN[[ord("}"), ord("]")]] = -1


def nesting_depth(text: str) -> int:
    """Deepest nesting of ``{`` and ``[`` outside strings (0 for a scalar)."""
    bare = _STRING.sub('""', text)
    steps = _OPEN[np.frombuffer(bare.encode("utf-8", "replace"), dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def parse_json_object(text: str, *, max_bytes: int = MAX_SCENARIO_BYTES,
                      max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """The JSON object in ``text``.

    Raises
    ------
    InputError
        Too long, too deeply nested, not JSON (with line and column), NaN/Infinity, a key
        given twice, or not an object.
    """
    text = text.removeprefix("\ufeff")
    if len(text) > max_bytes:
        raise InputError([f"the scenario is {len(text):,} characters long; at most "
                          f"{max_bytes:,} are accepted"])
    if not text.strip():
        raise InputError(["the scenario is empty"])
    depth = nesting_depth(text)
    if depth > max_depth:
        raise InputError([f"the JSON nests {depth} levels deep; a scenario nests at most {max_depth}"])
    try:
        data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise InputError([f"not valid JSON: {error.msg} at {where}"]) from None
    except (ValueError, RecursionError) as error:
        raise InputError([f"not valid JSON: {error}"]) from None
    if not isinstance(data, dict):
        raise InputError(["a scenario must be one JSON object, starting with {"])
    return data


def json_from_bytes(raw: bytes, *, max_bytes: int = MAX_SCENARIO_BYTES) -> dict[str, Any]:
    """The JSON object in ``raw`` (an upload or a file's content), any common encoding."""
    if len(raw) > max_bytes:
        raise InputError([f"the file is {len(raw):,} bytes; a scenario file is at most {max_bytes:,}"])
    if not raw.strip():
        raise InputError(["the file is empty"])
    return parse_json_object(decode_bytes(raw).text, max_bytes=max_bytes)


def read_limited(path: str | Path, *, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, refusing anything larger than ``max_bytes``.

    Raises
    ------
    InputError
        Missing, a folder or device, unreadable or too large.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError as error:
        raise InputError([f"{path}: cannot be read ({error.strerror or error})"]) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError([f"{path}: is not a regular file"])
    if info.st_size > max_bytes:
        raise InputError([f"{path}: is {info.st_size:,} bytes; at most {max_bytes:,} are accepted"])
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        raise InputError([f"{path}: cannot be read ({error.strerror or error})"]) from None
    if len(raw) > max_bytes:
        raise InputError([f"{path}: is larger than {max_bytes:,} bytes"])
    return raw


def json_from_file(path: str | Path, *, max_bytes: int = MAX_SCENARIO_BYTES) -> dict[str, Any]:
    """The JSON object in the file ``path`` (see :func:`read_limited`)."""
    raw = read_limited(path, max_bytes=max_bytes)
    try:
        return json_from_bytes(raw, max_bytes=max_bytes)
    except InputError as error:
        raise InputError([f"{Path(path).name}: {p}" for p in error.problems]) from None


def link_token(text: str) -> str:
    """``text`` packed into a URL-safe token (zlib, then base64 without padding)."""
    packed = zlib.compress(text.encode("utf-8"), level=9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def json_from_link(token: str, *, max_characters: int = MAX_LINK_CHARACTERS,
                   max_bytes: int = MAX_SCENARIO_BYTES) -> dict[str, Any]:
    """The JSON object a share-link token carries (inverse of :func:`link_token`).

    Only data: a token that is not URL-safe base64 of zlib-compressed JSON is refused; it is
    never taken as a path. Inflation stops after ``max_bytes``.
    """
    damaged = InputError(["the shared link's scenario is damaged or truncated"])
    if len(token) > max_characters:
        raise InputError([f"the shared link is {len(token):,} characters long; at most "
                          f"{max_characters:,} are accepted"])
    if not _URL_SAFE.match(token):
        raise damaged
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, max_bytes + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise damaged from None
    if len(raw) > max_bytes or inflater.unconsumed_tail:
        raise InputError([f"the shared link's scenario inflates to more than {max_bytes:,} bytes"])
    if not inflater.eof or inflater.unused_data:  # cut short, or something appended
        raise damaged
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise damaged from None
    return parse_json_object(text, max_bytes=max_bytes)
