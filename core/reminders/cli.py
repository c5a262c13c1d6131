"""``reseau worker`` and ``reseau reminders run|rules``."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from typing import Any

import click

from core.reminders.rules import paris_to_utc


def parse_instant(value: str) -> datetime:
    """``2026-06-15T08:00`` (Paris wall time) or ISO 8601 with an offset, as aware UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter(f"date et heure illisibles : {value!r} (ex. 2026-06-15T08:00)") from exc
    if parsed.tzinfo is None:
        return paris_to_utc(parsed.date(), parsed.time())
    return parsed.astimezone(UTC)


def _state(click_ctx: click.Context, **changes: Any) -> Any:
    from core.app import create_app

    settings = click_ctx.obj.settings.with_(**changes)
    return create_app(settings).state.reseau


@click.command("worker")
@click.pass_context
def worker(click_ctx: click.Context) -> None:
    """Run the reminder jobs (sweep and send) until stopped – beside ``serve --no-scheduler``."""
    from core.reminders.runtime import SchedulerLocked, running_jobs

    state = _state(click_ctx, run_scheduler=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with running_jobs(state):
            click.echo("Réseau worker : rappels et envoi des courriels en cours (Ctrl+C pour arrêter).")
            await stop.wait()
        click.echo("Réseau worker arrêté.")

    try:
        asyncio.run(main())
    except SchedulerLocked as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        state.engine.dispose()


@click.group("reminders")
def reminders() -> None:
    """Reminders: run a sweep and a send at a given instant, list the rules."""


@reminders.command("run")
@click.option(
    "--at",
    "at",
    default=None,
    help="instant, e.g. 2026-06-15T08:00 (Paris) or ISO with offset; now by default",
)
@click.pass_context
def run(click_ctx: click.Context, at: str | None) -> None:
    """One sweep then one send run, at ``--at`` (for operators and tests)."""
    from core.reminders.runtime import run_at

    instant = parse_instant(at) if at else datetime.now(UTC)
    state = _state(click_ctx)
    try:
        swept, sent = run_at(state, instant)
    finally:
        state.engine.dispose()
    click.echo(f"Balayage à {instant.isoformat()} : {swept.total} courriel(s) mis en file.")
    for name, error in swept.errors.items():
        click.echo(f"  règle {name} en erreur : {error}", err=True)
    click.echo(
        f"Envoi : {sent.sent} envoyé(s), {sent.retried} à réessayer, "
        f"{sent.failed} en échec, {sent.expired} expiré(s)."
    )
    if swept.errors:
        raise SystemExit(1)


@reminders.command("rules")
@click.pass_context
def rules(click_ctx: click.Context) -> None:
    """List the reminder rules with their timing."""
    from core.reminders.models import ReminderRuleState
    from core.reminders.rules import format_offsets
    from core.reminders.sweep import effective_timing

    state = _state(click_ctx)
    try:
        with state.session_factory() as db:
            for name, rule in state.registry.reminder_rules.items():
                timing = effective_timing(rule, db.get(ReminderRuleState, name))
                status = "actif" if timing.enabled else "désactivé"
                offsets = format_offsets(timing.offsets) or "–"
                click.echo(f"{name:40} {status:10} {offsets:20} {timing.send_time:%H:%M}")
    finally:
        state.engine.dispose()


commands: list[click.Command] = [worker, reminders]
