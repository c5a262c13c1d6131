"""Invitations to a meeting and the answers (RSVP) given to them.

Contacts are invited one by one, by organisation (the contacts affiliated to it, each
invitation remembering that organisation) or as all the members of the meeting's space (its
contacts and the contacts of its member organisations). A contact without an email address
cannot receive the invitation or answer it: they are reported, not invited. A contact already
invited is left as is. Answers are recorded by :func:`record_answer`, from the signed RSVP link
(:mod:`core.calendar.rsvp`) or by an animator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.audit import services as audit
from core.calendar.models import (
    ACCEPTED,
    CANCELLED,
    DECLINED,
    PENDING,
    TENTATIVE,
    Invitation,
    Meeting,
)
from core.directory.models import Affiliation, Contact, Organisation
from core.i18n import gettext as _
from core.spaces.models import SpaceMembership

if TYPE_CHECKING:
    from core.accounts.models import User

ANSWERS = (ACCEPTED, TENTATIVE, DECLINED)
RESPONSES = (*ANSWERS, PENDING)
MAX_COMMENT = 500


class InvitationError(ValueError):
    """An invitation change refused; ``str()`` is a French message."""


@dataclass
class InviteReport:
    """The outcome of an invitation request, for the animator to read."""

    invited: list[Contact] = field(default_factory=list)
    already: list[Contact] = field(default_factory=list)
    without_email: list[Contact] = field(default_factory=list)


def response_label(response: str) -> str:
    """The French label of an answer."""
    return {
        ACCEPTED: _("Participe"),
        TENTATIVE: _("Participera peut-être"),
        DECLINED: _("Ne participe pas"),
        PENDING: _("Sans réponse"),
    }.get(response, response)


def _usable(contact: Contact) -> bool:
    return contact.anonymised_at is None


def _invite(
    db: Session,
    actor: User | None,
    meeting: Meeting,
    wanted: list[tuple[int, int | None]],
    *,
    now: datetime,
    how: str,
) -> InviteReport:
    """Invite ``(contact_id, organisation_id)`` pairs (first pair of a contact wins)."""
    if meeting.status == CANCELLED:
        raise InvitationError(_("Cette réunion est annulée : on ne peut plus y inviter."))
    pairs: dict[int, int | None] = {}
    for contact_id, organisation_id in wanted:
        pairs.setdefault(contact_id, organisation_id)
    report = InviteReport()
    if not pairs:
        return report
    contacts = {c.id: c for c in db.scalars(select(Contact).where(Contact.id.in_(pairs))) if _usable(c)}
    existing = set(
        db.scalars(
            select(Invitation.contact_id).where(
                Invitation.meeting_id == meeting.id, Invitation.contact_id.in_(pairs)
            )
        )
    )
    for contact_id in pairs:
        contact = contacts.get(contact_id)
        if contact is None:
            continue
        if contact_id in existing:
            report.already.append(contact)
        elif not (contact.email or "").strip():
            report.without_email.append(contact)
        else:
            db.add(
                Invitation(
                    meeting_id=meeting.id,
                    contact_id=contact_id,
                    organisation_id=pairs[contact_id],
                    response=PENDING,
                    invited_at=now,
                    invited_by_id=actor.id if actor is not None else None,
                )
            )
            report.invited.append(contact)
    db.flush()
    if report.invited:
        audit.record(
            db,
            actor,
            "calendar.invitation.added",
            meeting,
            summary=_("%(n)s personne(s) invitée(s) (%(how)s)", n=len(report.invited), how=how),
            changes={"contact_ids": [None, [c.id for c in report.invited]]},
        )
    return report


def primary_organisations(db: Session, contact_ids: Iterable[int]) -> dict[int, int]:
    """Each contact's main organisation (the primary affiliation, else the oldest one)."""
    ids = list(contact_ids)
    if not ids:
        return {}
    rows = db.execute(
        select(Affiliation.contact_id, Affiliation.organisation_id)
        .where(Affiliation.contact_id.in_(ids))
        .order_by(Affiliation.contact_id, Affiliation.is_primary.desc(), Affiliation.id)
    ).all()
    result: dict[int, int] = {}
    for contact_id, organisation_id in rows:
        result.setdefault(contact_id, organisation_id)
    return result


def invite_contacts(
    db: Session, actor: User | None, meeting: Meeting, contact_ids: Iterable[int], *, now: datetime
) -> InviteReport:
    """Invite contacts, each on behalf of their main organisation."""
    ids = list(dict.fromkeys(contact_ids))
    orgs = primary_organisations(db, ids)
    return _invite(db, actor, meeting, [(c, orgs.get(c)) for c in ids], now=now, how=_("personnes"))


def organisation_contacts(db: Session, organisation_ids: Iterable[int]) -> list[tuple[int, int]]:
    """``(contact_id, organisation_id)`` for the contacts listed in these organisations."""
    ids = list(organisation_ids)
    if not ids:
        return []
    return [
        (c, o)
        for c, o in db.execute(
            select(Affiliation.contact_id, Affiliation.organisation_id)
            .join(Contact, Contact.id == Affiliation.contact_id)
            .where(Affiliation.organisation_id.in_(ids), Contact.anonymised_at.is_(None))
            .order_by(Affiliation.organisation_id, Contact.last_name, Contact.first_name, Contact.id)
        ).all()
    ]


