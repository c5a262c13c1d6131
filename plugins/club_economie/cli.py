"""``reseau club_economie …``: the club's maintenance commands."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from core.db import transaction


@click.group("club_economie")
def cli() -> None:
    """Club des acteurs de l'économie."""


@cli.command("anonymiser")
@click.pass_context
def anonymise(click_ctx: click.Context) -> None:
    """Anonymise the declined applications past their retention period (run it daily)."""
    from plugins.club_economie.services import anonymise_expired

    # the ``reseau`` group's state object: settings and a lazily built engine
    state = click_ctx.find_root().obj
    with transaction(state.session_factory()) as db:
        count = anonymise_expired(db, datetime.now(UTC))
    click.echo(f"{count} candidature(s) refusée(s) anonymisée(s).")
