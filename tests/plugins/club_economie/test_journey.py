"""The whole journey through HTTP, on both databases, with the emails at a real SMTP sink:
apply → ask for more → answer → accept → member in the directory → invited to the next plenary."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from core.calendar.models import Invitation, Meeting
from core.directory.models import Affiliation, Contact, Organisation
from core.reminders.testing import run_at
from core.spaces.models import MEMBER, SpaceMembership
from plugins.club_economie.models import Member, MembershipYear
from plugins.club_economie.vocab import ACCEPTED, INFO_REQUESTED, NEW, PLENARY
from tests.helpers import FrozenClock, login, logout, post_form
from tests.plugins.club_economie.conftest import (
    ANIMATOR,
    SIRET,
    application_by_email,
    body,
    form_data,
    fresh,
    mails_to,
    text,
)
from tests.smtp import SmtpSink

APPLICANT = "mariam.kone@example.org"


def test_the_whole_journey(
    club: Starlette, web: TestClient, db: Session, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    # the public form, no account
    page = web.get("/club_economie/candidater")
    assert page.status_code == 200
    assert "Durée de conservation" in text(page) and "365 jours" in text(page)
    sent = post_form(web, "/club_economie/candidater", form_data())
    assert sent.status_code == 200, text(sent)[:2000]
    assert "Merci, votre candidature est envoyée" in text(sent)
    application = application_by_email(db, APPLICANT)
    assert (application.status, application.siret, application.naf_code) == (NEW, SIRET, "14.13Z")
    assert application.phone == "+33149410000" and application.in_priority_area
    run_at(club, clock())
    [receipt] = mails_to(smtp_sink, APPLICANT)
    assert "Atelier Couture Hautes-Noues" in receipt.message["Subject"]
    assert "365 jours" in body(receipt)

    # the animator sees it in the queue and asks for more
    login(web, ANIMATOR)
    queue = web.get("/club_economie/candidatures")
    assert queue.status_code == 200 and "Atelier Couture Hautes-Noues" in text(queue)
    detail = web.get(f"/club_economie/candidatures/{application.id}")
    assert "Aucun doublon" in text(detail)
    clock.advance(hours=2)
    asked = post_form(
        web,
        f"/club_economie/candidatures/{application.id}/question",
        {"question": "Combien de stagiaires pouvez-vous accueillir par an ?"},
    )
    assert "La question est envoyée au candidat." in text(asked)
    assert application_by_email(db, APPLICANT).status == INFO_REQUESTED
    logout(web)
    run_at(club, clock())
    question = mails_to(smtp_sink, APPLICANT)[-1]
    link = re.search(r"http://testserver(/club_economie/candidater/reponse/\S+)", body(question))
    assert link is not None, body(question)

    # the applicant answers through the signed link, without an account
    answer_page = web.get(link.group(1))
    assert "Combien de stagiaires" in text(answer_page)
    clock.advance(days=1)
    answered = post_form(web, link.group(1), {"answer": "Deux par an, en lien avec la Mission Locale."})
    assert "votre réponse est transmise" in text(answered)
    again = post_form(web, link.group(1), {"answer": "Une deuxième réponse"})
    assert again.status_code == 200 and "Il n'y a pas de question en attente" in text(again)
    application = application_by_email(db, APPLICANT)
    assert application.status == NEW and application.info_answer.startswith("Deux par an")

    # a plenary is planned; the animator accepts
    fresh(db)
    space_id = application.space_id
    plenary = Meeting(
        space_id=space_id,
        kind=PLENARY,
        title="Plénière de printemps",
        starts_at=clock() + timedelta(days=20),
        ends_at=clock() + timedelta(days=20, hours=2),
    )
    db.add(plenary)
    db.commit()
    login(web, ANIMATOR)
    accepted = post_form(
        web,
        f"/club_economie/candidatures/{application.id}/accepter",
        {"organisation_id": "new", "contact_id": "new", "message": "Bienvenue parmi nous !"},
    )
    assert "La candidature est acceptée" in text(accepted), text(accepted)[:3000]
    assert "Plénière de printemps" in text(accepted)
    application = application_by_email(db, APPLICANT)
    assert application.status == ACCEPTED
    org = db.get(Organisation, application.organisation_id)
    contact = db.get(Contact, application.contact_id)
    assert org is not None and org.name == "Atelier Couture Hautes-Noues" and org.kind == "entreprise"
    assert contact is not None and contact.email == APPLICANT
    assert db.scalar(
        select(Affiliation).where(Affiliation.contact_id == contact.id, Affiliation.organisation_id == org.id)
    )
    holders = set(
        db.execute(
            select(SpaceMembership.contact_id, SpaceMembership.organisation_id).where(
                SpaceMembership.space_id == space_id, SpaceMembership.role == MEMBER
            )
        ).all()
    )
    assert (contact.id, None) in holders and (None, org.id) in holders
    member = db.scalar(select(Member).where(Member.organisation_id == org.id))
    assert member is not None and member.siret == SIRET
    assert db.scalar(select(MembershipYear.year).where(MembershipYear.member_id == member.id)) == 2026
    invitation = db.scalar(
        select(Invitation).where(Invitation.meeting_id == plenary.id, Invitation.contact_id == contact.id)
    )
    assert invitation is not None

    # member in the directory (members' version; not public until they choose it)
    directory = web.get("/club_economie/annuaire")
    assert directory.status_code == 200 and "Atelier Couture Hautes-Noues" in text(directory)
    filtered = web.get("/club_economie/annuaire", params={"size": "1-9", "quartier": "1"})
    assert "Atelier Couture Hautes-Noues" in text(filtered)
    assert "Atelier Couture Hautes-Noues" not in text(
        web.get("/club_economie/annuaire", params={"size": "250+"})
    )
    assert "Atelier Couture Hautes-Noues" not in text(web.get("/club_economie/entreprises"))

    # every step is in the audit log
    actions = set(
        db.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_id == str(application.id),
                AuditEntry.object_type == "club_economie_applications",
            )
        )
    )
    assert {
        "club_economie.application.submitted",
        "club_economie.application.info_requested",
        "club_economie.application.answered",
        "club_economie.application.accepted",
    } <= actions

    # the emails: welcome, and the core's invitation to the plenary
    run_at(club, clock())
    subjects = [m.message["Subject"] for m in mails_to(smtp_sink, APPLICANT)]
    assert any("Bienvenue au Club" in s for s in subjects), subjects
    assert any("Plénière de printemps" in s for s in subjects), subjects
    welcome = next(m for m in mails_to(smtp_sink, APPLICANT) if "Bienvenue au Club" in m.message["Subject"])
    assert "Bienvenue parmi nous !" in body(welcome)
    assert len(mails_to(smtp_sink, APPLICANT)) == 4  # receipt, question, welcome, invitation
    run_at(club, clock() + timedelta(minutes=5))
    assert len(mails_to(smtp_sink, APPLICANT)) == 4  # exactly once
