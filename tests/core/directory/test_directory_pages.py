"""Directory pages over HTTP: lists, details, permissions, forms with bad input, exports, vCard."""

from __future__ import annotations

import csv
import io
import re

import pytest
import vobject
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core import hookimpl
from core.declarations import Panel
from core.directory import services
from core.directory.models import Affiliation, Contact, Organisation
from core.spaces.models import SpaceMembership
from tests.core.directory.conftest import People, audit_actions, count, fresh, make_contact, make_org
from tests.helpers import login, post_form

HOSTILE = '<script>alert("x")</script>'


def row_names(html: str) -> list[str]:
    return re.findall(r'<th scope="row">\s*<a href="[^"]+">([^<]+)</a>', html)


def field_errors(html: str) -> list[str]:
    return re.findall(r'class="field-error" id="([\w-]+)-error"', html)


# ------------------------------------------------------------------------------- public lists


def test_anonymous_visitors_search_and_filter_organisations(client: TestClient, db: Session) -> None:
    make_org(db, "Éducation Nationale", kind="etat", is_signatory=True, pillars=["cohesion_sociale"])
    make_org(db, "École élémentaire Jean-Renoir", themes=["jeunesse"])
    make_org(db, "Valophis Habitat", kind="bailleur_social", is_signatory=True)
    page = client.get("/annuaire/", params={"q": "education"})
    assert page.status_code == 200
    assert row_names(page.text) == ["Éducation Nationale"]
    assert "1 organisation" in page.text
    assert row_names(client.get("/annuaire/", params={"q": "ecole"}).text) == [
        "École élémentaire Jean-Renoir"
    ]
    assert row_names(client.get("/annuaire/", params={"signataire": "oui"}).text) == [
        "Éducation Nationale",
        "Valophis Habitat",
    ]
    assert row_names(client.get("/annuaire/", params={"type": "bailleur_social"}).text) == [
        "Valophis Habitat"
    ]
    assert row_names(client.get("/annuaire/", params={"theme": "jeunesse"}).text) == [
        "École élémentaire Jean-Renoir"
    ]
    assert row_names(client.get("/annuaire/", params={"pilier": "cohesion_sociale"}).text) == [
        "Éducation Nationale"
    ]
    empty = client.get("/annuaire/", params={"q": "zzz"})
    assert "Aucune organisation ne correspond" in empty.text


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"espace": "x"},
        {"espace": "99999999999"},
        {"type": "<b>"},
        {"signataire": "peut-être"},
        {"q": "'&|!:*()"},
        {"q": "x" * 5000},
        {"q": HOSTILE},
        {"q": "\x00"},
    ],
)
def test_odd_query_strings_still_give_the_list(client: TestClient, params: dict[str, str]) -> None:
    page = client.get("/annuaire/", params=params)
    assert page.status_code == 200
    assert HOSTILE not in page.text


def test_pagination_links_keep_the_filters(client: TestClient, db: Session) -> None:
    for i in range(25):
        services.create_organisation(db, None, {"name": f"Association {i:02d}", "kind": "association"})
    db.commit()
    first = client.get("/annuaire/", params={"type": "association"})
    assert len(row_names(first.text)) == 20
    assert "25 organisations" in first.text and "Page 1 sur 2" in first.text
    link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert link is not None and "type=association" in link.group(1) and "page=2" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert row_names(second.text) == [f"Association {i}" for i in range(20, 25)]


