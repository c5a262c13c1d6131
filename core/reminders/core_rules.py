"""The core's reminder rules: invitations (iTIP), updates and cancellations, J-7 and J-1
reminders, missing minutes, overdue action items, and the digest.

Registered through ``reseau_register_reminder_rules`` in :mod:`core.corehooks`, like a plugin's.
Every query is a range on an indexed column bounded by the sweep window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import Any

from icalendar import vCalAddress, vText
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from starlette.routing import NoMatchFound

from core.calendar import models as cal
from core.calendar.ics import meeting_event, new_calendar
from core.calendar.models import ActionItem, AgendaItem, Invitation, Meeting, Minutes
from core.directory.models import Contact
from core.i18n import lazy_gettext as _l
from core.reminders.mail import address, one_line
from core.reminders.models import (
    DIGEST_DAILY,
    DIGEST_WEEKLY,
    DIGESTED,
    HELD,
    SENDING,
    SENT,
    OutboxMessage,
    ReminderUserSettings,
)
from core.reminders.rules import (
    Attachment,
    Due,
    Offset,
    Recipient,
    ReminderRule,
    RuleRun,
    Timing,
    contact_recipient,
    paris_date,
    paris_to_utc,
    space_animators,
)
from core.spaces.models import Space

INVITATION = "core.invitation"
MEETING_UPDATE = "core.meeting_update"
MEETING_CANCELLED = "core.meeting_cancelled"
UNANSWERED = "core.reminder_unanswered"
ACCEPTED = "core.reminder_accepted"
MINUTES_MISSING = "core.minutes_missing"
ACTION_OVERDUE = "core.action_item_overdue"
DIGEST = "core.digest"

#: reminders about something already past stay sendable this long, then expire
LATE_GRACE = timedelta(days=14)


# ------------------------------------------------------------------------------ shared pieces


def meeting_url(run: RuleRun, meeting_id: int) -> str:
    """The meeting's page, absolute (the calendar's list when the page is not mounted)."""
    try:
        return run.url_for("calendar:meeting", meeting_id=meeting_id)
    except (NoMatchFound, LookupError):
        return f"{run.base_url}/agenda/"


def _reachable(contact: Contact | None) -> bool:
    """A contact we can write to: an address that is one plain address, not anonymised."""
    if contact is None or contact.anonymised_at is not None or not contact.email.strip():
        return False
    try:
        address(contact.email)
    except ValueError:
        return False
    return True


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%MZ")


def meeting_context(
    run: RuleRun, meeting: Meeting, space: Space, agenda: Iterable[AgendaItem] = ()
) -> dict[str, Any]:
    """What every meeting email shows: title, times, place, online link, space, link back, agenda."""
    return {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "description": meeting.description,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
            "location": meeting.location,
            "room": meeting.room,
            "online_url": meeting.online_url,
            "cancel_reason": meeting.cancel_reason,
            "url": meeting_url(run, meeting.id),
            "agenda": [{"title": a.title, "duration_minutes": a.duration_minutes} for a in agenda],
        },
        "space": {"id": space.id, "name": space.name},
    }


def itip(
    run: RuleRun, meeting: Meeting, space: Space, contact: Contact, partstat: str, method: str
) -> Attachment:
    """The meeting as an iTIP message for one attendee (RFC 5546): same UID, current SEQUENCE,
    ORGANIZER the hub's address, the recipient as the only ATTENDEE (no one else's address)."""
    calendar = new_calendar(method=method)
    event = meeting_event(meeting, meeting_url(run, meeting.id), space_name=space.name, stamp=run.now)
    from_name, from_email = parseaddr(run.settings.mail_from)
    organizer = vCalAddress(f"mailto:{from_email}")
    organizer.params["CN"] = vText(one_line(space.name or from_name or run.settings.hub_name, 120))
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{contact.email.strip()}")
    attendee.params["CN"] = vText(one_line(contact.full_name, 120) or contact.email.strip())
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText(partstat)
    attendee.params["RSVP"] = vText("TRUE" if method == "REQUEST" else "FALSE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    filename = "annulation.ics" if method == "CANCEL" else "invitation.ics"
    return Attachment.calendar(calendar.to_ical(), method, filename=filename)


_PARTSTAT = {
    cal.PENDING: "NEEDS-ACTION",
    cal.ACCEPTED: "ACCEPTED",
    cal.DECLINED: "DECLINED",
    cal.TENTATIVE: "TENTATIVE",
}


def rsvp_links(run: RuleRun, invitation_id: int, *, page_only: bool = False) -> dict[str, str]:
    """The three one-answer links (or only the answer page), signed, from ``RESEAU_BASE_URL``."""
    from core.calendar.rsvp import rsvp_url

    if page_only:
        return {"page": rsvp_url(run.settings, invitation_id)}
    return {
        "accept": rsvp_url(run.settings, invitation_id, cal.ACCEPTED),
        "tentative": rsvp_url(run.settings, invitation_id, cal.TENTATIVE),
        "decline": rsvp_url(run.settings, invitation_id, cal.DECLINED),
    }


def _meetings(db: Session, ids: Iterable[int], *conditions: Any) -> list[tuple[Meeting, Space]]:
    ids = set(ids)
    if not ids:
        return []
    stmt = (
        select(Meeting, Space)
        .join(Space, Space.id == Meeting.space_id)
        .where(Meeting.id.in_(ids), *conditions)
    )
    return [(m, s) for m, s in db.execute(stmt)]


def _invitations(
    db: Session, meeting_ids: Iterable[int], *conditions: Any
) -> dict[int, list[tuple[Invitation, Contact]]]:
    """Invitations (with their contact) of these meetings, by meeting, reachable contacts only."""
    ids = set(meeting_ids)
    found: dict[int, list[tuple[Invitation, Contact]]] = defaultdict(list)
    if not ids:
        return found
    stmt = (
        select(Invitation, Contact)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.meeting_id.in_(ids), *conditions)
        .order_by(Invitation.id)
    )
    for invitation, contact in db.execute(stmt):
        if _reachable(contact):
            found[invitation.meeting_id].append((invitation, contact))
    return found


def _agenda(db: Session, meeting_ids: Iterable[int]) -> dict[int, list[AgendaItem]]:
    ids = set(meeting_ids)
    found: dict[int, list[AgendaItem]] = defaultdict(list)
    if ids:
        stmt = (
            select(AgendaItem)
            .where(AgendaItem.meeting_id.in_(ids))
            .order_by(AgendaItem.meeting_id, AgendaItem.position)
        )
        for item in db.scalars(stmt):
            found[item.meeting_id].append(item)
    return found


def sent_sequences(db: Session, meeting_ids: Iterable[int]) -> dict[int, int]:
    """For each invitation of these meetings, the highest SEQUENCE it was sent (invitation or
    update, sent or being sent). Invitations never sent are absent."""
    ids = set(meeting_ids)
    if not ids:
        return {}
    keys = db.scalars(
        select(OutboxMessage.key).where(
            OutboxMessage.meeting_id.in_(ids),
            OutboxMessage.rule.in_((INVITATION, MEETING_UPDATE)),
            OutboxMessage.status.in_((SENT, SENDING)),
        )
    )
    best: dict[int, int] = {}
    for key in keys:
        _, invitation_id, seq = key.split(":")
        inv, sequence = int(invitation_id), int(seq.lstrip("s"))
        best[inv] = max(best.get(inv, -1), sequence)
    return best


def _invitation_due(
    run: RuleRun,
    meeting: Meeting,
    space: Space,
    invitation: Invitation,
    contact: Contact,
    *,
    update: bool,
    at: datetime,
    agenda: list[AgendaItem],
) -> Due:
    rule = MEETING_UPDATE if update else INVITATION
    context = meeting_context(run, meeting, space, agenda)
    context["rsvp"] = rsvp_links(run, invitation.id)
    context["response"] = invitation.response
    return Due(
        key=f"{rule}:{invitation.id}:s{meeting.sequence}",
        recipient=contact_recipient(contact),
        template="emails/meeting_update" if update else "emails/invitation",
        context=context,
        due_at=min(at, run.now),
        expires_at=meeting.starts_at,
        meeting_id=meeting.id,
        space_id=space.id,
        attachments=(
            itip(run, meeting, space, contact, _PARTSTAT.get(invitation.response, "NEEDS-ACTION"), "REQUEST"),
        ),
    )


# ------------------------------------------------------------------------------ invitations


def collect_invitations(run: RuleRun) -> Iterator[Due]:
    """New invitations, and invitees of a changed meeting who were never sent one (theirs was
    cancelled by the change while pending): an iTIP REQUEST at the meeting's current SEQUENCE."""
    db = run.db
    new = set(db.scalars(select(Invitation.meeting_id).where(Invitation.invited_at > run.since)))
    changed = set(db.scalars(select(Meeting.id).where(Meeting.updated_at > run.since)))
    pairs = _meetings(db, new | changed, Meeting.status == cal.SCHEDULED, Meeting.starts_at > run.now)
    ids = [m.id for m, _ in pairs]
    invitations = _invitations(db, ids, Invitation.response != cal.DECLINED)
    sent = sent_sequences(db, ids)
    agenda = _agenda(db, ids)
    for meeting, space in pairs:
        for invitation, contact in invitations.get(meeting.id, []):
            if invitation.id in sent:
                continue
            if invitation.invited_at > run.since:
                at = invitation.invited_at
            elif meeting.id in changed:
                at = meeting.updated_at
            else:
                continue
            yield _invitation_due(
                run, meeting, space, invitation, contact, update=False, at=at, agenda=agenda[meeting.id]
            )


