"""A table the core has never heard of (as a plugin adds one) is exported and erased as soon as
it marks its personal columns and links its rows to a contact, a user or an email address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.accounts.models import User
from core.db import PERSONAL, Base, Retention, UTCDateTime
from core.directory.models import Contact
from core.privacy import services
from tests.helpers import FrozenClock


@pytest.fixture
def registrations(engine: sa.Engine, db: Session) -> Iterator[sa.Table]:
    """``essai_registrations``, in the metadata and the database for one test only."""
    table = sa.Table(
        "essai_registrations",
        Base.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("email", sa.String(254), info=PERSONAL),
        sa.Column("motivation", sa.Text, default="", info=PERSONAL),
        sa.Column("seats", sa.Integer, default=1),
        sa.Column("created_at", UTCDateTime),
        info={"retention": [Retention("essai.registrations", "Inscriptions (essai)", "created_at", days=365,
                                      action="delete")]},
    )
    table.create(engine)
    try:
        yield table
    finally:
        db.close()  # PostgreSQL: DROP TABLE waits for every open transaction that read it
        table.drop(engine)
        Base.metadata.remove(table)


def test_a_plugin_table_is_exported_erased_and_purged(
    app, db: Session, registrations: sa.Table, clock: FrozenClock  # type: ignore[no-untyped-def]
) -> None:
    now = clock()
    contact = Contact(first_name="Inès", last_name="Barbier", email="ines.barbier@example.org")
    db.add(contact)
    db.flush()
    db.add(User(email="ines.barbier@example.org", display_name="Inès Barbier", contact_id=contact.id))
    db.execute(
        registrations.insert(),
        [
            {"contact_id": contact.id, "email": "ines.barbier@example.org", "seats": 1,
             "motivation": "Je suis Inès Barbier, j'aimerais apprendre.", "created_at": now},
            # found by the address alone (registered before having a contact row)
            {"contact_id": None, "email": "INES.BARBIER@example.org", "seats": 2,
             "motivation": "Pour ma fille", "created_at": now - timedelta(days=400)},
            {"contact_id": None, "email": "autre@example.org", "seats": 1, "motivation": "Autre personne",
             "created_at": now},
        ],
    )
    db.commit()
    subject = services.resolve(db, contact_id=contact.id)
    exported = services.collect(db, subject)["essai_registrations"]
    assert sorted(row["seats"] for row in exported) == [1, 2]

    services.erase(db, subject, actor=None, now=now)
    db.commit()
    rows = db.execute(sa.select(registrations).order_by(registrations.c.id)).mappings().all()
    assert [r["motivation"] for r in rows] == ["", "", "Autre personne"]
    assert [r["seats"] for r in rows] == [1, 2, 1]  # the figures stay
    assert rows[2]["email"] == "autre@example.org"
    assert all("barbier" not in (r["email"] or "").lower() for r in rows)

    lines = {line.kind: line for line in services.purge(db, app.state.reseau.settings, now, dry_run=True)}
    assert lines["essai.registrations"].rows == 1 and lines["essai.registrations"].action == "delete"
