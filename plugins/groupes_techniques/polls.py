"""Date finding: an animator proposes several dates to the members of a group; each answers
yes / if need be / no per date through a signed link; the tally is read per person and per
organisation; the chosen date becomes a core meeting whose invitations the core sends.

Signed links carry the participant id under the salt ``groupes_techniques.poll`` (no other
signed link of the hub can be replayed here) and expire after :data:`MAX_AGE`. Answering twice
replaces the earlier answers: the link is harmless to reuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.calendar import invitations
from core.calendar import services as calendar
from core.calendar.models import Meeting
from core.directory.models import Contact, Organisation
from core.i18n import gettext as _
from core.reminders.outbox import enqueue
from core.reminders.rules import Due, Recipient
from core.spaces.models import Space, SpaceMembership
from plugins.groupes_techniques.models import Poll, PollAnswer, PollOption, PollParticipant
from plugins.groupes_techniques.vocab import ANSWERS, IF_NEED_BE, NO, POLL_RULE, YES

if TYPE_CHECKING:
    from core.accounts.models import User

SALT = "groupes_techniques.poll"
MAX_AGE = timedelta(days=180)
MIN_OPTIONS = 2
MAX_OPTIONS = 8
TITLE_MAX = 200


class PollError(ValueError):
    """A poll change refused: a French ``message``, the form ``field`` concerned, an HTTP ``status``."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# ------------------------------------------------------------------------------ signed links


def make_token(secret: str, participant_id: int) -> str:
    """The signed token of one participant's answer page."""
    return URLSafeTimedSerializer(secret, salt=SALT).dumps({"p": int(participant_id)})


def read_token(db: Session, secret: str, token: str, *, now: datetime) -> PollParticipant:
    """The participant a token names, or :class:`PollError` (bad link 400, expired or gone 410)."""
    try:
        payload, signed_at = URLSafeTimedSerializer(secret, salt=SALT).loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise PollError(
            _(
                "Ce lien n'est pas valide : il a peut-être été coupé. "
                "Utilisez le lien complet reçu par courriel."
            )
        ) from exc
    if now.astimezone(UTC) - signed_at > MAX_AGE:
        raise PollError(_("Ce lien a expiré."), status=410)
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int):
        raise PollError(_("Ce lien n'est pas valide."))
    participant = db.get(PollParticipant, payload["p"])
    if participant is None:
        raise PollError(_("Ce sondage n'existe plus."), status=410)
    return participant


# ----------------------------------------------------------------------------------- create


@dataclass(frozen=True)
class PollValues:
    """What an animator gives: the meeting's title, place, message, duration and the dates."""

    title: str
    starts: tuple[datetime, ...]
    duration_minutes: int = 120
    location: str = ""
    message: str = ""


def _participants(db: Session, space_id: int) -> list[tuple[int, int | None]]:
    """``(contact_id, organisation_id)`` of every member of the space, as the core invites them."""
    rows = db.execute(
        select(SpaceMembership.contact_id, SpaceMembership.organisation_id)
        .where(SpaceMembership.space_id == space_id)
        .order_by(SpaceMembership.id)
    ).all()
    contact_ids = list(dict.fromkeys(c for c, _o in rows if c is not None))
    org_ids = list(dict.fromkeys(o for _c, o in rows if o is not None))
    primary = invitations.primary_organisations(db, contact_ids)
    pairs: dict[int, int | None] = {}
    for contact_id, organisation_id in [(c, primary.get(c)) for c in contact_ids] + list(
        invitations.organisation_contacts(db, org_ids)
    ):
        pairs.setdefault(contact_id, organisation_id)
    return list(pairs.items())


