"""A member's own card and membership years: renewing, the animators' list of non-renewed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts import services as accounts
from core.demo import contact_by_email
from plugins.club_economie.models import Member, MembershipYear
from tests.helpers import login, logout, post_form
from tests.plugins.club_economie.conftest import ANIMATOR, OUTSIDER, fresh, text

BAKER = "rachid.amrani@example.org"


def _account(db: Session, email: str) -> None:
    fresh(db)
    contact = contact_by_email(db, email)
    assert contact is not None
    accounts.create_user(db, email, "reseau-demo-2026", contact.full_name, contact_id=contact.id)
    db.commit()


def _bakery(db: Session) -> Member:
    fresh(db)
    member = db.scalar(select(Member).where(Member.siret == "73282932000074"))
    assert member is not None
    return member


def test_a_member_sees_the_club_and_renews_for_next_year(
    club: Starlette, web: TestClient, db: Session
) -> None:
    _account(db, BAKER)
    login(web, BAKER)
    home = text(web.get("/club_economie/"))
    assert "Annuaire des membres" in home and "Candidatures" not in home.split("Pour les membres")[1]
    assert "Plénière du club des acteurs de l'économie" in home
    card = web.get("/club_economie/ma-fiche")
    assert card.status_code == 200 and "Boulangerie des Hautes-Noues" in text(card)
    member = _bakery(db)
    year = db.scalar(select(MembershipYear.year).where(MembershipYear.member_id == member.id))
    assert year is not None
    renewed = post_form(web, f"/club_economie/adhesions/{member.id}/renouveler", {"year": str(year + 1)})
    assert renewed.status_code == 200
    years = set(fresh(db).scalars(select(MembershipYear.year).where(MembershipYear.member_id == member.id)))
    assert years == {year, year + 1}
    twice = post_form(web, f"/club_economie/adhesions/{member.id}/renouveler", {"year": str(year + 1)})
    assert "était déjà enregistrée" in text(twice)
    far = post_form(web, f"/club_economie/adhesions/{member.id}/renouveler", {"year": "2099"})
    assert far.status_code == 400
    # the member chooses to leave the public directory
    post_form(web, "/club_economie/ma-fiche", {"activity": "Boulangerie", "listed": "y"})
    assert "Boulangerie des Hautes-Noues" not in text(web.get("/club_economie/entreprises"))


def test_someone_else_cannot_renew_or_edit_a_member(club: Starlette, web: TestClient, db: Session) -> None:
    member = _bakery(db)
    login(web, OUTSIDER)
    assert web.get("/club_economie/ma-fiche").status_code == 404
    assert (
        post_form(web, f"/club_economie/adhesions/{member.id}/renouveler", {"year": "2026"}).status_code
        == 403
    )
    assert web.get(f"/club_economie/membres/{member.id}/fiche").status_code == 403
    logout(web)
    assert "/compte/connexion" in str(web.get("/club_economie/annuaire").url)


def test_animators_see_who_has_not_renewed(club: Starlette, web: TestClient, db: Session) -> None:
    member = _bakery(db)
    year = db.scalar(select(MembershipYear.year).where(MembershipYear.member_id == member.id))
    assert year is not None
    login(web, ANIMATOR)
    page = text(web.get("/club_economie/adhesions", params={"annee": str(year)}))
    assert page.count("non renouvelée") == 3
    post_form(web, f"/club_economie/adhesions/{member.id}/renouveler", {"year": str(year + 1)})
    page = text(web.get("/club_economie/adhesions", params={"annee": str(year)}))
    assert page.count("non renouvelée") == 2
    assert web.get("/club_economie/adhesions", params={"annee": "<script>"}).status_code == 200
