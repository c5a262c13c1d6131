"""The production layout on PostgreSQL: ``reseau serve --workers 2 --no-scheduler`` beside two
``reseau worker`` processes. Reminders that fall due are delivered exactly once to a real SMTP
server while the web workers keep answering pages."""

from __future__ import annotations

import collections
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory, transaction
from core.reminders.models import OutboxMessage, ReminderRuleState
from core.reminders.rules import paris_to_utc
from tests.conftest import _empty_postgres
from tests.core.reminders.conftest import World
from tests.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
PEOPLE = 40
TITLES = ("Comité Alpha", "Comité Bêta", "Comité Gamma")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _arrange(url: str) -> tuple[set[tuple[str, str]], int]:
    """Three public meetings tomorrow, forty people who accepted each, and the J-1 reminder set
    to fire two minutes ago (today, Paris time); returns the expected (recipient, title) pairs."""
    now = datetime.now(UTC)
    fire = (now - timedelta(minutes=2)).astimezone(PARIS).replace(second=0, microsecond=0)
    day = fire.date() + timedelta(days=1)
    engine = make_engine(url)
    expected = set()
    try:
        with transaction(make_session_factory(engine)) as db:
            world = World(db)
            space = world.space("Groupe technique Emploi", "gt-emploi-production")
            people = [
                world.contact(f"Prénom{n}", f"D'Essai-{n}", f"personne{n}@example.org") for n in range(PEOPLE)
            ]
            for hour, title in zip((9, 14, 17), TITLES, strict=True):
                meeting = world.meeting(
                    space,
                    paris_to_utc(day, datetime.min.time().replace(hour=hour)),
                    title=title,
                    visibility="public",
                )
                for contact in people:
                    world.invite(meeting, contact, now - timedelta(days=20), response="accepted")
                    expected.add((contact.email, title))
            db.add(
                ReminderRuleState(
                    name="core.reminder_accepted", enabled=True, offsets=["J-1"], send_time=f"{fire:%H:%M}"
                )
            )
            first_meeting = meeting.id
    finally:
        engine.dispose()
    return expected, first_meeting


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the web supervisor's children are stopped with it
    )


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=10)
    return output


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _web_workers(pid: int) -> int | None:
    """How many uvicorn worker processes the supervisor ``pid`` runs (``None``: no /proc)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        commands = [Path(f"/proc/{child}/cmdline").read_bytes() for child in children]
    except OSError:
        return None
    # multiprocessing's resource tracker is a child too
    return sum(b"spawn_main" in c and b"resource_tracker" not in c for c in commands)


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """The session's PostgreSQL database, emptied afterwards (this layout needs PostgreSQL)."""
    yield pg_database
    _empty_postgres(pg_database)


@pytest.mark.slow
def test_two_web_processes_and_two_workers_deliver_each_reminder_once(
    pg_url: str, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    expected, meeting_id = _arrange(pg_url)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESEAU_")}
    env.update(
        RESEAU_DATABASE_URL=pg_url,
        RESEAU_DATA_DIR=str(tmp_path),
        RESEAU_SECRET_KEY="production-layout-secret",
        RESEAU_BASE_URL=f"http://127.0.0.1:{port}",
        RESEAU_SMTP_URL=smtp_sink.url,
        RESEAU_SEND_INTERVAL="1",
        RESEAU_SWEEP_INTERVAL="1",
        RESEAU_DB_POOL_SIZE="3",
        RESEAU_DB_MAX_OVERFLOW="2",
        PYTHONPATH=str(ROOT),
    )
    web = _start(["serve", "--workers", "2", "--no-scheduler", "--port", str(port)], env)
    workers: list[subprocess.Popen[str]] = []
    pages = ["/annuaire/", "/agenda/", f"/agenda/reunions/{meeting_id}"]
    answered: collections.Counter[int] = collections.Counter()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the web processes start before the workers
            try:
                if _get(port, "/annuaire/") == 200:
                    break
            except OSError:
                time.sleep(0.2)
        assert web.poll() is None
        assert _web_workers(web.pid) in (None, 2)
        workers = [_start(["worker"], env) for _ in range(2)]
        deadline = time.monotonic() + 90
        while smtp_sink.count() < len(expected) and time.monotonic() < deadline:
            for path in pages:  # pages keep answering while both workers sweep and send
                answered[_get(port, path)] += 1
            assert all(w.poll() is None for w in workers)
        settle = time.monotonic() + 4  # several more sweep and send runs: nothing more may come
        while time.monotonic() < settle:
            for path in pages:
                answered[_get(port, path)] += 1
            time.sleep(0.2)
    finally:
        outputs = [_stop(w) for w in workers]
        web_output = _stop(web)
    assert set(answered) == {200}, (answered, web_output[-2000:])
    received = collections.Counter(
        (rcpt, title)
        for mail in smtp_sink.messages
        for rcpt in mail.rcpt_tos
        for title in TITLES
        if title in str(mail.message["Subject"])
    )
    assert len(smtp_sink.messages) == len(expected), outputs
    assert set(received) == expected and set(received.values()) == {1}
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    finally:
        engine.dispose()
    assert len(rows) == len(expected) and {tuple(r) for r in rows} == {("sent", 1)}
    for output in outputs:
        assert "Réseau worker arrêté." in output
