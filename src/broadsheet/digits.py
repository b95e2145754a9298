r"""Whether a text is a plain number that ``int()`` reads.

``str.isdigit()`` is true for characters that are digits only in Unicode's broad sense: the
superscripts "²" and "³", circled "①", and others. ``int()`` refuses them, so the common
``if text.isdigit(): int(text)`` raises ``ValueError`` on exactly the input a user, a remote
server or a scraped page can send: a followed keyword "²" once broke its user's front page on
every load, a generated API request with "²" as an id answered 500, and a server's
``Retry-After: ²`` turned a rate-limited poll into a failed one. Ids and header values are
ASCII digits; everything else is text. (The enrich stage reads numbers its own ``\d``
patterns matched, which ``int()`` always reads, and is left as it is.)
"""

from __future__ import annotations

__all__ = ["MAX_ROW_ID", "is_ascii_digits", "row_id"]

# The largest integer key SQLite and PostgreSQL store (signed 64 bits): a larger id is no row,
# and handing it to a query raises OverflowError instead of finding nothing.
MAX_ROW_ID = 2**63 - 1


def is_ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more ASCII digits "0"-"9" and nothing else."""
    return text.isascii() and text.isdigit()


def row_id(text: str) -> int | None:
    """``text`` (blanks around it aside) as a row id: ASCII digits from 1 to ``MAX_ROW_ID``;
    None for anything else, so a caller can answer "not an id" or "no such row" instead of
    sending the database a number it cannot hold."""
    stripped = text.strip()
    if not is_ascii_digits(stripped):
        return None
    value = int(stripped)
    return value if 1 <= value <= MAX_ROW_ID else None
