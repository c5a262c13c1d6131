"""Signed links: an applicant answers the animators' question without an account.

The token carries the application id and the number of the request it answers, signed with
the app secret by itsdangerous under the salt ``club_economie.info`` (no other signed link of
the hub can be replayed here). It expires after :data:`vocab.INFO_LINK_MAX_AGE`, measured on
the app's clock; an answer to an older request, or a second answer, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from plugins.club_economie.vocab import INFO_LINK_MAX_AGE

SALT = "club_economie.info"


@dataclass(frozen=True)
class InfoLink:
    """What a valid token says: which application, which request of more information."""

    application_id: int
    request_number: int


class LinkError(Exception):
    """A link that cannot be used (``status`` 400 for a bad one, 410 for an expired one)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _ClockSigner(TimestampSigner):
    """A timestamp signer reading the time from the app's clock (tests move it)."""

    def __init__(self, *args: Any, stamp: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stamp = stamp

    def get_timestamp(self) -> int:
        return self.stamp


def make_token(secret: str, application_id: int, request_number: int, *, now: datetime) -> str:
    """The token of the answer link for one request of more information, signed at ``now``."""
    serializer = URLSafeTimedSerializer(
        secret, salt=SALT, signer=_ClockSigner, signer_kwargs={"stamp": int(now.timestamp())}
    )
    return serializer.dumps({"a": application_id, "n": request_number})


def read_token(secret: str, token: str, *, now: datetime) -> InfoLink:
    """Verify ``token``; :class:`LinkError` when it is forged, cut or too old."""
    try:
        payload, signed_at = URLSafeTimedSerializer(secret, salt=SALT).loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise LinkError(400) from exc
    if not isinstance(payload, dict):
        raise LinkError(400)
    app_id, number = payload.get("a"), payload.get("n")
    if not isinstance(app_id, int) or not isinstance(number, int) or isinstance(app_id, bool):
        raise LinkError(400)
    if now.astimezone(UTC) - signed_at > INFO_LINK_MAX_AGE:
        raise LinkError(410)
    return InfoLink(app_id, number)