def collect_updates(run: RuleRun) -> Iterator[Due]:
    """Invitees who were sent an older SEQUENCE of a changed meeting get the new one."""
    db = run.db
    changed = set(db.scalars(select(Meeting.id).where(Meeting.updated_at > run.since)))
    pairs = _meetings(
        db, changed, Meeting.status == cal.SCHEDULED, Meeting.starts_at > run.now, Meeting.sequence > 0
    )
    ids = [m.id for m, _ in pairs]
    invitations = _invitations(db, ids, Invitation.response != cal.DECLINED)
    sent = sent_sequences(db, ids)
    agenda = _agenda(db, ids)
    for meeting, space in pairs:
        for invitation, contact in invitations.get(meeting.id, []):
            if invitation.id in sent and sent[invitation.id] < meeting.sequence:
                yield _invitation_due(
                    run,
                    meeting,
                    space,
                    invitation,
                    contact,
                    update=True,
                    at=meeting.updated_at,
                    agenda=agenda[meeting.id],
                )


def collect_cancellations(run: RuleRun) -> Iterator[Due]:
    """A cancelled meeting: ``METHOD:CANCEL`` to everyone who had been sent it and not declined."""
    db = run.db
    # cancelled_at when the meetings code sets it, else the change itself (updated_at)
    cancelled = set(
        db.scalars(
            select(Meeting.id).where(
                or_(Meeting.cancelled_at > run.since, Meeting.updated_at > run.since),
                Meeting.status == cal.CANCELLED,
            )
        )
    )
    pairs = _meetings(db, cancelled, Meeting.status == cal.CANCELLED)
    ids = [m.id for m, _ in pairs]
    invitations = _invitations(db, ids, Invitation.response != cal.DECLINED)
    sent = sent_sequences(db, ids)
    for meeting, space in pairs:
        for invitation, contact in invitations.get(meeting.id, []):
            if invitation.id not in sent:
                continue  # never told about it: nothing to cancel
            yield Due(
                key=f"{MEETING_CANCELLED}:{invitation.id}:s{meeting.sequence}",
                recipient=contact_recipient(contact),
                template="emails/meeting_cancelled",
                context=meeting_context(run, meeting, space),
                due_at=min(meeting.cancelled_at or run.now, run.now),
                expires_at=meeting.ends_at,
                meeting_id=meeting.id,
                space_id=space.id,
                attachments=(itip(run, meeting, space, contact, "DECLINED", "CANCEL"),),
            )


