"""Registering: capacity under concurrency, the waiting list and its offers, signed links,
clear French refusals, a cancelled cycle that keeps its records."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.calendar.models import CANCELLED as MEETING_CANCELLED
from core.db import transaction
from core.reminders.models import OutboxMessage
from core.reminders.testing import collect
from plugins.unite_formation import links as signed
from plugins.unite_formation import registrations as reg
from plugins.unite_formation.models import Cycle, Registration
from plugins.unite_formation.services import ServiceError, meetings_of
from plugins.unite_formation.vocab import CANCELLED, CONFIRMED, FULL, LAPSED, PUBLISHED, WAITING, WITHDRAWN
from tests.helpers import FrozenClock, login, post_form
from tests.plugins.unite_formation.conftest import (
    TRAINER_EMAIL,
    CycleFactory,
    access,
    fresh,
    links_for,
    text,
    utc,
)


def person(n: int, **changes: object) -> reg.Person:
    values: dict[str, object] = {
        "first_name": "Personne",
        "last_name": f"Numéro {n}",
        "email": f"personne{n}@example.org",
        "public_category": "benevoles",
        **changes,
    }
    return reg.Person(**values)  # type: ignore[arg-type]


def statuses(db: Session, cycle_id: int) -> dict[str, int]:
    fresh(db)
    rows = db.execute(
        select(Registration.status, func.count())
        .where(Registration.cycle_id == cycle_id)
        .group_by(Registration.status)
    ).all()
    return {status: count for status, count in rows}


def register(app: Starlette, cycle_id: int, n: int, clock: FrozenClock) -> Registration:
    with transaction(app.state.reseau.session_factory) as db:
        return reg.register(db, cycle_id, person(n), now=clock(), links=links_for(app))


def test_fifty_people_at_once_for_ten_places(
    app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(capacity=10)
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            barrier.wait(timeout=60)
            register(app, cycle.id, n, clock)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    assert statuses(db, cycle.id) == {CONFIRMED: 10, WAITING: 40}
    stored = db.get(Cycle, cycle.id)
    assert stored is not None and stored.status == FULL
    mails = db.execute(
        select(OutboxMessage.rule, func.count())
        .where(OutboxMessage.rule.like("unite_formation.%"))
        .group_by(OutboxMessage.rule)
    ).all()
    assert dict(mails) == {"unite_formation.confirmed": 10, "unite_formation.waiting": 40}


def test_refusals_are_clear_and_in_french(
    app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle()
    register(app, cycle.id, 1, clock)
    with pytest.raises(ServiceError, match="déjà inscrite à ce cycle"):
        register(app, cycle.id, 1, clock)
    clock.set(utc(2026, 3, 13, 17))  # the window closed at that instant
    with pytest.raises(ServiceError, match="sont closes depuis le 13 mars 2026"):
        register(app, cycle.id, 2, clock)
    clock.set(utc(2026, 1, 15, 9))
    with pytest.raises(ServiceError, match="ouvriront le 1 février 2026"):
        register(app, cycle.id, 3, clock)
    assert statuses(db, cycle.id) == {CONFIRMED: 1}


def test_refusals_over_http_keep_the_input(
    client: TestClient, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle()
    url = f"/unite_formation/cycles/{cycle.id}/inscription"
    form = {
        "first_name": "Awa",
        "last_name": "Diallo",
        "email": "awa@example.org",
        "public_category": "parents",
    }
    assert "Votre inscription est confirmée" in text(post_form(client, url, form))
    again = post_form(client, url, {**form, "email": "AWA@example.org", "organisation": "Centre social"})
    assert again.status_code == 400
    page = text(again)
    assert "L'adresse awa@example.org est déjà inscrite à ce cycle" in page
    assert 'value="Centre social"' in page and 'value="Diallo"' in page
    empty = post_form(client, url, {"email": "pas-une-adresse"})
    assert empty.status_code == 400 and "Ce champ est obligatoire." in text(empty)
    assert statuses(db, cycle.id) == {CONFIRMED: 1}


def test_a_cancelled_cycle_refuses_registrations_notifies_everyone_and_keeps_records(
    app: Starlette, client: TestClient, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(capacity=2)
    for n in range(3):
        register(app, cycle.id, n, clock)
    login(client, TRAINER_EMAIL)
    missing = post_form(client, f"/unite_formation/gestion/{cycle.id}/annuler", {"reason": ""})
    assert missing.status_code == 400
    done = post_form(client, f"/unite_formation/gestion/{cycle.id}/annuler", {"reason": "Formatrice malade"})
    assert "les participants sont prévenus" in text(done)
    fresh(db)
    stored = db.get(Cycle, cycle.id)
    assert stored is not None and stored.status == CANCELLED
    assert {m.status for m in meetings_of(stored)} == {MEETING_CANCELLED}
    assert statuses(db, cycle.id) == {CONFIRMED: 2, WAITING: 1}  # records kept as they were
    notices = db.scalars(
        select(OutboxMessage).where(OutboxMessage.rule == "unite_formation.cycle_cancelled")
    ).all()
    assert sorted(n.recipient_email for n in notices) == [f"personne{n}@example.org" for n in range(3)]
    with pytest.raises(ServiceError, match=r"Ce cycle a été annulé : il n'est plus possible"):
        register(app, cycle.id, 9, clock)
    page = post_form(
        client,
        f"/unite_formation/cycles/{cycle.id}/inscription",
        {"last_name": "Tard", "email": "tard@example.org", "public_category": "parents"},
    )
    assert page.status_code == 400 and "Ce cycle a été annulé" in text(page)


def test_cancelling_offers_the_place_which_passes_on_when_it_lapses(
    app: Starlette, client: TestClient, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(capacity=2, offer_hours=24)
    first, second, w1, w2 = (register(app, cycle.id, n, clock) for n in range(4))
    assert (w1.status, w2.status) == (WAITING, WAITING)
    links = links_for(app)
    cancel_url = links.link(signed.CANCEL, first.id).removeprefix(app.state.reseau.settings.base_url)
    page = client.get(cancel_url)
    assert page.status_code == 200 and "Annuler mon inscription" in text(page)
    assert "Votre inscription est annulée." in text(post_form(client, cancel_url))
    assert "Cette inscription est annulée." in text(post_form(client, cancel_url))  # twice is harmless
    fresh(db)
    offered = db.get(Registration, w1.id)
    assert offered is not None and offered.status == WAITING
    assert offered.offered_at == clock() and offered.offer_expires_at == clock() + timedelta(hours=24)
    offers = collect(app, "unite_formation.promotion", clock())
    assert [(d.recipient.email, d.due_at) for d in offers] == [("personne2@example.org", clock())]
    # nobody answers: a day later the offer has passed to the next, without any write
    later = clock() + timedelta(hours=24, minutes=5)
    offers = collect(app, "unite_formation.promotion", later, since=later - timedelta(hours=1))
    assert [(d.recipient.email, d.due_at, d.expires_at) for d in offers] == [
        ("personne3@example.org", clock() + timedelta(hours=24), clock() + timedelta(hours=48))
    ]
    clock.set(later)
    late_url = links.link(signed.OFFER, w1.id).removeprefix(app.state.reseau.settings.base_url)
    assert "Le délai pour accepter cette place est passé" in text(client.get(late_url))
    refused = post_form(client, late_url)
    assert refused.status_code == 400 and "Le délai pour accepter cette place est passé" in text(refused)
    next_url = links.link(signed.OFFER, w2.id).removeprefix(app.state.reseau.settings.base_url)
    assert "Je prends la place" in text(client.get(next_url))
    assert "la place est à vous" in text(post_form(client, next_url))
    fresh(db)
    assert {
        r.id: r.status for r in db.scalars(select(Registration).where(Registration.cycle_id == cycle.id))
    } == {
        first.id: WITHDRAWN,
        second.id: CONFIRMED,
        w1.id: LAPSED,
        w2.id: CONFIRMED,
    }
    stored = db.get(Cycle, cycle.id)
    assert stored is not None and stored.status == FULL


def test_a_forged_or_foreign_link_is_refused(
    client: TestClient, app: Starlette, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle()
    one = register(app, cycle.id, 1, clock)
    token = links_for(app).token(signed.CANCEL, one.id)
    assert client.get(f"/unite_formation/inscription/annuler/{token}x").status_code == 400
    # a token made for cancelling does not take an offered place
    assert client.get(f"/unite_formation/inscription/place/{token}").status_code == 400


def test_a_new_registration_waits_behind_a_pending_offer(
    app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(capacity=1)
    first, waiting = register(app, cycle.id, 1, clock), register(app, cycle.id, 2, clock)
    with transaction(app.state.reseau.session_factory) as session:
        reg.cancel_registration(session, first.id, now=clock(), links=links_for(app))
    newcomer = register(app, cycle.id, 3, clock)
    assert newcomer.status == WAITING  # the freed place is offered to the person who waited
    fresh(db)
    offered = db.get(Registration, waiting.id)
    assert offered is not None and offered.offer_expires_at is not None
    stored = db.get(Cycle, cycle.id)
    assert stored is not None and stored.status == FULL
    assert access(app, db, TRAINER_EMAIL).can_edit(stored)
    assert stored.status != PUBLISHED


def test_cancelling_one_session_tells_the_participants(
    app: Starlette, client: TestClient, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle()
    register(app, cycle.id, 1, clock)
    register(app, cycle.id, 2, clock)
    session_id = sorted(cycle.sessions, key=lambda s: s.meeting.starts_at)[1].id
    login(client, TRAINER_EMAIL)
    done = post_form(client, f"/unite_formation/gestion/{cycle.id}/seances/{session_id}/annuler")
    assert "Séance annulée." in text(done)
    fresh(db)
    notices = db.scalars(
        select(OutboxMessage).where(OutboxMessage.rule == "unite_formation.session_cancelled")
    ).all()
    assert sorted(n.recipient_email for n in notices) == ["personne1@example.org", "personne2@example.org"]
    stored = db.get(Cycle, cycle.id)
    assert stored is not None
    assert [m.status for m in meetings_of(stored)] == ["scheduled", MEETING_CANCELLED, "scheduled"]
    page = text(client.get(f"/unite_formation/cycles/{cycle.id}"))
    assert "séance annulée" in page


def test_someone_who_cancelled_may_register_again_at_the_end_of_the_queue(
    app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(capacity=1)
    first = register(app, cycle.id, 1, clock)
    register(app, cycle.id, 2, clock)
    with transaction(app.state.reseau.session_factory) as session:
        reg.cancel_registration(session, first.id, now=clock(), links=links_for(app))
    clock.advance(minutes=5)
    again = register(app, cycle.id, 1, clock)
    assert again.id == first.id and again.status == WAITING  # the freed place went to number 2
    assert again.queued_at == clock() and again.cancelled_at is None
    assert statuses(db, cycle.id) == {WAITING: 2}  # number 2 holds an offer, number 1 waits


def test_the_signed_link_pages_show_a_refusal_and_keep_the_registration(
    client: TestClient, app: Starlette, db: Session, make_cycle: CycleFactory, clock: FrozenClock
) -> None:
    cycle = make_cycle(capacity=1)
    confirmed, waiting = register(app, cycle.id, 1, clock), register(app, cycle.id, 2, clock)
    links = links_for(app)
    offer = f"/unite_formation/inscription/place/{links.token(signed.OFFER, waiting.id)}"
    assert client.get(offer).status_code == 200
    refused = post_form(client, offer)
    assert refused.status_code == 400 and "vous restez sur la liste d'attente" in text(refused)
    clock.advance(days=30)  # the first session (16 March) has started
    cancel = f"/unite_formation/inscription/annuler/{links.token(signed.CANCEL, confirmed.id)}"
    late = post_form(client, cancel)
    assert late.status_code == 400 and "Le cycle a commencé" in text(late)
    assert statuses(db, cycle.id) == {CONFIRMED: 1, WAITING: 1}
