"""The plugin's reminder rules (sent exactly once through the core's outbox).

* ``unite_formation.session_reminder`` – J-3 before each session, to the participants;
* ``unite_formation.trainer_list`` – J-1 before each session, to the trainers, with the list;
* ``unite_formation.promotion`` – a place offered from the waiting list (computed by
  :func:`plugins.unite_formation.registrations.settle`, so an offer that lapsed passes to the
  next person without anyone writing);
* ``unite_formation.attendance_reminder`` – J+1 after a session whose attendance is still
  empty, to the trainers;
* ``unite_formation.evaluation`` – J+2 after the last session, the questionnaire (and the
  attestation link for those above the threshold); ``unite_formation.evaluation_reminder`` –
  once, 7 days later, to those who have not answered.

Every query is a range on an indexed column bounded by the sweep window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar.models import SCHEDULED, Meeting
from core.i18n import lazy_gettext as _l
from core.reminders.rules import Due, Offset, Recipient, ReminderRule, RuleRun, Timing, contact_recipient
from plugins.unite_formation import links as signed
from plugins.unite_formation.attendance import participants, rates, recorded_for
from plugins.unite_formation.evaluations import answered
from plugins.unite_formation.links import Links
from plugins.unite_formation.models import Cycle, CycleSession, Registration
from plugins.unite_formation.registrations import projected, session_lines
from plugins.unite_formation.services import live_meetings
from plugins.unite_formation.vocab import CANCELLED, DRAFT, WAITING

SESSION_REMINDER = "unite_formation.session_reminder"
TRAINER_LIST = "unite_formation.trainer_list"
PROMOTION = "unite_formation.promotion"
ATTENDANCE_REMINDER = "unite_formation.attendance_reminder"
EVALUATION = "unite_formation.evaluation"
EVALUATION_REMINDER = "unite_formation.evaluation_reminder"


def _links(run: RuleRun) -> Links:
    return Links(run.settings.secret_key, run.url_for)


def _sessions_between(db: Session, lo: datetime, hi: datetime) -> list[tuple[Cycle, Meeting]]:
    """Scheduled sessions starting in ``[lo, hi)`` of published cycles (not drafts, not cancelled)."""
    rows = db.execute(
        select(Cycle, Meeting)
        .join(CycleSession, CycleSession.cycle_id == Cycle.id)
        .join(Meeting, Meeting.id == CycleSession.meeting_id)
        .where(
            Meeting.starts_at >= lo,
            Meeting.starts_at < hi,
            Meeting.status == SCHEDULED,
            Cycle.status.not_in((DRAFT, CANCELLED)),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    return [(r[0], r[1]) for r in rows]


def _last_sessions(db: Session, lo: datetime, hi: datetime) -> Iterator[tuple[Cycle, Meeting]]:
    """Like :func:`_sessions_between`, only each cycle's last (live) session."""
    for cycle, meeting in _sessions_between(db, lo, hi):
        meetings = live_meetings(cycle)
        if meetings and meetings[-1].id == meeting.id:
            yield cycle, meeting


def _sessions_due(
    run: RuleRun, offset: Offset, *, last_only: bool = False
) -> Iterator[tuple[Cycle, Meeting, datetime]]:
    """The sessions (or only the cycles' last ones) whose reminder ``offset`` from their start is
    due in the window, with the due instant."""
    sessions = _last_sessions if last_only else _sessions_between
    for (cycle, meeting), due_at in run.rows_due_at(
        offset, lambda lo, hi: sessions(run.db, lo, hi), lambda row: row[1].starts_at
    ):
        yield cycle, meeting, due_at


def _recipient(person: Registration) -> Recipient:
    return Recipient(
        email=person.email, name=person.full_name, user_id=person.user_id, contact_id=person.contact_id
    )


def _meeting_context(meeting: Meeting) -> dict[str, object]:
    return {
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "location": meeting.location,
        "online_url": meeting.online_url,
    }


