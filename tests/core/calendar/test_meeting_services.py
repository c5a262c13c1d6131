"""Meeting services: validation, UID and SEQUENCE, reminders cancelled, nothing ever deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.models import AuditEntry
from core.calendar import invitations, services
from core.calendar.agenda import add_item
from core.calendar.models import ACCEPTED, CANCELLED, DECLINED, SCHEDULED, AgendaItem, Invitation, Meeting
from core.calendar.services import MeetingInput, MeetingValidationError
from tests.core.calendar.conftest import World

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


@pytest.fixture
def outbox_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Record each call to the reminders' ``cancel_pending_for_meeting``, and whether it ran
    inside the caller's open transaction."""
    calls: list[tuple[int, bool]] = []

    def fake(db: Session, meeting_id: int) -> int:
        calls.append((meeting_id, db.in_transaction()))
        return 0

    monkeypatch.setattr(services, "cancel_pending_for_meeting", fake)
    return calls


def _input(world: World, **changes: Any) -> MeetingInput:
    values: dict[str, Any] = {
        "space_id": world.space_a,
        "title": "Comité technique",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
    }
    values.update(changes)
    return MeetingInput(**values)


def test_create_gives_a_uid_sequence_zero_and_an_audit_entry(world: World, db: Session) -> None:
    meeting = services.create_meeting(db, None, _input(world, title="  Comité   technique "), now=NOW)
    db.commit()
    assert meeting.uid.endswith("@reseau") and meeting.sequence == 0 and meeting.status == SCHEDULED
    assert meeting.title == "Comité technique"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.meeting.created"))
    assert entry is not None and entry.object_id == str(meeting.id)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_at": START}, "ends_at", "La fin doit être après le début."),
        ({"ends_at": START - timedelta(hours=1)}, "ends_at", "La fin doit être après le début."),
        ({"ends_at": START + timedelta(days=40)}, "ends_at", "plus de 31 jours"),
        ({"title": "   "}, "title", "Donnez un titre"),
        ({"online_url": "javascript:alert(1)"}, "online_url", "http:// ou https://"),
        ({"visibility": "secret"}, "visibility", "qui peut voir"),
        ({"title": "x" * 201}, "title", "200 caractères"),
    ],
)
def test_bad_input_is_refused_with_a_french_message(
    world: World, db: Session, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(MeetingValidationError) as exc:
        services.create_meeting(db, None, _input(world, **changes), now=NOW)
    assert any(message in m for m in exc.value.errors[field])
    db.rollback()
    assert db.scalar(select(Meeting.id)) is None


def test_unknown_kind_is_refused_when_kinds_are_given(world: World, db: Session) -> None:
    with pytest.raises(MeetingValidationError) as exc:
        services.create_meeting(db, None, _input(world, kind="nope.kind"), now=NOW, kinds=["core.reunion"])
    assert "kind" in exc.value.errors


def test_a_meeting_in_the_past_needs_a_confirmation(world: World, db: Session) -> None:
    past = NOW - timedelta(days=3)
    with pytest.raises(MeetingValidationError) as exc:
        services.create_meeting(
            db, None, _input(world, starts_at=past, ends_at=past + timedelta(hours=1)), now=NOW
        )
    assert "commence dans le passé" in exc.value.errors["confirm_past"][0]
    meeting = services.create_meeting(
        db, None, _input(world, starts_at=past, ends_at=past + timedelta(hours=1)), now=NOW, confirm_past=True
    )
    assert meeting.id


def test_closed_space_is_refused(world: World, db: Session) -> None:
    from core.spaces.models import Space

    db.get(Space, world.space_b).closed_at = NOW
    db.commit()
    with pytest.raises(MeetingValidationError) as exc:
        services.create_meeting(db, None, _input(world, space_id=world.space_b), now=NOW)
    assert "space_id" in exc.value.errors


def test_reschedule_keeps_uid_bumps_sequence_and_cancels_reminders_in_the_transaction(
    world: World, db: Session, outbox_calls: list[tuple[int, bool]]
) -> None:
    meeting = services.create_meeting(db, None, _input(world), now=NOW)
    uid = meeting.uid
    change = services.reschedule_meeting(
        db, None, meeting, START + timedelta(days=1), START + timedelta(days=1, hours=2), now=NOW
    )
    assert change.rescheduled and change.significant
    assert meeting.uid == uid and meeting.sequence == 1
    assert outbox_calls == [(meeting.id, True)]
    db.commit()
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.meeting.rescheduled"))
    assert entry is not None and "starts_at" in entry.changes


def test_description_typo_does_not_bump_sequence_but_place_and_title_do(
    world: World, db: Session, outbox_calls: list[tuple[int, bool]]
) -> None:
    meeting = services.create_meeting(db, None, _input(world), now=NOW)
    change = services.update_meeting(
        db, None, meeting, MeetingInput.from_meeting(meeting, description="Ordre du jour joint"), now=NOW
    )
    assert change.changes and not change.significant and meeting.sequence == 0 and outbox_calls == []
    for field, value in (
        ("room", "Salle 2"),
        ("location", "Mairie"),
        ("online_url", "https://v.example.org"),
        ("title", "Comité technique élargi"),
    ):
        before = meeting.sequence
        services.update_meeting(
            db, None, meeting, MeetingInput.from_meeting(meeting, **{field: value}), now=NOW
        )
        assert meeting.sequence == before + 1, field
    assert len(outbox_calls) == 4
    # saving the same values again changes nothing
    assert (
        services.update_meeting(db, None, meeting, MeetingInput.from_meeting(meeting), now=NOW).changes == {}
    )
    assert meeting.sequence == 4


def test_editing_a_past_meeting_without_moving_it_needs_no_confirmation(world: World, db: Session) -> None:
    meeting = world.meeting(start=NOW - timedelta(days=7))
    services.update_meeting(
        db, None, meeting, MeetingInput.from_meeting(meeting, description="Compte rendu"), now=NOW
    )
    with pytest.raises(MeetingValidationError):
        services.reschedule_meeting(
            db, None, meeting, NOW - timedelta(days=6), NOW - timedelta(days=6) + timedelta(hours=1), now=NOW
        )


def test_the_space_of_a_meeting_never_changes_on_edit(world: World, db: Session) -> None:
    meeting = services.create_meeting(db, None, _input(world), now=NOW)
    services.update_meeting(
        db, None, meeting, MeetingInput.from_meeting(meeting, space_id=world.space_b), now=NOW
    )
    assert meeting.space_id == world.space_a


def test_cancel_keeps_the_meeting_and_its_answers(
    world: World, db: Session, outbox_calls: list[tuple[int, bool]]
) -> None:
    meeting = services.create_meeting(db, None, _input(world), now=NOW)
    invitations.invite_contacts(db, None, meeting, [world.marc, world.prefet_1], now=NOW)
    marc = db.scalar(select(Invitation).where(Invitation.contact_id == world.marc))
    invitations.record_answer(db, None, marc, ACCEPTED, now=NOW)
    with pytest.raises(MeetingValidationError):
        services.cancel_meeting(db, None, meeting, "   ", now=NOW)
    services.cancel_meeting(db, None, meeting, "Salle indisponible", now=NOW)
    db.commit()
    db.expire_all()
    kept = db.get(Meeting, meeting.id)
    assert kept is not None and kept.status == CANCELLED and kept.cancel_reason == "Salle indisponible"
    assert kept.sequence == 1 and kept.cancelled_at == NOW
    answers = dict(db.execute(select(Invitation.contact_id, Invitation.response)).all())
    assert answers == {world.marc: ACCEPTED, world.prefet_1: "pending"}
    assert outbox_calls == [(meeting.id, True)]
    with pytest.raises(MeetingValidationError):
        services.cancel_meeting(db, None, kept, "encore", now=NOW)
    with pytest.raises(MeetingValidationError):
        services.update_meeting(db, None, kept, MeetingInput.from_meeting(kept, title="x"), now=NOW)
    services.reinstate_meeting(db, None, kept, now=NOW)
    assert kept.status == SCHEDULED and kept.sequence == 2 and kept.cancel_reason == ""
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"calendar.meeting.cancelled", "calendar.meeting.reinstated"} <= actions


