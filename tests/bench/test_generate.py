"""The scaled data generator (``reseau demo --scale small``): reproducible, French names with
accents, hyphens and apostrophes, every table in proportion, searchable, and written once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import generate
from core.calendar.models import Invitation, Meeting
from core.cli import CliState, cli
from core.config import Settings
from core.db import make_engine, make_session_factory, transaction
from core.directory.models import Contact, Organisation
from core.directory.search import ContactFilters, OrganisationFilters, search_contacts, search_organisations
from core.reminders.models import OutboxMessage
from core.spaces.models import Space
from plugins.acces_services.models import Figure, Service

SMALL = generate.SCALES["small"]


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_scale_small_writes_every_table_once(settings: Settings, db: Session) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "--scale", "small"], obj=CliState(settings), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Données à l'échelle « small »" in result.output
    before = {m: _count(db, m) for m in (Organisation, Contact, Space, Meeting, Invitation, OutboxMessage)}
    # the ordinary demo data plus the scaled data
    assert before[Organisation] >= SMALL.organisations and before[Contact] >= SMALL.contacts
    assert before[Meeting] >= SMALL.meetings and before[Invitation] >= SMALL.invitations
    assert before[OutboxMessage] >= SMALL.outbox
    assert _count(db, Service) >= SMALL.services and _count(db, Figure) > SMALL.services * 30
    again = runner.invoke(cli, ["demo", "--scale", "small"], obj=CliState(settings), catch_exceptions=False)
    assert again.exit_code == 0 and "déjà présentes" in again.output
    db.expire_all()
    assert {m: _count(db, m) for m in before} == before
    # keys were assigned by the generator: the sequences (PostgreSQL) were moved past them
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            space = session.scalars(select(Space).where(Space.slug == generate.MARKER_SLUG)).one()
            start = datetime(2027, 1, 5, 9, tzinfo=UTC)
            session.add(
                Meeting(space_id=space.id, title="Après la génération", starts_at=start, ends_at=start)
            )
    finally:
        engine.dispose()


def test_names_are_french_and_search_ignores_accents(settings: Settings, db: Session) -> None:
    engine = make_engine(settings.database_url)
    try:
        counts = generate.generate(engine, SMALL, progress=False)
    finally:
        engine.dispose()
    assert counts["organisations"] == SMALL.organisations and counts["invitations"] == SMALL.invitations
    last_names = set(db.scalars(select(Contact.last_name)))
    assert any("'" in n for n in last_names) and any("-" in n for n in last_names)
    assert any(ch in "".join(last_names) for ch in "éèëïœ")
    # typed without accents, found with them (the search documents were written as the app does)
    found = search_organisations(db, OrganisationFilters(q="ecole elementaire"))
    assert found.total > 0 and all("École élémentaire" in o.name for o in found.items)
    people = search_contacts(db, ContactFilters(q="lefevre"), include_unlisted=True)
    assert people.total > 0 and all("lefevre" in p.search_doc for p in people.items)


def _digest(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Meeting.uid, Meeting.starts_at, Meeting.title).order_by(Meeting.uid)
            ).all()
            names = conn.execute(select(Organisation.name).order_by(Organisation.id)).all()
            answers = conn.execute(
                select(Invitation.meeting_id, Invitation.contact_id, Invitation.response).order_by(
                    Invitation.id
                )
            ).all()
    finally:
        engine.dispose()
    return hashlib.sha256(repr((rows, names, answers)).encode()).hexdigest()


def test_the_same_seed_gives_the_same_data(sqlite_template: Path, tmp_path: Path) -> None:
    digests = []
    for n in range(2):
        path = tmp_path / f"copy{n}.db"
        path.write_bytes(sqlite_template.read_bytes())
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        try:
            generate.generate(engine, SMALL, progress=False)
        finally:
            engine.dispose()
        digests.append(_digest(url))
    assert digests[0] == digests[1]
