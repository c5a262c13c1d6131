"""``reseau privacy purge|export|erase``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from core.reminders.cli import parse_instant


def _state(click_ctx: click.Context) -> Any:
    from core.app import create_app

    return create_app(click_ctx.obj.settings.with_(run_scheduler=False)).state.reseau


@click.group("privacy")
def privacy() -> None:
    """Personal data: retention purge, export and erasure of one person."""


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="report what would be purged, change nothing")
@click.option("--at", "at", default=None, help="as if run at this Paris time (2026-06-15T08:00)")
@click.pass_context
def purge(click_ctx: click.Context, dry_run: bool, at: str | None) -> None:
    """Delete or anonymise the data kept longer than its retention period (the daily job)."""
    from core.db import transaction
    from core.privacy import services

    state = _state(click_ctx)
    now = parse_instant(at) if at else state.now()
    try:
        with transaction(state.session_factory) as db:
            lines = services.purge(db, state.settings, now, dry_run=dry_run)
            if dry_run:
                db.rollback()
    finally:
        state.engine.dispose()
    click.echo(("Simulation, rien n'est modifié.\n" if dry_run else "") + services.summary(lines))


def _subject_options(fn: Any) -> Any:
    fn = click.option("--user", "user_id", type=int, default=None, help="account id")(fn)
    return click.option("--contact", "contact_id", type=int, default=None, help="directory contact id")(fn)


@privacy.command("export")
@_subject_options
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="file to write: .json, or .zip for CSV files")
@click.pass_context
def export(click_ctx: click.Context, contact_id: int | None, user_id: int | None, output: Path) -> None:
    """Write everything the hub holds about one person."""
    from core.db import transaction
    from core.privacy import services

    if contact_id is None and user_id is None:
        raise click.UsageError("Indiquez --contact ou --user.")
    state = _state(click_ctx)
    try:
        with transaction(state.session_factory, write=False) as db:
            try:
                subject = services.resolve(db, contact_id=contact_id, user_id=user_id)
            except services.SubjectNotFound as exc:
                raise click.ClickException(f"Personne introuvable : {exc}") from exc
            fn = services.export_zip if output.suffix == ".zip" else services.export_json
            output.write_bytes(fn(db, subject, state.now()))
    finally:
        state.engine.dispose()
    click.echo(f"Données écrites dans {output}.")


@privacy.command("erase")
@_subject_options
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.pass_context
def erase(click_ctx: click.Context, contact_id: int | None, user_id: int | None, yes: bool) -> None:
    """Erase one person everywhere (anonymised contact and account, personal columns blanked)."""
    from core.db import transaction
    from core.privacy import services

    if contact_id is None and user_id is None:
        raise click.UsageError("Indiquez --contact ou --user.")
    if not yes:
        click.confirm("L'effacement est définitif. Continuer ?", abort=True)
    state = _state(click_ctx)
    try:
        with transaction(state.session_factory) as db:
            try:
                subject = services.resolve(db, contact_id=contact_id, user_id=user_id)
            except services.SubjectNotFound as exc:
                raise click.ClickException(f"Personne introuvable : {exc}") from exc
            report = services.erase(db, subject, actor=None, now=state.now())
    finally:
        state.engine.dispose()
    click.echo(f"Données effacées : {report.total} ligne(s) modifiée(s).")


commands = [privacy]