# ------------------------------------------------------------------------------ before a meeting


def _upcoming(run: RuleRun, offset: Offset) -> list[tuple[Meeting, Space, datetime]]:
    """Scheduled meetings (reminders on) whose ``offset`` before the start is due in the window."""

    def starting(lo: datetime, hi: datetime) -> Iterable[tuple[Meeting, Space]]:
        stmt = (
            select(Meeting, Space)
            .join(Space, Space.id == Meeting.space_id)
            .where(
                Meeting.starts_at >= lo,
                Meeting.starts_at < hi,
                Meeting.status == cal.SCHEDULED,
                Meeting.reminders_enabled.is_(True),
            )
        )
        return run.db.execute(stmt)

    return [
        (meeting, space, due)
        for (meeting, space), due in run.rows_due_at(offset, starting, lambda row: row[0].starts_at)
        if due < meeting.starts_at
    ]


def _before_meeting(run: RuleRun, rule: str, response: str, template: str) -> Iterator[Due]:
    for offset in run.timing.offsets:
        found = _upcoming(run, offset)
        ids = [m.id for m, _, _ in found]
        invitations = _invitations(run.db, ids, Invitation.response == response)
        agenda = _agenda(run.db, ids)
        for meeting, space, due in found:
            for invitation, contact in invitations.get(meeting.id, []):
                if invitation.invited_at >= due:
                    continue  # invited after this reminder's time: the invitation says it all
                context = meeting_context(run, meeting, space, agenda[meeting.id])
                context["rsvp"] = rsvp_links(run, invitation.id, page_only=response == cal.ACCEPTED)
                context["offset"] = str(offset)
                yield Due(
                    key=f"{rule}:{invitation.id}:{_stamp(meeting.starts_at)}:{offset.slug}",
                    recipient=contact_recipient(contact),
                    template=template,
                    context=context,
                    due_at=due,
                    expires_at=meeting.starts_at,
                    meeting_id=meeting.id,
                    space_id=space.id,
                )


