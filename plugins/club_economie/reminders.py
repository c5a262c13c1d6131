"""The club's reminder rules (exactly once through the outbox keys).

* ``club_economie.waiting`` – an application waiting for a decision for 7 days → the club's
  animators (anchor: when it started waiting, i.e. its submission or the applicant's answer).
* ``club_economie.info_missing`` – information asked 14 days ago and still not given → the
  applicant, once per question.
* ``club_economie.renewal`` – one month before the membership year ends (31 December) → the
  representative of each member who has not renewed yet.

The core's meeting rules (invitations, reminders, updates) apply to the club's meetings,
which are core meetings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from sqlalchemy import select

from core.directory.models import Contact, Organisation
from core.i18n import lazy_gettext as _l
from core.reminders.rules import (
    Due,
    Recipient,
    ReminderRule,
    RuleRun,
    Timing,
    contact_recipient,
    paris_date,
    space_animators,
)
from plugins.club_economie import links
from plugins.club_economie.models import Application, Member, MembershipYear
from plugins.club_economie.vocab import INFO_REQUESTED, NEW

WAITING = "club_economie.waiting"
INFO_MISSING = "club_economie.info_missing"
RENEWAL = "club_economie.renewal"


def collect_waiting(run: RuleRun) -> Iterator[Due]:
    """Applications still new ``offset`` after they started waiting → every animator."""

    def waiting_between(lo: datetime, hi: datetime) -> Iterable[Application]:
        return run.db.scalars(
            select(Application).where(
                Application.status == NEW, Application.waiting_since >= lo, Application.waiting_since < hi
            )
        )

    for offset in run.timing.offsets:
        for application, due_at in run.rows_due_at(offset, waiting_between, lambda a: a.waiting_since):
            assert application.waiting_since is not None
            stamp = application.waiting_since.strftime("%Y%m%dT%H%M%S")
            days = (paris_date(due_at) - paris_date(application.waiting_since)).days
            for person in space_animators(run.db, [application.space_id])[application.space_id]:
                yield Due(
                    key=f"{WAITING}:{application.id}:{stamp}:{offset.slug}:{person.id}",
                    recipient=contact_recipient(person),
                    template="club_economie/emails/waiting",
                    context={
                        "company": application.name,
                        "days": days,
                        "review_url": run.url_for("club_economie:application", application_id=application.id),
                    },
                    due_at=due_at,
                    space_id=application.space_id,
                )


def collect_info_missing(run: RuleRun) -> Iterator[Due]:
    """A question still unanswered ``offset`` after it was asked → the applicant, once."""

    def asked_between(lo: datetime, hi: datetime) -> Iterable[Application]:
        return run.db.scalars(
            select(Application).where(
                Application.status == INFO_REQUESTED,
                Application.info_requested_at >= lo,
                Application.info_requested_at < hi,
            )
        )

    for offset in run.timing.offsets:
        for application, due_at in run.rows_due_at(offset, asked_between, lambda a: a.info_requested_at):
            assert application.info_requested_at is not None
            token = links.make_token(
                run.settings.secret_key, application.id, application.info_requests, now=due_at
            )
            name = f"{application.first_name} {application.last_name}".strip()
            yield Due(
                # one reminder per question, whatever the offsets admins set
                key=f"{INFO_MISSING}:{application.id}:{application.info_requests}",
                recipient=Recipient(email=application.email, name=name),
                template="club_economie/emails/info_missing",
                context={
                    "company": application.name,
                    "question": application.info_question,
                    "days": (paris_date(due_at) - paris_date(application.info_requested_at)).days,
                    "answer_url": run.url_for("club_economie:answer", token=token),
                },
                due_at=due_at,
                space_id=application.space_id,
            )


def _year_ends(first: date, last: date) -> list[date]:
    """The ends of membership years (31 December) in ``[first, last]``."""
    ends = (date(year, 12, 31) for year in range(first.year, last.year + 1))
    return [day for day in ends if first <= day <= last]


def collect_renewal(run: RuleRun) -> Iterator[Due]:
    """Members of a year ending ``offset`` from now, not renewed for the next → their contact."""
    for offset in run.timing.offsets:
        for ends_on, due_at in run.rows_due_on(offset, _year_ends, lambda day: day):
            year = ends_on.year
            renewed = select(MembershipYear.member_id).where(MembershipYear.year == year + 1)
            rows = run.db.execute(
                select(Member, Organisation, Contact)
                .join(MembershipYear, MembershipYear.member_id == Member.id)
                .join(Organisation, Organisation.id == Member.organisation_id)
                .join(Contact, Contact.id == Member.contact_id)
                .where(
                    MembershipYear.year == year,
                    Member.left_at.is_(None),
                    Member.id.not_in(renewed),
                    Contact.anonymised_at.is_(None),
                    Contact.email != "",
                )
                .order_by(Member.id)
            )
            for member, organisation, contact in rows:
                yield Due(
                    key=f"{RENEWAL}:{member.id}:{year}:{offset.slug}",
                    recipient=contact_recipient(contact),
                    template="club_economie/emails/renewal",
                    context={
                        "company": organisation.name,
                        "year": year,
                        "ends_on": ends_on,
                        "renew_url": run.url_for("club_economie:my_card"),
                    },
                    due_at=due_at,
                    space_id=member.space_id,
                )


def rules() -> list[ReminderRule]:
    """The club's rules, in the order admins see them."""
    return [
        ReminderRule(
            WAITING,
            _l("Candidature au club en attente"),
            collect_waiting,
            description=_l("Signale une candidature au club qui attend une décision depuis une semaine."),
            audience=_l("Les animateurs du club"),
            default_timing=Timing.of("J+7"),
        ),
        ReminderRule(
            INFO_MISSING,
            _l("Précision attendue d'un candidat au club"),
            collect_info_missing,
            description=_l(
                "Rappelle une seule fois au candidat la question des animateurs restée sans réponse."
            ),
            audience=_l("Le candidat"),
            default_timing=Timing.of("J+14"),
            opt_out_allowed=False,
        ),
        ReminderRule(
            RENEWAL,
            _l("Renouvellement de l'adhésion au club"),
            collect_renewal,
            description=_l("Invite un membre à renouveler son adhésion un mois avant la fin de l'année."),
            audience=_l("La personne qui représente le membre"),
            default_timing=Timing.of("M-1"),
        ),
    ]
