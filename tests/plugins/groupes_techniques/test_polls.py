"""Date finding: several dates proposed, answers through signed links, the tally per person and
per organisation, one click turns the chosen date into a meeting with invitations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.models import Invitation, Meeting
from core.reminders.models import OutboxMessage
from core.reminders.testing import run_at
from core.spaces import services as spaces
from plugins.groupes_techniques import polls
from plugins.groupes_techniques.models import Poll, PollOption
from tests.helpers import FrozenClock, login, logout, post_form
from tests.plugins.groupes_techniques.conftest import fresh, paris, text

HABITAT = "gt-habitat-cadre-de-vie"


def _create(client: TestClient, space_id: int, **extra: str) -> object:
    data = {
        "title": "Réunion habitat de printemps",
        "duration_minutes": "90",
        "location": "Mairie",
        "day_1": "2026-04-10",
        "time_1": "14:00",
        "day_2": "2026-04-14",
        "time_2": "9h30",
    }
    data.update(extra)
    return post_form(client, f"/groupes_techniques/groupes/{space_id}/sondages/nouveau", data)


def _answer_path(db: Session, email: str) -> str:
    row = db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.rule == "groupes_techniques.poll", OutboxMessage.recipient_email == email
        )
    )
    assert row is not None, email
    return str(row.context["answer_url"]).removeprefix("http://testserver")


def test_a_date_poll_from_proposal_to_meeting(
    demo: object, db: Session, client: TestClient, clock: FrozenClock
) -> None:
    space = spaces.get_by_slug(db, HABITAT)
    assert space is not None
    login(client, "julien.roux@example.org")  # not an animator of the group
    assert client.get(f"/groupes_techniques/groupes/{space.id}/sondages/nouveau").status_code == 403
    login(client, "camille.martin@example.org")
    bad = _create(client, space.id, day_2="", time_2="")
    assert bad.status_code == 400 and "au moins 2 dates" in text(bad)
    bad_time = _create(client, space.id, time_2="25:00")
    assert bad_time.status_code == 400 and "Heure invalide" in text(bad_time)
    assert 'value="Réunion habitat de printemps"' in text(bad_time)
    done = _create(client, space.id)
    assert "Le sondage est envoyé aux membres du groupe." in text(done)
    fresh(db)
    poll = db.scalar(select(Poll).where(Poll.space_id == space.id))
    assert poll is not None
    assert [o.starts_at for o in polls.options_of(db, poll.id)] == [
        paris(2026, 4, 10, 14),
        paris(2026, 4, 14, 9, 30),
    ]
    first, second = polls.options_of(db, poll.id)

    # Mehdi (Valophis) and Olivier (Paris Habitat) answer through their links, without signing in
    logout(client)
    mehdi = _answer_path(db, "mehdi.saidi@example.org")
    page = text(client.get(mehdi))
    assert "Vos disponibilités" in page and "Réponse de Mehdi Saïdi" in page
    incomplete = post_form(client, mehdi, {f"option-{first.id}": "yes"})
    assert incomplete.status_code == 400 and "pour chaque date" in text(incomplete)
    post_form(client, mehdi, {f"option-{first.id}": "no", f"option-{second.id}": "yes"})
    post_form(client, mehdi, {f"option-{first.id}": "maybe", f"option-{second.id}": "yes"})  # again: replaced
    olivier = _answer_path(db, "olivier.bernard@example.org")
    saved = post_form(client, olivier, {f"option-{first.id}": "no", f"option-{second.id}": "yes"})
    assert "vos réponses sont enregistrées" in text(saved)
    assert client.get("/groupes_techniques/sondage/forged-token").status_code == 400

    tally = polls.tally(fresh(db), poll)
    assert [(t.yes, t.maybe, t.no) for t in tally.options] == [(0, 1, 1), (2, 0, 0)]
    assert tally.best is not None and tally.best.option.id == second.id
    assert set(tally.options[1].organisations_yes) == {"Valophis Habitat", "Paris Habitat"}
    assert tally.answered == 2 and tally.asked > 2

    login(client, "camille.martin@example.org")
    page = text(client.get(f"/groupes_techniques/sondages/{poll.id}"))
    assert "Par personne" in page and "Par organisation" in page and "Valophis Habitat" in page
    chosen = post_form(client, f"/groupes_techniques/sondages/{poll.id}/choisir", {"option": str(second.id)})
    assert "La réunion est créée" in text(chosen)
    fresh(db)
    meeting = db.scalar(select(Meeting).where(Meeting.title == "Réunion habitat de printemps"))
    assert meeting is not None and meeting.starts_at == paris(2026, 4, 14, 9, 30)
    assert (meeting.ends_at - meeting.starts_at).seconds == 90 * 60 and meeting.location == "Mairie"
    invited = db.scalars(select(Invitation.contact_id).where(Invitation.meeting_id == meeting.id)).all()
    assert len(invited) == tally.asked
    assert db.get(Poll, poll.id).meeting_id == meeting.id  # type: ignore[union-attr]
    # the core's invitation rule sends them (iTIP) at the next sweep
    run_at(demo, clock())
    fresh(db)
    sent_to = set(
        db.scalars(
            select(OutboxMessage.recipient_email).where(
                OutboxMessage.rule == "core.invitation", OutboxMessage.meeting_id == meeting.id
            )
        )
    )
    assert {"mehdi.saidi@example.org", "olivier.bernard@example.org"} <= sent_to
    # the poll is closed: no second meeting, no more answers
    again = post_form(client, f"/groupes_techniques/sondages/{poll.id}/choisir", {"option": str(first.id)})
    assert "déjà clos" in text(again)
    logout(client)
    closed = post_form(client, mehdi, {f"option-{first.id}": "yes", f"option-{second.id}": "yes"})
    assert closed.status_code == 410


def test_dates_must_be_ahead_and_options_belong_to_the_poll(
    demo: object, db: Session, client: TestClient
) -> None:
    space = spaces.get_by_slug(db, HABITAT)
    assert space is not None
    login(client, "camille.martin@example.org")
    past = _create(client, space.id, day_1="2026-01-10")
    assert past.status_code == 400 and "à venir" in text(past)
    _create(client, space.id)
    fresh(db)
    poll = db.scalar(select(Poll).where(Poll.space_id == space.id))
    assert poll is not None
    other = post_form(client, f"/groupes_techniques/sondages/{poll.id}/choisir", {"option": "999999"})
    assert "une des dates proposées" in text(other)
    assert db.scalar(select(PollOption.id).where(PollOption.poll_id == poll.id)) is not None
