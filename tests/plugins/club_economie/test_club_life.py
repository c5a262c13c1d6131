"""Club life: meetings of the club's kinds in the core calendar, resources by category,
opinions with their status linked to a meeting; members' directory choices and filters."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.calendar.models import Meeting
from core.resources.models import Resource
from plugins.club_economie.models import Member, Opinion
from plugins.club_economie.vocab import ANSWERED, DRAFT, PLENARY, SENT
from tests.helpers import FrozenClock, login, logout, post_form
from tests.plugins.club_economie.conftest import ANIMATOR, OUTSIDER, fresh, text

MEMBER = "rachid.amrani@example.org"  # the demo bakery's manager


def test_the_club_declares_its_meeting_kinds(club: Starlette) -> None:
    kinds = club.state.reseau.registry.meeting_kinds
    assert {"club_economie.pleniere", "club_economie.petit_dejeuner", "club_economie.visite"} <= set(kinds)


def test_a_plenary_is_planned_through_the_core_calendar(
    club: Starlette, web: TestClient, db: Session, clock: FrozenClock
) -> None:
    login(web, ANIMATOR)
    page = web.get("/club_economie/")
    assert "plénière" in text(page)
    space_id = fresh(db).scalar(select(Meeting.space_id).where(Meeting.kind == PLENARY).limit(1))
    form = web.get(f"/agenda/reunions/nouvelle?space={space_id}&kind=club_economie.pleniere")
    assert form.status_code == 200
    options = re.findall(r"<option[^>]*club_economie[^>]*>[^<]*", form.text)
    assert any("pleniere" in o and "selected" in o for o in options), options


def test_resources_by_category_and_animators_add_links(club: Starlette, web: TestClient, db: Session) -> None:
    public = web.get("/club_economie/ressources")
    assert public.status_code == 200
    page = text(public)
    assert "Dispositifs d'accompagnement" in page and "Mission Locale : recruter un jeune" in page
    assert "Ajouter un lien" not in page
    refused = post_form(web, "/club_economie/ressources", {"title": "x", "url": "https://example.org"})
    assert (refused.status_code in (200, 403) and "Connexion" in text(refused)) or refused.status_code == 403
    login(web, ANIMATOR)
    bad = post_form(
        web,
        "/club_economie/ressources",
        {
            "title": "Lien piégé",
            "url": "javascript:alert(1)",
            "category": "club_economie.guide",
            "public": "y",
        },
    )
    assert bad.status_code == 400 and "Adresse web invalide" in text(bad)
    assert 'value="Lien piégé"' in text(bad)
    ok = post_form(
        web,
        "/club_economie/ressources",
        {
            "title": "France Travail : recruter",
            "url": "francetravail.fr",
            "category": "club_economie.contact",
            "public": "y",
        },
    )
    assert "La ressource est ajoutée." in text(ok)
    fresh(db)
    resource = db.scalar(select(Resource).where(Resource.title == "France Travail : recruter"))
    assert resource is not None and resource.category == "club_economie.contact"
    assert resource.url == "https://francetravail.fr"


def test_opinions_move_from_draft_to_sent_to_answered(
    club: Starlette, web: TestClient, db: Session, clock: FrozenClock
) -> None:
    fresh(db)
    meeting = db.scalar(select(Meeting).where(Meeting.kind == PLENARY))
    assert meeting is not None
    login(web, ANIMATOR)
    created = post_form(
        web,
        "/club_economie/avis/nouveau",
        {
            "kind": "recommandation",
            "title": "Signalétique des commerces",
            "body": "Texte <b>gras</b>",
            "meeting_id": str(meeting.id),
        },
    )
    assert "Enregistré." in text(created)
    fresh(db)
    opinion = db.scalar(select(Opinion).where(Opinion.title == "Signalétique des commerces"))
    assert opinion is not None and opinion.status == DRAFT and opinion.meeting_id == meeting.id
    url = f"/club_economie/avis/{opinion.id}"
    assert "&lt;b&gt;gras" in web.get(url).text or "Texte" in web.get(url).text
    refused = post_form(web, url + "/etat", {"status": ANSWERED, "answer": "Oui"})
    assert refused.status_code == 400 and "Ce changement d'état n'est pas possible." in text(refused)
    post_form(web, url + "/etat", {"status": SENT})
    no_answer = post_form(web, url + "/etat", {"status": ANSWERED, "answer": " "})
    assert no_answer.status_code == 400 and "Résumez la réponse de la ville." in text(no_answer)
    post_form(web, url + "/etat", {"status": ANSWERED, "answer": "La ville étudie un plan de signalétique."})
    fresh(db)
    opinion = db.get(Opinion, opinion.id)
    assert opinion is not None and opinion.status == ANSWERED and opinion.sent_at and opinion.answered_at
    listing = web.get("/club_economie/avis")
    assert "Signalétique des commerces" in text(listing) and "Réponse reçue" in text(listing)
    assert meeting.title in text(listing)
    bad_meeting = post_form(web, url, {"kind": "avis", "title": "x", "meeting_id": "999999"})
    assert bad_meeting.status_code == 400


def test_opinions_are_for_the_club_only(club: Starlette, web: TestClient) -> None:
    login(web, OUTSIDER)
    assert web.get("/club_economie/avis").status_code == 403
    assert web.get("/club_economie/annuaire").status_code == 403
    assert web.get("/club_economie/candidatures").status_code == 403
    assert web.get("/club_economie/adhesions").status_code == 403
    assert post_form(web, "/club_economie/avis/nouveau", {"kind": "avis", "title": "x"}).status_code == 403


def test_members_choose_what_the_directories_show(club: Starlette, web: TestClient, db: Session) -> None:
    public = text(web.get("/club_economie/entreprises"))
    assert "Boulangerie des Hautes-Noues" in public and "Numérique Solidaire Villiers" not in public
    assert "rachid.amrani@example.org" in public  # the bakery shows its email publicly
    login(web, ANIMATOR)
    members_page = text(web.get("/club_economie/annuaire"))
    assert "Numérique Solidaire Villiers" in members_page  # members-only listing
    only_area = text(web.get("/club_economie/annuaire", params={"quartier": "1"}))
    assert "Boulangerie des Hautes-Noues" in only_area and "Numérique Solidaire Villiers" not in only_area
    by_activity = text(web.get("/club_economie/annuaire", params={"activity": "Menuiserie"}))
    assert "Menuiserie Portes de Paris" in by_activity and "Boulangerie des Hautes-Noues" not in by_activity
    fresh(db)
    bakery = db.scalar(select(Member).where(Member.siret == "73282932000074"))
    assert bakery is not None
    changed = post_form(
        web,
        f"/club_economie/membres/{bakery.id}/fiche",
        {"activity": "Boulangerie", "presentation": "Pain au levain", "listed": "y", "contact_visible": "y"},
    )
    assert "Vos choix sont enregistrés." in text(changed)
    public = text(web.get("/club_economie/entreprises"))
    assert "Boulangerie des Hautes-Noues" not in public
    members_page = text(web.get("/club_economie/annuaire"))
    assert "Pain au levain" in members_page and "rachid.amrani@example.org" not in members_page


def test_the_club_is_in_the_navigation_and_on_its_space_page(club: Starlette, web: TestClient) -> None:
    home = text(web.get("/"))
    assert 'href="/club_economie/"' in home and "Club des entreprises" in home
    space = web.get("/espaces/club-economie")
    assert space.status_code == 200
    assert (
        "Le formulaire de candidature" in text(space)
        and "Candidatures" not in text(space).split("Le club")[-1]
    )
    login(web, ANIMATOR)
    space = text(web.get("/espaces/club-economie"))
    assert "nouvelle(s)" in space and "/club_economie/candidatures" in space


def test_animators_find_the_waiting_applications_on_their_home_page(club: Starlette, web: TestClient) -> None:
    login(web, ANIMATOR)
    home = text(web.get("/"))
    assert "Candidatures au club" in home and "Traiteur Saveurs du Monde" in home
    logout(web)
    login(web, OUTSIDER)
    assert "Candidatures au club" not in text(web.get("/"))
