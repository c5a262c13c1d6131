"""Fixtures of the unite_formation tests: the demo unit, its trainer and animator, cycles."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from core.accounts import services as accounts
from core.accounts.models import User
from core.demo import contact_by_email
from core.directory.models import Contact
from core.spaces import services as spaces
from plugins.unite_formation import services as svc
from plugins.unite_formation.demo import SLUG
from plugins.unite_formation.links import Links
from plugins.unite_formation.models import Cycle
from plugins.unite_formation.vocab import TRAINER

TRAINER_EMAIL = "karim.haddad@example.org"
ANIMATOR_EMAIL = "camille.martin@example.org"  # also an admin in the demo
PLAIN_ANIMATOR = "sophie.lefevre@example.org"
OTHER_USER = "julien.roux@example.org"


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def text(response: Any) -> str:
    """A page's text with HTML entities decoded."""
    return html.unescape(response.text)


def fresh(db: Session) -> Session:
    """End the test session's read transaction so it sees what the app committed since."""
    db.commit()
    db.expire_all()
    return db


@pytest.fixture
def unit(demo: Starlette, db: Session) -> int:
    """The demo unit's space id (the demo data is loaded)."""
    space = spaces.get_by_slug(db, SLUG)
    assert space is not None
    return space.id


def user(db: Session, email: str) -> User:
    found = accounts.get_user_by_email(db, email)
    assert found is not None, email
    return found


def access(app: Starlette, db: Session, email: str | None) -> svc.Access:
    """The rights of a demo user (``None``: a visitor)."""
    return svc.access_for(db, app.state.reseau.registry, user(db, email) if email else None)


def links_for(app: Starlette) -> Links:
    """Signed links as the app builds them (absolute, from the base URL)."""
    state = app.state.reseau
    router = app.router

    def url(name: str, **params: Any) -> str:
        return state.settings.base_url + str(router.url_path_for(name, **params))

    return Links(state.settings.secret_key, url)


def make_trainer(db: Session, space_id: int, email: str) -> User:
    """A new account holding the trainer role in the unit."""
    contact = Contact(first_name="Test", last_name=email.split("@")[0], email=email)
    db.add(contact)
    db.flush()
    created = accounts.create_user(db, email, "reseau-demo-2026", email, contact_id=contact.id)
    space = spaces.get_by_slug(db, SLUG)
    assert space is not None and space.id == space_id
    spaces.add_membership(db, space, TRAINER, contact_id=contact.id)
    db.commit()
    return created


CycleFactory = Callable[..., Cycle]


@pytest.fixture
def make_cycle(app: Starlette, db: Session, unit: int, clock: Any) -> CycleFactory:
    """A published cycle of the demo trainer with sessions on the given Paris days (14:00-17:00)."""

    def factory(
        days: tuple[date, ...] = (date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30)),
        *,
        capacity: int = 10,
        publish: bool = True,
        title: str = "Cycle d'essai",
        **values: Any,
    ) -> Cycle:
        fresh(db)
        trainer = access(app, db, TRAINER_EMAIL)
        data = {
            "title": title,
            "theme": "numerique",
            "public": "benevoles",
            "objectives": "Apprendre.",
            "programme": "Tout.",
            "prerequisites": "",
            "capacity": capacity,
            "price_cents": 0,
            "price_details": "",
            "organiser": "Unité Locale de Formation",
            "registration_opens_at": utc(2026, 2, 1, 8),
            "registration_closes_at": utc(2026, 3, 13, 17),
            "attendance_threshold": 80,
            "offer_hours": 48,
            **values,
        }
        cycle = svc.save_cycle(db, trainer, unit, data, [], None, now=clock())
        kinds = app.state.reseau.registry.meeting_kinds
        for day in days:
            svc.add_session(
                db,
                trainer,
                cycle,
                svc.SessionInput(day, time(14), time(17), "Espace E.S.C.A.L.E."),
                now=clock(),
                kinds=kinds,
            )
        if publish:
            svc.publish(db, trainer, cycle, now=clock())
        db.commit()
        return cycle

    return factory


def trainer_contact(db: Session) -> int:
    contact = contact_by_email(db, TRAINER_EMAIL)
    assert contact is not None
    return contact.id
