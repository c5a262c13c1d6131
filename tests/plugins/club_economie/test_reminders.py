"""The club's reminder rules, by time travel, at the real SMTP sink: each email exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.reminders.testing import collect, run_at, walk
from plugins.club_economie.models import Member, MembershipYear
from tests.helpers import FrozenClock, login, logout, post_form
from tests.plugins.club_economie.conftest import (
    ANIMATOR,
    application_by_email,
    body,
    form_data,
    fresh,
    mails_to,
)
from tests.smtp import SmtpSink

APPLICANT = "mariam.kone@example.org"


def _apply(web: TestClient) -> None:
    response = post_form(web, "/club_economie/candidater", form_data())
    assert response.status_code == 200


def _subjects(sink: SmtpSink, address: str) -> list[str]:
    return [str(m.message["Subject"]) for m in mails_to(sink, address)]


def test_rules_are_declared(club: Starlette) -> None:
    rules = club.state.reseau.registry.reminder_rules
    assert {"club_economie.waiting", "club_economie.info_missing", "club_economie.renewal"} <= set(rules)


def test_an_application_waiting_a_week_alerts_the_animators_once(
    club: Starlette, web: TestClient, db: Session, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    start = clock()
    _apply(web)
    walk(club, start, start + timedelta(days=12), timedelta(hours=6))
    waiting = [s for s in _subjects(smtp_sink, ANIMATOR) if "Candidature en attente" in s]
    assert waiting == ["Candidature en attente depuis 7 jours : Atelier Couture Hautes-Noues"]
    mail = next(
        m for m in mails_to(smtp_sink, ANIMATOR) if "Candidature en attente" in str(m.message["Subject"])
    )
    application = application_by_email(db, APPLICANT)
    assert f"http://testserver/club_economie/candidatures/{application.id}" in body(mail)
    # sent on day 7 at 08:00 Paris (07:00 UTC in March)
    walk(club, start, start + timedelta(days=12), timedelta(hours=6))
    assert len([s for s in _subjects(smtp_sink, ANIMATOR) if "Candidature en attente" in s]) == 1


def test_a_decided_application_does_not_alert(
    club: Starlette, web: TestClient, db: Session, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    start = clock()
    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    post_form(web, f"/club_economie/candidatures/{application.id}/refuser", {"message": "Hors territoire."})
    at = start + timedelta(days=7, hours=1)
    assert [d.key for d in collect(club, "club_economie.waiting", at) if f":{application.id}:" in d.key] == []
    walk(club, start, start + timedelta(days=10), timedelta(hours=12))
    assert not [s for s in _subjects(smtp_sink, ANIMATOR) if "Candidature en attente" in s]


def test_an_unanswered_question_reminds_the_applicant_once(
    club: Starlette, web: TestClient, db: Session, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    start = clock()
    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    post_form(web, f"/club_economie/candidatures/{application.id}/question", {"question": "Votre Kbis ?"})
    logout(web)
    walk(club, start, start + timedelta(days=30), timedelta(hours=6))
    reminders = [s for s in _subjects(smtp_sink, APPLICANT) if s.startswith("Rappel")]
    assert reminders == ["Rappel : une précision est attendue pour votre candidature au club"]
    mail = next(m for m in mails_to(smtp_sink, APPLICANT) if str(m.message["Subject"]).startswith("Rappel"))
    assert "Votre Kbis ?" in body(mail) and "14 jours" in body(mail)
    # the reminder's link works
    link = next(line for line in body(mail).splitlines() if "/candidater/reponse/" in line).strip()
    clock.set(start + timedelta(days=31))
    page = web.get(link.replace("http://testserver", ""))
    assert page.status_code == 200 and "Votre Kbis ?" in page.text
    walk(club, start, start + timedelta(days=40), timedelta(hours=12))
    assert len([s for s in _subjects(smtp_sink, APPLICANT) if s.startswith("Rappel")]) == 1


def test_an_answered_question_is_not_reminded(
    club: Starlette, web: TestClient, db: Session, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    start = clock()
    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    post_form(web, f"/club_economie/candidatures/{application.id}/question", {"question": "Votre Kbis ?"})
    logout(web)
    run_at(club, clock())
    question = mails_to(smtp_sink, APPLICANT)[-1]
    link = next(line for line in body(question).splitlines() if "/candidater/reponse/" in line).strip()
    clock.advance(days=3)
    post_form(web, link.replace("http://testserver", ""), {"answer": "Ci-joint."})
    walk(club, start, start + timedelta(days=20), timedelta(hours=12))
    assert not [s for s in _subjects(smtp_sink, APPLICANT) if s.startswith("Rappel")]


def test_renewal_is_asked_a_month_before_the_year_ends_once(
    club: Starlette, db: Session, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    fresh(db)
    year = db.scalar(select(MembershipYear.year).order_by(MembershipYear.year.desc()).limit(1))
    assert year is not None
    members = db.scalars(select(Member).join(MembershipYear).where(MembershipYear.year == year)).all()
    assert len(members) >= 2
    renewed = members[0]
    db.add(MembershipYear(member_id=renewed.id, year=year + 1, recorded_at=datetime.now(UTC)))
    db.commit()
    start = datetime(year, 11, 28, tzinfo=UTC)
    clock.set(start)
    walk(club, start, datetime(year, 12, 3, tzinfo=UTC), timedelta(hours=6))
    renewal = [m for m in smtp_sink.messages if "Votre adhésion au Club" in str(m.message["Subject"])]
    assert len(renewal) == len(members) - 1
    assert all(f"31 décembre {year}" in str(m.message["Subject"]) for m in renewal)
    assert "http://testserver/club_economie/ma-fiche" in body(renewal[0])
    walk(club, start, datetime(year, 12, 3, tzinfo=UTC), timedelta(hours=6))
    again = [m for m in smtp_sink.messages if "Votre adhésion au Club" in str(m.message["Subject"])]
    assert len(again) == len(renewal)
    due = collect(club, "club_economie.renewal", datetime(year, 11, 30, 7, 30, tzinfo=UTC))  # M-1 of 31 Dec
    assert all(f":{renewed.id}:" not in d.key for d in due)
    assert len(due) == len(members) - 1
