"""Bytes to text: every encoding real exports come in is found, reported and decoded exactly;
binary files are refused with what they look like."""

from __future__ import annotations

import codecs

import pytest

from simulation.inputs.problems import InputError
from simulation.inputs.text import check_text, decode_bytes, detect_encoding

TEXT = "customer_id,channel,amount\nC1,café Ñandú,10.50\nC2,web,3.00\n"


@pytest.mark.parametrize(("raw", "codec", "name"), [
    (TEXT.encode("utf-8"), "utf-8", "UTF-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig", "UTF-8 with byte-order mark"),
    (TEXT.encode("utf-16"), "utf-16", "UTF-16 with byte-order mark"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16", "UTF-16 with byte-order mark"),
    (TEXT.encode("utf-16-le"), "utf-16-le", "UTF-16 (little-endian)"),
    (TEXT.encode("utf-16-be"), "utf-16-be", "UTF-16 (big-endian)"),
    (TEXT.encode("utf-32"), "utf-32", "UTF-32 with byte-order mark"),
    (TEXT.encode("cp1252"), "cp1252", "Windows-1252"),
])
def test_each_encoding_is_found_reported_and_decoded_exactly(raw: bytes, codec: str, name: str):
    assert detect_encoding(raw) == codec
    decoded = decode_bytes(raw)
    assert decoded.text == TEXT  # no BOM left, every accent intact
    assert decoded.encoding == codec
    assert decoded.encoding_name == name


def test_cp1252_specific_characters_decode_as_windows_1252():
    text = "price \u20ac 5 \u2013 \u201cquoted\u201d"  # euro sign, en dash, curly quotes: 0x80-0x9f
    decoded = decode_bytes(text.encode("cp1252"))
    assert decoded.text == text and decoded.encoding == "cp1252"


def test_latin1_bytes_undefined_in_cp1252_fall_back_to_latin1():
    raw = "caf\xe9".encode("latin-1") + b" \x81\x8d\x8f\x90\x9d"  # undefined in Windows-1252
    decoded = decode_bytes(raw)
    assert decoded.encoding == "latin-1"
    assert decoded.text.startswith("café ")


def test_plain_latin1_text_is_read_with_its_accents():
    text = "Ñandú,São Paulo,Zürich\n"
    assert decode_bytes(text.encode("latin-1")).text == text


def test_utf8_is_preferred_when_the_bytes_are_valid_utf8():
    text = "Hà Nội,ร้านค้า,店铺\n"
    decoded = decode_bytes(text.encode("utf-8"))
    assert decoded.text == text and decoded.encoding == "utf-8"


def test_a_multibyte_character_cut_by_the_sniffed_head_still_counts_as_utf8():
    raw = ("a" * 65535 + "é").encode("utf-8")  # the head's last byte is half of "é"
    assert detect_encoding(raw[:65536]) == "utf-8"
    assert decode_bytes(raw).text.endswith("é")


def test_utf8_head_with_invalid_bytes_later_falls_back_to_windows_1252():
    raw = b"a" * 70_000 + "café".encode("cp1252")
    decoded = decode_bytes(raw)
    assert decoded.encoding == "cp1252" and decoded.text.endswith("café")


@pytest.mark.parametrize(("raw", "phrase"), [
    (b"PK\x03\x04\x14\x00rest", "Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
    (b"%PDF-1.7\n", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff\xe0", "JPEG"),
    (b"\x1f\x8b\x08\x00", "gzip"),
    (b"SQLite format 3\x00", "SQLite"),
    (b"abc\x00\x01\x02\x03\x04\x05\x00\x00\x00\x07", "binary data"),
])
def test_binary_formats_are_refused_saying_what_they_are(raw: bytes, phrase: str):
    with pytest.raises(InputError) as caught:
        decode_bytes(raw)
    assert phrase in caught.value.one_line()
    assert len(caught.value.problems) == 1


def test_text_full_of_control_characters_is_refused_as_binary():
    raw = bytes(range(1, 9)) * 100  # no NUL, but nothing a person would type
    with pytest.raises(InputError, match="binary data"):
        decode_bytes(raw)


def test_tabs_newlines_and_form_feeds_are_ordinary_text():
    check_text("a\tb\r\nc\fd\n" * 100)  # does not raise


def test_invalid_utf16_after_a_bom_is_refused_with_the_byte_position():
    with pytest.raises(InputError, match=r"byte \d+ is not valid UTF-16"):
        decode_bytes(b"\xff\xfe\x00")


def test_empty_bytes_decode_to_empty_text():
    decoded = decode_bytes(b"")
    assert decoded.text == "" and decoded.encoding == "utf-8"


def test_short_ascii_is_not_mistaken_for_utf16():
    assert detect_encoding(b"ab") == "utf-8"
    assert detect_encoding(b"{}") == "utf-8"
