"""Reminder rules of the platform (exactly once, through the core's outbox).

* :data:`FIGURES_DUE` – after a period ends (J+1, then J+15 by default: once, then again 14 days
  later), each provider whose organisation's services still lack that period's figures gets
  the list, with a link that opens the form on the right service and period;
* :data:`FIGURES_MISSING` – a week after the second reminder (J+22 by default), the platform's
  animators get who is still missing (services, organisations and their providers);
* :data:`PROPOSALS_UNANSWERED` – a proposal submitted to the elected officials and still without
  an answer after three months (M+3) is signalled to the animators.

Every rule decides at the due instant: figures entered or an answer recorded in the meantime
mean no email. Keys name the platform, the period (or the proposal and its submission
instant), the recipient and the offset, so each email exists once whatever the number of
sweeps, restarts or workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.directory.models import Contact
from core.i18n import lazy_gettext as _l
from core.reminders.rules import (
    Due,
    Offset,
    ReminderRule,
    RuleRun,
    Timing,
    contact_recipient,
    paris_date,
    space_animators,
)
from core.spaces.models import Space
from plugins.acces_services import services as svc
from plugins.acces_services.models import Proposal, Service
from plugins.acces_services.periods import Period, period_containing
from plugins.acces_services.vocab import SPACE_KIND, SUBMITTED

FIGURES_DUE = "acces_services.figures_due"
FIGURES_MISSING = "acces_services.figures_missing"
PROPOSALS_UNANSWERED = "acces_services.proposals_unanswered"

#: a reminder that could not be sent within this delay (mail server down) is dropped: a later one
#: (or the animators' list) says it better
LATE_GRACE = timedelta(days=14)


# ------------------------------------------------------------------------------ shared pieces


def _platforms(db: Session) -> list[Space]:
    """The open platform spaces (usually one)."""
    stmt = select(Space).where(Space.kind == SPACE_KIND, Space.closed_at.is_(None)).order_by(Space.id)
    return list(db.scalars(stmt))


def _reachable(contact: Contact) -> bool:
    """A contact we can write to: one plain address, not anonymised."""
    email = contact.email.strip()
    return contact.anonymised_at is None and "@" in email and not any(c in email for c in " ,;<>\r\n")


def _animators(db: Session, space_id: int) -> list[Contact]:
    """The platform's animators we can write to, in a stable order."""
    return [c for c in space_animators(db, [space_id])[space_id] if _reachable(c)]


def _url(run: RuleRun, name: str, query: dict[str, Any] | None = None, **params: Any) -> str:
    url = run.url_for(name, **params)
    return f"{url}?{urlencode(query)}" if query else url


def ended_periods(run: RuleRun, offset: Offset, kind: str) -> list[tuple[Period, datetime]]:
    """The periods of ``kind`` whose reminder at ``offset`` after their last day is due in the
    window, with the due instant (periods follow the calendar: nothing to query)."""

    def ending_between(first: date, last: date) -> Iterator[Period]:
        day = first
        while day <= last:
            period = period_containing(day, kind)
            if period.end == day:
                yield period
            day += timedelta(days=1)

    return list(run.rows_due_on(offset, ending_between, lambda period: period.end))


def _period_context(period: Period) -> dict[str, Any]:
    return {"code": period.code, "start": period.start, "end": period.end}


def _missing_by_period(
    run: RuleRun, space: Space
) -> Iterator[tuple[Offset, Period, datetime, list[Service]]]:
    """For each offset and each period whose reminder is due: the services missing figures."""
    kind = svc.get_settings(run.db, space.id).period_kind
    for offset in run.timing.offsets:
        if offset.amount < 0:
            continue  # nothing is missing before the period is over (an admin's "J-3" is ignored)
        for period, due in ended_periods(run, offset, kind):
            missing = svc.services_missing_figures(run.db, space.id, period)
            if missing:
                yield offset, period, due, missing


# ------------------------------------------------------------------------------ providers


def collect_figures_due(run: RuleRun) -> Iterator[Due]:
    """After each period: every provider whose organisations' services lack its figures."""
    followups = sorted(o for o in run.timing.offsets if o.amount >= 0)
    for space in _platforms(run.db):
        for offset, period, due, missing in _missing_by_period(run, space):
            providers = svc.providers_by_organisation(run.db, space.id, {s.organisation_id for s in missing})
            owed: dict[int, tuple[Contact, list[Service]]] = {}
            for service in missing:
                for contact in providers.get(service.organisation_id, []):
                    owed.setdefault(contact.id, (contact, []))[1].append(service)
            for contact, services in owed.values():
                if not _reachable(contact):
                    continue
                yield Due(
                    key=f"{FIGURES_DUE}:{space.id}:{period.code}:{contact.id}:{offset.slug}",
                    recipient=contact_recipient(contact),
                    template="acces_services/emails/figures_due",
                    context={
                        "space": {"id": space.id, "name": space.name},
                        "period": _period_context(period),
                        "followup": bool(followups) and offset != followups[0],
                        "services": [
                            {
                                "name": s.name,
                                "organisation": s.organisation.name,
                                "url": _url(
                                    run,
                                    "acces_services:figure_new",
                                    {"service": s.id, "period": period.code},
                                ),
                            }
                            for s in services
                        ],
                        "figures_url": _url(run, "acces_services:figures"),
                        "import_url": _url(run, "acces_services:figures_import"),
                    },
                    due_at=due,
                    expires_at=due + LATE_GRACE,
                    space_id=space.id,
                )


