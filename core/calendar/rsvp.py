"""Signed RSVP links: an invitee answers without signing in.

The link carries the invitation id (and optionally the answer the email button suggested),
signed with the app secret by itsdangerous under the salt ``rsvp`` – no other signed link of
the hub can be replayed here. It stops working when the meeting has ended (checked against the
meeting's *current* end, so a rescheduled meeting keeps working links), and after
:data:`MAX_AGE` in any case. Opening it (GET) only shows a confirmation page, because mail
scanners prefetch links; the buttons POST the answer, and answering twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.calendar.invitations import ANSWERS
from core.calendar.models import Invitation, Meeting
from core.i18n import gettext as _

if TYPE_CHECKING:
    from core.config import Settings

SALT = "rsvp"
#: a backstop: no RSVP link lives longer than this, whatever the meeting's date
MAX_AGE = timedelta(days=730)
#: the path of the RSVP page under the base URL (the ``calendar:rsvp`` route)
PATH = "/agenda/reponse/"


class RsvpLinkError(Exception):
    """A link that cannot be used: ``status`` for the page, ``message`` in French."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _ClockSigner(TimestampSigner):
    """A timestamp signer that reads the time from a given instant (the app's clock)."""

    def __init__(self, *args: Any, stamp: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stamp = stamp

    def get_timestamp(self) -> int:
        return self.stamp


def _serializer(secret: str, now: datetime | None) -> URLSafeTimedSerializer:
    """A serializer whose clock is ``now`` (the app's clock) when given, else the system's."""
    if now is None:
        return URLSafeTimedSerializer(secret, salt=SALT)
    return URLSafeTimedSerializer(
        secret, salt=SALT, signer=_ClockSigner, signer_kwargs={"stamp": int(now.timestamp())}
    )


def make_token(
    secret: str, invitation_id: int, answer: str | None = None, *, now: datetime | None = None
) -> str:
    """The signed token of an invitation (``answer`` one of accepted/tentative/declined or None)."""
    payload: dict[str, Any] = {"i": int(invitation_id)}
    if answer is not None:
        if answer not in ANSWERS:
            raise ValueError(f"unknown RSVP answer {answer!r}")
        payload["a"] = answer
    return _serializer(secret, now).dumps(payload)


def rsvp_url(
    settings: Settings, invitation_id: int, answer: str | None = None, *, now: datetime | None = None
) -> str:
    """The absolute RSVP link of an invitation, built from ``RESEAU_BASE_URL``.

    For invitation emails (one link, or one per answer with ``answer``). ``now`` is the
    signing instant (defaults to the system clock).
    """
    return (
        settings.base_url.rstrip("/") + PATH + make_token(settings.secret_key, invitation_id, answer, now=now)
    )


@dataclass(frozen=True)
class RsvpLink:
    """A verified link: the invitation (meeting, space and contact loaded) and suggested answer."""

    invitation: Invitation
    suggested: str | None

    @property
    def meeting(self) -> Meeting:
        """The meeting the invitation is for."""
        return self.invitation.meeting


def read_token(db: Session, secret: str, token: str, *, now: datetime) -> RsvpLink:
    """Verify a token and load its invitation, or raise :class:`RsvpLinkError`.

    Refused: a bad signature or payload (400), a link past :data:`MAX_AGE` or an invitation
    that no longer exists (410), a meeting that has ended (410).
    """
    invalid = RsvpLinkError(
        400,
        _(
            "Ce lien de réponse n'est pas valide : il a peut-être été coupé ou modifié. Utilisez le "
            "lien complet reçu par courriel, ou contactez l'équipe qui organise la réunion."
        ),
    )
    try:
        payload, signed_at = _serializer(secret, None).loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise invalid from exc
    # checked here rather than by itsdangerous so that the app's clock decides (and a link
    # signed by a worker whose clock runs slightly ahead is not refused as "from the future")
    if now.astimezone(UTC) - signed_at > MAX_AGE:
        raise RsvpLinkError(410, _("Ce lien de réponse a expiré."))
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
        raise invalid
    suggested = payload.get("a")
    if suggested not in (*ANSWERS, None):
        raise invalid
    invitation = db.scalar(
        select(Invitation)
        .where(Invitation.id == payload["i"])
        .options(
            selectinload(Invitation.meeting).selectinload(Meeting.space),
            selectinload(Invitation.contact),
        )
    )
    if invitation is None:
        raise RsvpLinkError(410, _("Cette invitation a été retirée : il n'y a plus de réponse à donner."))
    if invitation.meeting.ends_at <= now.astimezone(UTC):
        raise RsvpLinkError(410, _("Cette réunion est terminée : il n'est plus possible d'y répondre."))
    return RsvpLink(invitation=invitation, suggested=suggested)
