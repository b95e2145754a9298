"""``is_ascii_digits``: the numbers ``int()`` reads, and nothing ``str.isdigit()`` merely calls
a digit."""

from __future__ import annotations

import pytest

from broadsheet.digits import is_ascii_digits


@pytest.mark.parametrize("text", ["0", "7", "42", "9223372036854775807", "007"])
def test_ascii_digits_are_numbers(text: str) -> None:
    assert is_ascii_digits(text)
    assert int(text) >= 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\u00b2",  # superscript two: isdigit() is true, int() raises
        "1\u00b3",
        "\u2460",  # circled one
        "\u0663",  # Arabic-Indic three: int() reads it, but no id is written that way
        "\uff11",  # full-width one
        "-1",
        "+1",
        "1.5",
        " 1",
        "1 ",
        "12a",
    ],
)
def test_anything_else_is_text(text: str) -> None:
    assert not is_ascii_digits(text)


def test_the_trap_it_avoids() -> None:
    assert "\u00b2".isdigit()
    with pytest.raises(ValueError):
        int("\u00b2")
