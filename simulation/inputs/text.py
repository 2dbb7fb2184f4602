"""Bytes to text: the encodings real exports come in, found and reported.

Spreadsheets and point-of-sale systems export UTF-8 (often with a byte-order mark), UTF-16
(Excel's "Unicode text") or a Windows code page. The encoding is read from a byte-order mark
when there is one, else UTF-16 is recognised by its zero bytes, else UTF-8 is tried strictly,
else Windows-1252 (a superset of Latin-1 for the printable range), else Latin-1, which decodes
any byte. Binary files (spreadsheets, archives, images) are refused with what they look like.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from simulation.inputs.problems import InputError, Problem

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_SIGNATURES = (
    (b"PK\x03\x04", "zip"), (b"\xd0\xcf\x11\xe0", "xls"), (b"%PDF", "pdf"), (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"), (b"\x1f\x8b", "gzip"), (b"SQLite format 3", "sqlite"),
)
ENCODING_NAMES = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8 with byte-order mark", "utf-16-le": "UTF-16 (little-endian)",
    "utf-16-be": "UTF-16 (big-endian)", "utf-32-le": "UTF-32 (little-endian)",
    "utf-32-be": "UTF-32 (big-endian)", "utf-16": "UTF-16 with byte-order mark",
    "utf-32": "UTF-32 with byte-order mark", "cp1252": "Windows-1252", "latin-1": "Latin-1 (ISO-8859-1)",
}
_CONTROL_SHARE_LIMIT = 0.01
"""More control characters than this share of the text (other than tab, newlines, form feed)
and the file is taken as binary."""


@dataclass(frozen=True)
class DecodedText:
    """Text and the encoding it was decoded from (a Python codec name)."""

    text: str
    encoding: str

    @property
    def encoding_name(self) -> str:
        """The encoding as a person would name it, e.g. ``UTF-16 (little-endian)``."""
        return ENCODING_NAMES.get(self.encoding, self.encoding)


def detect_encoding(head: bytes) -> str:
    """The codec of a file from its first bytes (a few KB are enough).

    Raises
    ------
    InputError
        The bytes are a known binary format or hold NUL bytes without being UTF-16/32.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise InputError([Problem("problem.file.not_text", what=Problem(f"problem.binary_kind.{what}"))])
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    if b"\x00" in head:
        raise InputError([Problem("problem.file.binary_zero")])
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a multi-byte character cut by the end of the sample
            return "utf-8"
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text of mostly ASCII characters has a zero in every other byte."""
    sample = head[: len(head) - len(head) % 2][:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_bytes(raw: bytes) -> DecodedText:
    """All of ``raw`` as text (see the module docstring for how the encoding is chosen).

    Raises
    ------
    InputError
        Binary content, or bytes that are not valid in the encoding the start announced.
    """
    codec = detect_encoding(raw[:65536])
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as error:
        if codec != "utf-8":
            name = ENCODING_NAMES.get(codec, codec)
            raise InputError([Problem("problem.file.bad_byte", position=str(error.start + 1),
                                       encoding=name)]) from None
        codec = "cp1252"
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            codec, text = "latin-1", raw.decode("latin-1")
    check_text(text)
    return DecodedText(text=text, encoding=codec)


def check_text(text: str) -> None:
    """Refuse decoded text that is really binary (many control characters)."""
    if not text:
        return
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\f")
    if "\x00" in sample or controls > _CONTROL_SHARE_LIMIT * len(sample):
        raise InputError([Problem("problem.file.binary")])
