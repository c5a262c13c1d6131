"""The club's transactional emails, as :class:`core.reminders.rules.Due` for the outbox.

Each key is stable (``club_economie.<what>:<application>[:<request>]``), so a double submit
or a retried request never sends twice. Links are absolute, built by the caller from
``RESEAU_BASE_URL``.
"""

from __future__ import annotations

from datetime import datetime

from core.reminders.rules import Due, Recipient
from plugins.club_economie.models import Application
from plugins.club_economie.vocab import DECLINED_RETENTION


def _recipient(application: Application) -> Recipient:
    name = f"{application.first_name} {application.last_name}".strip()
    return Recipient(email=application.email, name=name, contact_id=application.contact_id)


def received(application: Application, *, now: datetime) -> Due:
    """Acknowledgement of a new application."""
    return Due(
        key=f"club_economie.received:{application.id}",
        recipient=_recipient(application),
        template="club_economie/emails/received",
        context={
            "company": application.name,
            "submitted_at": application.created_at,
            "retention_days": DECLINED_RETENTION.days,
        },
        due_at=now,
        space_id=application.space_id,
    )


def info_request(application: Application, answer_url: str, *, now: datetime) -> Due:
    """The animators' question, with the signed answer link."""
    return Due(
        key=f"club_economie.info_request:{application.id}:{application.info_requests}",
        recipient=_recipient(application),
        template="club_economie/emails/info_request",
        context={
            "company": application.name,
            "question": application.info_question,
            "answer_url": answer_url,
        },
        due_at=now,
        space_id=application.space_id,
    )


def declined(application: Application, *, now: datetime) -> Due:
    """The refusal, with the animators' message."""
    return Due(
        key=f"club_economie.declined:{application.id}",
        recipient=_recipient(application),
        template="club_economie/emails/declined",
        context={
            "company": application.name,
            "message": application.decision_message,
            "retention_days": DECLINED_RETENTION.days,
        },
        due_at=now,
        space_id=application.space_id,
    )


def welcome(application: Application, club_url: str, *, now: datetime) -> Due:
    """The welcome of a new member."""
    return Due(
        key=f"club_economie.welcome:{application.id}",
        recipient=_recipient(application),
        template="club_economie/emails/welcome",
        context={"company": application.name, "message": application.decision_message, "club_url": club_url},
        due_at=now,
        space_id=application.space_id,
    )
