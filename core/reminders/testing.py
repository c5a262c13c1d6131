"""Helpers to test reminder rules (the core's and plugins'): run a rule, sweep, send.

Typical plugin test, with the ``make_app``, ``db`` and ``smtp_sink`` fixtures::

    app = make_app(smtp_url=smtp_sink.url)
    ...arrange data with the models, db.commit()...
    dues = collect(app, "myplugin.rule", at)             # what the rule yields at ``at``
    swept, sent = run_at(app, at)                          # sweep + send, as the worker would
    assert [m.rcpt_tos for m in smtp_sink.messages] == [("someone@example.org",)]
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.reminders.models import ReminderRuleState
from core.reminders.rules import Due, RuleRun
from core.reminders.runtime import run_at as _run_at
from core.reminders.sender import SendReport
from core.reminders.sweep import FIRST_LOOKBACK, SweepReport, effective_timing


def _state(app: Any) -> Any:
    return getattr(getattr(app, "state", None), "reseau", app)


def collect(app: Any, rule_name: str, now: datetime, since: datetime | None = None) -> list[Due]:
    """What ``rule_name`` yields for the window ``(since, now]`` (default: the first-sweep
    look-back), without touching the outbox. ``app`` is the Starlette app or its ``AppState``."""
    state = _state(app)
    rule = state.registry.reminder_rules[rule_name]
    router = state.extras.get("router")
    with state.session_factory() as db:
        timing = effective_timing(rule, db.get(ReminderRuleState, rule_name))
        run = RuleRun(
            db=db,
            rule=rule,
            timing=timing,
            since=since or now - FIRST_LOOKBACK,
            now=now,
            settings=state.settings,
            url_path_for=router.url_path_for if router is not None else None,
        )
        dues = list(rule.collect(run))
        db.rollback()
    return dues


def run_at(app: Any, at: datetime) -> tuple[SweepReport, SendReport]:
    """One sweep and one send run at ``at`` (``reseau reminders run --at``)."""
    return _run_at(_state(app), at)


def walk(
    app: Any, start: datetime, end: datetime, step: timedelta = timedelta(hours=1)
) -> list[tuple[SweepReport, SendReport]]:
    """Time travel: sweep and send at every ``step`` from ``start`` to ``end`` (inclusive)."""
    reports = []
    at = start
    while at <= end:
        reports.append(run_at(app, at))
        at += step
    return reports
