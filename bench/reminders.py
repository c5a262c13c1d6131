"""Reminders benchmarks: the sweep over a big history (and when it doubles), and sending.

Run: ``.venv/bin/python -m bench.reminders [--reminders-db sqlite|postgresql|both] [--sweep-meetings N]
[--send-messages N]`` (or through ``python -m bench``).

1. **Sweep** – N meetings spread over ten years with 10 invitations each, minutes, action
   items and an outbox of already-sent mail; every rule's watermark one minute before the
   instant (a worker that runs every minute). The figure is the time of one sweep at 08:00
   Paris (the instant J-7/J-1/J+3 reminders fall due), then the same after doubling the history:
   the cost follows what is due, not the history.
2. **Send** – M messages (a rendered J-1 reminder each) to a local aiosmtpd in another process:
   messages/s of the whole sender (claim, render, build, send, record) next to aiosmtplib alone
   sending the same bytes over the same number of connections and batches.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosmtplib
from sqlalchemy import delete, insert, select, text, update

from bench.figures import Figure, print_table
from core import migrate
from core.app import create_app
from core.calendar.models import ActionItem, Invitation, Meeting, Minutes
from core.config import Settings
from core.db import make_engine, transaction
from core.directory.models import Contact
from core.reminders.models import OutboxMessage, ReminderRuleState
from core.reminders.outbox import enqueue
from core.reminders.rules import Due, Recipient, paris_to_utc
from core.reminders.sender import SmtpConfig, prepare, send_due
from core.reminders.sweep import sweep
from core.spaces.models import ANIMATOR, Space, SpaceMembership

PG_SERVER = os.environ.get("RESEAU_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
INSTANT = paris_to_utc(date(2026, 6, 15), datetime(2000, 1, 1, 8).time())
CONTACTS = 3000
SPACES = 60


# ------------------------------------------------------------------------------ databases


class Database:
    """A fresh, migrated database (SQLite file or PostgreSQL database), dropped at the end."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.folder = folder
        if kind == "sqlite":
            self.url = f"sqlite:///{folder / 'bench.db'}"
        else:
            self.name = f"reseau_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = make_engine(PG_SERVER, pool_size=1)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            admin.dispose()
            self.url = PG_SERVER.rsplit("/", 1)[0] + f"/{self.name}"
        self.settings = Settings(
            database_url=self.url,
            data_dir=folder / "data",
            secret_key="bench",
            base_url="http://127.0.0.1:8000",
            plugins=(),
            load_entrypoints=False,
            run_scheduler=False,
        )
        engine = make_engine(self.url)
        migrate.upgrade(self.settings, engine=engine)
        engine.dispose()

    def drop(self) -> None:
        if self.kind == "postgresql":
            admin = make_engine(PG_SERVER, pool_size=1)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()


# ------------------------------------------------------------------------------ history


