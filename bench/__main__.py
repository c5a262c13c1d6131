"""Run the benchmarks, print a table and write ``var/bench/results.json``.

``python -m bench [--only feeds] [benchmark options]``. Each benchmark module exposes
``add_arguments(parser)`` and ``run(args) -> list[Figure]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path

from bench.figures import Figure, print_table

BENCHMARKS = ("web", "feeds", "reminders")


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the chosen benchmarks, report their figures."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only these benchmarks")
    parser.add_argument("--output", type=Path, default=Path("var/bench/results.json"))
    parser.add_argument(
        "--scale", choices=("small", "large"), default="large", help="generated data (bench/generate.py)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    modules = {name: importlib.import_module(f"bench.{name}") for name in BENCHMARKS}
    for module in modules.values():
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    figures: list[Figure] = []
    for name in args.only or BENCHMARKS:
        figures += modules[name].run(args)
    print_table(figures)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        # other processes share the CPUs: figures taken under load are slower than the code
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    args.output.write_text(
        json.dumps(
            {"machine": machine, "figures": [asdict(f) for f in figures]}, ensure_ascii=False, indent=2
        )
    )
    print(f"\nmachine: {machine}\n→ {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
