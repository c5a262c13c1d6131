"""Retention: periods per kind of data, the daily purge job, ``reseau privacy purge --dry-run``,
and the privacy page that states them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts.models import LoginAttempt
from core.audit.models import AuditEntry
from core.cli import CliState, _add_core_commands, cli
from core.config import Settings, load_settings, parse_retention
from core.reminders.models import OutboxMessage
from core.reminders.runtime import make_scheduler
from tests.core.privacy.conftest import outbox_row
from tests.helpers import FrozenClock

DAY = timedelta(days=1)


@pytest.fixture
def aged(app: Starlette, db: Session, clock: FrozenClock) -> FrozenClock:
    """Rows on both sides of each default period: outbox 180 days, audit 3 years, attempts 30 days."""
    now = clock()
    db.add_all(
        [
            outbox_row("old-sent", "a@example.org", "Alice Old", "Bonjour Alice", now - 200 * DAY),
            outbox_row("old-pending", "b@example.org", "Bob Pending", "Bonjour Bob", now - 200 * DAY,
                       status="pending"),
            outbox_row("recent-sent", "c@example.org", "Chloé Recent", "Bonjour Chloé", now - 10 * DAY),
            AuditEntry(action="x.old", actor="a@example.org", at=now - 4 * 365 * DAY),
            AuditEntry(action="x.recent", actor="a@example.org", at=now - 30 * DAY),
            LoginAttempt(key="email:a@example.org", at=now - 40 * DAY),
            LoginAttempt(key="email:b@example.org", at=now - DAY),
        ]
    )
    db.commit()
    return clock


def _cli(settings: Settings, *args: str):  # type: ignore[no-untyped-def]
    _add_core_commands(cli)
    return CliRunner().invoke(cli, list(args), obj=CliState(settings), catch_exceptions=False)


def _outbox(db: Session) -> dict[str, OutboxMessage]:
    db.rollback()
    return {m.key: m for m in db.scalars(sa.select(OutboxMessage))}


def test_dry_run_reports_and_changes_nothing(settings: Settings, aged: FrozenClock, db: Session) -> None:
    at = aged().strftime("%Y-%m-%dT%H:%M%z")
    result = _cli(settings, "privacy", "purge", "--dry-run", "--at", at)
    assert result.exit_code == 0, result.output
    assert "Simulation" in result.output
    assert "outbox_bodies (outbox, 180 jours) : 1 ligne(s) à anonymiser" in result.output
    assert "audit (audit_log, 1095 jours) : 1 ligne(s) à supprimer" in result.output
    assert "login_attempts (login_attempts, 30 jours) : 1 ligne(s) à supprimer" in result.output
    assert _outbox(db)["old-sent"].body_text == "Bonjour Alice"
    old_audit = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "x.old")
    assert db.scalar(old_audit) == 1


def test_purge_anonymises_old_mail_and_deletes_old_logs(
    settings: Settings, aged: FrozenClock, db: Session
) -> None:
    at = aged().strftime("%Y-%m-%dT%H:%M%z")
    result = _cli(settings, "privacy", "purge", "--at", at)
    assert result.exit_code == 0, result.output
    outbox = _outbox(db)
    old = outbox["old-sent"]
    assert old.body_text == old.body_html == old.subject == old.recipient_name == ""
    assert old.recipient_email == f"efface-{old.id}@reseau.invalid"
    assert old.status == "sent" and old.key == "old-sent"  # the row (and the figures) stay
    assert outbox["old-pending"].body_text == "Bonjour Bob"  # not sent yet: kept whole
    assert outbox["recent-sent"].body_text == "Bonjour Chloé"
    actions = set(db.scalars(sa.select(AuditEntry.action)))
    assert "x.old" not in actions and "x.recent" in actions and "privacy.purged" in actions
    assert list(db.scalars(sa.select(LoginAttempt.key))) == ["email:b@example.org"]
    again = _cli(settings, "privacy", "purge", "--dry-run", "--at", at)
    assert "0 ligne(s) à anonymiser" in again.output  # an anonymised row is not counted twice


def test_periods_come_from_the_settings(settings: Settings, aged: FrozenClock, db: Session) -> None:
    at = aged().strftime("%Y-%m-%dT%H:%M%z")
    shorter = settings.with_(retention_days={"outbox_bodies": 5})
    result = _cli(shorter, "privacy", "purge", "--dry-run", "--at", at)
    assert "outbox_bodies (outbox, 5 jours) : 2 ligne(s) à anonymiser" in result.output


def test_retention_setting_is_read_from_the_environment() -> None:
    env = {"RESEAU_RETENTION": "outbox_bodies=90, club_economie.declined_applications=365",
           "RESEAU_SECRET_KEY": "x", "RESEAU_CONTROLLER_NAME": "Ville de Villiers-sur-Marne"}
    settings = load_settings(env)
    assert settings.retention_days == {"outbox_bodies": 90, "club_economie.declined_applications": 365}
    assert settings.controller_name == "Ville de Villiers-sur-Marne"
    with pytest.raises(ValueError, match="type=jours"):
        parse_retention("outbox_bodies:90")


def test_daily_purge_job_is_registered_with_the_scheduler(app: Starlette) -> None:
    jobs = make_scheduler(app.state.reseau)
    job = jobs.scheduler.get_job("privacy-purge")
    assert job is not None and job.trigger.interval == timedelta(days=1)


def test_purge_job_runs_the_purge(app: Starlette, aged: FrozenClock, db: Session) -> None:
    from core.reminders.runtime import purge_expired

    lines = purge_expired(app.state.reseau)
    # plugins declare their own kinds (nothing of theirs is old here): only what was purged counts
    purged = {line.kind: line.rows for line in lines if line.rows}
    assert purged == {"outbox_bodies": 1, "audit": 1, "login_attempts": 1}
    assert _outbox(db)["old-sent"].body_text == ""


def test_privacy_page_states_purposes_periods_and_controller(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(
        controller_name="Ville de Villiers-sur-Marne",
        controller_address="Hôtel de ville, 94350 Villiers-sur-Marne",
        controller_email="dpo@example.org",
        retention_days={"outbox_bodies": 90},
    )
    with TestClient(app) as client:
        page = client.get("/confidentialite")
        home = client.get("/")
        old = client.get("/donnees-personnelles", follow_redirects=False)
    assert page.status_code == 200
    text = page.text
    assert "Ville de Villiers-sur-Marne" in text and "dpo@example.org" in text
    assert "Finalités" in text and "Durées de conservation" in text
    assert "90 jours" in text and "1095 jours" in text
    assert 'href="/confidentialite"' in home.text  # the footer
    assert old.status_code == 301 and old.headers["location"] == "/confidentialite"


def test_privacy_page_asks_for_the_controller_when_not_configured(client: TestClient) -> None:
    text = client.get("/confidentialite").text
    assert "RESEAU_CONTROLLER_NAME" in text
