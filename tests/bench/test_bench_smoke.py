"""``make bench`` still runs: every benchmark on small data, once, on SQLite.

A smoke test only: it checks that the figures are produced and written, never how fast.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import BENCHMARKS, main

SMALL = [
    "--scale", "small", "--quiet",
    "--web-backend", "sqlite", "--web-requests", "8", "--web-seconds", "2", "--web-clients", "2",
    "--feed-meetings", "20", "--feed-requests", "8", "--feed-seconds", "2", "--feed-repeat", "2",
    "--reminders-db", "sqlite", "--sweep-meetings", "60", "--send-messages", "20",
    "--reminders-rounds", "1",
]  # fmt: skip


def test_every_benchmark_runs_and_writes_its_figures(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    assert main([*SMALL, "--output", str(output)]) == 0
    results = json.loads(output.read_text())
    names = {figure["name"] for figure in results["figures"]}
    for expected in (
        "web.search_page_ratio",
        "web.month_view_ratio",
        "web.meeting_page_ratio",
        "web.worker_rss",
        "feeds.http.cold_request",
        "feeds.http.warm",
        "feeds.http.not_modified",
        "reminders.sqlite.sweep",
        "reminders.sqlite.sweep_doubled",
        "reminders.sqlite.send_ratio",
    ):
        assert expected in names
    assert {name.split(".")[0] for name in names} == set(BENCHMARKS)
    for figure in results["figures"]:
        assert set(figure) >= {"name", "value", "unit", "baseline"} and figure["value"] >= 0
    assert results["machine"]["cpus"] and "load_average_before" in results["machine"]
