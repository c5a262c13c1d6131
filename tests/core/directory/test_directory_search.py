"""Directory search: accents, case, prefixes, hostile input, ranking, filters, pagination, index use."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.directory import search, services
from core.directory.search import ContactFilters, OrganisationFilters
from core.spaces import services as spaces
from core.spaces.models import MEMBER
from tests.core.directory.conftest import make_contact, make_org


def names(db: Session, **filters: object) -> list[str]:
    return [
        o.name for o in search.search_organisations(db, OrganisationFilters(**filters), per_page=None).items
    ]


@pytest.fixture
def orgs(db: Session) -> None:
    make_org(
        db,
        "Éducation Nationale – circonscription",
        kind="etat",
        is_signatory=True,
        pillars=["cohesion_sociale"],
        themes=["jeunesse"],
    )
    make_org(db, "École élémentaire Jean-Renoir", kind="autre", pillars=["cohesion_sociale"])
    make_org(
        db,
        "Mission Locale",
        kind="association",
        pillars=["emploi_economie"],
        themes=["jeunesse"],
        description="Accompagnement vers l'emploi et l'éducation des 16-25 ans.",
    )
    make_org(
        db,
        "Valophis Habitat",
        kind="bailleur_social",
        is_signatory=True,
        city="Saint-Maur-des-Fossés",
        pillars=["habitat_cadre_de_vie"],
    )
    make_org(db, "Œuvre des Cœurs", kind="association", description="Aide alimentaire")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("education", "Éducation Nationale – circonscription"),
        ("educ", "Éducation Nationale – circonscription"),
        ("ÉDUCATION", "Éducation Nationale – circonscription"),
        ("Éducation nat", "Éducation Nationale – circonscription"),
        ("ecole", "École élémentaire Jean-Renoir"),
        ("Ecole", "École élémentaire Jean-Renoir"),
        ("jean renoir", "École élémentaire Jean-Renoir"),
        ("elem", "École élémentaire Jean-Renoir"),
        ("saint maur", "Valophis Habitat"),
        ("oeuvre", "Œuvre des Cœurs"),
        ("coeurs", "Œuvre des Cœurs"),
    ],
)
def test_search_ignores_case_and_accents_and_matches_prefixes(
    db: Session, orgs: None, query: str, expected: str
) -> None:
    assert names(db, q=query)[0] == expected


def test_every_word_must_match(db: Session, orgs: None) -> None:
    assert names(db, q="education renoir") == []
    assert names(db, q="zzz") == []


def test_name_matches_rank_before_other_matches_then_by_name(db: Session, orgs: None) -> None:
    # "éducation" is in one name and in another's description
    assert names(db, q="educ") == ["Éducation Nationale – circonscription", "Mission Locale"]
    # no query: by folded name, accents ignored ("École" among the e's)
    assert names(db) == [
        "École élémentaire Jean-Renoir",
        "Éducation Nationale – circonscription",
        "Mission Locale",
        "Œuvre des Cœurs",
        "Valophis Habitat",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "'&|!:*()",
        '"',
        "NEAR(",
        "AND OR NOT",
        "-",
        "*",
        "^x",
        "a:*",
        "x' OR 1=1 --",
        "\x00",
        "\\",
        "%_",
        "é" * 5000,
        "mot " * 500,
        "<script>alert(1)</script>",
        "{}[]",
        "日本語",
    ],
)
def test_hostile_queries_never_fail(db: Session, orgs: None, query: str) -> None:
    page = search.search_organisations(db, OrganisationFilters(q=query))
    assert page.total >= 0
    assert search.search_contacts(db, ContactFilters(q=query), include_unlisted=True).total >= 0


def test_filters(db: Session, orgs: None) -> None:
    assert names(db, kind="bailleur_social") == ["Valophis Habitat"]
    assert names(db, pillar="cohesion_sociale") == [
        "École élémentaire Jean-Renoir",
        "Éducation Nationale – circonscription",
    ]
    assert names(db, theme="jeunesse") == ["Éducation Nationale – circonscription", "Mission Locale"]
    assert names(db, signatory=True) == ["Éducation Nationale – circonscription", "Valophis Habitat"]
    assert len(names(db, signatory=False)) == 3
    assert names(db, q="mission", theme="jeunesse", kind="association") == ["Mission Locale"]
    assert names(db, q="mission", kind="etat") == []


def test_space_filter_counts_organisations_and_their_people(db: Session, orgs: None) -> None:
    space = spaces.ensure_space(db, "club", "Club des acteurs", "core.espace")
    valophis = search.search_organisations(db, OrganisationFilters(q="valophis")).items[0]
    mission = search.search_organisations(db, OrganisationFilters(q="mission")).items[0]
    spaces.add_membership(db, space, MEMBER, organisation_id=valophis.id)
    person = make_contact(db, "Nguyen", "Léa", mission)
    spaces.add_membership(db, space, MEMBER, contact_id=person.id)
    db.commit()
    assert names(db, space_id=space.id) == ["Mission Locale", "Valophis Habitat"]
    assert names(db, space_id=space.id, q="habitat") == ["Valophis Habitat"]


def test_pagination_twenty_per_page(db: Session) -> None:
    for i in range(45):
        services.create_organisation(db, None, {"name": f"Association {i:02d}"})
    db.commit()
    first = search.search_organisations(db, OrganisationFilters(q="assoc"))
    assert (first.total, first.pages, first.number, len(first.items)) == (45, 3, 1, 20)
    last = search.search_organisations(db, OrganisationFilters(), page=3)
    assert [o.name for o in last.items] == [f"Association {i}" for i in range(40, 45)]
    beyond = search.search_organisations(db, OrganisationFilters(), page=99)
    assert beyond.number == 3
    empty = search.search_organisations(db, OrganisationFilters(q="zzz"))
    assert (empty.total, empty.pages, empty.items) == (0, 1, [])


def test_index_follows_updates_and_deletes(db: Session) -> None:
    org = make_org(db, "Pôle Culture")
    services.update_organisation(db, None, org, {"name": "Pôle Enfance"})
    db.commit()
    assert names(db, q="culture") == []
    assert names(db, q="enfance") == ["Pôle Enfance"]
    services.delete_organisation(db, None, org)
    db.commit()
    assert names(db, q="enfance") == []


def test_contacts_search_consent_and_erasure(db: Session) -> None:
    caf = make_org(db, "Caisse d'Allocations Familiales")
    make_contact(db, "Dubois", "Claire", caf, "Conseillère territoriale", consent_listed=True)
    make_contact(db, "Garnier", "Hélène", caf, "Responsable", consent_listed=False)
    erased = make_contact(db, "Effacée", "Personne", caf, consent_listed=True)
    erased.anonymised_at = erased.created_at
    db.commit()
    listed = search.search_contacts(db, ContactFilters(q="allocations"))
    assert [c.last_name for c in listed.items] == ["Dubois"]
    everyone = search.search_contacts(db, ContactFilters(q="allocations"), include_unlisted=True)
    assert sorted(c.last_name for c in everyone.items) == ["Dubois", "Garnier"]
    assert [
        c.last_name
        for c in search.search_contacts(db, ContactFilters(q="helene"), include_unlisted=True).items
    ] == ["Garnier"]
    assert search.search_contacts(db, ContactFilters(q="conseil terr")).items[0].last_name == "Dubois"
    by_org = search.search_contacts(db, ContactFilters(organisation_id=caf.id), include_unlisted=True)
    assert by_org.total == 2
    # affiliations and organisations come loaded (lazy loading is forbidden)
    assert by_org.items[0].affiliations[0].organisation.name == "Caisse d'Allocations Familiales"


def _plan(db: Session, statement: object) -> str:
    dialect = db.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
    if dialect.name == "sqlite":
        return "\n".join(str(row) for row in db.execute(text("EXPLAIN QUERY PLAN " + sql)))
    # a tiny table is cheaper to scan: forbid it to see whether the index *can* serve the query
    db.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in db.execute(text("EXPLAIN " + sql)))


def test_search_goes_through_the_full_text_index(db: Session, orgs: None) -> None:
    make_contact(db, "Dubois", "Claire", consent_listed=True)
    org_plan = _plan(db, search.organisations_statement(db, OrganisationFilters(q="educ nat")))
    contact_plan = _plan(db, search.contacts_statement(db, ContactFilters(q="dub"), include_unlisted=False))
    db.rollback()
    if db.get_bind().dialect.name == "sqlite":
        assert "VIRTUAL TABLE INDEX" in org_plan and "organisation_fts" in org_plan
        assert "VIRTUAL TABLE INDEX" in contact_plan and "contact_fts" in contact_plan
    else:
        assert "ix_fts_organisations_search_doc" in org_plan
        assert "ix_fts_contacts_search_doc" in contact_plan
    assert "LIKE" not in org_plan.upper()


def test_query_terms_are_plain_words() -> None:
    assert search.query_terms("L'École  d'Art & \"Design\" *") == ["l", "ecole", "d", "art", "design"]
    assert search.query_terms("'&|!:*()") == []
    assert len(search.query_terms(" ".join(f"mot{i}" for i in range(50)))) == search.MAX_TERMS


def test_demo_data_is_searchable(demo: object, db: Session) -> None:
    assert names(db, q="educ")[0] == "Éducation Nationale – circonscription de Villiers-sur-Marne"
    assert names(db, q="ecole") == ["École élémentaire Jean-Renoir"]
    assert "Valophis Habitat" in names(db, q="bailleur")  # the kind's label is in the document
    people = search.search_contacts(db, ContactFilters(q="valophis"))
    assert [c.last_name for c in people.items] == ["Saïdi"]
    assert search.search_contacts(db, ContactFilters(q="saidi")).total == 1
