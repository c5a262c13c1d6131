"""The feed benchmark still runs (small data, both databases); its figures are not asserted."""

from __future__ import annotations

import argparse

from bench import feeds as feed_bench


def test_feed_benchmark_runs_on_small_data(db_url: str) -> None:
    args = argparse.Namespace(
        feed_meetings=12,
        feed_requests=6,
        feed_seconds=10.0,
        feed_clients=2,
        feed_repeat=2,
        database_url=db_url,
    )
    figures = feed_bench.run(args)
    names = {figure.name for figure in figures}
    assert {
        "feeds.inprocess.first_build",
        "feeds.inprocess.cold_worker",
        "feeds.inprocess.warm",
        "feeds.inprocess.conditional",
        "feeds.http.cold_request",
        "feeds.http.warm",
        "feeds.http.not_modified",
    } <= names
    assert all(figure.value >= 0 for figure in figures)
