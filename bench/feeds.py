"""The private iCalendar feed of 2,000 meetings: in process, then through uvicorn on loopback.

In process (the feed service alone, no HTTP):
  * first build – nothing cached anywhere: every event serialised by ``icalendar``;
  * cold worker – the in-process cache empty, events read from the shared table;
  * warm – events in the in-process cache;
  * conditional – the query and ETag only (what a 304 costs).
Through HTTP (``uvicorn core.asgi:app`` in a subprocess, the bounded load generator of
:mod:`bench.loadgen`):
  * cold request – the first request a fresh worker serves;
  * warm full GETs and conditional GETs (``If-None-Match`` → 304): requests/s, p50, p99.

Targets (issue 10): warm ≥ 100 requests/s, cold under 150 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.figures import Figure, median, percentile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this benchmark."""
    group = parser.add_argument_group("feeds")
    group.add_argument("--feed-meetings", type=int, default=2000, help="meetings in the private feed")
    group.add_argument("--feed-requests", type=int, default=1000, help="requests per HTTP phase (bound)")
    group.add_argument("--feed-seconds", type=float, default=20.0, help="seconds per HTTP phase (bound)")
    group.add_argument("--feed-clients", type=int, default=4, help="concurrent HTTP clients")
    group.add_argument("--feed-repeat", type=int, default=20, help="in-process repetitions of warm builds")
    group.add_argument(
        "--database-url",
        default=None,
        help="an empty or migrated database (default: a temporary SQLite file)",
    )


# ---------------------------------------------------------------------------------------- data


def _settings(database_url: str, data_dir: Path, base_url: str = "http://127.0.0.1:8000") -> Any:
    from core.config import Settings

    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="bench-secret-key",
        base_url=base_url,
        load_entrypoints=False,
        run_scheduler=False,
        trusted_hosts=("127.0.0.1", "localhost", "testserver"),
    )


def prepare(database_url: str, data_dir: Path, meetings: int) -> tuple[str, int]:
    """Migrate, then create a space, a member and ``meetings`` meetings; returns (token, user id)."""
    from core import migrate
    from core.accounts.models import User
    from core.calendar import feeds
    from core.calendar.models import MEMBERS, PUBLIC, Meeting
    from core.db import make_engine, make_session_factory, transaction
    from core.directory.models import Contact
    from core.spaces.models import MEMBER, Space, SpaceMembership

    settings = _settings(database_url, data_dir)
    engine = make_engine(database_url)
    try:
        migrate.upgrade(settings, engine=engine)
        now = datetime.now(UTC)
        with transaction(make_session_factory(engine)) as db:
            stamp = f"{int(now.timestamp())}"
            space = Space(slug=f"bench-{stamp}", name="Groupe technique du banc d'essai", kind="core.espace")
            contact = Contact(first_name="Banc", last_name="D'Essai", email=f"banc-{stamp}@example.org")
            db.add_all([space, contact])
            db.flush()
            user = User(
                email=f"banc-{stamp}@example.org",
                display_name="Banc d'essai",
                contact_id=contact.id,
                is_active=True,
                session_version=1,
            )
            db.add_all([user, SpaceMembership(space_id=space.id, role=MEMBER, contact_id=contact.id)])
            first = now - timedelta(days=30)
            db.add_all(
                Meeting(
                    space_id=space.id,
                    title=f"Réunion de suivi n° {i} – insertion, emploi et développement économique",
                    description="Ordre du jour : point d'étape des actions, indicateurs, questions diverses.",
                    starts_at=first + timedelta(hours=4 * i),
                    ends_at=first + timedelta(hours=4 * i + 2),
                    location="Hôtel de ville, 2 place de la Libération, 94350 Villiers-sur-Marne",
                    room=f"Salle {i % 7}",
                    online_url="https://visio.example.org/suivi" if i % 3 == 0 else "",
                    visibility=PUBLIC if i % 2 else MEMBERS,
                    sequence=i % 4,
                )
                for i in range(meetings)
            )
            db.flush()
            token = feeds.issue_token(db, user, now)
            return token, user.id
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------- in process


def _timed(action: Callable[[], object], cpu: list[float] | None = None) -> float:
    """Wall-clock milliseconds of ``action``; its CPU milliseconds are appended to ``cpu``.

    SQLite runs in this process, so CPU time is the cost of the feed itself, unaffected by
    other processes competing for the machine.
    """
    start, start_cpu = time.perf_counter(), time.process_time()
    action()
    if cpu is not None:
        cpu.append((time.process_time() - start_cpu) * 1000)
    return (time.perf_counter() - start) * 1000


