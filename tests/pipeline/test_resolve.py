"""Across articles: names matched to one entity, and people who share a surname kept apart."""

from __future__ import annotations

from broadsheet.model import EntityType, MentionDraft
from broadsheet.pipeline.enrich.resolve import EntityCatalog, group_mentions

PER, ORG, LOC = EntityType.PERSON, EntityType.ORGANIZATION, EntityType.PLACE


def m(text: str, name: str, kind: EntityType = PER, role: str | None = None) -> MentionDraft:
    return MentionDraft(text=text, start=0, end=len(text), type=kind, name=name, role=role)


def test_group_mentions_collects_spellings_and_roles() -> None:
    groups = group_mentions(
        [
            m("Olaf Scholz", "Olaf Scholz", role="German Chancellor"),
            m("Scholz", "Olaf Scholz"),
            m("Berlin", "Berlin", LOC),
        ]
    )
    (scholz,) = [g for g in groups if g.name == "Olaf Scholz"]
    assert scholz.aliases == {"Olaf Scholz", "Scholz"}
    assert scholz.roles == {"German Chancellor"}


def test_full_names_match_across_articles_and_keep_every_spelling() -> None:
    catalog = EntityCatalog()
    first = catalog.resolve([m("Olaf Scholz", "Olaf Scholz"), m("Scholz", "Olaf Scholz")])
    second = catalog.resolve([m("Olaf Scholz", "Olaf Scholz"), m("Berlin", "Berlin", LOC)])
    assert first[(PER, "Olaf Scholz")] == second[(PER, "Olaf Scholz")]
    name, kind, aliases = catalog.entity(first[(PER, "Olaf Scholz")])
    assert (name, kind) == ("Olaf Scholz", PER)
    assert aliases == {"Olaf Scholz", "Scholz"}


def test_a_shorter_full_name_with_the_surname_joins_the_longer() -> None:
    catalog = EntityCatalog()
    a = catalog.resolve([m("Luiz Inácio Lula da Silva", "Luiz Inácio Lula da Silva")])
    b = catalog.resolve([m("Lula da Silva", "Lula da Silva")])
    assert a[(PER, "Luiz Inácio Lula da Silva")] == b[(PER, "Lula da Silva")]
    name, _, _ = catalog.entity(b[(PER, "Lula da Silva")])
    assert name == "Luiz Inácio Lula da Silva"  # the fullest name stays the entity's name


def test_two_people_sharing_a_surname_are_never_merged_without_evidence() -> None:
    catalog = EntityCatalog()
    hunter = catalog.resolve([m("Hunter Biden", "Hunter Biden"), m("Delaware", "Delaware", LOC)])
    joe = catalog.resolve([m("Joe Biden", "Joe Biden"), m("White House", "White House", ORG)])
    assert hunter[(PER, "Hunter Biden")] != joe[(PER, "Joe Biden")]
    # A lone "Biden" with nothing tying it to either stays its own entity.
    alone = catalog.resolve([m("Biden", "Biden"), m("Ohio", "Ohio", LOC)])
    assert alone[(PER, "Biden")] not in (hunter[(PER, "Hunter Biden")], joe[(PER, "Joe Biden")])
    # Named with the White House, as Joe Biden was before: that is evidence.
    tied = catalog.resolve([m("Biden", "Biden"), m("White House", "White House", ORG)])
    assert tied[(PER, "Biden")] == joe[(PER, "Joe Biden")]


def test_surnames_vouch_for_each_other() -> None:
    catalog = EntityCatalog()
    first = catalog.resolve(
        [m("Olaf Scholz", "Olaf Scholz"), m("Emmanuel Macron", "Emmanuel Macron")]
    )
    later = catalog.resolve([m("Scholz", "Scholz"), m("Macron", "Macron")])
    assert later[(PER, "Scholz")] == first[(PER, "Olaf Scholz")]
    assert later[(PER, "Macron")] == first[(PER, "Emmanuel Macron")]


def test_acronym_learned_in_one_article_is_used_in_the_next() -> None:
    catalog = EntityCatalog()
    a = catalog.resolve(
        [
            m("European Central Bank", "European Central Bank", ORG),
            m("ECB", "European Central Bank", ORG),
        ]
    )
    b = catalog.resolve([m("ECB", "ECB", ORG)])
    assert b[(ORG, "ECB")] == a[(ORG, "European Central Bank")]


def test_places_and_organisations_of_the_same_word_stay_apart() -> None:
    catalog = EntityCatalog()
    place = catalog.resolve([m("England", "England", LOC)])
    bank = catalog.resolve([m("Bank of England", "Bank of England", ORG)])
    again = catalog.resolve([m("England", "England", LOC)])
    assert place[(LOC, "England")] == again[(LOC, "England")]
    assert bank[(ORG, "Bank of England")] != place[(LOC, "England")]
    assert len(catalog) == 2


def test_an_acronym_met_first_joins_the_full_name_met_later() -> None:
    catalog = EntityCatalog()
    first = catalog.resolve([m("AMD", "AMD", ORG)])
    later = catalog.resolve([m("Advanced Micro Devices", "Advanced Micro Devices", ORG)])
    assert first[(ORG, "AMD")] == later[(ORG, "Advanced Micro Devices")]
    # Two letters are too ambiguous to be an acronym of anything.
    us = catalog.resolve([m("US", "US", LOC)])
    states = catalog.resolve([m("United States", "United States", LOC)])
    assert us[(LOC, "US")] != states[(LOC, "United States")]


def test_company_form_words_do_not_make_another_company() -> None:
    catalog = EntityCatalog()
    corp = catalog.resolve([m("Intel Corp.", "Intel Corp.", ORG)])
    bare = catalog.resolve([m("Intel", "Intel", ORG)])
    assert corp[(ORG, "Intel Corp.")] == bare[(ORG, "Intel")]
