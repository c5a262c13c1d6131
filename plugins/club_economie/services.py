"""Applications to the club: submit, detect duplicates, ask for more, answer, accept, decline.

Plain functions over a Session (no Starlette import), in the caller's transaction: a failure
leaves nothing half-written. Every step writes an entry in the core audit log (without the
applicant's personal data: the log is never erased) and the emails go through the core outbox.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.directory import services as directory
from core.directory.models import Contact, Organisation
from core.directory.normalise import name_key
from core.i18n import PARIS
from core.i18n import gettext as _
from core.reminders.outbox import enqueue
from core.reminders.rules import Due
from core.spaces import services as spaces
from core.spaces.models import MEMBER, Space
from plugins.club_economie.models import Application, Member, MembershipYear
from plugins.club_economie.vocab import (
    ACCEPTED,
    DECLINED,
    DECLINED_RETENTION,
    INFO_REQUESTED,
    NEW,
    PENDING,
    RATE_LIMIT,
    RATE_WINDOW,
    SPACE_KIND,
)

if TYPE_CHECKING:
    from core.accounts.models import User

#: how alike two folded names must be to be flagged (difflib ratio)
SIMILARITY = 0.85
#: fields of an application given by the form
APPLICATION_FIELDS = (
    "name",
    "siret",
    "legal_form",
    "naf_code",
    "activity",
    "size_band",
    "address",
    "postcode",
    "city",
    "in_priority_area",
    "first_name",
    "last_name",
    "function",
    "email",
    "phone",
    "contribution",
    "expectations",
)


class ApplicationError(ValueError):
    """A refusal in French, tied to a form field when ``field`` is given."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# ------------------------------------------------------------------------------------ space


def club_space(db: Session) -> Space | None:
    """The club's space: the first open space of the club's kind."""
    return db.scalar(
        select(Space).where(Space.kind == SPACE_KIND, Space.closed_at.is_(None)).order_by(Space.id).limit(1)
    )


def get_application(db: Session, application_id: int) -> Application | None:
    """An application by id."""
    return db.get(Application, application_id)


def _summary(application: Application) -> str:
    # the audit log is never erased: it names the application, never the person
    return _("Candidature n° %(id)s", id=application.id)


# ----------------------------------------------------------------------------------- submit


def ip_hash(secret: str, ip: str | None) -> str:
    """A keyed hash of the client address (the address itself is never stored)."""
    if not ip:
        return ""
    return hmac.new(secret.encode(), ip.encode(), hashlib.sha256).hexdigest()


def rate_limited(db: Session, address_hash: str, now: datetime) -> bool:
    """Whether this address already sent :data:`RATE_LIMIT` applications within the window."""
    if not address_hash:
        return False
    count = db.scalar(
        select(func.count(Application.id)).where(
            Application.ip_hash == address_hash, Application.created_at > now - RATE_WINDOW
        )
    )
    return int(count or 0) >= RATE_LIMIT


def pending_with_siret(db: Session, siret: str, *, exclude_id: int | None = None) -> Application | None:
    """A pending application with this SIRET, if any."""
    if not siret:
        return None
    stmt = select(Application).where(Application.siret == siret, Application.status.in_(PENDING))
    if exclude_id is not None:
        stmt = stmt.where(Application.id != exclude_id)
    return db.scalar(stmt.order_by(Application.id).limit(1))


def submit(
    db: Session,
    space: Space,
    values: dict[str, Any],
    *,
    now: datetime,
    address_hash: str,
    received: Callable[[Application], Due],
) -> Application:
    """Store a new application from cleaned ``values`` and queue its acknowledgement.

    Refused (:class:`ApplicationError`): too many applications from this address, or another
    application with the same SIRET still pending.
    """
    if rate_limited(db, address_hash, now):
        raise ApplicationError(
            _(
                "Trop de candidatures ont été envoyées depuis votre connexion en peu de temps. "
                "Réessayez dans une heure ; votre saisie est conservée ci-dessous."
            ),
            status=429,
        )
    earlier = pending_with_siret(db, values.get("siret", ""))
    if earlier is not None:
        raise _already_pending(earlier)
    application = Application(
        space_id=space.id,
        status=NEW,
        **{k: values[k] for k in APPLICATION_FIELDS},
        name_key=name_key(values["name"])[:200],
        consent_at=now,
        ip_hash=address_hash,
        created_at=now,
        updated_at=now,
        waiting_since=now,
    )
    try:
        # the partial unique index settles two simultaneous submissions (PostgreSQL does not
        # serialise them as SQLite does): the second one gets the same answer as above
        with db.begin_nested():
            db.add(application)
            db.flush()
    except IntegrityError:
        earlier = pending_with_siret(db, values.get("siret", ""))
        if earlier is None:
            raise
        raise _already_pending(earlier) from None
    audit.record(db, None, "club_economie.application.submitted", application, summary=_summary(application))
    enqueue(db, received(application), rule="club_economie.received", now=now)
    return application


