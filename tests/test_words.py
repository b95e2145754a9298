from __future__ import annotations

import pytest

from broadsheet.words import word_count


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   ", 0),
        ("Trade ministers met in Brussels.", 5),
        # Korean separates its words with spaces.
        ("무역 장관들이 브뤼셀에서 만났다.", 4),
        # Chinese and Japanese: two characters to a word, each run rounded up.
        ("贸易部长在布鲁塞尔会晤。", 6),  # 11 Han characters, then a full stop
        ("東京都は月曜日、新しい条例を発表した。", 9),  # runs of 7 and 10 characters
        ("苹果发布了 iPhone 15 手机", 6),  # 苹果发布了 (3), "iPhone", "15", 手机 (1)
        ("欧盟", 1),
        ("欧", 1),
    ],
)
def test_word_count(text: str, words: int) -> None:
    assert word_count(text) == words


def test_word_count_agrees_with_split_without_chinese_or_japanese() -> None:
    text = "Il a dit « non » — deux fois, à 9h30 — selon l'AFP.\tFin."
    assert word_count(text) == len(text.split())
