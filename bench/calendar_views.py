"""Benchmark of the calendar views: month grid and list view time for N meetings, in process.

Run: ``.venv/bin/python -m bench.calendar_views [--sizes 100,1000,5000] [--database-url URL]``
(default: a temporary SQLite file; pass a PostgreSQL URL of an empty, disposable database to
measure there). It prints, for each size, the median time of a request and the number of SQL
statements it issued (which must not grow with the number of meetings).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event
from starlette.testclient import TestClient

from core import migrate
from core.app import create_app
from core.calendar.models import Meeting
from core.config import Settings
from core.db import make_engine, transaction
from core.spaces.models import Space

MONTH_START = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
PAGES = {
    "mois": "/agenda/?month=2026-03",
    "semaine": "/agenda/semaine?date=2026-03-09",
    "liste (1 mois, 1re page)": "/agenda/liste?start=2026-03-01&end=2026-03-31",
}


def _fill(app: Any, n: int) -> None:
    """Replace the meetings with ``n`` public meetings spread over March 2026 in 10 spaces."""
    state = app.state.reseau
    with transaction(state.session_factory) as db:
        db.execute(delete(Meeting))
        spaces = db.query(Space).all()
        if not spaces:
            spaces = [Space(slug=f"espace-{i}", name=f"Espace {i}", kind="core.espace") for i in range(10)]
            db.add_all(spaces)
            db.flush()
        minutes = 30 * 24 * 60
        db.bulk_insert_mappings(
            Meeting,
            [
                {
                    "uid": f"bench-{i}@reseau",
                    "sequence": 0,
                    "space_id": spaces[i % len(spaces)].id,
                    "kind": "core.reunion",
                    "title": f"Réunion {i}",
                    "description": "",
                    "starts_at": MONTH_START + timedelta(minutes=(i * 97) % minutes),
                    "ends_at": MONTH_START + timedelta(minutes=(i * 97) % minutes + 120),
                    "location": "",
                    "room": f"Salle {i % 7}",
                    "online_url": "",
                    "visibility": "public",
                    "status": "scheduled",
                    "cancel_reason": "",
                    "reminders_enabled": True,
                    "created_at": MONTH_START,
                    "updated_at": MONTH_START,
                }
                for i in range(n)
            ],
        )


def _measure(client: TestClient, engine: Any, path: str, repeat: int) -> tuple[float, int]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    client.get(path)  # warm up (templates compiled, caches filled)
    timings = []
    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(repeat):
            statements.clear()
            started = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statistics.median(timings), len(statements)


def main() -> None:
    """Parse the arguments, build the app on the chosen database, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(
            database_url=url,
            data_dir=Path(tmp),
            secret_key="bench-secret",
            base_url="http://testserver",
            plugins=(),
            load_entrypoints=False,
            run_scheduler=False,
            trusted_hosts=("testserver",),
        )
        engine = make_engine(url)
        migrate.upgrade(settings, engine=engine)
        engine.dispose()
        app = create_app(settings)
        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"Vues de l'agenda – {backend}, médiane de {args.repeat} requêtes, en processus (TestClient)")
        print(f"{'réunions':>9} | {'vue':<26} | {'temps (ms)':>10} | {'requêtes SQL':>12}")
        with TestClient(app) as client:
            for n in (int(s) for s in args.sizes.split(",")):
                _fill(app, n)
                for label, path in PAGES.items():
                    median, queries = _measure(client, app.state.reseau.engine, path, args.repeat)
                    print(f"{n:>9} | {label:<26} | {median * 1000:>10.1f} | {queries:>12}")
        app.state.reseau.engine.dispose()


if __name__ == "__main__":
    main()