def collect_session_reminders(run: RuleRun) -> Iterator[Due]:
    """J-3: each participant is reminded of the session (date, place, link, cancellation link)."""
    links = _links(run)
    for offset in run.timing.offsets:
        for cycle, meeting, due_at in _sessions_due(run, offset):
            for person in participants(run.db, cycle):
                yield Due(
                    key=f"{SESSION_REMINDER}:{meeting.id}:{person.id}:{offset.slug}",
                    recipient=_recipient(person),
                    template="unite_formation/emails/session_reminder",
                    context={
                        "cycle": cycle.title,
                        "session": _meeting_context(meeting),
                        "cycle_url": run.url_for("unite_formation:cycle", cycle_id=cycle.id),
                        "cancel_url": links.link(signed.CANCEL, person.id),
                    },
                    due_at=due_at,
                    expires_at=meeting.starts_at,
                    meeting_id=meeting.id,
                    space_id=cycle.space_id,
                )


def _trainers(cycle: Cycle) -> list[Recipient]:
    return [
        contact_recipient(t.contact)
        for t in sorted(cycle.trainers, key=lambda t: t.contact_id)
        if t.contact.email and t.contact.anonymised_at is None
    ]


def collect_trainer_lists(run: RuleRun) -> Iterator[Due]:
    """J-1: the trainers get the list of participants (names, organisations, accessibility needs)."""
    for offset in run.timing.offsets:
        for cycle, meeting, due_at in _sessions_due(run, offset):
            people = [
                {
                    "name": p.full_name,
                    "organisation": p.organisation,
                    "needs": p.accessibility_needs,
                    "phone": p.phone,
                }
                for p in participants(run.db, cycle)
            ]
            for trainer in _trainers(cycle):
                yield Due(
                    key=f"{TRAINER_LIST}:{meeting.id}:{trainer.contact_id}:{offset.slug}",
                    recipient=trainer,
                    template="unite_formation/emails/trainer_list",
                    context={
                        "cycle": cycle.title,
                        "session": _meeting_context(meeting),
                        "people": people,
                        "admin_url": run.url_for("unite_formation:cycle_admin", cycle_id=cycle.id),
                    },
                    due_at=due_at,
                    expires_at=meeting.starts_at,
                    meeting_id=meeting.id,
                    space_id=cycle.space_id,
                )


def collect_promotions(run: RuleRun) -> Iterator[Due]:
    """A place offered from the waiting list, at the instant it was (or, after a lapse, would be) offered."""
    links = _links(run)
    # no offer is made once the first session has started: only cycles with a session still
    # ahead of the window's start can have one due (a range on the indexed start time)
    ahead = (
        select(CycleSession.cycle_id)
        .join(Meeting, Meeting.id == CycleSession.meeting_id)
        .where(Meeting.starts_at > run.since)
    )
    waiting = select(Registration.cycle_id).where(
        Registration.status == WAITING, Registration.cycle_id.in_(ahead)
    )
    for cycle in run.db.scalars(
        select(Cycle).where(Cycle.id.in_(waiting.distinct()), Cycle.status != CANCELLED).order_by(Cycle.id)
    ).all():
        for person, slot in projected(run.db, cycle, run.now):
            if not slot.offered or slot.offered_at is None or not run.is_due(slot.offered_at):
                continue
            yield Due(
                key=f"{PROMOTION}:{person.id}:{slot.offered_at:%Y%m%dT%H%M%S}",
                recipient=_recipient(person),
                template="unite_formation/emails/promotion",
                context={
                    "cycle": cycle.title,
                    "sessions": session_lines(cycle),
                    "offer_url": links.link(signed.OFFER, person.id),
                    "expires_at": slot.offer_expires_at,
                },
                due_at=slot.offered_at,
                expires_at=slot.offer_expires_at,
                space_id=cycle.space_id,
            )


def collect_attendance_reminders(run: RuleRun) -> Iterator[Due]:
    """J+1: a session still without any attendance recorded – the trainers are reminded."""
    for offset in run.timing.offsets:
        for cycle, meeting, due_at in _sessions_due(run, offset):
            if recorded_for(run.db, meeting.id) or not participants(run.db, cycle):
                continue
            session = next(s for s in cycle.sessions if s.meeting_id == meeting.id)
            for trainer in _trainers(cycle):
                yield Due(
                    key=f"{ATTENDANCE_REMINDER}:{meeting.id}:{trainer.contact_id}:{offset.slug}",
                    recipient=trainer,
                    template="unite_formation/emails/attendance_reminder",
                    context={
                        "cycle": cycle.title,
                        "session": _meeting_context(meeting),
                        "sheet_url": run.url_for(
                            "unite_formation:attendance", cycle_id=cycle.id, session_id=session.id
                        ),
                    },
                    due_at=due_at,
                    space_id=cycle.space_id,
                )


