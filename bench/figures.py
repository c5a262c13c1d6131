"""A measured figure, and the helpers every benchmark uses to report it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One result: ``name``, ``value`` in ``unit``; ``baseline``/``target`` when compared with one."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: str | None = None
    note: str = ""


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` (0–1) percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def print_table(figures: list[Figure]) -> None:
    """A readable table of the figures."""
    width = max((len(f.name) for f in figures), default=10)
    print(f"{'figure':<{width}}  {'value':>12}  {'unit':<8}  target / note")
    print("-" * (width + 45))
    for f in figures:
        extra = " ".join(part for part in (f.target or "", f.note) if part)
        print(f"{f.name:<{width}}  {f.value:>12.2f}  {f.unit:<8}  {extra}")
