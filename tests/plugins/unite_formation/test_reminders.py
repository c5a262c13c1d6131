"""The plugin's reminders, by time travel, at a real SMTP sink: J-3 to participants, J-1 to
the trainer with the list, a waiting-list promotion, the attendance reminder the day after,
the questionnaire and its single reminder. Each exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session
from starlette.applications import Starlette

from core.db import transaction
from core.reminders.testing import walk
from plugins.unite_formation import attendance, evaluations
from plugins.unite_formation import registrations as reg
from plugins.unite_formation.models import Cycle, Registration
from tests.helpers import FrozenClock
from tests.plugins.unite_formation.conftest import TRAINER_EMAIL, CycleFactory, access, fresh, links_for, utc
from tests.plugins.unite_formation.test_registrations import person
from tests.smtp import SmtpSink

STEP = timedelta(hours=12)
OURS = ("personne", TRAINER_EMAIL)


def ours(sink: SmtpSink, start: int = 0) -> list[tuple[str, str]]:
    """(recipient, subject) of the messages of this plugin's people since message ``start``."""
    found = []
    for received in sink.messages[start:]:
        (rcpt,) = received.rcpt_tos
        if rcpt.startswith(OURS):
            found.append((rcpt, str(received.message["Subject"])))
    return found


def test_the_reminders_of_a_cycle_arrive_once_each(
    make_app: object,
    db: Session,
    unit: int,
    make_cycle: CycleFactory,
    clock: FrozenClock,
    smtp_sink: SmtpSink,
) -> None:
    app: Starlette = make_app(smtp_url=smtp_sink.url)  # type: ignore[operator]
    cycle = make_cycle(capacity=2, offer_hours=48)  # sessions 16, 23, 30 March 14:00 Paris
    people: list[Registration] = []
    for n in range(3):
        with transaction(app.state.reseau.session_factory) as session:
            people.append(reg.register(session, cycle.id, person(n), now=clock(), links=links_for(app)))
    a, b, c = people
    walk(app, clock(), utc(2026, 3, 5, 9), STEP)
    assert sorted(ours(smtp_sink)) == [
        ("personne0@example.org", "Inscription confirmée : Cycle d'essai"),
        ("personne1@example.org", "Inscription confirmée : Cycle d'essai"),
        ("personne2@example.org", "Liste d'attente : Cycle d'essai"),
    ]
    confirmation = next(m for m in smtp_sink.messages if m.rcpt_tos == ("personne0@example.org",)).message
    ics = [p for p in confirmation.walk() if p.get_content_type() == "text/calendar"]
    assert ics and ics[0].get_content().count("BEGIN:VEVENT") == 3

    # b withdraws on 5 March: c is offered the place and takes it
    clock.set(utc(2026, 3, 5, 10))
    with transaction(app.state.reseau.session_factory) as session:
        reg.cancel_registration(session, b.id, now=clock(), links=links_for(app))
    mark = len(smtp_sink.messages)
    walk(app, clock(), utc(2026, 3, 6, 9), STEP)
    assert sorted(ours(smtp_sink, mark)) == [
        ("personne1@example.org", "Inscription annulée : Cycle d'essai"),
        ("personne2@example.org", "Une place se libère : Cycle d'essai"),
    ]
    offer = next(m for m in smtp_sink.messages[mark:] if m.rcpt_tos == ("personne2@example.org",)).message
    assert "/unite_formation/inscription/place/" in offer.get_body(("plain",)).get_content()
    clock.set(utc(2026, 3, 6, 10))
    with transaction(app.state.reseau.session_factory) as session:
        reg.accept_offer(session, c.id, now=clock(), links=links_for(app))

    # the sessions: J-3 to participants, J-1 to the trainer, J+1 attendance reminder when empty
    mark = len(smtp_sink.messages)
    walk(app, clock(), utc(2026, 3, 16, 18), STEP)
    with transaction(app.state.reseau.session_factory) as session:
        stored = session.get(Cycle, cycle.id)
        assert stored is not None
        first = sorted(stored.sessions, key=lambda s: s.meeting.starts_at)[0]
        attendance.record(
            session,
            access(app, session, TRAINER_EMAIL),
            stored,
            first.id,
            {a.id, c.id},
            now=utc(2026, 3, 16, 18),
        )
    walk(app, utc(2026, 3, 16, 18), utc(2026, 3, 31, 12), STEP)
    got = ours(smtp_sink, mark)
    assert sorted(got) == sorted(
        [("personne2@example.org", "Inscription confirmée : Cycle d'essai")]
        + [
            (p, f"Rappel : Cycle d'essai, le {day}")
            for day in ("lundi 16 mars 2026", "lundi 23 mars 2026", "lundi 30 mars 2026")
            for p in ("personne0@example.org", "personne2@example.org")
        ]
        + [(TRAINER_EMAIL, "Demain : Cycle d'essai – liste des participants")] * 3
        + [(TRAINER_EMAIL, "Émargement à saisir : Cycle d'essai")] * 2  # sessions 2 and 3 only
    )
    trainer_list = next(
        m for m in smtp_sink.messages[mark:] if "liste des participants" in str(m.message["Subject"])
    ).message
    body = trainer_list.get_body(("plain",)).get_content()
    assert "Personne Numéro 0" in body and "Personne Numéro 2" in body and "Personne Numéro 1" not in body

    # after the last session: the questionnaire, then one reminder to whoever did not answer
    mark = len(smtp_sink.messages)
    walk(app, utc(2026, 3, 31, 12), utc(2026, 4, 2, 12), STEP)
    assert sorted(ours(smtp_sink, mark)) == [
        ("personne0@example.org", "Votre avis sur la formation « Cycle d'essai »"),
        ("personne2@example.org", "Votre avis sur la formation « Cycle d'essai »"),
    ]
    with transaction(app.state.reseau.session_factory) as session:
        stored = session.get(Cycle, cycle.id)
        registration = session.get(Registration, a.id)
        assert stored is not None and registration is not None
        answers = {"overall": 5, "content": 5, "trainer": 5, "useful": 4, "organisation": 4}
        evaluations.submit(session, stored, registration, answers, "", now=utc(2026, 4, 3, 9))
    mark = len(smtp_sink.messages)
    walk(app, utc(2026, 4, 2, 12), utc(2026, 4, 20, 12), STEP)
    assert ours(smtp_sink, mark) == [("personne2@example.org", "Rappel : votre avis sur « Cycle d'essai »")]

    # exactly once: travelling over the whole period again sends nothing more
    mark = len(smtp_sink.messages)
    walk(app, utc(2026, 3, 2, 9), utc(2026, 4, 20, 12), timedelta(days=1))
    assert ours(smtp_sink, mark) == []
    fresh(db)