def create_poll(
    db: Session,
    actor: User | None,
    space: Space,
    values: PollValues,
    *,
    now: datetime,
    secret: str,
    answer_url: str,
) -> tuple[Poll, int]:
    """Create a poll, ask every member of the group (contacts with an address), and queue one
    email each with their signed link (``answer_url`` ends with the token's place: ``…/``).
    Returns the poll and how many members could not be asked (no address)."""
    title = " ".join(values.title.split())
    if not title:
        raise PollError(_("Ce champ est obligatoire."), "title")
    if len(title) > TITLE_MAX:
        raise PollError(_("Le titre ne doit pas dépasser %(n)s caractères.", n=TITLE_MAX), "title")
    if not 15 <= values.duration_minutes <= 12 * 60:
        raise PollError(_("Indiquez une durée entre 15 minutes et 12 heures."), "duration_minutes")
    starts = sorted(set(values.starts))
    if len(starts) < MIN_OPTIONS:
        raise PollError(_("Proposez au moins %(n)s dates différentes.", n=MIN_OPTIONS), "options")
    if len(starts) > MAX_OPTIONS:
        raise PollError(_("Proposez au plus %(n)s dates.", n=MAX_OPTIONS), "options")
    if starts[0] <= now:
        raise PollError(_("Les dates proposées doivent être à venir."), "options")
    if space.closed_at is not None:
        raise PollError(_("Ce groupe est fermé."))
    poll = Poll(
        space_id=space.id,
        title=title,
        location=values.location.strip(),
        message=values.message.strip(),
        duration_minutes=values.duration_minutes,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    db.add(poll)
    db.flush()
    options = [PollOption(poll_id=poll.id, starts_at=s) for s in starts]
    db.add_all(options)
    pairs = _participants(db, space.id)
    contacts = {c.id: c for c in db.scalars(select(Contact).where(Contact.id.in_([c for c, _o in pairs])))}
    without_email = 0
    for contact_id, organisation_id in pairs:
        contact = contacts.get(contact_id)
        if contact is None or contact.anonymised_at is not None:
            continue
        email = (contact.email or "").strip()
        if not email:
            without_email += 1
            continue
        participant = PollParticipant(
            poll_id=poll.id, contact_id=contact.id, organisation_id=organisation_id, invited_at=now
        )
        db.add(participant)
        db.flush()
        enqueue(
            db,
            Due(
                key=f"{POLL_RULE}:{poll.id}:{participant.id}",
                recipient=Recipient(email=email, name=contact.full_name, contact_id=contact.id),
                template="groupes_techniques/emails/poll",
                context={
                    "group": space.name,
                    "title": poll.title,
                    "message": poll.message,
                    "location": poll.location,
                    "options": starts,
                    "answer_url": answer_url + make_token(secret, participant.id),
                    "from_name": actor.display_name if actor is not None else "",
                },
                due_at=now,
                space_id=space.id,
            ),
            rule=POLL_RULE,
            now=now,
        )
    audit.record(
        db,
        actor,
        "groupes_techniques.poll.created",
        space,
        summary=_("Sondage de dates : %(t)s", t=poll.title),
    )
    return poll, without_email


# ----------------------------------------------------------------------------------- answer


def options_of(db: Session, poll_id: int) -> list[PollOption]:
    """The proposed dates, earliest first."""
    return list(
        db.scalars(select(PollOption).where(PollOption.poll_id == poll_id).order_by(PollOption.starts_at))
    )


def answers_of(db: Session, participant_id: int) -> dict[int, str]:
    """A participant's answers, by option id."""
    rows = db.execute(
        select(PollAnswer.option_id, PollAnswer.answer).where(PollAnswer.participant_id == participant_id)
    ).all()
    return {o: a for o, a in rows}


def record_answers(
    db: Session, participant: PollParticipant, answers: dict[int, str], *, now: datetime
) -> None:
    """Store a participant's answers (every date answered), replacing earlier ones."""
    poll = db.get(Poll, participant.poll_id)
    if poll is None or poll.closed_at is not None:
        raise PollError(_("Ce sondage est clos : la date de la réunion est déjà fixée."), status=410)
    option_ids = {o.id for o in options_of(db, poll.id)}
    if set(answers) != option_ids or any(a not in ANSWERS for a in answers.values()):
        raise PollError(_("Répondez pour chaque date proposée : oui, si besoin ou non."), "answers")
    db.execute(delete(PollAnswer).where(PollAnswer.participant_id == participant.id))
    db.add_all(
        PollAnswer(
            participant_id=participant.id,
            contact_id=participant.contact_id,
            option_id=o,
            answer=a,
            answered_at=now,
        )
        for o, a in answers.items()
    )
    participant.responded_at = now
    db.flush()


# ------------------------------------------------------------------------------------ tally


@dataclass
class PersonRow:
    """One participant and their answer per option (``""`` when not answered)."""

    name: str
    organisation: str
    answers: list[str]


@dataclass
class OptionTally:
    """The count of answers for one date, and the organisations that can come."""

    option: PollOption
    yes: int = 0
    maybe: int = 0
    no: int = 0
    organisations_yes: list[str] = field(default_factory=list)
    organisations_maybe: list[str] = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int, int]:
        """Ranks dates: organisations that can come, then people who can, then "if need be"."""
        return (len(self.organisations_yes) + len(self.organisations_maybe), self.yes, self.maybe)


