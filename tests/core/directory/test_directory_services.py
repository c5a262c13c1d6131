"""Directory services: validation, normalisation, search documents, affiliations, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.models import AuditEntry
from core.directory import search, services
from core.directory.models import Affiliation, Contact, Organisation
from tests.core.directory.conftest import audit_actions, count, make_contact, make_org


def test_create_organisation_normalises_and_indexes(db: Session) -> None:
    org = services.create_organisation(
        db,
        None,
        {
            "name": "  L'École   des Parents  ",
            "kind": "Association",
            "phone": "01 49 41 00 00",
            "email": "Contact@Ecole-Parents.FR",
            "website": "ecole-parents.fr",
            "pillars": "Cohésion sociale | habitat et cadre de vie",
            "themes": ["jeunesse"],
            "is_signatory": "oui",
            "city": "Villiers-sur-Marne",
            "description": "Ligne un\r\nLigne deux\x00",
        },
    )
    db.commit()
    assert org.name == "L'École des Parents"
    assert org.name_key == "l ecole des parents"
    assert org.kind == "association"
    assert org.phone == "+33149410000"
    assert org.email == "contact@ecole-parents.fr"
    assert org.website == "https://ecole-parents.fr"
    assert org.is_signatory is True
    assert org.description == "Ligne un\nLigne deux"
    assert sorted(t.tag for t in org.tags) == [
        "pillar:cohesion_sociale",
        "pillar:habitat_cadre_de_vie",
        "theme:jeunesse",
    ]
    # accent-free words, the kind's and tags' French labels included
    assert "ecole" in org.search_doc and "association" in org.search_doc and "jeunesse" in org.search_doc
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "directory.organisation.created")).one()
    assert entry.object_id == str(org.id)
    assert entry.changes["name"] == [None, "L'École des Parents"]
    assert entry.changes["tags"][1] == [
        "pillar:cohesion_sociale",
        "pillar:habitat_cadre_de_vie",
        "theme:jeunesse",
    ]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "   "}, "name", "Le nom est obligatoire."),
        ({"name": "x" * 201}, "name", "200 caractères au plus"),
        ({"name": "A", "kind": "ministère"}, "kind", "Type d'organisation inconnu : « ministère »."),
        ({"name": "A", "email": "pas-une-adresse"}, "email", "Adresse électronique invalide."),
        ({"name": "A", "phone": "12"}, "phone", "téléphone"),
        ({"name": "A", "website": "javascript:alert(1)"}, "website", "http:// ou https://"),
        ({"name": "A", "website": "data:text/html,<script>"}, "website", "http:// ou https://"),
        ({"name": "A", "website": "ftp://example.org"}, "website", "http:// ou https://"),
        ({"name": "A", "pillars": ["logement"]}, "pillars", "Pilier inconnu : logement."),
        ({"name": "A", "themes": "sport"}, "themes", "Thème inconnu : sport."),
        ({"name": "A", "is_signatory": "peut-être"}, "is_signatory", "« oui » ou « non »"),
        ({"name": "A", "description": "x" * 10_001}, "description", "10000 caractères au plus"),
    ],
)
def test_bad_organisation_values_are_refused_in_french(
    db: Session, values: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(services.InvalidInput) as caught:
        services.create_organisation(db, None, values)
    assert message in caught.value.errors[field]
    db.rollback()
    assert count(db, Organisation) == 0
    assert audit_actions(db) == []


def test_every_error_is_reported_at_once(db: Session) -> None:
    with pytest.raises(services.InvalidInput) as caught:
        services.clean_organisation({"name": "", "email": "x", "phone": "x", "website": "javascript:x"})
    assert set(caught.value.errors) == {"name", "email", "phone", "website"}


def test_kind_accepts_codes_and_labels() -> None:
    for given, code in [
        ("bailleur_social", "bailleur_social"),
        ("Bailleur social", "bailleur_social"),
        ("ÉTAT", "etat"),
        ("Service de l'État", "etat"),
        ("collectivite", "collectivite"),
        ("", "autre"),
    ]:
        assert services.clean_organisation({"name": "A", "kind": given})["kind"] == code


def test_update_records_a_diff_and_nothing_when_unchanged(db: Session) -> None:
    org = make_org(db, "Valophis", city="Créteil", pillars=["habitat_cadre_de_vie"])
    values = {
        "name": "Valophis Habitat",
        "city": "Créteil",
        "pillars": ["habitat_cadre_de_vie", "cohesion_sociale"],
    }
    changes = services.update_organisation(db, None, org, values)
    db.commit()
    assert changes["name"] == ["Valophis", "Valophis Habitat"]
    assert changes["tags"] == [
        ["pillar:habitat_cadre_de_vie"],
        ["pillar:cohesion_sociale", "pillar:habitat_cadre_de_vie"],
    ]
    assert org.name_key == "valophis habitat"
    assert services.update_organisation(db, None, org, values) == {}
    db.commit()
    assert audit_actions(db) == ["directory.organisation.created", "directory.organisation.updated"]


def test_renaming_an_organisation_refreshes_its_contacts_documents(db: Session) -> None:
    org = make_org(db, "Mission Locale")
    make_contact(db, "Nguyen", "Léa", org, "Conseillère", consent_listed=True)
    services.update_organisation(db, None, org, {"name": "Mission Locale des Portes de la Brie"})
    db.commit()
    found = search.search_contacts(db, search.ContactFilters(q="portes brie"))
    assert [c.last_name for c in found.items] == ["Nguyen"]


def test_contact_consent_and_redacted_audit(db: Session, clock) -> None:  # type: ignore[no-untyped-def]
    person = services.create_contact(
        db,
        None,
        {
            "first_name": "Léa",
            "last_name": "Nguyen",
            "email": "Lea.Nguyen@Example.org",
            "phone": "06 12 34 56 78",
            "consent_listed": True,
        },
        now=clock(),
    )
    db.commit()
    assert person.email == "lea.nguyen@example.org"
    assert person.phone == "+33612345678"
    assert person.name_key == "nguyen lea"
    assert person.consent_at == clock()
    changes = services.update_contact(
        db,
        None,
        person,
        {"first_name": "Léa", "last_name": "Nguyen", "email": "lea@example.org", "consent_listed": False},
    )
    db.commit()
    assert person.consent_at is None
    # personal values never reach the append-only audit log; the consent flag does
    assert changes["email"] == [services.REDACTED, services.REDACTED]
    assert changes["consent_listed"] == [True, False]
    entries = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["directory.contact.created", "directory.contact.updated"]
    assert "lea" not in str(entries[0].changes).lower()


def test_contact_requires_a_family_name(db: Session) -> None:
    with pytest.raises(services.InvalidInput) as caught:
        services.create_contact(db, None, {"first_name": "Léa", "last_name": " "})
    assert caught.value.errors == {"last_name": "Le nom de famille est obligatoire."}


def test_affiliations_primary_and_audit(db: Session) -> None:
    ville = make_org(db, "Ville")
    caf = make_org(db, "CAF")
    person = make_contact(db, "Dubois", "Claire")
    first = services.set_affiliation(db, None, person, ville, "Cheffe de projet")
    second = services.set_affiliation(db, None, person, caf, "Conseillère")
    assert first.is_primary and not second.is_primary
    services.set_affiliation(db, None, person, caf, "Conseillère territoriale", is_primary=True)
    db.commit()
    assert not first.is_primary and second.is_primary and second.role == "Conseillère territoriale"
    assert count(db, Affiliation) == 2
    services.remove_affiliation(db, None, second)
    db.commit()
    db.refresh(first)
    assert first.is_primary
    assert (
        "caf"
        not in search.search_contacts(db, search.ContactFilters(q="dubois"), include_unlisted=True)
        .items[0]
        .search_doc
    )
    assert audit_actions(db)[-4:] == [
        "directory.affiliation.added",
        "directory.affiliation.added",
        "directory.affiliation.updated",
        "directory.affiliation.removed",
    ]
    with pytest.raises(services.InvalidInput):
        services.set_affiliation(db, None, person, caf, "r" * 201)


def test_duplicates_are_refused_only_when_asked(db: Session) -> None:
    make_org(db, "Paris Habitat", email="contact@parishabitat.fr")
    with pytest.raises(services.DuplicateSuspected) as caught:
        services.create_organisation(db, None, {"name": "PARIS-HABITAT"}, refuse_duplicates=True)
    assert "Paris Habitat" in caught.value.errors["name"]
    with pytest.raises(services.DuplicateSuspected):
        services.create_organisation(
            db, None, {"name": "Autre", "email": "Contact@ParisHabitat.fr"}, refuse_duplicates=True
        )
    db.rollback()
    services.create_organisation(db, None, {"name": "Paris Habitat"})
    db.commit()
    assert count(db, Organisation) == 2
    person = make_contact(db, "Martin", "Camille", email="camille@example.org")
    with pytest.raises(services.DuplicateSuspected):
        services.create_contact(
            db, None, {"last_name": "martin", "first_name": "camille"}, refuse_duplicates=True
        )
    db.rollback()
    # editing someone without changing name or email never trips over their own entry
    services.update_contact(
        db,
        None,
        person,
        {
            "last_name": "Martin",
            "first_name": "Camille",
            "email": "camille@example.org",
            "function": "Cheffe",
        },
        refuse_duplicates=True,
    )


def test_delete_organisation_keeps_contacts_and_audits(db: Session) -> None:
    org = make_org(db, "Adoma")
    make_contact(db, "Saïdi", "Mehdi", org, consent_listed=True)
    services.delete_organisation(db, None, org)
    db.commit()
    assert count(db, Organisation) == 0
    assert count(db, Contact) == 1
    assert search.search_contacts(db, search.ContactFilters(q="adoma")).total == 0
    assert audit_actions(db)[-1] == "directory.organisation.deleted"


def test_reindex_rebuilds_documents(db: Session) -> None:
    org = make_org(db, "Pôle Culture", description="Conservatoire et médiathèque")
    org.search_doc = ""
    db.commit()
    assert search.search_organisations(db, search.OrganisationFilters(q="mediatheque")).total == 0
    assert services.reindex(db) == (1, 0)
    db.commit()
    assert search.search_organisations(db, search.OrganisationFilters(q="mediatheque")).total == 1
