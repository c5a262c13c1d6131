"""The satisfaction questionnaire after the last session, and its aggregated results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.i18n import gettext as _
from plugins.unite_formation.models import Cycle, Evaluation, Registration
from plugins.unite_formation.services import ServiceError, last_end
from plugins.unite_formation.vocab import CONFIRMED, QUESTIONS


def answered(db: Session, registration_id: int) -> bool:
    return db.scalar(select(Evaluation.id).where(Evaluation.registration_id == registration_id)) is not None


def open_error(cycle: Cycle, registration: Registration, now: datetime) -> str | None:
    """Why this person cannot answer now, in French, or ``None``."""
    end = last_end(cycle)
    if registration.status != CONFIRMED:
        return _("Le questionnaire est réservé aux participants du cycle.")
    if end is None or now < end:
        return _("Le questionnaire ouvrira après la dernière séance du cycle.")
    return None


def submit(
    db: Session,
    cycle: Cycle,
    registration: Registration,
    answers: Mapping[str, int],
    comment: str,
    *,
    now: datetime,
) -> Evaluation:
    """Store a participant's answers (once: a second answer is refused politely)."""
    problem = open_error(cycle, registration, now)
    if problem is not None:
        raise ServiceError(problem)
    if answered(db, registration.id):
        raise ServiceError(_("Vous avez déjà répondu à ce questionnaire : merci !"))
    values = {}
    for name in QUESTIONS:
        value = answers.get(name)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ServiceError(_("Répondez à chaque question."), name)
        values[name] = value
    evaluation = Evaluation(
        registration_id=registration.id,
        cycle_id=cycle.id,
        contact_id=registration.contact_id,
        comment=(comment or "").strip()[:2000],
        created_at=now,
        **values,
    )
    db.add(evaluation)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        raise ServiceError(_("Vous avez déjà répondu à ce questionnaire : merci !")) from exc
    return evaluation


@dataclass(frozen=True)
class Results:
    """The aggregated answers of a cycle (never who answered what)."""

    answers: int
    participants: int
    averages: dict[str, float]
    distribution: dict[str, dict[int, int]]
    comments: list[str]


def results(db: Session, cycle: Cycle) -> Results:
    """Averages and distributions per question, and the comments (in random-free, stored order)."""
    rows = db.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id).order_by(Evaluation.id)).all()
    participants = len(
        db.scalars(
            select(Registration.id).where(Registration.cycle_id == cycle.id, Registration.status == CONFIRMED)
        ).all()
    )
    averages = {}
    distribution = {}
    for name in QUESTIONS:
        values = [getattr(r, name) for r in rows]
        averages[name] = round(sum(values) / len(values), 1) if values else 0.0
        distribution[name] = {score: values.count(score) for score in range(1, 6)}
    return Results(len(rows), participants, averages, distribution, [r.comment for r in rows if r.comment])