def test_organisation_page_for_anonymous_hides_people(client: TestClient, db: Session) -> None:
    org = make_org(
        db,
        "Caisse d'Allocations Familiales",
        is_signatory=True,
        commitments="Accompagner les familles.",
        website="https://www.caf.fr",
        phone="01 49 41 00 00",
        email="contact@caf.fr",
        themes=["jeunesse"],
        description="Premier paragraphe.\n\nSecond paragraphe.",
    )
    make_contact(
        db, "Dubois", "Claire", org, "Conseillère", email="claire.dubois@example.org", consent_listed=True
    )
    page = client.get(f"/annuaire/organisations/{org.id}")
    assert page.status_code == 200
    for shown in (
        "Accompagner les familles.",
        'href="https://www.caf.fr"',
        "01 49 41 00 00",
        "contact@caf.fr",
        "Jeunesse",
        "<p>Second paragraphe.</p>",
        "Se connecter pour voir les contacts",
    ):
        assert shown in page.text
    assert "Dubois" not in page.text and "claire.dubois" not in page.text
    assert client.get("/annuaire/organisations/999999").status_code == 404
    assert client.get("/annuaire/organisations/99999999999999").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/annuaire/contacts",
        "/annuaire/contacts/1",
        "/annuaire/contacts/1/vcard",
        "/annuaire/contacts.csv",
        "/annuaire/organisations/nouvelle",
        "/annuaire/contacts/nouveau",
        "/annuaire/import",
    ],
)
def test_people_pages_ask_anonymous_visitors_to_sign_in(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/compte/connexion?next=")


# ------------------------------------------------------------------------------- who sees what


@pytest.fixture
def caf(db: Session, people: People) -> Organisation:
    org = make_org(db, "CAF du Val-de-Marne")
    make_contact(
        db,
        "Dubois",
        "Claire",
        org,
        "Conseillère",
        email="claire.dubois@example.org",
        phone="06 12 34 56 78",
        consent_listed=True,
    )
    make_contact(
        db, "Garnier", "Hélène", org, "Responsable", email="helene.garnier@example.org", consent_listed=False
    )
    return org


def contact_id(db: Session, last_name: str) -> int:
    fresh(db)
    return db.scalars(select(Contact.id).where(Contact.last_name == last_name)).one()


@pytest.mark.parametrize("who", ["reader", "member"])
def test_signed_in_partners_see_listed_contacts_only(
    client: TestClient, db: Session, people: People, caf: Organisation, who: str
) -> None:
    login(client, getattr(people, who))
    listing = client.get("/annuaire/contacts", params={"q": "caf"})
    assert listing.status_code == 200
    assert "Dubois Claire" in listing.text and "Garnier" not in listing.text
    assert "claire.dubois@example.org" in listing.text and "06 12 34 56 78" in listing.text
    assert "Ajouter un contact" not in listing.text and "contacts.csv" not in listing.text
    org_page = client.get(f"/annuaire/organisations/{caf.id}")
    assert "Dubois" in org_page.text and "Garnier" not in org_page.text
    assert "Modifier l'organisation" not in org_page.text
    assert client.get(f"/annuaire/contacts/{contact_id(db, 'Dubois')}").status_code == 200
    hidden = client.get(f"/annuaire/contacts/{contact_id(db, 'Garnier')}")
    assert hidden.status_code == 404
    assert client.get(f"/annuaire/contacts/{contact_id(db, 'Garnier')}/vcard").status_code == 404
    for path in (
        "/annuaire/organisations/nouvelle",
        f"/annuaire/organisations/{caf.id}/modifier",
        "/annuaire/contacts/nouveau",
        "/annuaire/contacts.csv",
        "/annuaire/import",
    ):
        assert client.get(path).status_code == 403, path
    assert post_form(client, "/annuaire/organisations/nouvelle", {"name": "Intrus"}).status_code == 403
    assert post_form(client, f"/annuaire/organisations/{caf.id}/supprimer").status_code == 403
    assert count(db, Organisation) == 1


def test_animators_see_unlisted_contacts_and_edit(
    client: TestClient, db: Session, people: People, caf: Organisation
) -> None:
    login(client, people.animator)
    listing = client.get("/annuaire/contacts", params={"q": "caf"})
    assert "Garnier" in listing.text and "non listé" in listing.text
    assert client.get(f"/annuaire/contacts/{contact_id(db, 'Garnier')}").status_code == 200
    org_page = client.get(f"/annuaire/organisations/{caf.id}")
    assert "Garnier" in org_page.text and "Modifier l'organisation" in org_page.text
    created = post_form(
        client,
        "/annuaire/organisations/nouvelle",
        {"name": "Val de Brie Insertion", "kind": "association", "pillars": ["emploi_economie"]},
    )
    assert created.status_code == 200
    assert "L&#39;organisation a été ajoutée" in created.text
    assert count(db, Organisation) == 2
    # deleting and importing stay with the admins
    assert client.get(f"/annuaire/organisations/{caf.id}/supprimer").status_code == 403
    assert client.get("/annuaire/import").status_code == 403


def test_admin_deletes_after_confirmation(
    client: TestClient, db: Session, people: People, caf: Organisation
) -> None:
    login(client, people.admin)
    confirm = client.get(f"/annuaire/organisations/{caf.id}/supprimer")
    assert confirm.status_code == 200 and "Supprimer définitivement" in confirm.text
    assert count(db, Organisation) == 1  # GET changes nothing
    done = post_form(client, f"/annuaire/organisations/{caf.id}/supprimer")
    assert done.status_code == 200 and "a été supprimée" in done.text
    assert count(db, Organisation) == 0 and count(db, Contact) == 4  # the people stay
    person = contact_id(db, "Dubois")
    assert post_form(client, f"/annuaire/contacts/{person}/supprimer").status_code == 200
    assert count(db, Contact) == 3
    assert audit_actions(db)[-2:] == ["directory.organisation.deleted", "directory.contact.deleted"]


def test_detail_pages_show_spaces_and_plugin_panels(
    app: Starlette, client: TestClient, db: Session, people: People, caf: Organisation
) -> None:
    db.add(SpaceMembership(space_id=people.space_id, role="core.member", organisation_id=caf.id))
    db.commit()
    seen: list[tuple[object, object]] = []

    class PartnerPanels:
        @hookimpl
        def reseau_partner_panels(self, ctx, organisation, contact):  # type: ignore[no-untyped-def]
            seen.append((organisation, contact))
            subject = organisation.name if organisation is not None else contact.full_name
            return [Panel("test.partner", "Panneau de test", Markup("<p>Pour {}</p>").format(subject))]

    login(client, people.member)  # (the home page lists plugins by package: register afterwards)
    app.state.reseau.hooks.pm.register(PartnerPanels(), name="test_partner_panels")
    org_page = client.get(f"/annuaire/organisations/{caf.id}")
    assert "Groupe de test" in org_page.text and "Membre" in org_page.text
    assert "Panneau de test" in org_page.text and "<p>Pour CAF du Val-de-Marne</p>" in org_page.text
    person_page = client.get(f"/annuaire/contacts/{contact_id(db, 'Dubois')}")
    assert "<p>Pour Claire Dubois</p>" in person_page.text
    assert isinstance(seen[0][0], Organisation) and seen[0][1] is None
    assert seen[1][0] is None and isinstance(seen[1][1], Contact)
    member_page = client.get(f"/annuaire/contacts/{people.animator_contact_id}")
    assert "Groupe de test" in member_page.text and "Animateur" in member_page.text


# ------------------------------------------------------------------------------------- forms


def test_bad_organisation_form_keeps_values_and_writes_nothing(
    client: TestClient, db: Session, people: People
) -> None:
    login(client, people.admin)
    before = audit_actions(db)
    typed = {
        "name": "",
        "kind": "zzz",
        "email": "pas-une-adresse",
        "phone": "12345",
        "website": "javascript:alert(1)",
        "city": "Créteil <b>",
        "postcode": "9" * 11,
        "description": "x" * 10_001,
        "pillars": ["cohesion_sociale"],
    }
    response = post_form(client, "/annuaire/organisations/nouvelle", typed)
    assert response.status_code == 400
    assert set(field_errors(response.text)) == {
        "name",
        "kind",
        "email",
        "phone",
        "website",
        "postcode",
        "description",
    }
    for message in (
        "Le nom est obligatoire.",
        "Type d&#39;organisation inconnu",
        "Adresse électronique invalide.",
        "doit commencer par http:// ou https://",
        "10 caractères au plus",
        "Le formulaire contient des erreurs",
    ):
        assert message in response.text
    for kept in (
        'value="pas-une-adresse"',
        'value="javascript:alert(1)"',
        'value="Créteil &lt;b&gt;"',
        'checked id="pillars-0"',
    ):
        assert kept in response.text
    assert 'aria-describedby="email-error"' in response.text and 'aria-invalid="true"' in response.text
    assert count(db, Organisation) == 0
    assert audit_actions(db) == before


def test_control_characters_are_dropped_not_fatal(client: TestClient, db: Session, people: People) -> None:
    login(client, people.admin)
    response = post_form(
        client, "/annuaire/organisations/nouvelle", {"name": "Asso\x00ciation\x1b", "city": "a\tb"}
    )
    assert response.status_code == 200
    fresh(db)
    names = db.scalars(select(Organisation.name)).all()
    assert names == ["Association"]
    long_contact = post_form(
        client, "/annuaire/contacts/nouveau", {"last_name": "N" * 101, "function": "F" * 201}
    )
    assert long_contact.status_code == 400
    assert set(field_errors(long_contact.text)) == {"last_name", "function"}


def test_duplicate_organisation_needs_a_confirmation(client: TestClient, db: Session, people: People) -> None:
    make_org(db, "Paris Habitat")
    login(client, people.admin)
    refused = post_form(
        client, "/annuaire/organisations/nouvelle", {"name": "PARIS HABITAT", "kind": "bailleur_social"}
    )
    assert refused.status_code == 400
    assert (
        "Une organisation semblable existe déjà" in refused.text
        and 'name="confirm_duplicate"' in refused.text
    )
    assert count(db, Organisation) == 1
    accepted = post_form(
        client,
        "/annuaire/organisations/nouvelle",
        {"name": "PARIS HABITAT", "kind": "bailleur_social", "confirm_duplicate": "y"},
    )
    assert accepted.status_code == 200
    assert count(db, Organisation) == 2


def test_edit_organisation_records_the_change(client: TestClient, db: Session, people: People) -> None:
    org = make_org(db, "Pole Culture", pillars=["cohesion_sociale"])
    login(client, people.animator)
    form = client.get(f"/annuaire/organisations/{org.id}/modifier")
    assert 'value="Pole Culture"' in form.text and 'checked id="pillars-0"' in form.text
    response = post_form(
        client,
        f"/annuaire/organisations/{org.id}/modifier",
        {"name": "Pôle Culture", "kind": "service_municipal", "phone": "+33 1 49 41 00 00"},
    )
    assert response.status_code == 200 and "Modifications enregistrées." in response.text
    fresh(db)
    org = db.get(Organisation, org.id)
    assert (
        org is not None and org.kind == "service_municipal" and org.phone == "+33149410000" and org.tags == []
    )
    assert audit_actions(db)[-1] == "directory.organisation.updated"
    bad = post_form(client, f"/annuaire/organisations/{org.id}/modifier", {"name": "x" * 201})
    assert bad.status_code == 400 and "200 caractères au plus" in bad.text
    fresh(db)
    assert db.get(Organisation, org.id).name == "Pôle Culture"  # type: ignore[union-attr]


def test_contact_forms_and_affiliations(client: TestClient, db: Session, people: People) -> None:
    ville = make_org(db, "Ville de Villiers-sur-Marne")
    caf = make_org(db, "CAF")
    login(client, people.animator)
    bad = post_form(
        client,
        "/annuaire/contacts/nouveau",
        {"first_name": "Léa", "last_name": "", "email": "x@", "phone": "abc", "organisation": str(ville.id)},
    )
    assert bad.status_code == 400
    assert set(field_errors(bad.text)) == {"last_name", "email", "phone"}
    assert 'value="Léa"' in bad.text and f'selected value="{ville.id}"' in bad.text
    assert count(db, Contact) == 2  # the animator and the member of the fixture
    made = post_form(
        client,
        "/annuaire/contacts/nouveau",
        {
            "first_name": "Léa",
            "last_name": "Nguyen",
            "function": "Conseillère",
            "email": "lea@example.org",
            "organisation": str(ville.id),
            "role": "",
            "consent_listed": "y",
        },
    )
    assert made.status_code == 200 and "Le contact a été ajouté" in made.text
    person = contact_id(db, "Nguyen")
    tie = db.scalars(select(Affiliation).where(Affiliation.contact_id == person)).one()
    assert tie.organisation_id == ville.id and tie.role == "Conseillère" and tie.is_primary
    edit = client.get(f"/annuaire/contacts/{person}/modifier")
    assert "Rattacher à une organisation" in edit.text
    unknown = post_form(
        client, f"/annuaire/contacts/{person}/organisations", {"organisation": "999999", "role": "x"}
    )
    assert unknown.status_code == 400 and "Choisissez une organisation de l&#39;annuaire." in unknown.text
    added = post_form(
        client,
        f"/annuaire/contacts/{person}/organisations",
        {"organisation": str(caf.id), "role": "Partenaire", "is_primary": "y"},
    )
    assert added.status_code == 200 and "Rattachement à « CAF » enregistré." in added.text
    fresh(db)
    ties = {
        a.organisation_id: a for a in db.scalars(select(Affiliation).where(Affiliation.contact_id == person))
    }
    assert ties[caf.id].is_primary and not ties[ville.id].is_primary
    removed = post_form(client, f"/annuaire/contacts/{person}/organisations/{ties[ville.id].id}/retirer")
    assert removed.status_code == 200 and "retiré" in removed.text
    assert (
        client.post(f"/annuaire/contacts/{person}/organisations/{ties[ville.id].id}/retirer").status_code
        == 403
    )
    changed = post_form(
        client,
        f"/annuaire/contacts/{person}/modifier",
        {"first_name": "Léa", "last_name": "Nguyen", "phone": "06 12 34 56 78"},
    )
    assert changed.status_code == 200
    fresh(db)
    saved = db.get(Contact, person)
    assert saved is not None and saved.phone == "+33612345678" and saved.consent_listed is False
    assert audit_actions(db)[-3:] == [
        "directory.affiliation.added",
        "directory.affiliation.removed",
        "directory.contact.updated",
    ]


# ------------------------------------------------------------------ hostile text everywhere


def test_markup_in_every_text_field_is_escaped_everywhere(
    client: TestClient, db: Session, people: People
) -> None:
    values = {f: HOSTILE for f in ("name", "commitments", "address", "city", "description")}
    org = make_org(db, **values, postcode="<i>", is_signatory=True)
    person = make_contact(db, HOSTILE, HOSTILE, org, HOSTILE, function=HOSTILE, consent_listed=True)
    login(client, people.admin)
    pages = [
        client.get("/annuaire/"),
        client.get("/annuaire/", params={"q": "script alert"}),
        client.get(f"/annuaire/organisations/{org.id}"),
        client.get(f"/annuaire/organisations/{org.id}/modifier"),
        client.get("/annuaire/contacts"),
        client.get(f"/annuaire/contacts/{person.id}"),
        client.get(f"/annuaire/contacts/{person.id}/modifier"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>" not in page.text and "<i>" not in page.text
        assert "&lt;script&gt;" in page.text
    exported = client.get("/annuaire/organisations.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert exported.headers["x-content-type-options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == HOSTILE  # kept as text in its cell, for a spreadsheet (never rendered as HTML)
    card = client.get(f"/annuaire/contacts/{person.id}/vcard")
    assert card.headers["content-type"].startswith("text/vcard")
    parsed = vobject.readOne(card.text)
    assert parsed.fn.value == f"{HOSTILE} {HOSTILE}" and parsed.org.value == [HOSTILE]


def test_javascript_urls_are_refused_and_never_linked(
    client: TestClient, db: Session, people: People
) -> None:
    login(client, people.admin)
    for url in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "http://exa mple.org",
    ):
        response = post_form(client, "/annuaire/organisations/nouvelle", {"name": "Site", "website": url})
        assert response.status_code == 400, url
    assert count(db, Organisation) == 0
    # even a value that slipped into the database is never put in an href
    org = make_org(db, "Ancienne fiche")
    org.website = "javascript:alert(1)"
    db.commit()
    assert 'href="javascript' not in client.get(f"/annuaire/organisations/{org.id}").text


# ----------------------------------------------------------------------------------- exports


def test_csv_export_of_the_filtered_list(client: TestClient, db: Session) -> None:
    make_org(
        db,
        "Valophis Habitat",
        kind="bailleur_social",
        is_signatory=True,
        phone="0149410000",
        pillars=["habitat_cadre_de_vie"],
        themes=["jeunesse", "discriminations"],
    )
    make_org(db, "Mission Locale", description='=HYPERLINK("http://evil")')
    response = client.get("/annuaire/organisations.csv", params={"q": "habitat"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert (
        "attachment" in response.headers["content-disposition"]
        and ".csv" in response.headers["content-disposition"]
    )
    text = response.content.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Nom", "Type", "Signataire"]
    assert len(rows) == 2
    assert rows[1][:3] == ["Valophis Habitat", "Bailleur social", "oui"]
    assert rows[1][4] == "Habitat et cadre de vie"
    assert rows[1][5] == "Lutte contre les discriminations | Jeunesse"
    assert rows[1][11] == "01 49 41 00 00"
    everything = list(
        csv.reader(
            io.StringIO(client.get("/annuaire/organisations.csv").content.decode("utf-8-sig")), delimiter=";"
        )
    )
    # a formula would run in the spreadsheet: neutralised
    assert everything[1][12] == '\'=HYPERLINK("http://evil")'


def test_contacts_export_is_for_editors_and_includes_the_unlisted(
    client: TestClient, db: Session, people: People, caf: Organisation
) -> None:
    login(client, people.animator)
    response = client.get("/annuaire/contacts.csv", params={"organisation": str(caf.id)})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Prénom",
        "Nom",
        "Fonction",
        "Courriel",
        "Téléphone",
        "Organisation",
        "Rôle",
        "Consentement",
    ]
    assert sorted(r[1] for r in rows[1:]) == ["Dubois", "Garnier"]
    dubois = next(r for r in rows if r[1] == "Dubois")
    assert dubois[3:] == [
        "claire.dubois@example.org",
        "06 12 34 56 78",
        "CAF du Val-de-Marne",
        "Conseillère",
        "oui",
    ]


def test_vcard_of_a_contact(client: TestClient, db: Session, people: People, caf: Organisation) -> None:
    login(client, people.reader)
    person = contact_id(db, "Dubois")
    response = client.get(f"/annuaire/contacts/{person}/vcard")
    assert response.status_code == 200
    assert 'filename="claire-dubois.vcf"' in response.headers["content-disposition"]
    card = vobject.readOne(response.text)
    assert card.fn.value == "Claire Dubois"
    assert card.n.value.family == "Dubois" and card.n.value.given == "Claire"
    assert card.org.value == ["CAF du Val-de-Marne"]
    assert card.email.value == "claire.dubois@example.org"
    assert card.tel.value == "+33612345678"
    assert card.role.value == "Conseillère"  # her role at the CAF
