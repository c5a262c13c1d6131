"""The club's life: its resources for project carriers (core resources with a category) and
its opinions, proposals and recommendations to the city, with their status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.calendar.models import Meeting
from core.i18n import gettext as _
from core.resources import services as resources
from core.resources.models import Resource
from plugins.club_economie.models import Opinion
from plugins.club_economie.vocab import (
    ANSWERED,
    DRAFT,
    OPINION_KINDS,
    OPINION_STATUSES,
    RESOURCE_CATEGORIES,
    SENT,
)

if TYPE_CHECKING:
    from core.accounts.models import User

#: the status an opinion may move to from each status
TRANSITIONS = {DRAFT: (SENT,), SENT: (ANSWERED, DRAFT), ANSWERED: (SENT,)}


class ClubError(ValueError):
    """A refusal in French, tied to a form field when ``field`` is given."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def resources_by_category(db: Session, user: User | None, space_id: int) -> list[tuple[str, list[Resource]]]:
    """The club's resources ``user`` may see, grouped by category in the declared order."""
    found = resources.visible_resources(db, user, space_id=space_id, include_meetings=False)
    groups: dict[str, list[Resource]] = {code: [] for code in RESOURCE_CATEGORIES}
    for resource in found:
        if resource.category in groups:
            groups[resource.category].append(resource)
    return [(code, items) for code, items in groups.items() if items]


def club_meetings(db: Session, space_id: int) -> Sequence[Meeting]:
    """The club's meetings, latest first (for linking an opinion to where it was adopted)."""
    return db.scalars(
        select(Meeting).where(Meeting.space_id == space_id).order_by(Meeting.starts_at.desc()).limit(200)
    ).all()


def opinions(db: Session, space_id: int) -> Sequence[Opinion]:
    """The club's opinions, newest first."""
    return db.scalars(
        select(Opinion)
        .where(Opinion.space_id == space_id)
        .order_by(Opinion.created_at.desc(), Opinion.id.desc())
    ).all()


def meetings_by_id(db: Session, ids: set[int]) -> dict[int, Meeting]:
    """Meetings by id (for the list of opinions)."""
    if not ids:
        return {}
    return {m.id: m for m in db.scalars(select(Meeting).where(Meeting.id.in_(ids)))}


def _check_meeting(db: Session, space_id: int, meeting_id: int | None) -> None:
    if meeting_id is None:
        return
    meeting = db.get(Meeting, meeting_id)
    if meeting is None or meeting.space_id != space_id:
        raise ClubError(_("Choisissez une réunion du club."), "meeting_id")


def save_opinion(
    db: Session,
    actor: User,
    space_id: int,
    opinion: Opinion | None,
    *,
    kind: str,
    title: str,
    body: str,
    meeting_id: int | None,
    now: datetime,
) -> Opinion:
    """Create or edit an opinion (its status moves with :func:`set_status`). Audited."""
    if kind not in OPINION_KINDS:
        raise ClubError(_("Choisissez : avis, proposition ou recommandation."), "kind")
    if not title.strip():
        raise ClubError(_("Donnez un titre."), "title")
    _check_meeting(db, space_id, meeting_id)
    values = {"kind": kind, "title": title.strip(), "body": body.strip(), "meeting_id": meeting_id}
    if opinion is None:
        opinion = Opinion(
            space_id=space_id, status=DRAFT, created_by_id=actor.id, created_at=now, updated_at=now, **values
        )
        db.add(opinion)
        db.flush()
        audit.record(
            db,
            actor,
            "club_economie.opinion.created",
            opinion,
            summary=opinion.title,
            changes=audit.diff(None, values),
        )
        return opinion
    changes = audit.diff(opinion, values)
    if changes:
        for key, value in values.items():
            setattr(opinion, key, value)
        opinion.updated_at = now
        db.flush()
        audit.record(
            db, actor, "club_economie.opinion.updated", opinion, summary=opinion.title, changes=changes
        )
    return opinion


def set_status(
    db: Session, actor: User, opinion: Opinion, status: str, answer: str, *, now: datetime
) -> None:
    """Move an opinion: draft → sent → answered (with the city's answer), or back. Audited."""
    if status not in OPINION_STATUSES or status not in TRANSITIONS.get(opinion.status, ()):
        raise ClubError(_("Ce changement d'état n'est pas possible."), "status")
    if status == ANSWERED and not answer.strip():
        raise ClubError(_("Résumez la réponse de la ville."), "answer")
    old = opinion.status
    opinion.status = status
    if status == SENT and opinion.sent_at is None:
        opinion.sent_at = now
    if status == ANSWERED:
        opinion.answered_at = now
        opinion.answer = answer.strip()
    opinion.updated_at = now
    db.flush()
    audit.record(
        db,
        actor,
        "club_economie.opinion.status",
        opinion,
        summary=opinion.title,
        changes={"status": [old, status]},
    )