def collect_unanswered(run: RuleRun) -> Iterator[Due]:
    """J-7 (by default): invitees who have not answered."""
    return _before_meeting(run, UNANSWERED, cal.PENDING, "emails/reminder_unanswered")


def collect_accepted(run: RuleRun) -> Iterator[Due]:
    """J-1 (by default): invitees who accepted – place, online link, agenda."""
    return _before_meeting(run, ACCEPTED, cal.ACCEPTED, "emails/reminder_accepted")


# ------------------------------------------------------------------------------ after a meeting


def _animators(db: Session, space_ids: Iterable[int]) -> dict[int, list[Contact]]:
    """The spaces' animators with one plain, valid address."""
    return {
        space_id: [c for c in contacts if _reachable(c)]
        for space_id, contacts in space_animators(db, space_ids).items()
    }


def collect_minutes_missing(run: RuleRun) -> Iterator[Due]:
    """J+3 and J+7 (by default) after a held meeting without minutes: the space's animators."""

    def ended_without_minutes(lo: datetime, hi: datetime) -> Iterable[tuple[Meeting, Space]]:
        stmt = (
            select(Meeting, Space)
            .join(Space, Space.id == Meeting.space_id)
            .outerjoin(Minutes, Minutes.meeting_id == Meeting.id)
            .where(
                Meeting.ends_at >= lo,
                Meeting.ends_at < hi,
                Meeting.status == cal.SCHEDULED,
                Meeting.reminders_enabled.is_(True),
                (Minutes.id.is_(None)) | (Minutes.body == ""),
            )
        )
        return run.db.execute(stmt)

    for offset in run.timing.offsets:
        found = [
            (meeting, space, due)
            for (meeting, space), due in run.rows_due_at(
                offset, ended_without_minutes, lambda row: row[0].ends_at
            )
            if due > meeting.ends_at
        ]
        animators = _animators(run.db, {s.id for _, s, _ in found})
        for meeting, space, due in found:
            for contact in animators[space.id]:
                context = meeting_context(run, meeting, space)
                context["days"] = (paris_date(due) - paris_date(meeting.ends_at)).days
                yield Due(
                    key=f"{MINUTES_MISSING}:{meeting.id}:{contact.id}:{offset.slug}",
                    recipient=contact_recipient(contact),
                    template="emails/minutes_missing",
                    context=context,
                    due_at=due,
                    expires_at=due + LATE_GRACE,
                    meeting_id=meeting.id,
                    space_id=space.id,
                )


def collect_overdue_actions(run: RuleRun) -> Iterator[Due]:
    """J+1 (by default) after an open action item's due date: its owner."""

    def open_items_due(first: date, last: date) -> Iterable[tuple[ActionItem, Contact, Meeting, Space]]:
        stmt = (
            select(ActionItem, Contact, Meeting, Space)
            .join(Contact, Contact.id == ActionItem.owner_contact_id)
            .join(Meeting, Meeting.id == ActionItem.meeting_id)
            .join(Space, Space.id == ActionItem.space_id)
            .where(ActionItem.status == cal.OPEN, and_(ActionItem.due_on >= first, ActionItem.due_on <= last))
        )
        return run.db.execute(stmt)

    for offset in run.timing.offsets:
        for row, due in run.rows_due_on(offset, open_items_due, lambda row: row[0].due_on):
            item, contact, meeting, space = row
            if item.due_on is None or not _reachable(contact):
                continue
            context = meeting_context(run, meeting, space)
            context["action"] = {"id": item.id, "title": item.title, "due_on": item.due_on}
            yield Due(
                key=f"{ACTION_OVERDUE}:{item.id}:{item.due_on.isoformat()}:{offset.slug}",
                recipient=contact_recipient(contact),
                template="emails/action_item_overdue",
                context=context,
                due_at=due,
                expires_at=due + LATE_GRACE,
                space_id=space.id,
            )


# ------------------------------------------------------------------------------ digest


