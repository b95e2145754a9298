"""Bytes to text: refuse what is not text, find the encoding of what is.

Real inputs arrive in UTF-8, UTF-16 with or without a byte-order mark, cp1252 or Latin-1 mislabelled
as UTF-8, and sometimes as an image or archive with a ``.html`` name. The order of evidence is:
known binary signatures, byte-order mark, the NUL pattern of BOM-less UTF-16, strict UTF-8,
UTF-8 with a few broken sequences (``utf-8-repaired``), the charset the document declares, and
last a statistical guess (charset-normalizer). A decoded text with many control characters is
still binary junk and is refused.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer

from broadsheet.errors import BinaryInput, EmptyInput, EncodingError

__all__ = ["Decoded", "declared_charset", "decode_text", "sniff_binary"]

# Signatures of common non-text files, checked on the first bytes. Order matters only for
# readability; none is a prefix of another.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"BZh", "bzip2-compressed data (decompress it first)"),
    (b"\xfd7zXZ\x00", "xz-compressed data (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"RIFF", "a RIFF media file"),
    (b"\x00\x00\x01\x00", "an icon file"),
    (b"wOFF", "a web font"),
)

# Byte-order marks, longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_SNIFF_BYTES = 4096
# More than 1 in 200 characters being C0/C1 controls (other than tab, newlines, form feed) is
# not a text any person wrote: real scraped text has none, a wrongly decoded binary has many.
_MAX_CONTROL_RATIO = 0.005

_C0_CONTROLS = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c")

# A UTF-8 text with a broken sequence or two is still UTF-8: a teaser cut by bytes in the middle
# of a character ("papieros\xc3..."), one pasted-in Latin-1 word. Legacy encodings almost never
# form valid multi-byte UTF-8 sequences, so when the valid ones outnumber the broken ones this
# many times over, the text is decoded as UTF-8 with U+FFFD for each broken sequence, as browsers
# do. Guessing a legacy encoding instead turns every accented letter of the page into mojibake.
_UTF8_VALID_PER_BROKEN = 20

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text and how we got it (``method`` is ``bom``, ``utf-8``, ``declared`` …)."""

    text: str
    encoding: str
    method: str


def sniff_binary(data: bytes) -> str | None:
    """Describe ``data`` if its first bytes are a known binary signature, else None."""
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            return what
    return None


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML ``<meta>`` or XML declaration names in the first bytes, if valid."""
    head = data[:_SNIFF_BYTES]
    match = _XML_DECL_ENCODING.match(head) or _META_CHARSET.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """Spot BOM-less UTF-16 by its NULs: ASCII-range text puts a zero in every other byte."""
    head = data[:_SNIFF_BYTES]
    if len(head) < 4:
        return None
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    half = len(head) / 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _strict(data: bytes, encoding: str, why: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"{why} says {encoding}, but the bytes are not valid {encoding} at byte "
            f"{exc.start} ({exc.reason}); the file is truncated or mixes encodings"
        ) from exc


def _check_controls(text: str, encoding: str) -> None:
    if not text:
        return
    controls = sum(
        1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v\x85"
    )
    if controls / len(text) > _MAX_CONTROL_RATIO:
        raise BinaryInput(
            f"not text: {controls} control characters in {len(text)} characters "
            f"(decoded as {encoding}); binary data or a corrupted file"
        )


def decode_text(data: bytes, *, declared: str | None = None) -> Decoded:
    """Decode ``data`` to ``str`` (see module docstring for the order of evidence).

    Raises ``EmptyInput`` for no bytes or only whitespace, ``BinaryInput`` for non-text data and
    ``EncodingError`` when a byte-order mark or UTF-16 layout is contradicted by the bytes.
    """
    if not data:
        raise EmptyInput("empty input: 0 bytes")
    what = sniff_binary(data)
    if what:
        raise BinaryInput(f"not text: the bytes are {what}")

    decoded: Decoded | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom) :], encoding, "the byte-order mark")
            decoded = Decoded(text, encoding, "bom")
            break
    if decoded is None:
        utf16 = _utf16_without_bom(data)
        if utf16:
            if len(data) % 2:
                raise EncodingError(
                    f"looks like {utf16} without a byte-order mark, but has an odd number of "
                    f"bytes ({len(data)}): the file is truncated"
                )
            decoded = Decoded(_strict(data, utf16, "the NUL-byte layout"), utf16, "utf-16-layout")
    if decoded is None:
        nuls = data.count(0)
        if nuls > _MAX_CONTROL_RATIO * len(data):
            raise BinaryInput(f"not text: {nuls} NUL bytes in {len(data)} bytes")
        if nuls:
            # A few NULs in a page of text (a template writing out an empty buffer) stand for no
            # character in UTF-8 or any 8-bit encoding, and browsers skip them: so do we.
            data = data.replace(b"\x00", b"")
        controls = len(data) - len(data.translate(None, _C0_CONTROLS))
        if controls / len(data) > _MAX_CONTROL_RATIO:
            # Checked on bytes too: a guessed legacy encoding can turn junk into "text".
            raise BinaryInput(
                f"not text: {controls} control bytes in {len(data)} bytes; binary data or a "
                "corrupted file"
            )
        try:
            decoded = Decoded(data.decode("utf-8"), "utf-8", "utf-8")
        except UnicodeDecodeError:
            repaired = _nearly_utf8(data)
            if repaired is not None:
                decoded = Decoded(repaired, "utf-8", "utf-8-repaired")
            else:
                decoded = _decode_legacy(data, declared or declared_charset(data))

    _check_controls(decoded.text, decoded.encoding)
    if not decoded.text.strip():
        raise EmptyInput(f"empty input: {len(data)} bytes of whitespace only")
    return decoded


def _nearly_utf8(data: bytes) -> str | None:
    """``data`` as UTF-8 with U+FFFD for its broken sequences, when it is UTF-8 but for a few
    (see ``_UTF8_VALID_PER_BROKEN``); None when it is not."""
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    broken = replaced - data.count(b"\xef\xbf\xbd")  # U+FFFD written in the input is not broken
    valid = len(text) - len(text.encode("ascii", "ignore")) - replaced
    if broken <= 0 or valid < _UTF8_VALID_PER_BROKEN * broken:
        return None
    return text


def _decode_legacy(data: bytes, declared: str | None) -> Decoded:
    """Non-UTF-8 bytes: trust a declared single-byte charset, else charset-normalizer."""
    if declared and declared not in ("utf-8", "utf_8"):
        try:
            return Decoded(data.decode(declared), declared, "declared")
        except (UnicodeDecodeError, LookupError):
            pass  # the declaration lies; fall through to detection
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise EncodingError(
            f"cannot determine the text encoding of {len(data)} bytes: not UTF-8 and no other "
            "encoding fits"
        )
    encoding = best.encoding
    if encoding in ("utf_8", "ascii"):
        # charset-normalizer can say UTF-8 for bytes that failed strict UTF-8 above; the
        # Windows code page is what such mislabelled Western text nearly always is.
        encoding = "cp1252"
    try:
        return Decoded(data.decode(encoding), encoding, "detected")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"cannot decode {len(data)} bytes: not UTF-8, and the best guess {encoding} fails "
            f"at byte {exc.start}"
        ) from exc
