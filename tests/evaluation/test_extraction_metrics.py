from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.evaluation.extraction import (
    PUBLISHED_TRAFILATURA,
    SnippetCounts,
    SystemScores,
    Unavailable,
    check_scorer,
    load_snippet_pages,
    load_zyte_pages,
    run_extraction_eval,
    score_shingles,
    shingle_counts,
    snippet_counts,
    tokenize,
)

# --- Zyte shingle metric --------------------------------------------------------------------


def test_tokens_are_unicode_word_runs_with_case_kept() -> None:
    assert tokenize("Café crème, s'il vous plaît — 3.5%!") == [
        "Café",
        "crème",
        "s",
        "il",
        "vous",
        "plaît",
        "3",
        "5",
    ]
    assert tokenize("") == []


def test_identical_texts_score_one() -> None:
    text = "The council approved the budget on Tuesday after a long debate."
    score = score_shingles([(text, text), (text + " More.", text + " More.")])
    assert (score.precision, score.recall, score.f1, score.accuracy) == (1.0, 1.0, 1.0, 1.0)


def test_punctuation_and_line_breaks_do_not_count() -> None:
    gold = "The council approved the budget.\nIt meets again in May."
    predicted = "The council approved the budget It meets again in May"
    assert score_shingles([(gold, predicted)]).accuracy == 1.0


def test_disjoint_texts_score_zero() -> None:
    score = score_shingles([("one two three four five", "six seven eight nine ten")])
    assert (score.precision, score.recall, score.f1, score.accuracy) == (0.0, 0.0, 0.0, 0.0)


def test_per_page_counts_are_shares_of_their_sum() -> None:
    # gold shingles: abcd bcde; predicted: abcd bcdx -> 1 matched, 1 extra, 1 missed.
    page = shingle_counts("a b c d e", "a b c d x")
    assert page.tp == pytest.approx(1 / 3)
    assert page.fp == pytest.approx(1 / 3)
    assert page.fn == pytest.approx(1 / 3)
    assert page.precision == pytest.approx(0.5)
    assert page.recall == pytest.approx(0.5)
    assert not page.is_exact


def test_partial_pages_average_precision_and_recall_then_take_f1() -> None:
    # Page 1: gold abcd bcde cdef, predicted abcd -> P 1, R 1/3.
    # Page 2: gold abcd, predicted xyzw yzwa zwab wabc abcd -> P 1/5, R 1.
    # Means: P 0.6, R 2/3; F1 of the means = 2 * 0.6 * (2/3) / (0.6 + 2/3) = 12/19,
    # not the mean of the page F1s ((1/2 + 1/3) / 2 = 5/12).
    score = score_shingles([("a b c d e f", "a b c d"), ("a b c d", "x y z w a b c d")])
    assert score.n == 2
    assert score.precision == pytest.approx(0.6)
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(12 / 19)
    assert score.accuracy == 0.0


def test_shingles_are_a_multiset() -> None:
    # gold: abcd bcda cdab dabc abcd (abcd twice); predicted abcd once -> 1 matched, 4 missed.
    page = shingle_counts("a b c d a b c d", "a b c d")
    assert page.precision == pytest.approx(1.0)
    assert page.recall == pytest.approx(0.2)


def test_a_text_shorter_than_a_shingle_is_one_shingle() -> None:
    assert shingle_counts("Hello world", "Hello, world!").precision == 1.0
    assert shingle_counts("Hello world", "hello world").precision == 0.0  # case counts


def test_empty_prediction_counts_in_recall_only() -> None:
    page = shingle_counts("a b c d e", "")
    assert page.precision is None
    assert page.recall == 0.0
    # Alone, no page defines precision: it is 0, and so is F1.
    alone = score_shingles([("a b c d e", "")])
    assert (alone.precision, alone.recall, alone.f1) == (0.0, 0.0, 0.0)
    # Beside a perfect page: precision averages over that page only, recall over both.
    mixed = score_shingles([("a b c d e", "a b c d e"), ("a b c d e", "")])
    assert mixed.precision == 1.0
    assert mixed.recall == 0.5
    assert mixed.accuracy == 0.5


def test_empty_gold_counts_in_precision_only() -> None:
    page = shingle_counts("", "a b c d e")
    assert page.precision == 0.0
    assert page.recall is None
    mixed = score_shingles([("a b c d e", "a b c d e"), ("", "a b c d e")])
    assert mixed.precision == 0.5
    assert mixed.recall == 1.0


