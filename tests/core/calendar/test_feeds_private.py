"""The private feed: its token (random, hashed, revocable), what it holds, and the subscription page."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.calendar.models import MEMBERS, FeedToken
from tests.core.api.meeting_data import (
    PASSWORD,
    invite,
    make_meeting,
    make_person,
    make_space,
    parse_feed,
)
from tests.helpers import FrozenClock, login, post_form

_PRIVATE_LINK = re.compile(r'value="(http://testserver/ical/prive/([A-Za-z0-9_-]+)\.ics)"')
START = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def new_private_link(client: TestClient) -> tuple[str, str]:
    """Ask the subscription page for a new private link; returns (path, token)."""
    page = post_form(client, "/ical/abonnement/lien")
    assert page.status_code == 200
    match = _PRIVATE_LINK.search(page.text)
    assert match, page.text
    assert f'value="webcal://testserver/ical/prive/{match.group(2)}.ics"' in page.text
    return match.group(1).removeprefix("http://testserver"), match.group(2)


def test_private_feed_holds_what_its_owner_may_see_and_no_email(client: TestClient, db: Session) -> None:
    mine = make_space(db, "mon-espace", "Mon espace")
    theirs = make_space(db, "leur-espace", "Leur espace")
    owner = make_person(db, "nadia.benali@example.org", member_of=(mine,))
    colleague = make_person(db, "julien.roux@example.org", member_of=(mine, theirs))
    outsider = make_person(db, "karim.haddad@example.org", member_of=(theirs,))
    members_only = make_meeting(db, mine, START, title="Réservée à mon espace", visibility=MEMBERS)
    public_elsewhere = make_meeting(db, theirs, START + timedelta(days=1), title="Publique ailleurs")
    invited = make_meeting(
        db, theirs, START + timedelta(days=2), title="Invitée ailleurs", visibility=MEMBERS
    )
    not_mine = make_meeting(db, theirs, START + timedelta(days=3), title="Pas pour moi", visibility=MEMBERS)
    for meeting in (members_only, invited, not_mine):
        invite(db, meeting, colleague)
        invite(db, meeting, outsider)
    invite(db, invited, owner)
    db.commit()

    login(client, "nadia.benali@example.org", PASSWORD)
    path, token = new_private_link(client)
    client.cookies.clear()  # a calendar app has no session: the token alone opens the feed
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache"
    calendar, events = parse_feed(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Réseau – mon agenda"
    assert set(events) == {members_only.uid, public_elsewhere.uid, invited.uid}
    assert not_mine.uid not in events
    assert events[members_only.uid].raw["CLASS"] == "PRIVATE"
    for email in (owner.email, colleague.email, outsider.email):
        assert email.encode() not in response.content
    for word in (b"ATTENDEE", b"ORGANIZER", b"mailto:"):
        assert word not in response.content

    # the token is stored only as its SHA-256
    stored = db.scalars(select(FeedToken).where(FeedToken.user_id == owner.id)).all()
    assert [t.token_hash for t in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert len(token) >= 43  # 32 random bytes, base64url


def test_revoked_or_replaced_token_is_refused(client: TestClient, db: Session) -> None:
    space = make_space(db, "espace")
    make_person(db, "sophie.lefevre@example.org", member_of=(space,))
    db.commit()
    login(client, "sophie.lefevre@example.org", PASSWORD)
    first, _ = new_private_link(client)
    assert client.get(first).status_code == 200

    second, _ = new_private_link(client)  # renewing revokes the previous link
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200

    page = client.get("/ical/abonnement")
    assert "Un lien privé est actif depuis le" in page.text
    assert "/ical/prive/" not in page.text  # shown once only

    revoked = post_form(client, "/ical/abonnement/revoquer")
    assert revoked.status_code == 200
    assert "Votre lien d'abonnement privé est révoqué" in html.unescape(revoked.text)
    assert "Vous n'avez pas de lien privé actif" in html.unescape(revoked.text)
    assert client.get(second).status_code == 404
    assert client.get("/ical/prive/nimporte-quoi.ics").status_code == 404
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-4:] == [
        "calendar.feed_token.issued",
        "calendar.feed_token.revoked",
        "calendar.feed_token.issued",
        "calendar.feed_token.revoked",
    ]


def test_token_of_a_deactivated_account_is_refused(client: TestClient, db: Session) -> None:
    user = make_person(db, "thomas.petit@example.org")
    db.commit()
    login(client, user.email, PASSWORD)
    path, _ = new_private_link(client)
    assert client.get(path).status_code == 200
    db.get(User, user.id).is_active = False  # type: ignore[union-attr]
    db.commit()
    assert client.get(path).status_code == 404


def test_token_use_is_recorded_at_most_hourly(client: TestClient, db: Session, clock: FrozenClock) -> None:
    user = make_person(db, "isabelle.moreau@example.org")
    db.commit()
    login(client, user.email, PASSWORD)
    path, _ = new_private_link(client)

    def last_used() -> datetime | None:
        db.rollback()  # a fresh snapshot: the app wrote in its own transaction
        return db.scalar(select(FeedToken.last_used_at).where(FeedToken.user_id == user.id))

    assert last_used() is None
    client.get(path)
    assert last_used() == clock()
    first_use = clock()
    clock.advance(minutes=10)
    client.get(path)
    assert last_used() == first_use
    clock.advance(hours=1)
    client.get(path)
    assert last_used() == clock()
    assert "Dernière consultation par une application d'agenda" in html.unescape(
        client.get("/ical/abonnement").text
    )


def test_subscription_page_offers_webcal_links(client: TestClient, db: Session) -> None:
    make_space(db, "gt-emploi", "Groupe technique emploi")
    db.commit()
    page = client.get("/ical/abonnement")
    assert page.status_code == 200
    assert 'href="webcal://testserver/ical/public.ics"' in page.text
    assert "<code>http://testserver/ical/public.ics</code>" in page.text
    assert 'href="webcal://testserver/ical/espaces/gt-emploi.ics"' in page.text
    assert "Connectez-vous pour obtenir votre lien d'agenda privé" in html.unescape(page.text)
    # offered from the calendar's toolbar rather than the main navigation
    assert 'href="/ical/abonnement"' in client.get("/agenda/").text
    # creating a private link needs an account
    response = post_form(client, "/ical/abonnement/lien", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/compte/connexion")
    assert db.scalar(select(FeedToken.id)) is None