def invite_organisations(
    db: Session, actor: User | None, meeting: Meeting, organisation_ids: Iterable[int], *, now: datetime
) -> InviteReport:
    """Invite every contact listed in these organisations, each representing that organisation."""
    pairs = organisation_contacts(db, organisation_ids)
    return _invite(db, actor, meeting, list(pairs), now=now, how=_("organisations"))


def invite_space_members(db: Session, actor: User | None, meeting: Meeting, *, now: datetime) -> InviteReport:
    """Invite the members of the meeting's space (every role): its contacts, on behalf of their
    main organisation, and the contacts of its member organisations."""
    rows = db.execute(
        select(SpaceMembership.contact_id, SpaceMembership.organisation_id)
        .where(SpaceMembership.space_id == meeting.space_id)
        .order_by(SpaceMembership.id)
    ).all()
    contact_ids = list(dict.fromkeys(c for c, _o in rows if c is not None))
    org_ids = list(dict.fromkeys(o for _c, o in rows if o is not None))
    primary = primary_organisations(db, contact_ids)
    pairs = [(c, primary.get(c)) for c in contact_ids] + organisation_contacts(db, org_ids)
    return _invite(db, actor, meeting, pairs, now=now, how=_("membres de l'espace"))


def remove_invitation(db: Session, actor: User | None, invitation: Invitation) -> None:
    """Withdraw an invitation (the audit log keeps who was invited and what they had answered)."""
    audit.record(
        db,
        actor,
        "calendar.invitation.removed",
        invitation,
        summary=_("Invitation retirée"),
        changes={
            "meeting_id": [invitation.meeting_id, None],
            "contact_id": [invitation.contact_id, None],
            "response": [invitation.response, None],
        },
    )
    db.delete(invitation)
    db.flush()


def record_answer(
    db: Session,
    actor: User | None,
    invitation: Invitation,
    answer: str,
    *,
    now: datetime,
    comment: str | None = None,
    via: str = "link",
) -> bool:
    """Record an answer; ``False`` when nothing changed (answering the same twice is harmless).

    ``comment`` ``None`` keeps the current comment. ``via`` says where the answer came from
    (``link`` for the signed link, ``animator`` when an animator enters it).
    """
    if answer not in RESPONSES or (answer == PENDING and via == "link"):
        raise InvitationError(_("Cette réponse n'est pas possible."))
    comment = invitation.comment if comment is None else " ".join(comment.split())
    if len(comment) > MAX_COMMENT:
        raise InvitationError(_("Le commentaire ne doit pas dépasser %(n)s caractères.", n=MAX_COMMENT))
    if invitation.response == answer and invitation.comment == comment:
        return False
    changes = audit.diff(invitation, {"response": answer, "comment": comment})
    invitation.response = answer
    invitation.comment = comment
    invitation.responded_at = now if answer != PENDING else None
    db.flush()
    audit.record(
        db,
        actor,
        "calendar.invitation.answered",
        invitation,
        summary=_("Réponse enregistrée : %(answer)s", answer=response_label(answer))
        + (" " + _("(par un lien de réponse)") if via == "link" else ""),
        changes={k: v for k, v in changes.items() if k == "response"},
    )
    return True


# --------------------------------------------------------------------------------- summary


@dataclass
class OrganisationAnswers:
    """The answers of the invitees representing one organisation."""

    organisation: Organisation | None
    invitations: list[Invitation] = field(default_factory=list)

    def count(self, response: str) -> int:
        """How many of its invitees gave ``response``."""
        return sum(1 for i in self.invitations if i.response == response)

    @property
    def represented(self) -> bool:
        """At least one of its invitees accepted."""
        return self.count(ACCEPTED) > 0

    @property
    def is_signatory(self) -> bool:
        """The organisation signed the contract."""
        return bool(self.organisation and self.organisation.is_signatory)


@dataclass
class InvitationSummary:
    """Every invitation of a meeting (contact and organisation loaded), grouped by organisation."""

    invitations: Sequence[Invitation]
    groups: list[OrganisationAnswers]

    def count(self, response: str) -> int:
        """How many invitees gave ``response``."""
        return sum(1 for i in self.invitations if i.response == response)

    @property
    def signatories(self) -> list[OrganisationAnswers]:
        """The signatory organisations invited, and whether each is represented."""
        return [g for g in self.groups if g.is_signatory]

    def counts(self) -> dict[str, int]:
        """``{response: count}`` for every response, pending included."""
        return {r: self.count(r) for r in RESPONSES}


def invitation_summary(db: Session, meeting_id: int) -> InvitationSummary:
    """The invitations of a meeting, by organisation (name order; people without one last)."""
    invitations = db.scalars(
        select(Invitation)
        .where(Invitation.meeting_id == meeting_id)
        .options(selectinload(Invitation.contact), selectinload(Invitation.organisation))
    ).all()
    invitations = sorted(
        invitations,
        key=lambda i: (
            i.organisation is None,
            (i.organisation.name_key if i.organisation else ""),
            i.contact.last_name.casefold(),
            i.contact.first_name.casefold(),
            i.id,
        ),
    )
    groups: dict[int | None, OrganisationAnswers] = {}
    for invitation in invitations:
        group = groups.setdefault(invitation.organisation_id, OrganisationAnswers(invitation.organisation))
        group.invitations.append(invitation)
    return InvitationSummary(invitations=invitations, groups=list(groups.values()))


def invitation_for_contact(db: Session, meeting_id: int, contact_id: int | None) -> Invitation | None:
    """The invitation of a contact to a meeting, if any."""
    if contact_id is None:
        return None
    return db.scalar(
        select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.contact_id == contact_id)
    )
