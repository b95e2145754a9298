"""Entity mentions within one article: spans, titles, roles, short forms and types.

Literal texts written for these tests, run through the real spaCy pipeline the product ships.
"""

from __future__ import annotations

from broadsheet.model import EntityType, MentionDraft
from broadsheet.pipeline.enrich.entities import find_mentions, name_key, name_tokens

LULA = (
    "Brazilian President Luiz Inácio Lula da Silva arrived in Berlin on Monday. Lula met German "
    'Chancellor Olaf Scholz at the chancellery. "We want a deal this year," President Lula told '
    "reporters. Scholz's spokesman, Steffen Hebestreit, said the talks were constructive. The "
    "Elysée said France would join the talks."
)


def _by_text(mentions: tuple[MentionDraft, ...]) -> dict[str, list[MentionDraft]]:
    found: dict[str, list[MentionDraft]] = {}
    for mention in mentions:
        found.setdefault(mention.text, []).append(mention)
    return found


def test_titled_and_short_forms_resolve_to_the_fullest_name() -> None:
    (mentions,) = find_mentions([LULA])
    names = {(m.text, m.name) for m in mentions}
    assert ("Lula", "Luiz Inácio Lula da Silva") in names
    assert ("Scholz", "Olaf Scholz") in names
    assert ("Olaf Scholz", "Olaf Scholz") in names
    for mention in mentions:
        # Offsets point at the name as written, without title or possessive.
        assert LULA[mention.start : mention.end] == mention.text
        assert not mention.text.lower().startswith(("president", "chancellor"))


def test_titles_and_role_phrases_become_roles() -> None:
    (mentions,) = find_mentions([LULA])
    by_text = _by_text(mentions)
    assert by_text["Luiz Inácio Lula da Silva"][0].role == "Brazilian President"
    assert by_text["Olaf Scholz"][0].role == "German Chancellor"
    assert by_text["Lula"][-1].role == "President"
    (spokes,) = find_mentions(
        ["The plan was approved, government spokeswoman Anna Berg told reporters on Friday."]
    )
    (anna,) = [m for m in spokes if m.name == "Anna Berg"]
    assert anna.role == "government spokeswoman"
    assert anna.type is EntityType.PERSON


def test_possessive_is_stripped_and_joins_the_person() -> None:
    (mentions,) = find_mentions([LULA])
    (scholz_possessive,) = [m for m in mentions if LULA[m.end : m.end + 2] == "'s"]
    assert scholz_possessive.text == "Scholz"
    assert scholz_possessive.name == "Olaf Scholz"
    assert scholz_possessive.type is EntityType.PERSON


def test_the_elysee_stays_an_organisation() -> None:
    (mentions,) = find_mentions([LULA])
    (elysee,) = [m for m in mentions if m.text == "Elysée"]
    assert elysee.type is EntityType.ORGANIZATION
    assert all(m.type is EntityType.PERSON for m in mentions if m.name == "Olaf Scholz")


def test_a_surname_shared_by_two_people_goes_to_the_one_just_named() -> None:
    text = (
        "Hunter Biden, the son of President Joe Biden, appeared in a Delaware court on Tuesday. "
        "Hunter Biden pleaded not guilty. Joe Biden was in Washington. Biden said he loved his son."
    )
    (mentions,) = find_mentions([text])
    names = {m.name for m in mentions if m.type is EntityType.PERSON}
    assert {"Hunter Biden", "Joe Biden"} <= names
    (lone,) = [m for m in mentions if m.text == "Biden"]
    assert lone.name == "Joe Biden"
    (joe,) = [m for m in mentions if m.text == "Joe Biden" and m.role]
    assert joe.role == "President"  # "the son of President" is not his role


def test_an_organisation_named_after_a_place_is_not_the_place() -> None:
    text = (
        "Bank of England Governor Andrew Bailey said inflation was falling. The Bank of England "
        "held rates. Bailey said cuts were possible. England lost to France at Twickenham."
    )
    (mentions,) = find_mentions([text])
    kinds = {(m.text, m.name, m.type) for m in mentions}
    assert ("Bank of England", "Bank of England", EntityType.ORGANIZATION) in kinds
    assert ("England", "England", EntityType.PLACE) in kinds
    assert ("Bailey", "Andrew Bailey", EntityType.PERSON) in kinds
    (bailey,) = [m for m in mentions if m.text == "Andrew Bailey"]
    assert bailey.role == "Governor"


def test_acronym_and_name_particles() -> None:
    text = (
        "The European Central Bank (ECB) raised rates on Thursday; the ECB said inflation was "
        "high. European Commission President Ursula von der Leyen welcomed the move."
    )
    (mentions,) = find_mentions([text])
    (ecb,) = {m.name for m in mentions if m.text == "ECB"}
    assert ecb == "European Central Bank"
    assert any(m.text == "Ursula von der Leyen" for m in mentions)
    assert not any(m.text == "Leyen" for m in mentions)


def test_batches_keep_texts_apart_and_empty_text_has_none() -> None:
    found = find_mentions(["", LULA, "No names here at all."])
    assert found[0] == ()
    assert found[1]
    assert found[2] == ()


def test_name_keys_ignore_accents_case_dots_and_possessives() -> None:
    assert name_key("Élysée") == name_key("elysee")
    assert name_key("U.S.") == "us"
    assert name_key("Scholz’s") == "scholz"
    assert name_tokens("Luiz Inácio Lula da Silva") == ("luiz", "inacio", "lula", "da", "silva")


def test_a_surname_run_into_the_next_capitalised_word_is_still_that_person() -> None:
    text = (
        "The artist Andy Warhol took thousands of instant photographs. The Warhol Polaroids "
        "were given to universities in 2008, and Warhol remains popular."
    )
    (mentions,) = find_mentions([text])
    people = {m.name for m in mentions if m.type is EntityType.PERSON}
    assert "Warhol Polaroids" not in people
    assert all(m.name == "Andy Warhol" for m in mentions if m.text.startswith("Warhol"))


def test_the_agency_credit_of_a_dateline_is_recognised() -> None:
    from broadsheet.pipeline.enrich.entities import _wire_credit, load_pipeline

    doc = load_pipeline()("HALVIK, Nov 18 (Meridian Wire) - The bank raised its rate.")
    assert _wire_credit(doc, 5, 7)  # "Meridian Wire"
    assert not _wire_credit(doc, 0, 1)  # "HALVIK"
    later = load_pipeline()("The bank raised its rate, officials said (Meridian Wire) today.")
    assert not _wire_credit(later, 8, 10)