def _bulk(db: Any, model: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        db.execute(insert(model), rows[i : i + chunk])


def generate(state: Any, meetings: int, seed: int, *, first: bool) -> None:
    """``meetings`` meetings with invitations, minutes, action items and sent outbox rows: the
    first time over the ten years before INSTANT and a few weeks after it; later calls add older
    history only (the ten years before), so what is due at INSTANT stays the same."""
    rng = random.Random(seed)
    with transaction(state.session_factory) as db:
        if first:
            _bulk(
                db,
                Space,
                [
                    {"slug": f"espace-{i}", "name": f"Groupe de travail n° {i}", "kind": "core.espace"}
                    for i in range(SPACES)
                ],
            )
            _bulk(
                db,
                Contact,
                [
                    {"first_name": f"Prénom{i}", "last_name": f"Nom{i}", "email": f"contact{i}@example.org"}
                    for i in range(CONTACTS)
                ],
            )
            space_ids = list(db.scalars(select(Space.id)))
            contact_ids = list(db.scalars(select(Contact.id)))
            _bulk(
                db,
                SpaceMembership,
                [
                    {"space_id": s, "role": ANIMATOR, "contact_id": contact_ids[i]}
                    for i, s in enumerate(space_ids)
                ],
            )
        space_ids = list(db.scalars(select(Space.id)))
        contact_ids = list(db.scalars(select(Contact.id)))
        start = INSTANT - timedelta(days=3650 if first else 7300)
        end = INSTANT + timedelta(days=30) if first else INSTANT - timedelta(days=3650)
        span = (end - start).total_seconds()
        rows = []
        for _ in range(meetings):
            at = start + timedelta(seconds=rng.uniform(0, span))
            at = at.replace(minute=0, second=0, microsecond=0)
            stamp = at - timedelta(days=30)
            rows.append(
                {
                    "uid": f"{uuid.UUID(int=rng.getrandbits(128))}@bench",
                    "sequence": 0,
                    "space_id": rng.choice(space_ids),
                    "kind": "core.reunion",
                    "title": "Réunion de travail",
                    "description": "",
                    "starts_at": at,
                    "ends_at": at + timedelta(hours=2),
                    "location": "Mairie",
                    "room": "",
                    "online_url": "",
                    "visibility": "members",
                    "status": "scheduled",
                    "cancel_reason": "",
                    "reminders_enabled": True,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        _bulk(db, Meeting, rows)
        new = db.execute(
            select(Meeting.id, Meeting.starts_at).order_by(Meeting.id.desc()).limit(meetings)
        ).all()
        invitations, minutes, actions, outbox = [], [], [], []
        for meeting_id, starts_at in new:
            past = starts_at < INSTANT
            for contact_id in rng.sample(contact_ids, 10):
                invitations.append(
                    {
                        "meeting_id": meeting_id,
                        "contact_id": contact_id,
                        "invited_at": starts_at - timedelta(days=30),
                        "response": rng.choice(("pending", "accepted", "accepted", "declined", "tentative")),
                        "comment": "",
                    }
                )
            if past and rng.random() < 0.9:
                minutes.append(
                    {
                        "meeting_id": meeting_id,
                        "body": "Compte rendu",
                        "body_html": "<p>Compte rendu</p>",
                        "updated_at": starts_at,
                    }
                )
            for _ in range(2):
                actions.append(
                    {
                        "meeting_id": meeting_id,
                        "space_id": space_ids[0],
                        "title": "Action",
                        "owner_contact_id": rng.choice(contact_ids),
                        "due_on": (starts_at + timedelta(days=rng.randint(7, 60))).date(),
                        "status": "done" if past and rng.random() < 0.8 else "open",
                        "created_at": starts_at,
                    }
                )
            if past:
                for k in range(4):
                    key = f"bench.history:{meeting_id}:{k}"
                    outbox.append(
                        {
                            "key": key,
                            "message_id": "",
                            "rule": "core.reminder_accepted",
                            "status": "sent",
                            "optional": True,
                            "recipient_email": "x@example.org",
                            "recipient_name": "",
                            "language": "fr",
                            "template": "emails/reminder_accepted",
                            "context": {},
                            "attachments": [],
                            "subject": "Rappel",
                            "body_text": "",
                            "body_html": "",
                            "meeting_id": meeting_id,
                            "due_at": starts_at,
                            "next_attempt_at": starts_at,
                            "attempts": 1,
                            "last_error": "",
                            "created_at": starts_at,
                            "sent_at": starts_at,
                            "updated_at": starts_at,
                        }
                    )
        _bulk(db, Invitation, invitations)
        _bulk(db, Minutes, minutes)
        _bulk(db, ActionItem, actions)
        _bulk(db, OutboxMessage, outbox)
    # settle the database after the bulk load, as it would be in service
    if state.engine.dialect.name == "postgresql":
        with state.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        raw = state.engine.raw_connection()  # autocommit: no BEGIN around the checkpoint
        try:
            cursor = raw.cursor()
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            raw.close()


def time_sweeps(state: Any, rounds: int = 9, warmup: int = 3) -> tuple[float, float, int]:
    """Median and best time (ms) of a steady-state sweep at INSTANT (watermarks a minute before),
    and how many emails it queued. Each round removes what the previous one queued; the first
    ``warmup`` rounds are not counted (caches, prepared statements)."""
    timings, queued = [], 0
    for _ in range(rounds + warmup):
        with transaction(state.session_factory) as db:
            db.execute(update(ReminderRuleState).values(swept_until=INSTANT - timedelta(minutes=1)))
            db.execute(delete(OutboxMessage).where(OutboxMessage.created_at == INSTANT))
        started = time.perf_counter()
        report = sweep(state, INSTANT)
        timings.append((time.perf_counter() - started) * 1000)
        queued = report.total
        assert not report.errors, report.errors
    timings = timings[warmup:]
    return statistics.median(timings), min(timings), queued


def bench_sweep(kind: str, meetings: int, rounds: int = 9) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(kind, Path(folder))
        try:
            state = create_app(database.settings).state.reseau
            sweep(state, INSTANT - timedelta(minutes=1))  # creates the watermark rows
            t0 = time.perf_counter()
            generate(state, meetings, seed=1, first=True)
            generated = time.perf_counter() - t0
            median1, best1, due1 = time_sweeps(state, rounds, warmup=min(3, rounds))
            generate(state, meetings, seed=2, first=False)
            median2, best2, due2 = time_sweeps(state, rounds, warmup=min(3, rounds))
            with state.session_factory() as db:
                counts = {
                    "meetings": db.scalar(select(text("count(*)")).select_from(Meeting)),
                    "invitations": db.scalar(select(text("count(*)")).select_from(Invitation)),
                    "outbox": db.scalar(select(text("count(*)")).select_from(OutboxMessage)),
                }
            state.engine.dispose()
        finally:
            database.drop()
    return {
        "db": kind,
        "generated_s": generated,
        "history": counts,
        "sweep_ms": median1,
        "sweep_best_ms": best1,
        "due": due1,
        "sweep_doubled_ms": median2,
        "sweep_doubled_best_ms": best2,
        "due_doubled": due2,
    }


# ------------------------------------------------------------------------------ sending

SINK = r"""
import asyncio, sys
from aiosmtpd.controller import Controller

class Handler:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        return "250 OK"

controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print(sys.argv[1], flush=True)
sys.stdin.read()
controller.stop()
"""


def start_sink() -> tuple[subprocess.Popen[str], int]:
    """aiosmtpd in its own process (its own CPU), on a free loopback port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", SINK, str(free)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


async def aiosmtplib_alone(
    port: int, payloads: list[tuple[str, str, bytes]], connections: int, per_connection: int
) -> float:
    """Messages/s of aiosmtplib with the same batches: a connection per batch, ``connections`` at once."""
    gate = asyncio.Semaphore(connections)

    async def batch(items: list[tuple[str, str, bytes]]) -> None:
        async with gate:
            smtp = aiosmtplib.SMTP(
                hostname="127.0.0.1", port=port, start_tls=False, local_hostname="localhost"
            )
            await smtp.connect()
            for sender, to, data in items:
                await smtp.sendmail(sender, [to], data)
            await smtp.quit()

    started = time.perf_counter()
    await asyncio.gather(
        *(batch(payloads[i : i + per_connection]) for i in range(0, len(payloads), per_connection))
    )
    return len(payloads) / (time.perf_counter() - started)


def bench_send(
    kind: str, messages: int, connections: int = 4, per_connection: int = 20, rounds: int = 3
) -> dict[str, Any]:
    proc, port = start_sink()
    try:
        with tempfile.TemporaryDirectory() as folder:
            database = Database(kind, Path(folder))
            try:
                url = f"smtp://127.0.0.1:{port}?connections={connections}&per_connection={per_connection}"
                state = create_app(database.settings.with_(smtp_url=url)).state.reseau
                config = SmtpConfig.from_settings(state.settings)
                assert config is not None
                meeting = {
                    "title": "Comité technique du Contrat de ville",
                    "description": "",
                    "starts_at": INSTANT,
                    "ends_at": INSTANT + timedelta(hours=2),
                    "location": "Mairie, salle du conseil",
                    "room": "",
                    "online_url": "https://visio.example.org/comite",
                    "cancel_reason": "",
                    "url": "http://127.0.0.1:8000/agenda/",
                    "id": 1,
                    "agenda": [{"title": f"Point {i}", "duration_minutes": 15} for i in range(5)],
                }
                with transaction(state.session_factory) as db:
                    for n in range(messages):
                        due = Due(
                            key=f"bench.send:{n}",
                            recipient=Recipient(f"personne{n}@example.org", f"Personne {n}"),
                            template="emails/reminder_accepted",
                            context={
                                "meeting": meeting,
                                "space": {"id": 1, "name": "Groupe Habitat"},
                                "rsvp": {"page": "http://127.0.0.1:8000/agenda/reponse/x"},
                                "offset": "J-1",
                            },
                            due_at=INSTANT - timedelta(hours=1),
                        )
                        enqueue(db, due, rule="core.reminder_accepted", now=INSTANT - timedelta(hours=1))
                # the same bytes for aiosmtplib alone
                ids = list(range(1, messages + 1))
                payloads = [(p.envelope_from, p.to, p.data) for p in prepare(state, ids, INSTANT)]
                baselines, ours = [], []
                for _ in range(rounds):  # interleaved, best of each: the machine's noise hits both
                    baselines.append(
                        asyncio.run(aiosmtplib_alone(port, payloads, connections, per_connection))
                    )
                    with transaction(state.session_factory) as db:
                        db.execute(
                            update(OutboxMessage).values(status="pending", attempts=0, lease_owner=None)
                        )
                    started = time.perf_counter()
                    report = asyncio.run(send_due(state, INSTANT, limit=500))
                    ours.append(report.sent / (time.perf_counter() - started))
                    assert report.sent == messages, report
                baseline, mine = max(baselines), max(ours)
                state.engine.dispose()
            finally:
                database.drop()
    finally:
        proc.communicate("", timeout=10)
    return {
        "db": kind,
        "messages": messages,
        "connections": connections,
        "per_connection": per_connection,
        "aiosmtplib_alone_per_s": baseline,
        "sender_per_s": mine,
        "ratio": mine / baseline,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this benchmark (for ``python -m bench``)."""
    group = parser.add_argument_group("reminders")
    group.add_argument("--reminders-rounds", type=int, default=9, help="timed sweeps (send: at most 3)")
    group.add_argument("--reminders-db", choices=("sqlite", "postgresql", "both"), default="both")
    group.add_argument(
        "--sweep-meetings", type=int, default=50000, help="meetings of the history (doubled later)"
    )
    group.add_argument(
        "--send-messages", type=int, default=2000, help="reminders sent to the local SMTP server"
    )


def run(args: argparse.Namespace) -> list[Figure]:
    """Sweep and send figures for each chosen database."""
    kinds = ("sqlite", "postgresql") if args.reminders_db == "both" else (args.reminders_db,)
    figures: list[Figure] = []
    for kind in kinds:
        s = bench_sweep(kind, args.sweep_meetings, args.reminders_rounds)
        h = s["history"]
        growth = s["sweep_doubled_ms"] / s["sweep_ms"] if s["sweep_ms"] else 0.0
        figures += [
            Figure(
                f"reminders.{kind}.sweep",
                s["sweep_ms"],
                "ms",
                target="< 50 ms",
                note=f"median, {args.sweep_meetings} meetings over ten years, {s['due']} emails due",
            ),
            Figure(
                f"reminders.{kind}.sweep_doubled",
                s["sweep_doubled_ms"],
                "ms",
                baseline=round(s["sweep_ms"], 2),
                target="flat",
                note=f"{h['meetings']} meetings, {h['invitations']} invitations, {h['outbox']} outbox rows; "
                f"×{growth:.2f} for twice the history",
            ),
        ]
        m = bench_send(kind, args.send_messages, rounds=min(3, args.reminders_rounds))
        ratio = m["ratio"]
        verdict = "met" if ratio >= 0.7 else f"missed by {0.7 - ratio:.2f}"
        figures += [
            Figure(
                f"reminders.{kind}.send",
                m["sender_per_s"],
                "msg/s",
                note=f"{m['messages']} reminders claimed, rendered, built, sent and recorded",
            ),
            Figure(
                f"reminders.{kind}.aiosmtplib_alone",
                m["aiosmtplib_alone_per_s"],
                "msg/s",
                note=f"same bytes, {m['connections']} connections × {m['per_connection']} messages",
            ),
            Figure(
                f"reminders.{kind}.send_ratio",
                ratio,
                "×",
                baseline=round(m["aiosmtplib_alone_per_s"], 1),
                target=">= 0.7",
                note=verdict,
            ),
        ]
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run this benchmark alone and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    add_arguments(parser)
    print_table(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
