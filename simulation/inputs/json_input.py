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
    Problem,
    at,
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
    raise ValueError(Problem("problem.json.number_not_allowed", name=name))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(Problem("problem.json.key_twice", key=repr(key)))
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
        raise InputError([Problem("problem.json.too_long", length=len(text), limit=max_bytes)])
    if not text.strip():
        raise InputError([Problem("problem.json.empty")])
    depth = nesting_depth(text)
    if depth > max_depth:
        raise InputError([Problem("problem.json.too_deep", depth=str(depth), limit=str(max_depth))])
    try:
        data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise InputError([Problem("problem.json.invalid_at", reason=error.msg, line=str(error.lineno),
                                  column=str(error.colno))]) from None
    except (ValueError, RecursionError) as error:
        reason = error.args[0] if error.args and isinstance(error.args[0], Problem) else str(error)
        raise InputError([Problem("problem.json.invalid", reason=reason)]) from None
    if not isinstance(data, dict):
        raise InputError([Problem("problem.json.not_object")])
    return data


def json_from_bytes(raw: bytes, *, max_bytes: int = MAX_SCENARIO_BYTES) -> dict[str, Any]:
    """The JSON object in ``raw`` (an upload or a file's content), any common encoding."""
    if len(raw) > max_bytes:
        raise InputError([Problem("problem.file.too_large", size=len(raw), limit=max_bytes)])
    if not raw.strip():
        raise InputError([Problem("problem.file.empty")])
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
        raise InputError([at(str(path), Problem("problem.file.unreadable",
                                           reason=error.strerror or str(error)))]) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError([at(str(path), Problem("problem.file.not_regular"))])
    if info.st_size > max_bytes:
        raise InputError([at(str(path), Problem("problem.file.size_over", size=info.st_size,
                                           limit=max_bytes))])
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        raise InputError([at(str(path), Problem("problem.file.unreadable",
                                           reason=error.strerror or str(error)))]) from None
    if len(raw) > max_bytes:
        raise InputError([at(str(path), Problem("problem.file.larger_than", limit=max_bytes))])
    return raw


def json_from_file(path: str | Path, *, max_bytes: int = MAX_SCENARIO_BYTES) -> dict[str, Any]:
    """The JSON object in the file ``path`` (see :func:`read_limited`)."""
    raw = read_limited(path, max_bytes=max_bytes)
    try:
        return json_from_bytes(raw, max_bytes=max_bytes)
    except InputError as error:
        raise InputError([at(Path(path).name, p) for p in error.problems]) from None


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
    damaged = InputError([Problem("problem.link.damaged")])
    if len(token) > max_characters:
        raise InputError([Problem("problem.link.too_long", length=len(token), limit=max_characters)])
    if not _URL_SAFE.match(token):
        raise damaged
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, max_bytes + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise damaged from None
    if len(raw) > max_bytes or inflater.unconsumed_tail:
        raise InputError([Problem("problem.link.inflates", limit=max_bytes)])
    if not inflater.eof or inflater.unused_data:  # cut short, or something appended
        raise damaged
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise damaged from None
    return parse_json_object(text, max_bytes=max_bytes)