def collect_digests(run: RuleRun) -> Iterator[Due]:
    """At each digest instant (every day, and Mondays for weekly digests), fold each account's
    held reminders into one email. The folded rows become ``digested`` in the same transaction."""
    db = run.db
    for day in run.due_dates():
        instant = paris_to_utc(day, run.timing.send_time)
        modes = [DIGEST_DAILY] + ([DIGEST_WEEKLY] if day.weekday() == 0 else [])
        users = select(ReminderUserSettings.user_id).where(ReminderUserSettings.digest.in_(modes))
        rows = db.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == HELD,
                OutboxMessage.recipient_user_id.in_(users),
                OutboxMessage.due_at <= instant,
            )
            .order_by(OutboxMessage.recipient_user_id, OutboxMessage.due_at, OutboxMessage.id)
        ).all()
        by_user: dict[int, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            if row.expires_at is None or row.expires_at > instant:
                by_user[row.recipient_user_id or 0].append(row)
        for user_id, items in by_user.items():
            weekly = day.weekday() == 0 and _mode(db, user_id) == DIGEST_WEEKLY
            year, week, _ = day.isocalendar()
            period = f"{year}-W{week:02d}" if weekly else day.isoformat()
            key = f"{DIGEST}:{user_id}:{period}"
            for item in items:
                item.status = DIGESTED
                item.digest_key = key
                item.updated_at = run.now
            first = items[0]
            yield Due(
                key=key,
                recipient=Recipient(
                    email=first.recipient_email,
                    name=first.recipient_name,
                    language=first.language,
                    user_id=user_id,
                ),
                template="emails/digest",
                context={"weekly": weekly, "day": day, "count": len(items)},
                due_at=instant,
            )
        db.flush()


def _mode(db: Session, user_id: int) -> str:
    row = db.get(ReminderUserSettings, user_id)
    return row.digest if row is not None else ""


# ------------------------------------------------------------------------------ declarations


def core_rules() -> list[ReminderRule]:
    """The core's rules, in the order admins see them."""
    return [
        ReminderRule(
            INVITATION,
            _l("Invitation à une réunion"),
            collect_invitations,
            description=_l(
                "Envoyée dès qu'une personne est invitée, avec l'invitation de calendrier "
                "et les liens de réponse."
            ),
            audience=_l("Chaque personne invitée"),
            opt_out_allowed=False,
        ),
        ReminderRule(
            MEETING_UPDATE,
            _l("Réunion modifiée"),
            collect_updates,
            description=_l(
                "Envoyée quand la date, l'heure ou le lieu d'une réunion change ; "
                "l'agenda des invités est mis à jour."
            ),
            audience=_l("Les invités qui n'ont pas décliné"),
            opt_out_allowed=False,
        ),
        ReminderRule(
            MEETING_CANCELLED,
            _l("Réunion annulée"),
            collect_cancellations,
            description=_l("Envoyée quand une réunion est annulée ; elle disparaît de l'agenda des invités."),
            audience=_l("Les invités qui n'ont pas décliné"),
            opt_out_allowed=False,
        ),
        ReminderRule(
            UNANSWERED,
            _l("Relance des invités sans réponse"),
            collect_unanswered,
            description=_l("Rappelle l'invitation aux personnes qui n'ont pas encore répondu."),
            audience=_l("Les invités sans réponse"),
            default_timing=Timing.of("J-7"),
        ),
        ReminderRule(
            ACCEPTED,
            _l("Rappel de la réunion"),
            collect_accepted,
            description=_l("Rappelle la date, le lieu, le lien de visioconférence et l'ordre du jour."),
            audience=_l("Les invités qui ont accepté"),
            default_timing=Timing.of("J-1"),
        ),
        ReminderRule(
            MINUTES_MISSING,
            _l("Compte rendu manquant"),
            collect_minutes_missing,
            description=_l("Rappelle d'écrire le compte rendu d'une réunion qui n'en a pas encore."),
            audience=_l("Les animateurs de l'espace"),
            default_timing=Timing.of("J+3", "J+7"),
        ),
        ReminderRule(
            ACTION_OVERDUE,
            _l("Action en retard"),
            collect_overdue_actions,
            description=_l("Signale une action décidée en réunion dont l'échéance est dépassée."),
            audience=_l("La personne responsable de l'action"),
            default_timing=Timing.of("J+1"),
        ),
        ReminderRule(
            DIGEST,
            _l("Récapitulatif"),
            collect_digests,
            description=_l(
                "Regroupe les rappels des personnes qui ont choisi un récapitulatif "
                "quotidien ou hebdomadaire (le lundi)."
            ),
            audience=_l("Les personnes qui ont choisi un récapitulatif"),
            default_timing=Timing.of(at="07:30"),
            opt_out_allowed=False,
        ),
    ]
