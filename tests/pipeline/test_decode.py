from __future__ import annotations

import codecs
import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.errors import BinaryInput, BroadsheetError, EmptyInput, EncodingError
from broadsheet.pipeline.decode import declared_charset, decode_text, sniff_binary

TEXT = "Ministers said the “deal” was worth €2.1 billion — café talks résumé."


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32-le"),
    ],
)
def test_unicode_encodings_decode_exactly(data: bytes, encoding: str) -> None:
    decoded = decode_text(data)
    assert decoded.text == TEXT
    assert decoded.encoding == encoding


def test_cp1252_smart_quotes_are_recovered() -> None:
    text = (
        "The minister said: \u201cWe are close to a deal\u201d \u2013 talks resume next week. " * 3
    )
    decoded = decode_text(text.encode("cp1252"))
    assert decoded.text == text
    assert decoded.method == "detected"


def test_latin1_declared_in_meta_is_trusted() -> None:
    html = '<html><head><meta charset="iso-8859-1"></head><body>Señor Núñez à Zürich</body></html>'
    decoded = decode_text(html.encode("latin-1"))
    assert "Señor Núñez à Zürich" in decoded.text
    assert decoded.method == "declared"


def test_declared_charset_reads_meta_and_xml_declaration() -> None:
    assert declared_charset(b'<?xml version="1.0" encoding="ISO-8859-1"?><rss/>') == "iso8859-1"
    assert (
        declared_charset(
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        )
        == "cp1252"
    )
    assert declared_charset(b"<meta charset=no-such-codec>") is None


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG"),
        (gzip.compress(b"<rss></rss>"), "gzip"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b"PK\x03\x04rest", "ZIP"),
        (b"\x7fELF\x02\x01", "ELF"),
    ],
)
def test_binary_signatures_are_named(data: bytes, what: str) -> None:
    assert what in (sniff_binary(data) or "")
    with pytest.raises(BinaryInput, match=what):
        decode_text(data)


def test_nul_bytes_in_otherwise_ascii_text_are_binary() -> None:
    with pytest.raises(BinaryInput, match="NUL"):
        decode_text(b"Headline\x00\x00\x00\x01body text\x00" * 3 + b"\xff\xfe\xfd\x00")


def test_control_characters_mean_binary() -> None:
    junk = bytes(range(1, 9)) * 50 + b"some text"
    with pytest.raises(BinaryInput, match=r"control (bytes|characters)"):
        decode_text(junk)


def test_truncated_utf16_without_bom_is_an_encoding_error() -> None:
    data = "A headline and a body of text".encode("utf-16-le")[:-1]
    with pytest.raises(EncodingError, match="odd number of bytes"):
        decode_text(data)


def test_bom_contradicted_by_bytes_is_an_encoding_error() -> None:
    with pytest.raises(EncodingError, match="byte-order mark"):
        decode_text(codecs.BOM_UTF8 + b"caf\xe9 \xff\xfe broken")


def test_empty_and_whitespace_only() -> None:
    with pytest.raises(EmptyInput, match="0 bytes"):
        decode_text(b"")
    with pytest.raises(EmptyInput, match="whitespace only"):
        decode_text(b" \n\t\r\n  ")


@given(st.binary(max_size=512))
def test_any_bytes_give_text_or_a_broadsheet_error(data: bytes) -> None:
    try:
        decoded = decode_text(data)
    except BroadsheetError:
        return
    assert isinstance(decoded.text, str)
    assert decoded.text.strip()


@given(st.text(min_size=1, max_size=300).filter(lambda s: s.strip() and "\x00" not in s))
def test_utf8_text_round_trips(text: str) -> None:
    try:
        decoded = decode_text(text.encode("utf-8"))
    except BinaryInput:
        # Text made mostly of control characters is refused on purpose.
        return
    # A leading U+FEFF is read as a byte-order mark, which is what it is in a file.
    assert decoded.text == text.removeprefix("\ufeff")


def test_utf8_with_one_broken_sequence_stays_utf8() -> None:
    # A teaser cut by bytes in the middle of "ó" ("\xc3\xb3"): one broken sequence among many
    # valid ones. A guessed legacy encoding (mac_latin2 for this Polish text) garbled every
    # accented letter of the page.
    html = (
        '<html><head><meta charset="UTF-8" /></head><body>'
        + "<p>Zażółć gęślą jaźń: fundacja wytoczyła sprawę o nieudostępnienie informacji.</p>" * 4
        + "</body></html>"
    ).encode()
    data = html.replace(b"</body>", b"<p>tys. paczek papieros\xc3...</p></body>")
    decoded = decode_text(data)
    assert decoded.method == "utf-8-repaired"
    assert decoded.encoding == "utf-8"
    assert "Zażółć gęślą jaźń" in decoded.text
    assert "papieros\ufffd..." in decoded.text


def test_latin1_mislabelled_as_utf8_is_not_repaired_as_utf8() -> None:
    # No valid multi-byte sequence at all: this is not UTF-8, whatever the page declares.
    html = '<html><head><meta charset="utf-8"></head><body>Señor Núñez à Zürich</body></html>'
    decoded = decode_text((html * 3).encode("latin-1"))
    assert decoded.method == "detected"
    assert decoded.encoding != "utf-8"


def test_many_broken_sequences_are_not_repaired_as_utf8() -> None:
    # One valid "é" for every two Latin-1 letters: a mixed file, not UTF-8 with a slip.
    text = "café résumé " * 5
    data = text.encode("utf-8") + ("naïve Zürich " * 5).encode("latin-1")
    assert decode_text(data).method != "utf-8-repaired"


def test_a_few_nul_bytes_in_a_page_of_text_are_dropped() -> None:
    # A real page: a template wrote an empty buffer (a run of NULs) after a banner image.
    page = (
        b"<html><body><p>"
        + b"Ministers met in Brussels on Thursday. " * 100
        + b'<img src="banner.gif" alt="">'
        + b"\x00" * 11
        + b"</p></body></html>"
    )
    decoded = decode_text(page)
    assert "\x00" not in decoded.text
    assert decoded.text.count("Ministers met in Brussels") == 100
    # As many NULs in a short input are binary junk still.
    with pytest.raises(BinaryInput, match="11 NUL bytes"):
        decode_text(b"Headline: ministers met" + b"\x00" * 11)