def test_duplicate_is_independent_and_copies_agenda_and_invitees_on_request(
    world: World, db: Session
) -> None:
    source = services.create_meeting(db, None, _input(world, room="Salle 1"), now=NOW)
    add_item(db, None, source, "Tour de table", duration_minutes=15)
    invitations.invite_contacts(db, None, source, [world.marc], now=NOW)
    invitations.record_answer(
        db, None, db.scalar(select(Invitation).where(Invitation.meeting_id == source.id)), DECLINED, now=NOW
    )
    later = START + timedelta(days=28)
    copy = services.duplicate_meeting(
        db,
        None,
        source,
        MeetingInput.from_meeting(source, starts_at=later, ends_at=later + timedelta(hours=2)),
        now=NOW,
        copy_agenda=True,
        copy_invitations=True,
    )
    db.commit()
    assert copy.id != source.id and copy.uid != source.uid and copy.sequence == 0
    assert copy.room == "Salle 1" and copy.starts_at == later
    assert db.scalars(select(AgendaItem.title).where(AgendaItem.meeting_id == copy.id)).all() == [
        "Tour de table"
    ]
    copied = db.scalar(select(Invitation).where(Invitation.meeting_id == copy.id))
    assert copied is not None and copied.contact_id == world.marc and copied.response == "pending"
    bare = services.duplicate_meeting(
        db,
        None,
        source,
        MeetingInput.from_meeting(source, starts_at=later, ends_at=later + timedelta(hours=1)),
        now=NOW,
        copy_agenda=False,
    )
    assert db.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == bare.id)) is None
    assert db.scalar(select(Invitation.id).where(Invitation.meeting_id == bare.id)) is None
