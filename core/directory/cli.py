"""``reseau directory import|export|reindex``: the directory's CSV files from the command line.

The same services as the web pages: an import checks every line first and writes all of them
or none (one transaction); the exit status is not 0 when the import cannot go ahead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.cli import CliState, pass_state
from core.db import transaction
from core.directory import csvio, search, services

commands: list[click.Command] = []


@click.group("directory")
def directory() -> None:
    """Partner directory: CSV import and export, search index upkeep."""


@directory.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(csvio.KINDS),
    default="organisations",
    show_default=True,
    help="what the file holds",
)
@click.option("--dry-run", is_flag=True, help="check the file and print the report; write nothing")
@click.option(
    "--allow-duplicates",
    is_flag=True,
    help="create probable duplicates as new entries instead of refusing the import",
)
@pass_state
def import_command(state: CliState, file: Path, kind: str, dry_run: bool, allow_duplicates: bool) -> None:
    """Import organisations or contacts from a CSV FILE (French spreadsheet conventions)."""
    size = file.stat().st_size
    if size > csvio.IMPORT_MAX_BYTES:
        click.echo(
            f"Le fichier est trop volumineux ({size / 1024 / 1024:.1f} Mo) : "
            f"{csvio.IMPORT_MAX_BYTES // (1024 * 1024)} Mo au plus. Découpez-le en plusieurs fichiers.",
            err=True,
        )
        sys.exit(1)
    data = file.read_bytes()
    with transaction(state.session_factory()) as session:
        report = csvio.import_csv(
            session, None, data, kind=kind, dry_run=dry_run, allow_duplicates=allow_duplicates
        )
    for line in report.lines():
        click.echo(line)
    if report.blocked:
        sys.exit(1)


@directory.command("export")
@click.option("--kind", type=click.Choice(csvio.KINDS), default="organisations", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="file to write (default: standard output)",
)
@click.option("--query", "-q", default="", help="only what this search finds")
@pass_state
def export_command(state: CliState, kind: str, output: str, query: str) -> None:
    """Export organisations or contacts as CSV (semicolons, UTF-8 with BOM: French Excel)."""
    with transaction(state.session_factory(), write=False) as session:
        if kind == "organisations":
            orgs = search.search_organisations(session, search.OrganisationFilters(q=query), per_page=None)
            text, count = csvio.organisations_csv(orgs.items), orgs.total
        else:
            people = search.search_contacts(
                session, search.ContactFilters(q=query), include_unlisted=True, per_page=None
            )
            text, count = csvio.contacts_csv(people.items), people.total
    with click.open_file(output, "wb") as fh:
        fh.write(text.encode("utf-8"))
    if output != "-":
        click.echo(f"{count} ligne(s) écrite(s) dans {output}.", err=True)


@directory.command("reindex")
@pass_state
def reindex_command(state: CliState) -> None:
    """Recompute every name key and search document of the directory."""
    with transaction(state.session_factory()) as session:
        organisations, contacts = services.reindex(session)
    click.echo(f"Index de recherche recalculé : {organisations} organisation(s), {contacts} contact(s).")


commands.append(directory)
