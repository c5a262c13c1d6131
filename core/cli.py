"""The ``reseau`` command: serve, worker, db upgrade, demo, create-admin, directory, reminders…

Plugins add commands through ``reseau_register_cli_commands``.
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any

import click

from core.config import Settings, load_settings
from core.db import make_engine, make_session_factory, transaction


class CliState:
    """Settings and lazily-built engine shared by sub-commands."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def session_factory(self) -> Any:
        return make_session_factory(self.engine)

    def close(self) -> None:
        """Release the database connections (the process may go on: tests, a shell)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


pass_state = click.make_pass_decorator(CliState)


def _ensure_data_dir(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)


@click.group()
@click.pass_context
def cli(click_ctx: click.Context) -> None:
    """Réseau – the collaboration hub of a Contrat de ville partner network."""
    if click_ctx.obj is None:
        click_ctx.obj = CliState(load_settings())
    click_ctx.call_on_close(click_ctx.obj.close)
    _ensure_data_dir(click_ctx.obj.settings)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="web worker processes")
@click.option("--no-scheduler", is_flag=True, help="do not run the reminder jobs in this process")
@pass_state
def serve(state: CliState, host: str, port: int, workers: int, no_scheduler: bool) -> None:
    """Serve the web application with uvicorn."""
    import uvicorn

    if workers > 1 and not no_scheduler and state.settings.run_scheduler and state.settings.is_sqlite:
        raise click.ClickException(
            "Sur SQLite, un seul processus peut exécuter les rappels : lancez "
            "« reseau serve --workers N --no-scheduler » et un « reseau worker » à part."
        )
    if no_scheduler:
        os.environ["RESEAU_SCHEDULER"] = "0"
    click.echo(f"Réseau : {state.settings.base_url if host == '127.0.0.1' else f'http://{host}:{port}'}")
    uvicorn.run(
        "core.asgi:app",
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-* are read by the app itself, from RESEAU_PROXY_IPS only (core.app)
        proxy_headers=False,
        log_level="info",
    )


@cli.group()
def db() -> None:
    """Database schema: upgrade, revisions, checks."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@pass_state
def db_upgrade(state: CliState, revision: str) -> None:
    """Bring the database to the head of the core and every enabled plugin."""
    from core import migrate

    migrate.upgrade(state.settings, engine=state.engine, revision=revision)
    click.echo("Base de données à jour.")


@db.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--branch", default="core", show_default=True, help="core or a plugin name")
@click.option("--autogenerate/--empty", default=True)
@pass_state
def db_revision(state: CliState, message: str, branch: str, autogenerate: bool) -> None:
    """Write a new migration for the core or a plugin (a plugin's first one starts its branch)."""
    from core import migrate

    migrate.new_revision(
        state.settings, message, branch=branch, autogenerate=autogenerate, engine=state.engine
    )


@db.command("check")
@pass_state
def db_check(state: CliState) -> None:
    """Fail when the models and the migrations disagree."""
    from alembic import command

    from core import migrate

    command.check(migrate.alembic_config(state.settings, engine=state.engine))
    click.echo("Les migrations correspondent aux modèles.")


@cli.command()
@click.option(
    "--scale",
    type=click.Choice(["small", "large"]),
    default=None,
    help="add generated data at scale (large: 20,000 organisations, 50,000 meetings…; bench/generate.py)",
)
@pass_state
def demo(state: CliState, scale: str | None) -> None:
    """Load the demo data (idempotent): the contract's partners, spaces, accounts."""
    from core import demo as demo_data
    from core.plugins import Hooks, make_plugin_manager

    hooks = Hooks(make_plugin_manager(state.settings.plugins, entrypoints=state.settings.load_entrypoints))
    with transaction(state.session_factory()) as session:
        demo_data.load(session, hooks)
    click.echo("Données de démonstration chargées.")
    if scale is not None:
        from bench import generate

        counts = generate.generate(state.engine, generate.SCALES[scale])
        if counts:
            click.echo(f"Données à l'échelle « {scale} » : {sum(counts.values())} lignes ajoutées.")
        else:
            click.echo("Les données à grande échelle sont déjà présentes : rien n'a été ajouté.")
    click.echo(f"Connexion : {demo_data.ADMIN_EMAIL} / {demo_data.DEMO_PASSWORD}")


@cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="", help="display name")
@click.option("--password", default=None, help="asked for (twice, hidden) when omitted")
@pass_state
def create_admin(state: CliState, email: str, name: str, password: str | None) -> None:
    """Create an administrator account (or make an existing user an active admin, new password).

    Runs outside any event loop, so the argon2 hashing blocks nothing but this command.
    """
    from core.accounts import services
    from core.audit import services as audit
    from core.web.forms import normalise_email_address

    try:
        email = normalise_email_address(email)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not email:
        raise click.ClickException("Adresse électronique manquante.")
    if len(name) > 200:
        raise click.ClickException("Le nom ne peut pas dépasser 200 caractères.")
    if password is None:
        password = click.prompt(
            "Mot de passe", hide_input=True, confirmation_prompt="Confirmez le mot de passe"
        )
    try:
        services.check_new_password(password)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    with transaction(state.session_factory()) as session:
        user = services.get_user_by_email(session, email)
        if user is None:
            user = services.create_user(session, email, password, name or email, is_admin=True)
            audit.record(session, None, "accounts.user.created", user, summary="create-admin")
            click.echo(f"Administrateur créé : {user.email}")
        else:
            changes = audit.diff(user, {"is_admin": True, "is_active": True})
            user.is_admin = True
            user.is_active = True
            services.set_password(session, user, password)  # also ends the user's sessions
            audit.record(
                session, None, "accounts.user.made_admin", user, summary="create-admin", changes=changes
            )
            click.echo(f"{user.email} est désormais administrateur.")


def _add_core_commands(group: click.Group) -> None:
    """Commands that live beside their area (directory import/export, worker, reminders)."""
    from core.directory.cli import commands as directory_commands
    from core.privacy.cli import commands as privacy_commands
    from core.reminders.cli import commands as reminder_commands

    for command in [*directory_commands, *reminder_commands, *privacy_commands]:
        if command.name not in group.commands:
            group.add_command(command)


def _add_plugin_commands(group: click.Group, settings: Settings) -> None:
    from core.plugins import Hooks, make_plugin_manager

    try:
        hooks = Hooks(make_plugin_manager(settings.plugins, entrypoints=settings.load_entrypoints))
        commands = hooks.cli_commands()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for command in commands:
        if command.name in group.commands:
            raise click.ClickException(f"la commande {command.name!r} existe déjà")
        group.add_command(command.command, command.name)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``reseau`` console script."""
    settings = load_settings()
    # a copy per call: the plugins' commands depend on the settings and must not pile up on
    # the module-level group (tests call main() several times in one process)
    _add_core_commands(cli)
    root = copy.copy(cli)
    root.commands = dict(cli.commands)
    try:
        _add_plugin_commands(root, settings)
    except click.ClickException as exc:  # raised before click runs: show it as click would
        exc.show()
        sys.exit(exc.exit_code)
    root.main(args=argv if argv is not None else sys.argv[1:], prog_name="reseau", obj=CliState(settings))
