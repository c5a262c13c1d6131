"""Pages of the real app under uvicorn on loopback, each next to a bare Starlette baseline
measured in the same run on the same database (``bench.bare``):

* the directory search page (HTML, 20 results, accent-insensitive queries) vs the same
  full-text query behind a bare endpoint – target ≥ 0.5×;
* the calendar month view and a meeting page vs a bare constant page – target ≥ 0.3×;
* the resident size of the app's worker after the load – target < 200 MB.

The data is the generated metropolis (``bench.generate``, ``--scale``) unless
``--web-database-url`` names a database that already holds it. Requests are anonymous: public
pages, public meetings (sessions cost one indexed lookup more).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench import databases, loadgen
from bench.figures import Figure, percentile

QUERIES = (
    "ecole",
    "École élémentaire",
    "solidarite",
    "creteil",
    "maison quartier",
    "Épinay",
    "l'ile saint denis",
    "theatre",
    "réussite éducative",
    "insertion activite",
    "mediatheque",
    "regie quartier",
)
MONTH = "2026-03"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this benchmark."""
    group = parser.add_argument_group("web")
    group.add_argument("--web-backend", choices=("sqlite", "postgresql"), default="postgresql")
    group.add_argument("--web-database-url", default=None, help="a database already holding the data")
    group.add_argument("--web-requests", type=int, default=2000, help="requests per phase (bound)")
    group.add_argument("--web-seconds", type=float, default=15.0, help="seconds per phase (bound)")
    group.add_argument("--web-clients", type=int, default=4, help="concurrent keep-alive clients")


def _public_meeting(url: str) -> int:
    from sqlalchemy import func, select

    from core.calendar.models import Invitation, Meeting
    from core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            invited = select(func.count()).where(Invitation.meeting_id == Meeting.id).scalar_subquery()
            meeting_id = conn.scalar(
                select(Meeting.id)
                .where(Meeting.visibility == "public", Meeting.status == "scheduled")
                .order_by(invited.desc(), Meeting.starts_at.desc())
                .limit(1)
            )
    finally:
        engine.dispose()
    if meeting_id is None:
        raise RuntimeError("no public meeting in the benchmark database")
    return int(meeting_id)


def _phase(
    name: str, port: int, paths: list[str], args: argparse.Namespace
) -> tuple[float, list[float], list[Figure]]:
    for path in paths[:3]:  # warm up: templates compiled, statements prepared, pool filled
        status, _ = loadgen.get(port, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    rate, latencies = loadgen.load(
        port, paths, requests=args.web_requests, seconds=args.web_seconds, clients=args.web_clients
    )
    note = f"{len(latencies)} GETs, {args.web_clients} clients"
    return (
        rate,
        latencies,
        [
            Figure(f"web.{name}", rate, "req/s", note=note),
            Figure(f"web.{name}_p50", percentile(latencies, 0.5), "ms"),
            Figure(f"web.{name}_p99", percentile(latencies, 0.99), "ms"),
        ],
    )


def _ratio(name: str, value: float, baseline: float, target: float, what: str) -> Figure:
    ratio = value / baseline if baseline else 0.0
    verdict = "met" if ratio >= target else f"missed by {target - ratio:.2f}"
    return Figure(
        f"web.{name}_ratio",
        ratio,
        "×",
        baseline=round(baseline, 1),
        target=f">= {target}",
        note=f"{value:.0f} vs {baseline:.0f} req/s ({what}); {verdict}",
    )


def measure(url: str, data_dir: Path, args: argparse.Namespace) -> list[Figure]:
    """Run the app and the bare endpoints on ``url`` and load both; returns the figures."""
    meeting_id = _public_meeting(url)
    app_port, bare_port = loadgen.free_port(), loadgen.free_port()
    env = {
        "RESEAU_DATABASE_URL": url,
        "RESEAU_DATA_DIR": str(data_dir),
        "RESEAU_SECRET_KEY": "bench-secret-key",
        "RESEAU_BASE_URL": f"http://127.0.0.1:{app_port}",
        "RESEAU_SCHEDULER": "0",
    }
    search_paths = [f"/annuaire/?q={quote(q)}" for q in QUERIES]
    bare_paths = [f"/recherche?q={quote(q)}" for q in QUERIES]
    figures: list[Figure] = []
    app_server = loadgen.start_server("core.asgi:app", app_port, env)
    bare_server = loadgen.start_server("bench.bare:app", bare_port, env)
    try:
        rss_start = loadgen.rss_mb(app_server.pid)
        # the baselines and the pages alternate, so the machine's load hits both alike
        bare_search, _, f = _phase("bare_search", bare_port, bare_paths, args)
        figures += f
        page_search, _, f = _phase("search_page", app_port, search_paths, args)
        figures += f
        constant, _, f = _phase("bare_constant", bare_port, ["/constante"], args)
        figures += f
        month, _, f = _phase("month_view", app_port, [f"/agenda/?month={MONTH}"], args)
        figures += f
        meeting, _, f = _phase("meeting_page", app_port, [f"/agenda/reunions/{meeting_id}"], args)
        figures += f
        rss_end = loadgen.rss_mb(app_server.pid)
    finally:
        loadgen.stop_server(app_server)
        loadgen.stop_server(bare_server)
    figures += [
        _ratio("search_page", page_search, bare_search, 0.5, "search page / bare FTS endpoint"),
        _ratio("month_view", month, constant, 0.3, "month view / constant page"),
        _ratio("meeting_page", meeting, constant, 0.3, "meeting page / constant page"),
    ]
    if rss_end is not None:
        figures.append(
            Figure(
                "web.worker_rss",
                rss_end,
                "MiB",
                target="< 200 MB",
                note=f"one uvicorn worker after the load (at start: {rss_start or 0:.0f} MiB)",
            )
        )
    return figures


def run(args: argparse.Namespace) -> list[Figure]:
    """The whole benchmark (the runner prints the table)."""
    with tempfile.TemporaryDirectory(prefix="reseau-bench-web-") as tmp:
        folder = Path(tmp)
        if args.web_database_url:
            return measure(args.web_database_url, folder, args)
        database = databases.create(args.web_backend, folder, args.scale, progress=not args.quiet)
        try:
            figures: list[Any] = [
                Figure(
                    "web.data_generated",
                    database.generated_s,
                    "s",
                    note=f"{sum(database.rows.values())} rows, scale {args.scale}, {args.web_backend}",
                )
            ]
            return figures + measure(database.url, folder, args)
        finally:
            database.drop()
