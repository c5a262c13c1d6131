"""Space services and the database constraints behind them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit.models import AuditEntry
from core.declarations import SpaceKind, SpaceRole
from core.directory.models import Contact, Organisation
from core.resources.models import LINK, Resource
from core.spaces import services
from core.spaces.models import ANIMATOR, MEMBER, Space, SpaceMembership
from core.spaces.services import SpaceError, SpaceValues

KINDS = ("core.espace", "groupes_techniques.groupe")
ROLES = (ANIMATOR, MEMBER, "unite_formation.trainer")


def contact(db: Session, first: str, last: str, function: str = "", email: str = "") -> Contact:
    from core.directory.normalise import fold

    person = Contact(
        first_name=first,
        last_name=last,
        function=function,
        email=email,
        search_doc=fold(f"{first} {last} {function}"),
    )
    db.add(person)
    db.flush()
    return person


def organisation(db: Session, name: str) -> Organisation:
    from core.directory.normalise import name_key

    org = Organisation(name=name, name_key=name_key(name))
    db.add(org)
    db.flush()
    return org


# ------------------------------------------------------------------------------------- slugs


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Équipe projet du Contrat de ville", "equipe-projet-du-contrat-de-ville"),
        ("L'Unité Locale de Formation – 2026 !", "l-unite-locale-de-formation-2026"),
        ("  Cœur   de   quartier ", "coeur-de-quartier"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("!!!", "espace"),
        ("", "espace"),
        ("Ωμέγα", "espace"),  # no transliteration: non-Latin names fall back to "espace", "espace-2"…
        ("数据", "espace"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert services.slugify(name) == slug


def test_slugify_keeps_long_names_short_and_whole_words() -> None:
    slug = services.slugify("groupe " * 40)
    assert len(slug) <= services.SLUG_MAX - 6
    assert slug.endswith("groupe") and "--" not in slug
    assert len(services.slugify("x" * 500)) == services.SLUG_MAX - 6


def test_unique_slug_appends_a_number_and_avoids_page_names(db: Session) -> None:
    db.add_all(
        [
            Space(slug="atelier", name="a", kind="core.espace"),
            Space(slug="atelier-2", name="b", kind="core.espace"),
            Space(slug="atelier-mobilite", name="c", kind="core.espace"),
        ]
    )
    db.flush()
    assert services.unique_slug(db, "Atelier") == "atelier-3"
    assert services.unique_slug(db, "Atelier jeunesse") == "atelier-jeunesse"
    assert services.unique_slug(db, "Nouveau") == "nouveau-2"  # /espaces/nouveau is the creation page


# ------------------------------------------------------------------------------------ spaces


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (SpaceValues(" ", "core.espace"), "name", "obligatoire"),
        (SpaceValues("x" * 201, "core.espace"), "name", "200"),
        (SpaceValues("Atelier", "plugin_absent.truc"), "kind", "type d'espace"),
        (SpaceValues("Atelier", "core.espace", description="d" * 10_001), "description", "10000"),
        (SpaceValues("Atelier", "core.espace", pillar="inconnu"), "pillar", "pilier"),
        (SpaceValues("Atelier", "core.espace", is_permanent=False), "ends_on", "date de fin"),
        (
            SpaceValues("Atelier", "core.espace", is_permanent=False, ends_on=date(2026, 3, 1)),
            "ends_on",
            "passée",
        ),
    ],
)
def test_validate_values_refuses_with_the_field_and_a_french_message(
    values: SpaceValues, field: str, message: str
) -> None:
    with pytest.raises(SpaceError) as caught:
        services.validate_values(values, KINDS, today=date(2026, 3, 2))
    assert caught.value.field == field
    assert message in caught.value.message


def test_validate_values_cleans() -> None:
    clean = services.validate_values(
        SpaceValues("  Atelier   mobilité ", "core.espace", " texte ", True, date(2020, 1, 1), ""), KINDS
    )
    assert clean == SpaceValues("Atelier mobilité", "core.espace", "texte", True, None, None)


def test_create_update_close_reopen_are_audited(db: Session) -> None:
    space = services.create_space(db, None, SpaceValues("Atelier mobilité", "core.espace"), KINDS)
    assert space.slug == "atelier-mobilite"
    changes = services.update_space(
        db, None, space, SpaceValues("Atelier mobilité", "groupes_techniques.groupe", "Se déplacer"), KINDS
    )
    assert changes == {
        "kind": ["core.espace", "groupes_techniques.groupe"],
        "description": ["", "Se déplacer"],
    }
    assert (
        services.update_space(
            db,
            None,
            space,
            SpaceValues("Atelier mobilité", "groupes_techniques.groupe", "Se déplacer"),
            KINDS,
        )
        == {}
    )
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    services.close_space(db, None, space, at)
    services.close_space(db, None, space, datetime(2026, 4, 1, tzinfo=UTC))  # already closed: kept
    assert space.closed_at == at
    assert list(services.list_spaces(db, closed=True)) == [space]
    services.reopen_space(db, None, space)
    services.reopen_space(db, None, space)
    assert space.closed_at is None
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [
        "spaces.space.created",
        "spaces.space.updated",
        "spaces.space.closed",
        "spaces.space.reopened",
    ]
    assert db.scalars(select(AuditEntry.actor)).first() == "système"


def test_an_old_ad_hoc_space_can_still_be_edited(db: Session) -> None:
    space = services.create_space(
        db, None, SpaceValues("Atelier", "core.espace", is_permanent=False, ends_on=date(2025, 6, 30)), KINDS
    )
    services.update_space(
        db,
        None,
        space,
        SpaceValues("Atelier 2025", "core.espace", is_permanent=False, ends_on=date(2025, 6, 30)),
        KINDS,
    )
    assert space.name == "Atelier 2025"


def test_a_space_with_documents_is_not_deleted(db: Session) -> None:
    space = services.create_space(db, None, SpaceValues("Atelier", "core.espace"), KINDS)
    db.add(Resource(space_id=space.id, kind=LINK, title="Charte", url="https://example.org"))
    db.flush()
    with pytest.raises(SpaceError, match="documents ou des actions"):
        services.delete_space(db, None, space)


def test_delete_removes_memberships_and_is_audited(db: Session) -> None:
    space = services.create_space(db, None, SpaceValues("Atelier", "core.espace"), KINDS)
    person = contact(db, "Léa", "Nguyen")
    services.add_member(db, None, space, MEMBER, ROLES, contact_id=person.id)
    space_id = space.id
    services.delete_space(db, None, space)
    db.flush()
    assert db.get(Space, space_id) is None
    assert db.scalars(select(SpaceMembership)).all() == []
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "spaces.space.deleted")).one()
    assert (entry.object_type, entry.object_id) == ("spaces", str(space_id))


def test_group_by_kind_follows_the_declarations() -> None:
    kinds = {"core.espace": SpaceKind("core.espace", "Espace"), "b.k": SpaceKind("b.k", "B")}
    spaces = [
        Space(slug="x", name="X", kind="b.k"),
        Space(slug="y", name="Y", kind="gone.k"),
        Space(slug="z", name="Z", kind="core.espace"),
    ]
    groups = services.group_by_kind(spaces, kinds)
    assert [(g.label, [s.slug for s in g.spaces]) for g in groups] == [
        ("Espace", ["z"]),
        ("B", ["x"]),
        ("Autres espaces", ["y"]),
    ]


# ------------------------------------------------------------------------------- memberships


def test_add_member_rules(db: Session) -> None:
    space = services.create_space(db, None, SpaceValues("Atelier", "core.espace"), KINDS)
    person = contact(db, "Karim", "Haddad", "Formateur")
    org = organisation(db, "Les Clés de l'Avenir")
    membership, created = services.add_member(
        db, None, space, "unite_formation.trainer", ROLES, contact_id=person.id
    )
    assert created and membership.role == "unite_formation.trainer"
    assert services.add_member(db, None, space, "unite_formation.trainer", ROLES, contact_id=person.id) == (
        membership,
        False,
    )
    with pytest.raises(SpaceError, match="rôle") as caught:
        services.add_member(db, None, space, "core.admin", ROLES, contact_id=person.id)
    assert caught.value.field == "role"
    with pytest.raises(SpaceError, match="que membre"):
        services.add_member(db, None, space, ANIMATOR, ROLES, organisation_id=org.id)
    with pytest.raises(SpaceError, match="n'existe pas"):
        services.add_member(db, None, space, MEMBER, ROLES, contact_id=10**9)
    with pytest.raises(SpaceError, match="n'existe pas"):
        services.add_member(db, None, space, MEMBER, ROLES, organisation_id=10**9)
    with pytest.raises(SpaceError):
        services.add_member(db, None, space, MEMBER, ROLES, contact_id=person.id, organisation_id=org.id)
    _, created = services.add_member(db, None, space, MEMBER, ROLES, organisation_id=org.id)
    assert created
    assert services.member_counts(db, [space.id]) == {space.id: 2}
    groups = services.group_by_role(
        services.members(db, space.id),
        {MEMBER: SpaceRole(MEMBER, "Membre"), ANIMATOR: SpaceRole(ANIMATOR, "Animateur")},
    )
    assert [(g.label, len(g.memberships)) for g in groups] == [("Membre", 1), ("unite_formation.trainer", 1)]
    assert services.held_roles(groups) == {
        f"organisation:{org.id}": ["Membre"],
        f"contact:{person.id}": ["unite_formation.trainer"],
    }
    assert db.scalars(
        select(AuditEntry.action).where(AuditEntry.action.startswith("spaces.membership"))
    ).all() == ["spaces.membership.added", "spaces.membership.added"]


def test_remove_member_only_within_its_space(db: Session) -> None:
    one = services.create_space(db, None, SpaceValues("Un", "core.espace"), KINDS)
    two = services.create_space(db, None, SpaceValues("Deux", "core.espace"), KINDS)
    person = contact(db, "Léa", "Nguyen")
    membership, _ = services.add_member(db, None, one, MEMBER, ROLES, contact_id=person.id)
    with pytest.raises(LookupError):
        services.remove_member(db, None, two, membership.id)
    removed = services.remove_member(db, None, one, membership.id)
    assert removed.role == MEMBER
    assert services.memberships(db, one.id) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("contact:12", (12, None)), ("organisation:5", (None, 5)), (" contact:7 ", (7, None))],
)
def test_parse_holder(value: str, expected: tuple[int | None, int | None]) -> None:
    assert services.parse_holder(value) == expected


@pytest.mark.parametrize(
    "value", ["", "contact:", "contact:-1", "user:1", "contact:1;drop", "contact:" + "9" * 19]
)
def test_parse_holder_refuses(value: str) -> None:
    with pytest.raises(SpaceError):
        services.parse_holder(value)


def test_search_holders_ignores_case_and_accents(db: Session) -> None:
    lea = contact(db, "Léa", "Nguyen", "Conseillère emploi", "lea.nguyen@example.org")
    helene = contact(db, "Hélène", "Garnier", "Responsable", "h.garnier@example.org")
    erased = contact(db, "Hélène", "Effacée")
    erased.anonymised_at = datetime(2026, 1, 1, tzinfo=UTC)
    ecole = organisation(db, "École élémentaire Jean-Renoir")
    db.flush()
    assert services.search_holders(db, "LEA").contacts == [lea]
    assert services.search_holders(db, "conseillere").contacts == [lea]
    assert services.search_holders(db, "helene").contacts == [helene]  # the erased one is never found
    assert services.search_holders(db, "h.garnier@").contacts == [helene]
    found = services.search_holders(db, "ecole renoir")
    assert found.organisations == [ecole] and found.contacts == []
    assert services.search_holders(db, "e").too_short
    assert services.search_holders(db, "%_").too_short
    assert services.search_holders(db, "lea zzz").empty
    assert len(services.search_holders(db, "a" * 10_000).query) == 100


def test_search_holders_is_limited(db: Session) -> None:
    for number in range(30):
        contact(db, "Prénom", f"Dupont{number:02d}")
    assert len(services.search_holders(db, "dupont").contacts) == services.SEARCH_LIMIT


# ---------------------------------------------------------------------- database constraints


def test_the_database_refuses_a_duplicate_membership(db: Session) -> None:
    space = Space(slug="s", name="S", kind="core.espace")
    db.add(space)
    person = contact(db, "Léa", "Nguyen")
    db.flush()
    db.add(SpaceMembership(space_id=space.id, role=MEMBER, contact_id=person.id))
    db.flush()
    db.add(SpaceMembership(space_id=space.id, role=MEMBER, contact_id=person.id))
    with pytest.raises(IntegrityError):
        db.flush()


def test_the_database_refuses_an_ad_hoc_space_without_end(db: Session) -> None:
    db.add(Space(slug="s", name="S", kind="core.espace", is_permanent=False, ends_on=None))
    with pytest.raises(IntegrityError):
        db.flush()


def test_the_database_refuses_a_membership_with_two_or_no_holders(db: Session) -> None:
    space = Space(slug="s", name="S", kind="core.espace")
    db.add(space)
    person = contact(db, "Léa", "Nguyen")
    org = organisation(db, "Adoma")
    db.flush()
    db.add(SpaceMembership(space_id=space.id, role=MEMBER, contact_id=person.id, organisation_id=org.id))
    with pytest.raises(IntegrityError):
        db.flush()
