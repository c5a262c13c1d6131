"""A person with data in every corner of the schema, for the export and erasure tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from core.accounts.models import LoginAttempt, User
from core.audit.models import AuditEntry
from core.calendar.models import Invitation, Meeting, Minutes
from core.directory.models import Contact
from core.reminders.models import OutboxMessage

EMAIL = "sophie.lefevre@example.org"
FIRST, LAST = "Sophie", "Lefèvre"
FULL = f"{FIRST} {LAST}"


@dataclass
class Person:
    """The person the tests export and erase, and a bystander who must keep everything."""

    contact_id: int
    user_id: int
    invitation_ids: list[int]
    bystander_email: str


def outbox_row(key: str, email: str, name: str, body: str, now: Any, **extra: Any) -> OutboxMessage:
    return OutboxMessage(
        key=key, message_id=f"{key}@test", rule="core.transactional", status=extra.pop("status", "sent"),
        recipient_email=email, recipient_name=name, template="emails/test.txt",
        context={"who": name, "note": body}, subject=f"Message pour {name}", body_text=body,
        body_html=f"<p>{body}</p>", due_at=now, next_attempt_at=now, created_at=now, **extra,
    )


@pytest.fixture
def person(demo: Starlette, db: Session) -> Person:
    """Sophie Lefèvre (demo) plus data about her in the tables the demo leaves empty."""
    now = demo.state.reseau.now()
    contact = db.scalars(sa.select(Contact).where(Contact.email == EMAIL)).one()
    user = db.scalars(sa.select(User).where(User.email == EMAIL)).one()
    if user.contact_id is None:
        user.contact_id = contact.id
    meeting = db.scalars(sa.select(Meeting).order_by(Meeting.id)).first()
    assert meeting is not None
    invitation = db.scalars(
        sa.select(Invitation).where(Invitation.contact_id == contact.id)
    ).first() or Invitation(meeting_id=meeting.id, contact_id=contact.id)
    invitation.response = "accepted"
    invitation.comment = f"Je viendrai ({FULL}, {EMAIL})"
    db.add(invitation)
    bystander = db.scalars(sa.select(User).where(User.email == "nadia.benali@example.org")).one()
    db.add_all(
        [
            outbox_row("privacy:to-her", EMAIL, FULL, f"Bonjour {FIRST} {LAST}", now - timedelta(days=1),
                       recipient_user_id=user.id, recipient_contact_id=contact.id),
            outbox_row("privacy:about-her", bystander.email, bystander.display_name,
                       f"{FULL} a répondu : elle viendra.", now - timedelta(days=1),
                       recipient_user_id=bystander.id),
            LoginAttempt(key=f"email:{EMAIL}", at=now - timedelta(minutes=5)),
            AuditEntry(user_id=user.id, actor=EMAIL, action="directory.organisation.updated",
                       object_type="organisations", object_id="1", summary="Organisation modifiée"),
            AuditEntry(user_id=bystander.id, actor=bystander.email, action="directory.contact.updated",
                       object_type="contacts", object_id=str(contact.id),
                       summary=f"Contact « {FULL} » modifié",
                       changes={"email": ["ancienne@example.org", EMAIL], "last_name": ["", LAST]}),
            AuditEntry(user_id=bystander.id, actor=bystander.email, action="spaces.member.added",
                       object_type="space_memberships", object_id="1",
                       summary=f"{FULL} ajoutée à l'espace", changes={"who": FULL}),
        ]
    )
    minutes = db.scalars(sa.select(Minutes).where(Minutes.meeting_id == meeting.id)).first()
    if minutes is None:
        minutes = Minutes(meeting_id=meeting.id, body="", body_html="", author_id=bystander.id)
        db.add(minutes)
    minutes.body = f"Présents : {FULL}, Nadia Benali."
    minutes.body_html = f"<p>Présents : {FULL}, Nadia Benali.</p>"
    db.commit()
    invitations = list(db.scalars(sa.select(Invitation.id).where(Invitation.contact_id == contact.id)))
    return Person(contact.id, user.id, invitations, bystander.email)


def traces(db: Session, needles: list[str]) -> list[str]:
    """Every ``table.column`` of the whole database (tables outside the models included) whose
    text holds one of ``needles``, ignoring case."""
    bind = db.connection()
    lowered = [n.lower() for n in needles]
    found = []
    for table_name in sa.inspect(bind).get_table_names():
        table = sa.Table(table_name, sa.MetaData(), autoload_with=bind)
        for row in bind.execute(sa.select(table)).mappings():
            for column, value in row.items():
                if isinstance(value, dict | list):
                    import json

                    value = json.dumps(value, ensure_ascii=False)
                if isinstance(value, str) and any(n in value.lower() for n in lowered):
                    found.append(f"{table_name}.{column}={value[:80]!r}")
    return found
