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

__all__ = ["is_ascii_digits"]


def is_ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more ASCII digits "0"-"9" and nothing else."""
    return text.isascii() and text.isdigit()
