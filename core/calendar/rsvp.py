"""Signed RSVP links (minimal version for the reminders work; the meetings work owns this module).

``rsvp_url(settings, invitation_id, answer=None)`` is the only function the reminders use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itsdangerous import URLSafeTimedSerializer

if TYPE_CHECKING:
    from core.config import Settings


def rsvp_url(settings: Settings, invitation_id: int, answer: str | None = None) -> str:
    """An absolute, signed link to ``/agenda/reponse/{token}`` (the answer page of an invitation)."""
    payload: dict[str, object] = {"i": invitation_id}
    if answer:
        payload["a"] = answer
    token = URLSafeTimedSerializer(settings.secret_key, salt="rsvp").dumps(payload)
    return f"{settings.base_url.rstrip('/')}/agenda/reponse/{token}"
