"""Signed links sent by email: cancel a registration, take an offered place, download an
attestation, answer the questionnaire.

itsdangerous with one salt per purpose, so a link made for one purpose never works for
another; the age is checked against the app's clock (tests travel in time). Following a link
shows a page; the change itself is a POST, and doing it twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.i18n import gettext as _

#: purpose -> salt
CANCEL = "unite_formation.cancel"
OFFER = "unite_formation.offer"
ATTESTATION = "unite_formation.attestation"
EVALUATION = "unite_formation.evaluation"
#: route name of each purpose's page
ROUTES = {
    CANCEL: "unite_formation:cancel_link",
    OFFER: "unite_formation:offer_link",
    ATTESTATION: "unite_formation:attestation_link",
    EVALUATION: "unite_formation:evaluation_link",
}
#: links stay valid this long (a cycle lasts weeks; an attestation is asked for months later)
MAX_AGE = timedelta(days=400)


class LinkError(ValueError):
    """A link that cannot be used: the HTTP status and a French message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Links:
    """Builds absolute signed links: the app's secret and a ``url(route_name, **params)`` that
    returns absolute URLs from ``RESEAU_BASE_URL`` (``ctx.absolute_url`` or ``run.url_for``)."""

    secret: str
    url: Callable[..., str]

    def token(self, purpose: str, registration_id: int) -> str:
        return URLSafeTimedSerializer(self.secret, salt=purpose).dumps({"r": int(registration_id)})

    def link(self, purpose: str, registration_id: int) -> str:
        """The absolute link of ``purpose`` for a registration."""
        return self.url(ROUTES[purpose], token=self.token(purpose, registration_id))


def read(secret: str, purpose: str, token: str, *, now: datetime) -> int:
    """The registration id of a valid token, or :class:`LinkError`."""
    try:
        payload, signed_at = URLSafeTimedSerializer(secret, salt=purpose).loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise LinkError(
            400,
            _(
                "Ce lien n'est pas valide : il a peut-être été coupé ou modifié. Utilisez le lien "
                "complet reçu par courriel, ou contactez l'équipe de l'unité de formation."
            ),
        ) from exc
    if now.astimezone(UTC) - signed_at > MAX_AGE:
        raise LinkError(410, _("Ce lien a expiré."))
    value: Any = payload.get("r") if isinstance(payload, dict) else None
    if not isinstance(value, int):
        raise LinkError(400, _("Ce lien n'est pas valide."))
    return value
