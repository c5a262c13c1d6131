"""``reseau reminders run --at``, ``reseau worker`` (a real process, started and stopped) and the
refusal of several in-process schedulers on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import CliState, _add_core_commands, cli
from core.reminders.cli import parse_instant
from tests.core.reminders.conftest import World, paris
from tests.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[3]


def _run(settings, *args: str):  # type: ignore[no-untyped-def]
    _add_core_commands(cli)
    return CliRunner().invoke(cli, list(args), obj=CliState(settings), catch_exceptions=False)


def test_parse_instant_reads_paris_wall_time_or_an_offset() -> None:
    assert parse_instant("2026-06-15T08:00") == datetime(2026, 6, 15, 6, tzinfo=UTC)
    assert parse_instant("2026-12-15 08:00") == datetime(2026, 12, 15, 7, tzinfo=UTC)
    assert parse_instant("2026-06-15T08:00+00:00") == datetime(2026, 6, 15, 8, tzinfo=UTC)


def test_reminders_run_at_an_instant(settings, world: World, smtp_sink: SmtpSink) -> None:  # type: ignore[no-untyped-def]
    settings = settings.with_(plugins=(), smtp_url=smtp_sink.url)
    meeting = world.meeting(world.space(), paris(2026, 6, 16, 14))
    world.invite(meeting, world.contact("Nadia", "Benali"), paris(2026, 6, 1), response="accepted")
    world.commit()
    result = _run(settings, "reminders", "run", "--at", "2026-06-15T08:00")
    assert result.exit_code == 0, result.output
    assert "1 envoyé(s)" in result.output
    [mail] = smtp_sink.messages
    assert mail.message["Subject"].startswith("Rappel : Réunion du groupe")
    again = _run(settings, "reminders", "run", "--at", "2026-06-15T08:00")
    assert "0 courriel(s) mis en file" in again.output and smtp_sink.count() == 1
    listing = _run(settings, "reminders", "rules")
    assert "core.reminder_accepted" in listing.output and "J-1" in listing.output
    bad = CliRunner().invoke(cli, ["reminders", "run", "--at", "demain"], obj=CliState(settings))
    assert bad.exit_code == 2 and "illisibles" in bad.output


def test_serve_refuses_several_schedulers_on_sqlite(tmp_path: Path) -> None:
    from core.config import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", data_dir=tmp_path, run_scheduler=True)
    result = CliRunner().invoke(cli, ["serve", "--workers", "4"], obj=CliState(settings))
    assert result.exit_code == 1 and "Sur SQLite" in result.output and "--no-scheduler" in result.output


def _env(settings, smtp_sink: SmtpSink) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESEAU_")}
    env.update(
        RESEAU_DATABASE_URL=settings.database_url,
        RESEAU_DATA_DIR=str(settings.data_dir),
        RESEAU_SECRET_KEY="test-secret",
        RESEAU_PLUGINS="",
        RESEAU_SMTP_URL=smtp_sink.url,
        RESEAU_SEND_INTERVAL="1",
        RESEAU_SWEEP_INTERVAL="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_worker_starts_sends_and_stops_cleanly(
    settings, world: World, smtp_sink: SmtpSink, backend: str
) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    meeting = world.meeting(world.space(), now + timedelta(days=10), created=now - timedelta(days=1))
    world.invite(meeting, world.contact("Nadia", "Benali"), now - timedelta(minutes=1))
    world.commit()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = _env(settings, smtp_sink)
    worker = _worker(env)
    try:
        deadline = time.monotonic() + 30
        while smtp_sink.count() == 0 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert smtp_sink.count() == 1, worker.stdout.read() if worker.poll() is not None else "no mail"
        if backend == "sqlite":  # a second scheduler on the same SQLite database is refused
            second = subprocess.run(
                [sys.executable, "-c", "from core.cli import main; main()", "worker"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert second.returncode == 1 and "Un autre processus" in second.stderr
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "Réseau worker : rappels et envoi des courriels en cours" in output
    assert "Réseau worker arrêté." in output
    assert smtp_sink.count() == 1


def test_in_process_scheduler_runs_both_jobs_and_send_soon_wakes_the_sender(
    make_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from core.db import transaction
    from core.reminders.outbox import enqueue
    from core.reminders.rules import Due, Recipient
    from core.reminders.runtime import send_soon, sweep_soon

    meeting = world.meeting(world.space(), paris(2026, 3, 20, 14))
    world.invite(meeting, world.contact("Nadia", "Benali"), clock.at)
    world.commit()
    app = make_app(
        plugins=[], smtp_url=smtp_sink.url, run_scheduler=True, sweep_interval=3600, send_interval=3600
    )
    state = app.state.reseau

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 20
        while smtp_sink.count() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert smtp_sink.count() == count

    with TestClient(app):
        wait_for(1)  # both jobs run at start-up: the invitation went out
        with transaction(state.session_factory) as db:
            enqueue(
                db,
                Due(
                    "tests.receipt:1",
                    Recipient("karim.haddad@example.org", "Karim Haddad"),
                    "emails/reminder_accepted",
                    {},
                    clock.at,
                ),
                now=clock.at,
            )
        send_soon(state)  # the next send run was an hour away
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and world.outbox("core.transactional")[0].status in (
            "pending",
            "sending",
        ):
            time.sleep(0.05)
        # a new invitation: the sweep (an hour away too) is asked to run now
        world.invite(meeting, world.contact("Julien", "Roux"), clock.at)
        world.commit()
        sweep_soon(state)
        wait_for(2)
    row = world.outbox("core.transactional")[0]
    assert row.attempts == 1  # tried at once (the template needs a meeting: it failed, visibly)
    assert row.status == "failed" and "meeting" in row.last_error
    assert "reminders.scheduler" not in state.extras


def test_a_send_asked_for_while_the_sender_runs_is_not_skipped(
    make_app, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """``max_instances=1`` makes APScheduler skip a run asked for while one is running: the
    running job goes round once more instead, so mail queued meanwhile is not left for the
    next interval (an hour here)."""
    import asyncio

    from starlette.testclient import TestClient

    import core.reminders.runtime as runtime
    from core.reminders.sender import SendReport

    calls: list[float] = []
    first_started = threading.Event()

    async def slow_send(state):  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        if len(calls) == 1:
            first_started.set()
            await asyncio.sleep(0.5)  # the first run is still going when send_soon is called
        return SendReport()

    monkeypatch.setattr(runtime, "send_due", slow_send)
    app = make_app(plugins=[], run_scheduler=True, sweep_interval=3600, send_interval=3600)
    with TestClient(app):
        assert first_started.wait(10)
        runtime.send_soon(app.state.reseau)
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # and only once more
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.5  # after the first run, not beside it


def test_stopping_the_app_waits_for_a_jobs_database_work_before_disposing_the_engine(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """APScheduler's shutdown cancels a running job; the job's work in a thread goes on with a
    checked-out connection. The app must not dispose its engine before that work is done: the
    connection would go back to the discarded pool and be garbage-collected still open."""
    import threading

    from sqlalchemy import event, text
    from starlette.testclient import TestClient

    from core.reminders import runtime
    from core.reminders.sweep import SweepReport

    app = make_app(plugins=[], run_scheduler=True, sweep_interval=3600, send_interval=3600)
    state = app.state.reseau
    events: list[str] = []
    started, disposed = threading.Event(), threading.Event()
    event.listen(state.engine, "engine_disposed", lambda engine: (events.append("disposed"), disposed.set()))

    def slow_sweep(state, now=None):  # type: ignore[no-untyped-def]
        with state.session_factory() as db:
            db.execute(text("SELECT 1"))  # holds a connection
            started.set()
            deadline = time.monotonic() + 10
            while runtime.SCHEDULER_KEY in state.extras and time.monotonic() < deadline:
                time.sleep(0.01)  # until the app starts stopping
            disposed.wait(1)  # the engine must not go away meanwhile
        events.append("sweep done")
        return SweepReport()

    monkeypatch.setattr(runtime, "sweep", slow_sweep)
    with TestClient(app):
        assert started.wait(10)
    assert events == ["sweep done", "disposed"]