# ------------------------------------------------------------------------------ animators


def collect_figures_missing(run: RuleRun) -> Iterator[Due]:
    """Later after each period: the animators get the services still missing, with who to call."""
    for space in _platforms(run.db):
        animators = None
        for offset, period, due, missing in _missing_by_period(run, space):
            animators = animators if animators is not None else _animators(run.db, space.id)
            if not animators:
                break
            providers = svc.providers_by_organisation(run.db, space.id, {s.organisation_id for s in missing})
            services = [
                {
                    "name": s.name,
                    "organisation": s.organisation.name,
                    "providers": [
                        {"name": c.full_name, "email": c.email, "phone": c.phone}
                        for c in providers.get(s.organisation_id, [])
                    ],
                    "url": _url(run, "acces_services:service", service_id=s.id),
                }
                for s in missing
            ]
            for contact in animators:
                yield Due(
                    key=f"{FIGURES_MISSING}:{space.id}:{period.code}:{contact.id}:{offset.slug}",
                    recipient=contact_recipient(contact),
                    template="acces_services/emails/figures_missing",
                    context={
                        "space": {"id": space.id, "name": space.name},
                        "period": _period_context(period),
                        "count": len(services),
                        "services": services,
                        "dashboard_url": _url(run, "acces_services:dashboard"),
                    },
                    due_at=due,
                    expires_at=due + LATE_GRACE,
                    space_id=space.id,
                )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%MZ")


def collect_proposals_unanswered(run: RuleRun) -> Iterator[Due]:
    """Three months (by default) after a proposal was submitted, still without an answer: the
    platform's animators. A proposal submitted again later is a new submission (new key)."""

    def submitted_between(lo: datetime, hi: datetime) -> Iterable[tuple[Proposal, Space]]:
        stmt = (
            select(Proposal, Space)
            .join(Space, Space.id == Proposal.space_id)
            .where(
                Proposal.submitted_at >= lo,
                Proposal.submitted_at < hi,
                Proposal.status == SUBMITTED,
                Space.closed_at.is_(None),
            )
            .options(selectinload(Proposal.services), selectinload(Proposal.meeting))
            .order_by(Proposal.id)
        )
        return run.db.execute(stmt)

    for offset in run.timing.offsets:
        if offset.amount <= 0:
            continue  # "without an answer after…" only makes sense after the submission
        for (proposal, space), due in run.rows_due_at(
            offset, submitted_between, lambda row: row[0].submitted_at
        ):
            submitted = proposal.submitted_at
            if submitted is None or due <= submitted:
                continue
            meeting = proposal.meeting
            context = {
                "space": {"id": space.id, "name": space.name},
                "proposal": {
                    "id": proposal.id,
                    "title": proposal.title,
                    "kind": proposal.kind,
                    "submitted_on": paris_date(submitted),
                    "services": [s.name for s in proposal.services],
                    "meeting": (
                        {"title": meeting.title, "starts_at": meeting.starts_at}
                        if meeting is not None
                        else None
                    ),
                    "url": _url(run, "acces_services:proposal", proposal_id=proposal.id),
                },
                "months": _months_between(paris_date(submitted), paris_date(due)),
            }
            for contact in _animators(run.db, space.id):
                yield Due(
                    key=f"{PROPOSALS_UNANSWERED}:{proposal.id}:{_stamp(submitted)}:{contact.id}:{offset.slug}",
                    recipient=contact_recipient(contact),
                    template="acces_services/emails/proposal_unanswered",
                    context=context,
                    due_at=due,
                    expires_at=due + LATE_GRACE,
                    space_id=space.id,
                )


def _months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (for the email's wording)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


# ------------------------------------------------------------------------------ declarations


def reminder_rules() -> list[ReminderRule]:
    """The platform's rules, in the order admins see them."""
    return [
        ReminderRule(
            FIGURES_DUE,
            _l("Fréquentation à saisir"),
            collect_figures_due,
            description=_l(
                "Après la fin de chaque période (trimestre par défaut), rappelle aux référents des "
                "services les chiffres de fréquentation qui manquent ; une relance suit 14 jours "
                "plus tard si rien n'a été saisi."
            ),
            audience=_l("Les référents des services sans chiffres"),
            default_timing=Timing.of("J+1", "J+15"),
        ),
        ReminderRule(
            FIGURES_MISSING,
            _l("Chiffres de fréquentation manquants"),
            collect_figures_missing,
            description=_l(
                "Après les relances des référents, envoie aux animateurs de la plateforme la liste "
                "des services dont les chiffres de la période manquent encore, avec qui contacter."
            ),
            audience=_l("Les animateurs de la plateforme"),
            default_timing=Timing.of("J+22"),
        ),
        ReminderRule(
            PROPOSALS_UNANSWERED,
            _l("Proposition sans réponse des élus"),
            collect_proposals_unanswered,
            description=_l(
                "Signale aux animateurs une proposition transmise aux élus et toujours sans "
                "réponse trois mois plus tard."
            ),
            audience=_l("Les animateurs de la plateforme"),
            default_timing=Timing.of("M+3"),
        ),
    ]