def _already_pending(earlier: Application) -> ApplicationError:
    return ApplicationError(
        _(
            "Une candidature pour ce SIRET a déjà été déposée le %(day)s et elle est en cours "
            "d'examen : inutile d'en envoyer une deuxième. Les animateurs du club vous répondront "
            "par courriel ; pour la compléter, répondez au courriel d'accusé de réception.",
            day=earlier.created_at.astimezone(PARIS).strftime("%d/%m/%Y"),
        ),
        "siret",
        status=409,
    )


# ------------------------------------------------------------------------------- duplicates


@dataclass
class Duplicates:
    """What an application may duplicate, and why."""

    applications: list[tuple[Application, list[str]]] = field(default_factory=list)
    organisations: list[tuple[Organisation, list[str]]] = field(default_factory=list)
    contacts: list[tuple[Contact, list[str]]] = field(default_factory=list)
    members: list[tuple[Member, list[str]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.applications or self.organisations or self.contacts or self.members)


def similar(a: str, b: str) -> bool:
    """Whether two folded names are the same or close (a typo, a missing word)."""
    if not a or not b:
        return False
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= SIMILARITY


def _reasons(app: Application, *, siret: str = "", email: str = "", key: str = "") -> list[str]:
    reasons = []
    if app.siret and siret == app.siret:
        reasons.append(_("même SIRET"))
    if app.email and email and email.lower() == app.email.lower():
        reasons.append(_("même adresse électronique"))
    if similar(app.name_key, key):
        reasons.append(_("nom semblable"))
    return reasons


def find_duplicates(db: Session, application: Application) -> Duplicates:
    """Pending applications, club members, organisations and contacts of the directory that may
    be the same company or person: same SIRET, same email, or a similar name."""
    found = Duplicates()
    key = application.name_key
    pending = db.scalars(
        select(Application).where(
            Application.status.in_(PENDING),
            Application.id != application.id,
            Application.space_id == application.space_id,
        )
    )
    for other in pending:
        reasons = _reasons(application, siret=other.siret, email=other.email, key=other.name_key)
        if reasons:
            found.applications.append((other, reasons))
    if application.siret:
        for member in db.scalars(select(Member).where(Member.siret == application.siret)):
            found.members.append((member, [_("même SIRET")]))
    first_word = key.split(" ")[0] if key else ""
    conditions = [Organisation.name_key == key]
    if len(first_word) >= 3:
        conditions.append(Organisation.name_key.like(f"{first_word}%"))
    for org in db.scalars(
        select(Organisation).where(or_(*conditions)).order_by(Organisation.name_key).limit(50)
    ):
        if similar(org.name_key, key):
            found.organisations.append((org, [_("nom semblable")]))
    for contact in db.scalars(
        select(Contact).where(Contact.email == application.email.lower(), Contact.anonymised_at.is_(None))
    ):
        found.contacts.append((contact, [_("même adresse électronique")]))
    return found


# ------------------------------------------------------------------------------------ queue


def queue(db: Session, space_id: int, status: str | None) -> list[Application]:
    """Applications of the club in one status (all when ``None``), oldest waiting first."""
    stmt = select(Application).where(Application.space_id == space_id)
    if status is not None:
        stmt = stmt.where(Application.status == status)
    order = Application.created_at if status in (NEW, INFO_REQUESTED) else Application.created_at.desc()
    return list(db.scalars(stmt.order_by(order, Application.id)))


def status_counts(db: Session, space_id: int) -> dict[str, int]:
    """How many applications are in each status."""
    rows = db.execute(
        select(Application.status, func.count(Application.id))
        .where(Application.space_id == space_id)
        .group_by(Application.status)
    ).all()
    return {status: int(count) for status, count in rows}


def _require_pending(application: Application) -> None:
    if application.status not in PENDING:
        raise ApplicationError(_("Cette candidature a déjà été traitée : elle ne peut plus être modifiée."))


def _move(
    db: Session,
    actor: User | None,
    application: Application,
    status: str,
    event: str,
    *,
    now: datetime,
    was: str | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> None:
    """Move the application to ``status`` and audit it as ``club_economie.application.<event>``,
    from ``was`` (by default the status it had), with any other ``changes``."""
    was = was or application.status
    application.status = status
    application.updated_at = now
    db.flush()
    audit.record(
        db,
        actor,
        f"club_economie.application.{event}",
        application,
        summary=_summary(application),
        changes={"status": [was, status], **(changes or {})},
    )


def _message(text: str, field_name: str, required: str) -> str:
    text = directory.clean_text(text, multiline=True)
    if not text:
        raise ApplicationError(required, field_name)
    if len(text) > directory.TEXT_MAX:
        raise ApplicationError(
            _("Ce texte est trop long : %(max)s caractères au plus.", max=directory.TEXT_MAX), field_name
        )
    return text


def ask_for_information(
    db: Session,
    actor: User,
    application: Application,
    question: str,
    *,
    now: datetime,
    email: Callable[[Application], Due],
) -> None:
    """Ask the applicant for more information; they answer through a signed link."""
    _require_pending(application)
    application.info_question = _message(question, "question", _("Écrivez la question posée au candidat."))
    application.info_requests += 1
    application.info_requested_at = now
    application.info_answer = ""
    application.info_answered_at = None
    # audited as leaving NEW, as it always was (also for a second question)
    _move(db, actor, application, INFO_REQUESTED, "info_requested", now=now, was=NEW)
    enqueue(db, email(application), rule="club_economie.info_request", now=now)


def record_answer(
    db: Session, application: Application, request_number: int, answer: str, *, now: datetime
) -> bool:
    """Record the applicant's answer; ``False`` (nothing changes) when this request was already
    answered, superseded or the application decided: answering twice is harmless."""
    if application.status != INFO_REQUESTED or application.info_requests != request_number:
        return False
    application.info_answer = _message(answer, "answer", _("Écrivez votre réponse."))
    application.info_answered_at = now
    application.waiting_since = now
    _move(db, None, application, NEW, "answered", now=now)
    return True


def decline(
    db: Session,
    actor: User,
    application: Application,
    message: str,
    *,
    now: datetime,
    email: Callable[[Application], Due],
) -> None:
    """Decline with a message to the applicant (kept for the retention period, then anonymised)."""
    _require_pending(application)
    application.decision_message = _message(
        message, "message", _("Expliquez au candidat la raison du refus.")
    )
    application.decided_at = now
    application.decided_by_id = actor.id
    _move(db, actor, application, DECLINED, "declined", now=now)
    enqueue(db, email(application), rule="club_economie.declined", now=now)


def _organisation_values(application: Application) -> dict[str, Any]:
    return {
        "name": application.name,
        "kind": "entreprise",
        "address": application.address,
        "postcode": application.postcode,
        "city": application.city,
        "description": application.activity,
        "pillars": ["emploi_economie"],
    }


def _contact_values(application: Application) -> dict[str, Any]:
    return {
        "first_name": application.first_name,
        "last_name": application.last_name,
        "function": application.function,
        "email": application.email,
        "phone": application.phone,
        "consent_listed": False,
    }


def accept(
    db: Session,
    actor: User,
    application: Application,
    *,
    now: datetime,
    message: str = "",
    organisation_id: int | None = None,
    contact_id: int | None = None,
    email: Callable[[Application], Due],
) -> Member:
    """Accept: create or link the organisation and the contact in the core directory, make both
    members of the club space, open the membership year, queue the welcome email. One
    transaction: any failure leaves nothing behind."""
    _require_pending(application)
    space = db.get(Space, application.space_id)
    if space is None or space.closed_at is not None:
        raise ApplicationError(
            _("L'espace du club est fermé : rouvrez-le avant d'accepter des candidatures.")
        )
    if organisation_id is not None:
        organisation = db.get(Organisation, organisation_id)
        if organisation is None:
            raise ApplicationError(_("Cette organisation n'existe plus dans l'annuaire."), "organisation_id")
    else:
        organisation = directory.create_organisation(db, actor, _organisation_values(application))
    contact = db.get(Contact, contact_id) if contact_id is not None else None
    if contact_id is not None and (contact is None or contact.anonymised_at is not None):
        raise ApplicationError(_("Cette personne n'existe plus dans l'annuaire."), "contact_id")
    if contact is None:
        contact = db.scalar(
            select(Contact)
            .where(Contact.email == application.email.lower(), Contact.anonymised_at.is_(None))
            .order_by(Contact.id)
            .limit(1)
        ) or directory.create_contact(db, actor, _contact_values(application), now=now)
    directory.set_affiliation(db, actor, contact, organisation, application.function)
    roles = (MEMBER,)
    spaces.add_member(db, actor, space, MEMBER, roles, organisation_id=organisation.id)
    spaces.add_member(db, actor, space, MEMBER, roles, contact_id=contact.id)
    member = db.scalar(
        select(Member).where(Member.space_id == space.id, Member.organisation_id == organisation.id)
    )
    if member is None:
        member = Member(
            space_id=space.id, organisation_id=organisation.id, joined_on=now.astimezone(PARIS).date()
        )
        db.add(member)
    member.contact_id = contact.id
    member.application_id = application.id
    member.siret = application.siret
    member.naf_code = application.naf_code
    member.activity = application.activity
    member.size_band = application.size_band
    member.in_priority_area = application.in_priority_area
    member.presentation = member.presentation or application.contribution
    member.left_at = None
    member.updated_at = now
    db.flush()
    open_year(db, actor, member, now.astimezone(PARIS).year, now=now)
    application.decided_at = now
    application.decided_by_id = actor.id
    application.decision_message = directory.clean_text(message, multiline=True)[: directory.TEXT_MAX]
    application.organisation_id = organisation.id
    application.contact_id = contact.id
    _move(
        db,
        actor,
        application,
        ACCEPTED,
        "accepted",
        now=now,
        changes={"organisation_id": [None, organisation.id], "contact_id": [None, contact.id]},
    )
    enqueue(db, email(application), rule="club_economie.welcome", now=now)
    return member


def open_year(db: Session, actor: User | None, member: Member, year: int, *, now: datetime) -> bool:
    """Record a membership year (joining or renewing); ``False`` when it was already there."""
    if db.scalar(
        select(MembershipYear.id).where(MembershipYear.member_id == member.id, MembershipYear.year == year)
    ):
        return False
    db.add(
        MembershipYear(
            member_id=member.id, year=year, recorded_at=now, recorded_by_id=actor.id if actor else None
        )
    )
    db.flush()
    audit.record(
        db,
        actor,
        "club_economie.membership.renewed",
        member,
        summary=_("Adhésion %(year)s enregistrée", year=year),
        changes={"year": [None, year]},
    )
    return True


# --------------------------------------------------------------------------------- retention

#: personal fields blanked when a declined application is anonymised (the rest is statistics)
_ERASED_TEXT = (
    "name",
    "name_key",
    "address",
    "first_name",
    "last_name",
    "function",
    "email",
    "phone",
    "contribution",
    "expectations",
    "ip_hash",
    "info_question",
    "info_answer",
    "decision_message",
)


def anonymise_expired(db: Session, now: datetime) -> int:
    """Anonymise the declined applications decided longer ago than the retention period; return
    how many. The decision, its date, the activity and size stay (for the club's figures)."""
    expired = list(
        db.scalars(
            select(Application).where(
                Application.status == DECLINED,
                Application.anonymised_at.is_(None),
                Application.decided_at < now - DECLINED_RETENTION,
            )
        )
    )
    for application in expired:
        for name in _ERASED_TEXT:
            setattr(application, name, "")
        application.last_name = "—"
        application.siret = ""
        application.anonymised_at = now
        application.updated_at = now
        audit.record(
            db, None, "club_economie.application.anonymised", application, summary=_summary(application)
        )
    db.flush()
    return len(expired)


def paris_today(now: datetime) -> date:
    """Today's date in Paris."""
    return now.astimezone(PARIS).date()


def recent(db: Session, space_id: int, limit: int = 5) -> Sequence[Application]:
    """The newest pending applications (dashboard panel)."""
    return db.scalars(
        select(Application)
        .where(Application.space_id == space_id, Application.status.in_(PENDING))
        .order_by(Application.created_at.desc())
        .limit(limit)
    ).all()
