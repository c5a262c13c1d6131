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

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from core.directory.models import Contact, Organisation
from core.i18n import lazy_gettext as _l
from core.reminders.rules import Due, Recipient, ReminderRule, RuleRun, Timing, paris_date
from core.spaces.models import ANIMATOR, SpaceMembership
from plugins.club_economie import links
from plugins.club_economie.models import Application, Member, MembershipYear
from plugins.club_economie.vocab import INFO_REQUESTED, NEW

WAITING = "club_economie.waiting"
INFO_MISSING = "club_economie.info_missing"
RENEWAL = "club_economie.renewal"


def _animators(run: RuleRun, space_id: int) -> list[Contact]:
    return list(
        run.db.scalars(
            select(Contact)
            .join(SpaceMembership, SpaceMembership.contact_id == Contact.id)
            .where(
                SpaceMembership.space_id == space_id,
                SpaceMembership.role == ANIMATOR,
                Contact.anonymised_at.is_(None),
                Contact.email != "",
            )
            .order_by(Contact.id)
        )
    )


def collect_waiting(run: RuleRun) -> Iterator[Due]:
    """Applications still new ``offset`` after they started waiting → every animator."""
    for offset in run.timing.offsets:
        window = run.anchor_range(offset)
        if window is None:
            continue
        rows = run.db.scalars(
            select(Application).where(
                Application.status == NEW,
                Application.waiting_since >= window[0],
                Application.waiting_since < window[1],
            )
        )
        for application in rows:
            assert application.waiting_since is not None
            due_at = run.due_at(application.waiting_since, offset)
            if not run.is_due(due_at):
                continue
            stamp = application.waiting_since.strftime("%Y%m%dT%H%M%S")
            days = (paris_date(due_at) - paris_date(application.waiting_since)).days
            for person in _animators(run, application.space_id):
                yield Due(
                    key=f"{WAITING}:{application.id}:{stamp}:{offset.slug}:{person.id}",
                    recipient=Recipient(email=person.email, name=person.full_name, contact_id=person.id),
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
    for offset in run.timing.offsets:
        window = run.anchor_range(offset)
        if window is None:
            continue
        rows = run.db.scalars(
            select(Application).where(
                Application.status == INFO_REQUESTED,
                Application.info_requested_at >= window[0],
                Application.info_requested_at < window[1],
            )
        )
        for application in rows:
            assert application.info_requested_at is not None
            due_at = run.due_at(application.info_requested_at, offset)
            if not run.is_due(due_at):
                continue
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


def collect_renewal(run: RuleRun) -> Iterator[Due]:
    """Members of a year ending ``offset`` from now, not renewed for the next → their contact."""
    for offset in run.timing.offsets:
        dates = run.date_range(offset)
        if dates is None:
            continue
        for year in range(dates[0].year, dates[1].year + 1):
            ends_on = date(year, 12, 31)
            if not dates[0] <= ends_on <= dates[1]:
                continue
            due_at = run.due_on(ends_on, offset)
            if not run.is_due(due_at):
                continue
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
                    recipient=Recipient(email=contact.email, name=contact.full_name, contact_id=contact.id),
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
