"""Fixtures of the club_economie tests: an app with a real SMTP sink and the demo data."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core import demo as demo_data
from core.db import transaction
from plugins.club_economie.models import Application
from tests.helpers import FrozenClock
from tests.smtp import SmtpSink

ANIMATOR = "julien.roux@example.org"
ADMIN = "admin@example.org"
OUTSIDER = "thomas.petit@example.org"  # Pôle Culture: not in the club
#: a valid SIRET (python-stdnum accepts it)
SIRET = "51234567900009"
#: the demo bakery's SIRET (a member already)
MEMBER_SIRET = "73282932000074"
OTHER_SIRET = "55203253400646"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def club(make_app: Any, smtp_sink: SmtpSink, clock: FrozenClock) -> Starlette:
    """The app, sending mail to the sink, with the demo data loaded."""
    clock.set(NOW)
    app = make_app(smtp_url=smtp_sink.url)
    state = app.state.reseau
    with transaction(state.session_factory) as session:
        demo_data.load(session, state.hooks)
    return app


@pytest.fixture
def web(club: Starlette) -> Iterator[TestClient]:
    """A browser on the club app (redirects followed)."""
    with TestClient(club, follow_redirects=True) as test_client:
        yield test_client


def text(response: Any) -> str:
    """A page's text with HTML entities decoded."""
    return html.unescape(response.text)


def fresh(db: Session) -> Session:
    """End the test session's read transaction so it sees what the app committed since."""
    db.commit()
    db.expire_all()
    return db


def application_by_email(db: Session, email: str) -> Application:
    """The (single) application sent from ``email``."""
    fresh(db)
    found = db.scalars(select(Application).where(Application.email == email)).all()
    assert len(found) == 1, found
    return found[0]


def form_data(**changes: Any) -> dict[str, Any]:
    """A complete, valid application, with ``changes``."""
    data = {
        "name": "Atelier Couture Hautes-Noues",
        "siret": "512 345 679 00009",
        "legal_form": "sarl",
        "naf_code": "1413z",
        "activity": "Couture et retouches",
        "size_band": "1-9",
        "address": "3 allée des Tilleuls",
        "postcode": "94350",
        "city": "Villiers-sur-Marne",
        "in_priority_area": "y",
        "first_name": "Mariam",
        "last_name": "Koné",
        "function": "Gérante",
        "email": "Mariam.Kone@Example.org",
        "phone": "01 49 41 00 00",
        "contribution": "Des stages pour les jeunes du quartier.",
        "expectations": "Trouver des clients professionnels.",
        "consent": "y",
        "website": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def mails_to(sink: SmtpSink, address: str) -> list[Any]:
    """Messages the sink received for ``address``."""
    return [m for m in sink.messages if address in m.rcpt_tos]


def body(message: Any) -> str:
    """The plain-text body of a received message."""
    parsed = message.message
    part = parsed.get_body(preferencelist=("plain",)) if parsed.is_multipart() else parsed
    return str(part.get_content())