def test_empty_gold_and_prediction_count_only_in_accuracy() -> None:
    page = shingle_counts("", "  ")
    assert (page.precision, page.recall, page.is_exact) == (None, None, True)
    score = score_shingles([("", ""), ("a b c d e", "a b c d")])
    assert score.accuracy == 0.5
    assert score.precision == 1.0
    assert score.recall == pytest.approx(0.5)


def test_accuracy_is_the_share_of_exact_token_lists() -> None:
    pairs = [
        ("One two three four.", "One two three four"),
        ("One two three four.", "One two three four five"),
        ("One two three four.", "Two three four"),
        ("One two three four.", "ONE two three four"),
    ]
    assert score_shingles(pairs).accuracy == 0.25


@given(st.text(), st.text())
def test_any_pair_gives_bounded_shares(gold: str, predicted: str) -> None:
    page = shingle_counts(gold, predicted)
    total = page.tp + page.fp + page.fn
    assert total == pytest.approx(1.0) or total == 0.0
    for value in (page.precision, page.recall):
        assert value is None or 0.0 <= value <= 1.0
    assert shingle_counts(gold, gold).is_exact


# --- trafilatura snippet metric -------------------------------------------------------------


def test_snippets_match_after_whitespace_is_collapsed() -> None:
    output = "The  council approved\nthe budget.\n\nSubscribe to our newsletter"
    counts = snippet_counts(
        output,
        with_snippets=["council approved the\tbudget", "It meets again in May"],
        without_snippets=["Subscribe to our newsletter", "Cookie settings"],
    )
    assert counts == SnippetCounts(tp=1, fp=1, fn=1, tn=1)


def test_empty_output_finds_no_snippet() -> None:
    assert snippet_counts("", ["a b"], ["c", "d"]) == SnippetCounts(tp=0, fp=0, fn=1, tn=2)


def test_snippet_counts_pool_before_dividing() -> None:
    # Page 1: 2 of 2 kept, 1 of 2 leaked. Page 2: 1 of 3 kept, 0 of 1 leaked.
    pooled = snippet_counts("alpha beta gamma", ["alpha", "beta"], ["gamma", "delta"])
    pooled += snippet_counts("alpha", ["alpha", "beta", "gamma"], ["delta"])
    assert pooled == SnippetCounts(tp=3, fp=1, fn=2, tn=2)
    assert pooled.precision == pytest.approx(3 / 4)
    assert pooled.recall == pytest.approx(3 / 5)
    assert pooled.accuracy == pytest.approx(5 / 8)
    assert pooled.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_no_snippets_scores_zero_not_an_error() -> None:
    empty = SnippetCounts()
    assert (empty.precision, empty.recall, empty.accuracy, empty.f1) == (0.0, 0.0, 0.0, 0.0)


# --- Runs on a small literal evaluation directory ----------------------------------------------


def _write_jsonl(path: Path, records: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def _page(title: str, body: list[str], charset: str = "utf-8") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body)
    return (
        f"<html><head><meta charset='{charset}'><title>{title}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World news section</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>Subscribe to our newsletter for daily updates</footer></body></html>"
    )


FIRST = [
    "The city council approved next year's budget on Tuesday after a debate that ran late.",
    "Councillors argued about road repairs, school funding and the cost of the new library.",
]
SECOND = [
    "Second story: dock workers at the port began a strike over pay and working hours today.",
    "Union leaders said the strike would last until the employers returned to the talks.",
]
THIRD = [
    "Le café du port a rouvert ses portes après des travaux qui ont duré plus de six mois.",
    "Les habitués étaient nombreux à venir saluer le patron dès l'ouverture, samedi matin.",
]


@pytest.fixture
def eval_dir(tmp_path: Path) -> Path:
    root = tmp_path / "eval"
    _write_jsonl(
        root / "extraction" / "articles.jsonl.gz",
        [
            {
                "id": "p1",
                "url": "https://a.example/1",
                "html": _page("Budget", FIRST),
                "article_body": "\n".join(FIRST),
            },
            {
                "id": "p2",
                "url": "https://a.example/2",
                "html": _page("Strike", SECOND),
                "article_body": "\n".join(SECOND),
            },
        ],
    )
    _write_jsonl(
        root / "extraction" / "reference_outputs.jsonl.gz",
        [
            {
                "id": "p1",
                "system": "trafilatura",
                "version": "2.0.0",
                "article_body": "\n".join(FIRST),
            },
            {"id": "p2", "system": "trafilatura", "version": "2.0.0", "article_body": ""},
            {"id": "p1", "system": "other", "version": "", "article_body": ""},
        ],
    )
    latin1 = _page("Café", THIRD, charset="iso-8859-1").encode("latin-1")
    _write_jsonl(
        root / "extraction-trafilatura" / "documents.jsonl.gz",
        [
            {
                "id": "d1",
                "url": "https://b.example/1",
                "file": "d1.html",
                "html": _page("Budget", FIRST),
                "html_encoding": "utf-8",
                "with": [FIRST[1]],
                "without": ["Subscribe to our newsletter"],
                "metadata": {},
            },
            {
                "id": "d2",
                "url": "https://b.example/2",
                "file": "d2.html",
                "html": latin1.decode("latin-1"),
                "html_encoding": "latin-1-bytes",
                "with": [THIRD[0], THIRD[1]],
                "without": ["World news section"],
                "metadata": {},
            },
        ],
    )
    return root