@dataclass
class Tally:
    """The answers read per person, per organisation and per date."""

    options: list[OptionTally]
    people: list[PersonRow]
    organisations: list[tuple[str, list[str]]]
    asked: int
    answered: int

    @property
    def best(self) -> OptionTally | None:
        """The date that suits the most (``None`` before any answer)."""
        ranked = [t for t in self.options if t.yes or t.maybe]
        return max(ranked, key=lambda t: t.score) if ranked else None


_RANK = {YES: 3, IF_NEED_BE: 2, NO: 1, "": 0}


def tally(db: Session, poll: Poll) -> Tally:
    """Count the answers of a poll."""
    options = options_of(db, poll.id)
    index = {o.id: i for i, o in enumerate(options)}
    participants = db.execute(
        select(PollParticipant, Contact, Organisation)
        .join(Contact, Contact.id == PollParticipant.contact_id)
        .outerjoin(Organisation, Organisation.id == PollParticipant.organisation_id)
        .where(PollParticipant.poll_id == poll.id)
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    ).all()
    answers = db.execute(
        select(PollAnswer.participant_id, PollAnswer.option_id, PollAnswer.answer)
        .join(PollParticipant, PollParticipant.id == PollAnswer.participant_id)
        .where(PollParticipant.poll_id == poll.id)
    ).all()
    by_participant: dict[int, list[str]] = {p.id: [""] * len(options) for p, _c, _o in participants}
    for participant_id, option_id, answer in answers:
        if option_id in index and participant_id in by_participant:
            by_participant[participant_id][index[option_id]] = answer
    totals = [OptionTally(o) for o in options]
    people = []
    org_best: dict[str, list[str]] = {}
    for participant, contact, organisation in participants:
        row = by_participant[participant.id]
        org_name = organisation.name if organisation is not None else _("Sans organisation")
        people.append(
            PersonRow(contact.full_name, organisation.name if organisation is not None else "", row)
        )
        best = org_best.setdefault(org_name, [""] * len(options))
        for i, answer in enumerate(row):
            if answer == YES:
                totals[i].yes += 1
            elif answer == IF_NEED_BE:
                totals[i].maybe += 1
            elif answer == NO:
                totals[i].no += 1
            if _RANK[answer] > _RANK[best[i]]:
                best[i] = answer
    for name, best in org_best.items():
        for i, answer in enumerate(best):
            if answer == YES:
                totals[i].organisations_yes.append(name)
            elif answer == IF_NEED_BE:
                totals[i].organisations_maybe.append(name)
    organisations = sorted(org_best.items(), key=lambda item: item[0].casefold())
    answered = sum(1 for p, _c, _o in participants if p.responded_at is not None)
    return Tally(totals, people, organisations, len(participants), answered)


# ----------------------------------------------------------------------------------- choose


def choose(
    db: Session, actor: User | None, poll: Poll, option_id: int, *, now: datetime, kinds: Sequence[str]
) -> Meeting:
    """Turn a proposed date into a core meeting of the group and invite everyone asked (the
    core's invitation rule sends the invitations); the poll is closed."""
    if poll.closed_at is not None:
        raise PollError(_("Ce sondage est déjà clos."), status=409)
    option = db.get(PollOption, option_id)
    if option is None or option.poll_id != poll.id:
        raise PollError(_("Choisissez une des dates proposées."), "option")
    data = calendar.MeetingInput(
        space_id=poll.space_id,
        title=poll.title,
        starts_at=option.starts_at,
        ends_at=option.starts_at + timedelta(minutes=poll.duration_minutes),
        description=poll.message,
        location=poll.location,
    )
    try:
        meeting = calendar.create_meeting(db, actor, data, now=now, kinds=kinds)
    except calendar.MeetingValidationError as exc:
        raise PollError(str(exc), "option") from exc
    contact_ids = list(
        db.scalars(select(PollParticipant.contact_id).where(PollParticipant.poll_id == poll.id))
    )
    invitations.invite_contacts(db, actor, meeting, contact_ids, now=now)
    poll.closed_at = now
    poll.meeting_id = meeting.id
    db.flush()
    return meeting


def polls_of(db: Session, space_id: int) -> list[Poll]:
    """A group's polls, latest first."""
    return list(
        db.scalars(
            select(Poll).where(Poll.space_id == space_id).order_by(Poll.created_at.desc(), Poll.id.desc())
        )
    )
