"""Space pages over HTTP: list, detail, create/edit, close/reopen/delete, memberships.

Every test runs on SQLite and PostgreSQL (the ``client``/``db`` fixtures are parametrised).
Demo people: camille.martin is an admin; nadia.benali animates ``equipe-projet``;
isabelle.moreau is a member of it; julien.roux holds no role there.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from core.calendar.models import Meeting
from core.demo import contact_by_email, organisation_by_name
from core.directory.models import Contact
from core.spaces.models import ANIMATOR, MEMBER, Space, SpaceMembership
from tests.helpers import login, post_form

pytestmark = pytest.mark.usefixtures("demo")

TEAM = "/espaces/equipe-projet"


def text(response: Any) -> str:
    """The page as a reader sees it (entities decoded), for checking French messages."""
    return unescape(response.text)


def space(db: Session, slug: str) -> Space | None:
    db.rollback()  # a fresh snapshot: see what the app committed
    return db.scalar(select(Space).where(Space.slug == slug))


def audit_actions(db: Session) -> list[str]:
    db.rollback()  # a fresh snapshot: see what the app committed
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def create_form(**changes: str) -> dict[str, str]:
    data = {
        "name": "Groupe de travail Tranquillité",
        "kind": "core.espace",
        "pillar": "habitat_cadre_de_vie",
        "description": "Coordonner la gestion urbaine de proximité.",
        "duration": "permanent",
        "ends_on": "",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------------------------------- list


def test_list_groups_open_spaces_by_kind_and_shows_closed_ones_apart(client: TestClient, db: Session) -> None:
    db.add_all(
        [
            Space(
                slug="atelier",
                name="Atelier mobilité",
                kind="core.espace",
                is_permanent=False,
                ends_on=date(2026, 6, 30),
            ),
            Space(
                slug="ancien",
                name="Ancien comité",
                kind="groupes_techniques.comite",
                closed_at=datetime(2026, 1, 5, 10, tzinfo=UTC),
            ),
            Space(slug="orphelin", name="Espace d'un module retiré", kind="retire.truc"),
        ]
    )
    db.commit()
    html = client.get("/espaces/").text
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    # declared kinds in declaration order (core first), unknown kinds last, then closed spaces
    assert headings[0] == "Espace de travail"
    assert headings[-2:] == ["Autres espaces", "Espaces fermés"]
    open_part, closed_part = html.split("Espaces fermés</h2>")
    assert "Atelier mobilité" in open_part and "Ancien comité" not in open_part
    assert "Ancien comité" in closed_part and "fermé le 5 janvier 2026" in closed_part
    assert "Ponctuel, jusqu'au 30 juin 2026" in html
    assert 'href="/espaces/atelier"' in html
    assert "3 membres" in html  # équipe projet: two animators and one member


def test_list_offers_creation_to_admins_only(client: TestClient) -> None:
    assert "Créer un espace" not in text(client.get("/espaces/"))
    login(client, "nadia.benali@example.org")
    assert "Créer un espace" not in text(client.get("/espaces/"))
    login(client, "camille.martin@example.org")
    assert 'href="/espaces/nouveau"' in text(client.get("/espaces/"))


# -------------------------------------------------------------------------------------- detail


def test_detail_shows_members_only_to_signed_in_users(client: TestClient, db: Session) -> None:
    org = organisation_by_name(db, "Valophis Habitat")
    team = space(db, "equipe-projet")
    assert org is not None and team is not None
    db.add(SpaceMembership(space_id=team.id, role=MEMBER, organisation_id=org.id))
    db.commit()

    anonymous = text(client.get(TEAM))
    assert "<h1>Équipe projet du Contrat de ville</h1>" in anonymous
    assert "L'équipe MOUS" in anonymous
    assert "Camille Martin" not in anonymous and "Valophis" not in anonymous
    assert "Connectez-vous pour voir les animateurs et les membres" in anonymous

    login(client, "julien.roux@example.org")
    html = client.get(TEAM).text
    animators, members = html.split("<h3>Animateur·rice</h3>")[1].split("<h3>Membre</h3>")
    assert (
        "Camille Martin" in animators
        and "Nadia Benali, Déléguée du préfet – Préfecture du Val-de-Marne" in animators
    )
    assert (
        "Isabelle Moreau" in members and "Valophis Habitat" in members and "toute l'organisation" in members
    )
    # julien may not manage: no management links
    assert "Gérer les membres" not in html and "Modifier l'espace" not in html


def test_detail_actions_follow_permissions(client: TestClient) -> None:
    login(client, "nadia.benali@example.org")  # animator
    html = client.get(TEAM).text
    assert 'href="/espaces/equipe-projet/membres"' in html
    assert "Modifier l'espace" not in html
    login(client, "camille.martin@example.org")  # admin
    html = client.get(TEAM).text
    for action in ("/membres", "/modifier", "/fermer", "/supprimer"):
        assert f"/espaces/equipe-projet{action}" in html


def test_unknown_space_is_a_french_404(client: TestClient) -> None:
    response = client.get("/espaces/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


# -------------------------------------------------------------------------------- create, edit


def test_admin_creates_a_space_with_a_slug_from_its_name(client: TestClient, db: Session) -> None:
    login(client, "camille.martin@example.org")
    form = client.get("/espaces/nouveau")
    assert form.status_code == 200
    assert '<option value="club_economie.club">' in text(form)  # the plugins' kinds are offered
    response = post_form(client, "/espaces/nouveau", create_form())
    assert response.status_code == 200
    assert str(response.url).endswith("/espaces/groupe-de-travail-tranquillite")
    assert "L'espace « Groupe de travail Tranquillité » a été créé." in text(response)
    created = space(db, "groupe-de-travail-tranquillite")
    assert created is not None and created.pillar == "habitat_cadre_de_vie" and created.is_permanent
    # the same name again gets another slug
    again = post_form(client, "/espaces/nouveau", create_form())
    assert str(again.url).endswith("/espaces/groupe-de-travail-tranquillite-2")
    assert audit_actions(db)[-2:] == ["spaces.space.created", "spaces.space.created"]


def test_ad_hoc_space_needs_a_future_end_date(client: TestClient, db: Session) -> None:
    login(client, "camille.martin@example.org")
    missing = post_form(client, "/espaces/nouveau", create_form(duration="ponctuel"))
    assert missing.status_code == 400
    assert "Un espace ponctuel doit avoir une date de fin." in text(missing)
    assert 'value="Groupe de travail Tranquillité"' in text(missing)  # typed values kept
    past = post_form(client, "/espaces/nouveau", create_form(duration="ponctuel", ends_on="2026-03-01"))
    assert past.status_code == 400
    assert "La date de fin ne peut pas être passée." in text(past)
    garbage = post_form(client, "/espaces/nouveau", create_form(duration="ponctuel", ends_on="31/02/2026"))
    assert garbage.status_code == 400
    assert "N'est pas une date valide." in text(garbage)
    french = post_form(client, "/espaces/nouveau", create_form(duration="ponctuel", ends_on="30/06/2026"))
    assert french.status_code == 200
    created = space(db, "groupe-de-travail-tranquillite")
    assert created is not None and created.ends_on == date(2026, 6, 30) and not created.is_permanent
    assert "Ponctuel, jusqu'au 30 juin 2026" in text(french)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Ce champ est obligatoire."),
        ({"name": "   "}, "Ce champ est obligatoire."),
        ({"name": "x" * 201}, "200"),
        ({"kind": "retire.truc"}, "N'est pas un choix valide."),
        ({"kind": ""}, "Ce champ est obligatoire."),
        ({"pillar": "inconnu"}, "N'est pas un choix valide."),
        ({"duration": "toujours"}, "N'est pas un choix valide."),
        ({"description": "d" * 10_001}, "10000"),
    ],
)
def test_create_refuses_bad_input_in_french_and_writes_nothing(
    client: TestClient, db: Session, changes: dict[str, str], message: str
) -> None:
    login(client, "camille.martin@example.org")
    before = db.scalar(select(func.count()).select_from(Space))
    response = post_form(client, "/espaces/nouveau", create_form(**changes))
    assert response.status_code == 400
    assert message in text(response)
    assert "Le formulaire contient des erreurs" in text(response)
    assert 'class="field-error"' in response.text
    db.rollback()  # a fresh snapshot: see what the app committed
    assert db.scalar(select(func.count()).select_from(Space)) == before


def test_html_in_every_text_field_is_rendered_escaped(client: TestClient, db: Session) -> None:
    login(client, "camille.martin@example.org")
    script = '<script>alert("x")</script>'
    response = post_form(
        client,
        "/espaces/nouveau",
        create_form(name=f"Groupe {script}", description=f"{script}\n\n<b>gras</b>"),
    )
    assert response.status_code == 200
    for page in (response.text, client.get("/espaces/").text):
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;gras&lt;/b&gt;" in response.text
    created = db.scalar(select(Space).where(Space.name.startswith("Groupe <script>")))
    assert created is not None and created.slug == "groupe-script-alert-x-script"


def test_only_admins_create_or_edit(client: TestClient) -> None:
    anonymous = client.get("/espaces/nouveau", follow_redirects=False)
    assert anonymous.status_code == 303 and "/compte/connexion" in anonymous.headers["location"]
    login(client, "nadia.benali@example.org")  # animator, not admin
    assert client.get("/espaces/nouveau").status_code == 403
    assert post_form(client, "/espaces/nouveau", create_form()).status_code == 403
    assert client.get(f"{TEAM}/modifier").status_code == 403
    assert post_form(client, f"{TEAM}/modifier", create_form()).status_code == 403
    for action in ("fermer", "rouvrir", "supprimer"):
        assert post_form(client, f"{TEAM}/{action}").status_code == 403


def test_admin_edits_a_space_and_the_slug_stays(client: TestClient, db: Session) -> None:
    login(client, "camille.martin@example.org")
    form = client.get(f"{TEAM}/modifier")
    assert 'value="Équipe projet du Contrat de ville"' in text(form)
    response = post_form(
        client,
        f"{TEAM}/modifier",
        create_form(name="Équipe projet (MOUS)", duration="ponctuel", ends_on="2026-12-31", pillar=""),
    )
    assert response.status_code == 200
    assert "L'espace a été modifié." in text(response)
    team = space(db, "equipe-projet")
    assert team is not None
    assert (team.name, team.is_permanent, team.ends_on, team.pillar) == (
        "Équipe projet (MOUS)",
        False,
        date(2026, 12, 31),
        None,
    )
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "spaces.space.updated")).one()
    assert entry.changes["name"] == ["Équipe projet du Contrat de ville", "Équipe projet (MOUS)"]
    assert entry.actor == "camille.martin@example.org"
    # back to permanent: the end date goes away
    post_form(client, f"{TEAM}/modifier", create_form(name="Équipe projet (MOUS)", ends_on="2026-12-31"))
    team = space(db, "equipe-projet")
    assert team is not None and team.is_permanent and team.ends_on is None


def test_edit_with_errors_keeps_the_input(client: TestClient, db: Session) -> None:
    login(client, "camille.martin@example.org")
    response = post_form(client, f"{TEAM}/modifier", create_form(name="Nouveau nom", kind="inconnu"))
    assert response.status_code == 400
    assert 'value="Nouveau nom"' in text(response)
    team = space(db, "equipe-projet")
    assert team is not None and team.name == "Équipe projet du Contrat de ville"


# ------------------------------------------------------------------------ close, reopen, delete


def test_close_and_reopen(client: TestClient, db: Session, clock: object) -> None:
    login(client, "camille.martin@example.org")
    closed = post_form(client, f"{TEAM}/fermer")
    assert "L'espace est fermé." in text(closed)
    assert "Cet espace est fermé depuis le 2 mars 2026." in text(closed)
    team = space(db, "equipe-projet")
    assert team is not None and team.closed_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert "Équipe projet" in text(client.get("/espaces/")).split("Espaces fermés")[1]
    reopened = post_form(client, f"{TEAM}/rouvrir")
    assert "L'espace est rouvert." in text(reopened)
    team = space(db, "equipe-projet")
    assert team is not None and team.closed_at is None
    assert audit_actions(db)[-2:] == ["spaces.space.closed", "spaces.space.reopened"]


def test_state_changes_refuse_get(client: TestClient) -> None:
    login(client, "camille.martin@example.org")
    for action in ("fermer", "rouvrir", "membres/ajouter"):
        assert client.get(f"{TEAM}/{action}").status_code == 405


def test_delete_a_space_created_by_mistake(client: TestClient, db: Session) -> None:
    team = space(db, "equipe-projet")
    assert team is not None
    team_id = team.id
    login(client, "camille.martin@example.org")
    confirm = client.get(f"{TEAM}/supprimer")
    assert "Supprimer définitivement" in text(confirm)
    response = post_form(client, f"{TEAM}/supprimer")
    assert response.status_code == 200
    assert "L'espace « Équipe projet du Contrat de ville » a été supprimé." in text(response)
    assert space(db, "equipe-projet") is None
    memberships = select(func.count()).select_from(SpaceMembership).where(SpaceMembership.space_id == team_id)
    assert db.scalar(memberships) == 0
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "spaces.space.deleted")).one()
    assert entry.summary == "Équipe projet du Contrat de ville (equipe-projet)"


def test_a_space_with_meetings_is_never_deleted(client: TestClient, db: Session) -> None:
    team = space(db, "equipe-projet")
    assert team is not None
    start = datetime(2026, 3, 10, 13, tzinfo=UTC)
    db.add(
        Meeting(
            space_id=team.id, title="Comité technique", starts_at=start, ends_at=start + timedelta(hours=2)
        )
    )
    db.commit()
    login(client, "camille.martin@example.org")
    confirm = client.get(f"{TEAM}/supprimer")
    assert "Cet espace a des réunions : il ne peut pas être supprimé. Fermez-le plutôt." in text(confirm)
    assert "Supprimer définitivement" not in text(confirm)
    refused = post_form(client, f"{TEAM}/supprimer")
    assert refused.status_code == 409
    assert "Cet espace a des réunions : il ne peut pas être supprimé." in text(refused)
    assert space(db, "equipe-projet") is not None
    assert "spaces.space.deleted" not in audit_actions(db)


# ---------------------------------------------------------------------------------- memberships


def test_members_page_is_for_admins_and_the_space_animators(client: TestClient) -> None:
    members = f"{TEAM}/membres"
    assert "/compte/connexion" in client.get(members, follow_redirects=False).headers["location"]
    for email, status in (
        ("julien.roux@example.org", 403),  # no role in the space
        ("isabelle.moreau@example.org", 403),  # member, not animator
        ("nadia.benali@example.org", 200),  # animator
        ("camille.martin@example.org", 200),  # admin
    ):
        login(client, email)
        assert client.get(members).status_code == status, email
        if status == 403:
            assert (
                post_form(client, f"{members}/ajouter", {"holder": "contact:1", "role": MEMBER}).status_code
                == 403
            )


def test_animator_finds_a_contact_without_javascript_and_adds_them(client: TestClient, db: Session) -> None:
    login(client, "nadia.benali@example.org")
    page = client.get(f"{TEAM}/membres", params={"q": "LEA nguyen"})  # case and accents ignored
    assert page.status_code == 200
    assert "Léa Nguyen, Conseillère emploi – Mission Locale des Portes de la Brie" in text(page)
    lea = contact_by_email(db, "lea.nguyen@example.org")
    assert lea is not None
    assert f'value="contact:{lea.id}"' in text(page)
    assert '<option value="core.animator">' in text(page)
    # who already holds a role is marked
    marked = text(client.get(f"{TEAM}/membres", params={"q": "benali"}))
    assert 'Préfecture du Val-de-Marne <span class="meta">(déjà : Animateur·rice)</span>' in marked
    response = post_form(
        client, f"{TEAM}/membres/ajouter", {"holder": f"contact:{lea.id}", "role": MEMBER, "q": "lea"}
    )
    assert response.status_code == 200
    assert str(response.url).endswith("/espaces/equipe-projet/membres")
    assert "Léa Nguyen a été ajouté·e : Membre." in text(response)
    db.rollback()  # a fresh snapshot: see what the app committed
    team = space(db, "equipe-projet")
    assert team is not None
    in_team = (SpaceMembership.contact_id == lea.id, SpaceMembership.space_id == team.id)
    row = db.scalars(select(SpaceMembership).where(*in_team)).one()
    assert row.role == MEMBER
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "spaces.membership.added")).one()
    assert entry.actor == "nadia.benali@example.org" and entry.summary == "Léa Nguyen : core.member"
    # adding again changes nothing
    again = post_form(client, f"{TEAM}/membres/ajouter", {"holder": f"contact:{lea.id}", "role": MEMBER})
    assert "Léa Nguyen avait déjà ce rôle : Membre." in text(again)
    assert (
        db.scalar(
            select(func.count()).select_from(SpaceMembership).where(*in_team)
        )
        == 1
    )


def test_whole_organisations_join_as_members_only(client: TestClient, db: Session) -> None:
    org = organisation_by_name(db, "Caisse d'Allocations Familiales du Val-de-Marne")
    assert org is not None
    login(client, "camille.martin@example.org")
    page = client.get(f"{TEAM}/membres", params={"q": "allocations"})
    assert f'value="organisation:{org.id}"' in text(page)
    refused = post_form(
        client,
        f"{TEAM}/membres/ajouter",
        {"holder": f"organisation:{org.id}", "role": ANIMATOR, "q": "allocations"},
    )
    assert refused.status_code == 400
    assert "Une organisation ne peut être que membre" in text(refused)
    assert f'value="organisation:{org.id}" checked' in text(refused)  # the choice is kept
    added = post_form(client, f"{TEAM}/membres/ajouter", {"holder": f"organisation:{org.id}", "role": MEMBER})
    assert added.status_code == 200
    assert "Caisse d'Allocations Familiales du Val-de-Marne" in text(client.get(TEAM))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"holder": "", "role": MEMBER}, "Ce champ est obligatoire."),
        ({"holder": "contact:999999", "role": MEMBER}, "Cette personne n'existe pas ou plus"),
        ({"holder": "organisation:999999", "role": MEMBER}, "Cette organisation n'existe pas ou plus"),
        ({"holder": "contact:1 OR 1=1", "role": MEMBER}, "Choisissez une personne ou une organisation"),
        ({"holder": "<script>x</script>", "role": MEMBER}, "Choisissez une personne ou une organisation"),
        ({"holder": "contact:" + "9" * 30, "role": MEMBER}, "Choisissez une personne ou une organisation"),
        ({"holder": "contact:1", "role": "core.admin"}, "N'est pas un choix valide."),
        ({"holder": "contact:1", "role": ""}, "Ce champ est obligatoire."),
    ],
)
def test_adding_a_member_refuses_hostile_input(
    client: TestClient, db: Session, data: dict[str, str], message: str
) -> None:
    before = db.scalar(select(func.count()).select_from(SpaceMembership))
    login(client, "nadia.benali@example.org")
    response = post_form(client, f"{TEAM}/membres/ajouter", {**data, "q": "<b>q</b>"})
    assert response.status_code == 400
    assert message in text(response)
    assert "<b>q</b>" not in response.text and "&lt;b&gt;q&lt;/b&gt;" in response.text
    db.rollback()  # a fresh snapshot: see what the app committed
    assert db.scalar(select(func.count()).select_from(SpaceMembership)) == before


def test_an_erased_contact_cannot_be_found_or_added(client: TestClient, db: Session) -> None:
    lea = contact_by_email(db, "lea.nguyen@example.org")
    assert lea is not None
    lea.anonymised_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.commit()
    login(client, "nadia.benali@example.org")
    assert "Nguyen" not in text(client.get(f"{TEAM}/membres", params={"q": "nguyen"}))
    response = post_form(client, f"{TEAM}/membres/ajouter", {"holder": f"contact:{lea.id}", "role": MEMBER})
    assert response.status_code == 400


def test_short_and_empty_searches(client: TestClient) -> None:
    login(client, "nadia.benali@example.org")
    assert "Saisissez au moins 2 caractères" in text(client.get(f"{TEAM}/membres", params={"q": "a"}))
    assert "Aucun résultat pour « zzzzzz »." in text(client.get(f"{TEAM}/membres", params={"q": "zzzzzz"}))
    # LIKE wildcards are searched literally, not as "anything"
    assert "Saisissez au moins" in text(client.get(f"{TEAM}/membres", params={"q": "%%"}))
    assert "Aucun résultat pour « %zz% »" in text(client.get(f"{TEAM}/membres", params={"q": "%zz%"}))
    huge = client.get(f"{TEAM}/membres", params={"q": "x" * 5000})
    assert huge.status_code == 200


def test_remove_a_membership(client: TestClient, db: Session) -> None:
    isabelle = contact_by_email(db, "isabelle.moreau@example.org")
    assert isabelle is not None
    team = space(db, "equipe-projet")
    assert team is not None
    row_id = db.scalars(
        select(SpaceMembership.id).where(
            SpaceMembership.contact_id == isabelle.id, SpaceMembership.space_id == team.id
        )
    ).one()
    login(client, "nadia.benali@example.org")
    page = client.get(f"{TEAM}/membres").text
    assert 'Retirer<span class="visually-hidden"> Isabelle Moreau (Membre)</span>' in page
    response = post_form(client, f"{TEAM}/membres/{row_id}/retirer")
    assert response.status_code == 200
    assert "Isabelle Moreau a été retiré·e de l'espace." in text(response)
    db.rollback()  # a fresh snapshot: see what the app committed
    assert db.get(SpaceMembership, row_id) is None
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "spaces.membership.removed")).one()
    assert entry.summary == "Isabelle Moreau : core.member"
    assert post_form(client, f"{TEAM}/membres/{row_id}/retirer").status_code == 404


def test_a_membership_of_another_space_cannot_be_removed_through_this_one(
    client: TestClient, db: Session
) -> None:
    other = Space(slug="autre", name="Autre espace", kind="core.espace")
    db.add(other)
    db.flush()
    julien = db.scalar(select(Contact).where(Contact.email == "julien.roux@example.org"))
    assert julien is not None
    row = SpaceMembership(space_id=other.id, role=MEMBER, contact_id=julien.id)
    db.add(row)
    db.commit()
    login(client, "nadia.benali@example.org")  # animator of equipe-projet only
    assert post_form(client, f"{TEAM}/membres/{row.id}/retirer").status_code == 404
    assert post_form(client, f"/espaces/autre/membres/{row.id}/retirer").status_code == 403
    db.rollback()  # a fresh snapshot: see what the app committed
    assert db.get(SpaceMembership, row.id) is not None


def test_an_animator_who_removes_their_own_role_lands_on_the_space_page(
    client: TestClient, db: Session
) -> None:
    nadia = contact_by_email(db, "nadia.benali@example.org")
    assert nadia is not None
    team = db.scalar(select(Space).where(Space.slug == "equipe-projet"))  # plugins add other spaces
    assert team is not None
    row = db.scalars(
        select(SpaceMembership).where(SpaceMembership.contact_id == nadia.id, SpaceMembership.space_id == team.id)
    ).one()
    login(client, "nadia.benali@example.org")
    response = post_form(client, f"{TEAM}/membres/{row.id}/retirer")
    assert response.status_code == 200
    assert str(response.url).endswith("/espaces/equipe-projet")
    assert client.get(f"{TEAM}/membres").status_code == 403