def long_lines(lines):
    """A stand-in for the line classifier: keep lines of eight words or more."""
    return [line for line in lines if len(line.split()) >= 8]


def test_loaders_read_records_and_give_original_bytes(eval_dir: Path) -> None:
    pages = load_zyte_pages(eval_dir)
    assert [page.id for page in pages] == ["p1", "p2"]
    assert [page.id for page in load_zyte_pages(eval_dir, limit=1)] == ["p1"]
    snippet_pages = load_snippet_pages(eval_dir)
    assert isinstance(snippet_pages[0].html, str)
    assert isinstance(snippet_pages[1].html, bytes)
    assert "Café".encode("latin-1") in snippet_pages[1].html
    assert snippet_pages[1].with_snippets == tuple(THIRD)


def test_missing_data_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"articles\.jsonl\.gz"):
        load_zyte_pages(tmp_path)


def scored(systems: dict[str, SystemScores | Unavailable], name: str) -> SystemScores:
    value = systems[name]
    assert "error" not in value, value
    return value


def test_run_reports_every_system_on_both_sets(eval_dir: Path) -> None:
    def flaky(html: str) -> str:
        if "Strike" in html:
            raise RuntimeError("boom")
        return html

    report = run_extraction_eval(eval_dir, systems={"flaky": flaky}, line_cleaner=long_lines)
    assert report["task"] == "extraction"
    assert report["n"] == 2
    assert set(report["systems"]) == {
        "keep-everything",
        "trafilatura",
        "broadsheet-html",
        "broadsheet-text",
        "flaky",
    }
    for scores in report["systems"].values():
        assert set(scores) == {"f1", "precision", "recall", "accuracy", "pages_per_s", "crashes"}
    text = scored(report["systems"], "broadsheet-text")
    assert (text["precision"], text["recall"], text["accuracy"]) == (1.0, 1.0, 1.0)
    assert scored(report["systems"], "flaky")["crashes"] == 1

    (also,) = report["also"]
    assert (also["metric"], also["n"]) == ("snippets", 2)
    assert set(also["systems"]) == {"keep-everything", "trafilatura", "broadsheet-html", "flaky"}
    # The rendered page holds every snippet, wanted or not: 3 of 3 kept, 2 of 2 leaked.
    everything = scored(also["systems"], "keep-everything")
    assert (everything["recall"], everything["precision"], everything["accuracy"]) == (
        1.0,
        0.6,
        0.6,
    )
    assert scored(also["systems"], "trafilatura")["crashes"] == 0

    check = report["scorer_check"]
    assert (check["n"], check["version"]) == (2, "2.0.0")
    assert (check["precision"], check["recall"], check["accuracy"]) == (1.0, 0.5, 0.5)


def test_limit_and_an_unavailable_text_path(eval_dir: Path) -> None:
    def missing_model(lines):
        raise FileNotFoundError("cleaner_model.json")

    report = run_extraction_eval(eval_dir, limit=1, line_cleaner=missing_model)
    assert report["n"] == 1
    assert report["also"][0]["n"] == 1
    assert report["systems"]["broadsheet-text"] == {
        "error": "FileNotFoundError: cleaner_model.json"
    }


def test_added_systems_cannot_replace_built_ins(eval_dir: Path) -> None:
    with pytest.raises(ValueError, match="trafilatura"):
        run_extraction_eval(eval_dir, systems={"trafilatura": str})


# --- The scorer against published numbers ---------------------------------------------------


def test_scorer_reproduces_published_trafilatura_numbers(shared_eval: Path) -> None:
    check = check_scorer(shared_eval)
    assert check["n"] == 181
    ours = {
        "f1": check["f1"],
        "precision": check["precision"],
        "recall": check["recall"],
        "accuracy": check["accuracy"],
    }
    assert ours == pytest.approx(dict(PUBLISHED_TRAFILATURA), abs=0.001)