def in_process(
    database_url: str, data_dir: Path, base_url: str, user_id: int, repeat: int
) -> tuple[list[Figure], int]:
    """Build the private feed with the service alone; returns figures and the feed's size."""
    from sqlalchemy import delete

    from core.accounts.models import User
    from core.app import create_app
    from core.calendar import feeds
    from core.calendar.feed_models import FeedEventCache
    from core.calendar.feed_routes import meeting_url
    from core.db import transaction

    # the server's base URL: events are stored under a fingerprint that includes it
    app = create_app(_settings(database_url, data_dir, base_url))
    state = app.state.reseau
    runtime = feeds.FeedRuntime(
        meeting_url=lambda mid: meeting_url(app, mid), base_url=state.settings.base_url
    )
    now = datetime.now(UTC)
    size = 0

    def answer(store: bool = False, not_modified: bool = False) -> None:
        """What the private feed route does, without HTTP."""
        nonlocal size
        with state.session_factory() as db:
            user = db.get(User, user_id)
            assert user is not None
            result = feeds.answer_feed(
                db,
                feeds.private_feed(db, user),
                now=now,
                runtime=runtime,
                not_modified=lambda _: not_modified,
            )
            size = len(result.body) if result.body is not None else size
        if store and result.fresh:
            with transaction(state.session_factory) as db:
                feeds.store_events(db, result.fresh, now)

    def build(store: bool = False) -> None:
        runtime.bodies.clear()  # assembled from events, not from a whole cached feed
        answer(store)

    def conditional() -> None:
        answer(not_modified=True)

    try:
        with transaction(state.session_factory) as db:
            db.execute(delete(FeedEventCache))
        first = _timed(build)
        runtime.cache.clear()
        stored = _timed(lambda: build(store=True))  # builds again, then shares the events
        cold: list[float] = []
        cold_cpu: list[float] = []
        for _ in range(max(3, repeat // 4)):
            runtime.cache.clear()
            cold.append(_timed(build, cold_cpu))
        events_cpu: list[float] = []
        events = [_timed(build, events_cpu) for _ in range(repeat)]
        warm_cpu: list[float] = []
        warm = [_timed(answer, warm_cpu) for _ in range(repeat)]
        plans_cpu: list[float] = []
        plans = [_timed(conditional, plans_cpu) for _ in range(repeat)]
    finally:
        state.engine.dispose()

    def timed(
        name: str, wall: list[float], cpu: list[float], note: str, target: str | None = None
    ) -> list[Figure]:
        return [
            Figure(f"feeds.inprocess.{name}", median(wall), "ms", target=target, note=f"median; {note}"),
            Figure(f"feeds.inprocess.{name}_cpu", median(cpu), "ms", note="CPU time of the same"),
        ]

    figures = [
        Figure(
            "feeds.inprocess.first_build",
            first,
            "ms",
            note="nothing cached: icalendar serialises every event",
        ),
        Figure(
            "feeds.inprocess.first_build_and_store",
            stored,
            "ms",
            note="the same, plus writing the shared cache",
        ),
        *timed("cold_worker", cold, cold_cpu, "in-process caches empty, events from the table", "< 150 ms"),
        *timed("from_events", events, events_cpu, "assembled from the in-process event cache"),
        *timed("warm", warm, warm_cpu, "the whole feed cached"),
        *timed("conditional", plans, plans_cpu, "the single-row ETag query (a 304)"),
    ]
    return figures, size


# ---------------------------------------------------------------------------------------- HTTP


def _start_server(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        "RESEAU_DATABASE_URL": database_url,
        "RESEAU_DATA_DIR": str(data_dir),
        "RESEAU_SECRET_KEY": "bench-secret-key",
        "RESEAU_BASE_URL": f"http://127.0.0.1:{port}",
        "RESEAU_SCHEDULER": "0",
    }
    return loadgen.start_server("core.asgi:app", port, env)


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc (Linux), else ``None``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(
    conn: http.client.HTTPConnection, path: str, headers: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    return response.status, body, {k.lower(): v for k, v in response.getheaders()}


def _load(
    port: int, path: str, args: argparse.Namespace, expect: int = 200, headers: dict[str, str] | None = None
) -> tuple[float, list[float]]:
    """One HTTP phase on ``path`` within this benchmark's bounds: (requests/s, latencies in ms)."""
    return loadgen.load(
        port,
        [path],
        requests=args.feed_requests,
        seconds=args.feed_seconds,
        clients=args.feed_clients,
        expect=expect,
        headers=headers,
    )


def over_http(
    database_url: str, data_dir: Path, port: int, token: str, args: argparse.Namespace
) -> list[Figure]:
    """Serve the app with uvicorn on loopback and measure the private feed."""
    server = _start_server(database_url, data_dir, port)
    path = f"/ical/prive/{token}.ics"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        # the process's own first-request costs (mappers, pool, compiled statements) aside
        _get(conn, "/api/v1/meetings?limit=1", {})
        start, cold_cpu_start = time.perf_counter(), _cpu_seconds(server.pid)
        status, body, headers = _get(conn, path, {})
        cold = (time.perf_counter() - start) * 1000
        cold_cpu_end = _cpu_seconds(server.pid)
        conn.close()
        if status != 200:
            raise RuntimeError(f"the private feed answered {status}")
        etag = headers["etag"]
        cpu_start = _cpu_seconds(server.pid)
        warm_rate, warm = _load(port, path, args)
        cpu_middle = _cpu_seconds(server.pid)
        cond_rate, cond = _load(port, path, args, expect=304, headers={"If-None-Match": etag})
        cpu_end = _cpu_seconds(server.pid)
    finally:
        loadgen.stop_server(server)
    server_cpu = []
    if cold_cpu_start is not None and cold_cpu_end is not None:
        server_cpu.append(
            Figure(
                "feeds.http.cold_request_server_cpu",
                (cold_cpu_end - cold_cpu_start) * 1000,
                "ms",
                note="server CPU for the first feed request (clock ticks: ±10 ms)",
            )
        )
    if cpu_start is not None and cpu_middle is not None and cpu_end is not None:
        warm_cpu = (cpu_middle - cpu_start) * 1000 / len(warm)
        cond_cpu = (cpu_end - cpu_middle) * 1000 / len(cond)
        server_cpu += [
            Figure(
                "feeds.http.warm_server_cpu",
                warm_cpu,
                "ms/req",
                note=f"server CPU per full GET: {1000 / warm_cpu:.0f} req/s per busy core",
            ),
            Figure(
                "feeds.http.not_modified_server_cpu",
                cond_cpu,
                "ms/req",
                note=f"server CPU per 304: {1000 / cond_cpu:.0f} req/s per busy core",
            ),
        ]
    return [
        Figure(
            "feeds.http.cold_request",
            cold,
            "ms",
            target="< 150 ms",
            note=f"first feed request of a fresh worker, {len(body) // 1024} KiB",
        ),
        Figure(
            "feeds.http.warm",
            warm_rate,
            "req/s",
            target=">= 100 req/s",
            note=f"{len(warm)} GETs, {args.feed_clients} clients",
        ),
        Figure("feeds.http.warm_p50", percentile(warm, 0.5), "ms"),
        Figure("feeds.http.warm_p99", percentile(warm, 0.99), "ms"),
        Figure("feeds.http.not_modified", cond_rate, "req/s", note=f"{len(cond)} conditional GETs → 304"),
        Figure("feeds.http.not_modified_p50", percentile(cond, 0.5), "ms"),
        Figure("feeds.http.not_modified_p99", percentile(cond, 0.99), "ms"),
        *server_cpu,
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    """The whole benchmark; prints nothing itself (the runner prints the table)."""
    with tempfile.TemporaryDirectory(prefix="reseau-bench-") as tmp:
        data_dir = Path(tmp)
        database_url = args.database_url or f"sqlite:///{data_dir / 'bench.db'}"
        port = loadgen.free_port()
        token, user_id = prepare(database_url, data_dir, args.feed_meetings)
        figures, size = in_process(
            database_url, data_dir, f"http://127.0.0.1:{port}", user_id, args.feed_repeat
        )
        figures.insert(
            0, Figure("feeds.meetings", args.feed_meetings, "meetings", note=f"feed of {size // 1024} KiB")
        )
        figures += over_http(database_url, data_dir, port, token, args)
    return figures