def _evaluations(run: RuleRun, rule: str, template: str, *, unanswered_only: bool) -> Iterator[Due]:
    links = _links(run)
    for offset in run.timing.offsets:
        for cycle, _meeting, due_at in _sessions_due(run, offset, last_only=True):
            people = participants(run.db, cycle)
            cycle_rates = rates(run.db, cycle, people)
            for person in people:
                if unanswered_only and answered(run.db, person.id):
                    continue
                eligible = cycle_rates[person.id].reaches(cycle.attendance_threshold)
                yield Due(
                    key=f"{rule}:{cycle.id}:{person.id}",
                    recipient=_recipient(person),
                    template=f"unite_formation/emails/{template}",
                    context={
                        "cycle": cycle.title,
                        "evaluation_url": links.link(signed.EVALUATION, person.id),
                        "attestation_url": links.link(signed.ATTESTATION, person.id) if eligible else "",
                    },
                    due_at=due_at,
                    space_id=cycle.space_id,
                )


def collect_evaluations(run: RuleRun) -> Iterator[Due]:
    """After the last session: the questionnaire, and the attestation link when earned."""
    return _evaluations(run, EVALUATION, "evaluation", unanswered_only=False)


def collect_evaluation_reminders(run: RuleRun) -> Iterator[Due]:
    """Once, a week after the questionnaire, to those who have not answered."""
    return _evaluations(run, EVALUATION_REMINDER, "evaluation_reminder", unanswered_only=True)


def rules() -> list[ReminderRule]:
    """The rules this plugin registers."""
    return [
        ReminderRule(
            SESSION_REMINDER,
            _l("Rappel d'une séance de formation"),
            collect_session_reminders,
            description=_l(
                "Rappelle la date, l'heure et le lieu de la séance, avec le lien pour se désinscrire."
            ),
            audience=_l("Les participants inscrits"),
            default_timing=Timing.of("J-3"),
        ),
        ReminderRule(
            TRAINER_LIST,
            _l("Liste des participants d'une séance"),
            collect_trainer_lists,
            description=_l(
                "La veille de chaque séance, la liste des inscrits et de leurs besoins d'accessibilité."
            ),
            audience=_l("Les formateurs et formatrices du cycle"),
            default_timing=Timing.of("J-1"),
            opt_out_allowed=False,
        ),
        ReminderRule(
            PROMOTION,
            _l("Place libérée proposée à la liste d'attente"),
            collect_promotions,
            description=_l(
                "Propose la place libérée à la première personne de la liste d'attente, "
                "avec le délai pour l'accepter."
            ),
            audience=_l("La personne suivante sur la liste d'attente"),
            opt_out_allowed=False,
        ),
        ReminderRule(
            ATTENDANCE_REMINDER,
            _l("Émargement à saisir"),
            collect_attendance_reminders,
            description=_l("Le lendemain d'une séance dont l'émargement n'est pas saisi."),
            audience=_l("Les formateurs et formatrices du cycle"),
            default_timing=Timing.of("J+1"),
        ),
        ReminderRule(
            EVALUATION,
            _l("Questionnaire de satisfaction"),
            collect_evaluations,
            description=_l(
                "Après la dernière séance : le questionnaire et, si la présence suffit, l'attestation."
            ),
            audience=_l("Les participants du cycle"),
            default_timing=Timing.of("J+2"),
            opt_out_allowed=False,
        ),
        ReminderRule(
            EVALUATION_REMINDER,
            _l("Relance du questionnaire de satisfaction"),
            collect_evaluation_reminders,
            description=_l(
                "Une seule relance, une semaine après le questionnaire, à ceux qui n'ont pas répondu."
            ),
            audience=_l("Les participants qui n'ont pas répondu"),
            default_timing=Timing.of("J+9"),
        ),
    ]
