"""Signed RSVP links: GET changes nothing, POST records, repeats are harmless, bad links refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from core.calendar import services
from core.calendar.invitations import invite_contacts
from core.calendar.models import Invitation
from core.calendar.rsvp import make_token, rsvp_url
from core.config import Settings
from tests.core.calendar.conftest import World, fresh, reload
from tests.helpers import FrozenClock, csrf_from, login

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def invite(world: World, db: Session, **meeting: object) -> Invitation:
    m = world.meeting(**meeting)  # type: ignore[arg-type]
    invite_contacts(db, None, m, [world.prefet_1], now=NOW)
    db.commit()
    invitation = db.scalar(select(Invitation).where(Invitation.meeting_id == m.id))
    assert invitation is not None
    return invitation


def path_of(url: str) -> str:
    assert url.startswith("http://testserver/agenda/reponse/")
    return url.removeprefix("http://testserver")


def test_rsvp_url_is_absolute_from_the_base_url(settings: Settings, app: object) -> None:
    url = rsvp_url(settings.with_(base_url="https://reseau.example.org"), 42, "accepted")
    assert url.startswith("https://reseau.example.org/agenda/reponse/")
    token = url.rsplit("/", 1)[1]
    # same path as the route's, whatever the request's Host
    assert app.url_path_for("calendar:rsvp", token=token) == f"/agenda/reponse/{token}"  # type: ignore[attr-defined]


def test_get_shows_a_confirmation_and_changes_nothing(
    client: TestClient, world: World, db: Session, settings: Settings
) -> None:
    invitation = invite(world, db)
    url = path_of(rsvp_url(settings, invitation.id, "accepted"))
    for _ in range(3):  # a mail scanner opening the link several times
        page = client.get(url)
        assert page.status_code == 200
    assert "Répondre à l&#39;invitation" in page.text or "Répondre à l'invitation" in page.text
    assert "Invitation de Paul Préfet" in page.text
    assert "rien n'est enregistré tant que vous n'avez pas cliqué" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "noindex" in page.headers["x-robots-tag"]
    assert "Je participe" in page.text and "Je ne participe pas" in page.text
    assert reload(db, Invitation, invitation.id).response == "pending"
    assert (
        fresh(db).scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "calendar.invitation.answered")
        )
        == 0
    )


def test_post_records_and_repeating_is_harmless(
    client: TestClient, world: World, db: Session, settings: Settings
) -> None:
    invitation = invite(world, db)
    url = path_of(rsvp_url(settings, invitation.id))
    token = csrf_from(client.get(url).text)
    done = client.post(url, data={"csrf_token": token, "answer": "accepted", "comment": "Avec ma collègue"})
    assert done.status_code == 200
    assert "Merci, votre réponse est enregistrée : Participe." in done.text
    recorded = reload(db, Invitation, invitation.id)
    assert recorded.response == "accepted" and recorded.comment == "Avec ma collègue"
    first_time = recorded.responded_at
    again = client.post(url, data={"csrf_token": token, "answer": "accepted", "comment": "Avec ma collègue"})
    assert "Votre réponse était déjà enregistrée : Participe." in again.text
    assert reload(db, Invitation, invitation.id).responded_at == first_time
    changed = client.post(url, data={"csrf_token": token, "answer": "declined", "comment": ""})
    assert changed.status_code == 200
    assert reload(db, Invitation, invitation.id).response == "declined"
    assert (
        fresh(db).scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "calendar.invitation.answered")
        )
        == 2
    )


def test_post_needs_the_csrf_token_and_a_known_answer(
    client: TestClient, world: World, db: Session, settings: Settings
) -> None:
    invitation = invite(world, db)
    url = path_of(rsvp_url(settings, invitation.id))
    token = csrf_from(client.get(url).text)
    assert client.post(url, data={"answer": "accepted"}).status_code == 403
    bad = client.post(url, data={"csrf_token": token, "answer": "pending"})
    assert bad.status_code == 400
    assert reload(db, Invitation, invitation.id).response == "pending"


def test_tampered_links_are_refused_and_change_nothing(
    client: TestClient, world: World, db: Session, settings: Settings
) -> None:
    invitation = invite(world, db)
    good = path_of(rsvp_url(settings, invitation.id))
    token = csrf_from(client.get(good).text)
    _payload, stamp, signature = good.rsplit("/", 1)[1].split(".")
    # another invitation id with the old signature, a cut link, a link signed with another salt
    other_payload = URLSafeTimedSerializer(settings.secret_key, salt="rsvp").dumps({"i": invitation.id + 1})
    forged = [
        f"/agenda/reponse/{other_payload.split('.')[0]}.{stamp}.{signature}",
        good[:-4],
        "/agenda/reponse/"
        + URLSafeTimedSerializer(settings.secret_key, salt="unsubscribe").dumps({"i": invitation.id}),
        "/agenda/reponse/"
        + URLSafeTimedSerializer("another-secret", salt="rsvp").dumps({"i": invitation.id}),
        "/agenda/reponse/n%27importe%20quoi",
    ]
    for url in forged:
        page = client.get(url)
        assert page.status_code == 400, url
        assert "Ce lien de réponse n&#39;est pas valide" in page.text
        assert client.post(url, data={"csrf_token": token, "answer": "accepted"}).status_code == 400
    assert reload(db, Invitation, invitation.id).response == "pending"


def test_link_expires_when_the_meeting_has_ended(
    make_app,
    world: World,
    db: Session,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    invitation = invite(world, db)  # meeting on 10 March 2026, 13:00–15:00 UTC
    url = path_of(rsvp_url(settings, invitation.id, now=NOW))
    clock = FrozenClock(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    with TestClient(make_app(clock=clock)) as client:
        token = csrf_from(client.get(url).text)  # still open during the meeting
        clock.set(datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
        page = client.get(url)
        assert page.status_code == 410 and "Cette réunion est terminée" in page.text
        assert client.post(url, data={"csrf_token": token, "answer": "accepted"}).status_code == 410
        # a rescheduled meeting keeps its links working
        meeting = services.get_meeting(db, invitation.meeting_id)
        assert meeting is not None
        services.reschedule_meeting(
            db,
            None,
            meeting,
            datetime(2026, 3, 20, 13, 0, tzinfo=UTC),
            datetime(2026, 3, 20, 15, 0, tzinfo=UTC),
            now=NOW,
        )
        db.commit()
        assert client.get(url).status_code == 200
        # and no link lives more than two years
        clock.set(NOW + timedelta(days=731))
        meeting.ends_at = NOW + timedelta(days=800)
        meeting.starts_at = NOW + timedelta(days=799)
        db.commit()
        assert client.get(url).status_code == 410
    assert reload(db, Invitation, invitation.id).response == "pending"


def test_cancelled_meeting_shows_the_cancellation_and_takes_no_answer(
    client: TestClient, world: World, db: Session, settings: Settings
) -> None:
    invitation = invite(world, db)
    meeting = services.get_meeting(db, invitation.meeting_id)
    assert meeting is not None
    services.cancel_meeting(db, None, meeting, "Report à une date ultérieure", now=NOW)
    db.commit()
    url = path_of(rsvp_url(settings, invitation.id, "accepted"))
    page = client.get(url)
    assert page.status_code == 200
    assert "Cette réunion est annulée" in page.text and "Report à une date ultérieure" in page.text
    assert "Je participe" not in page.text
    token = csrf_from(page.text)
    assert client.post(url, data={"csrf_token": token, "answer": "accepted"}).status_code == 409
    assert reload(db, Invitation, invitation.id).response == "pending"


def test_withdrawn_invitation_link_is_gone(
    client: TestClient, world: World, db: Session, settings: Settings
) -> None:
    invitation = invite(world, db)
    url = path_of(rsvp_url(settings, invitation.id))
    db.delete(invitation)
    db.commit()
    assert client.get(url).status_code == 410


def test_invited_user_answers_from_the_meeting_page(client: TestClient, world: World, db: Session) -> None:
    m = world.meeting()
    invite_contacts(db, None, m, [world.olga], now=NOW)
    db.commit()
    login(client, "olga@example.org")
    page = client.get(f"/agenda/reunions/{m.id}")
    assert page.status_code == 200 and "Votre réponse : Sans réponse" in page.text
    link = page.text.split('href="/agenda/reponse/')[1].split('"')[0]
    answer_page = client.get(f"/agenda/reponse/{link}")
    client.post(
        f"/agenda/reponse/{link}", data={"csrf_token": csrf_from(answer_page.text), "answer": "tentative"}
    )
    assert fresh(db).scalar(select(Invitation.response)) == "tentative"


def test_token_helper_rejects_unknown_answers() -> None:
    import pytest

    with pytest.raises(ValueError):
        make_token("secret", 1, "maybe")
