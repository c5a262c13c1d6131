"""``reseau directory import|export|reindex`` on both databases (click's CliRunner)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from core.cli import CliState, _add_core_commands, cli
from core.config import Settings
from core.directory.models import Contact, Organisation
from tests.core.directory.conftest import audit_actions, count, make_contact, make_org

GOOD = "Nom;Type;Ville\nÉcole Jean-Renoir;autre;Villiers-sur-Marne\nMission Locale;association;Villiers\n"


def reseau(settings: Settings, *args: str) -> Result:
    """Run ``reseau ARGS`` in-process, as the console script would."""
    _add_core_commands(cli)
    state = CliState(settings)
    try:
        return CliRunner().invoke(cli, list(args), obj=state, catch_exceptions=False)
    finally:
        if state._engine is not None:
            state._engine.dispose()


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "partenaires.csv"
    path.write_bytes(GOOD.encode("cp1252"))
    return path


def test_dry_run_prints_the_report_and_writes_nothing(
    settings: Settings, db: Session, good_file: Path
) -> None:
    result = reseau(settings, "directory", "import", str(good_file), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Essai réussi : 2 ligne(s) prête(s) à être importée(s)." in result.output
    assert "Windows-1252" in result.output and "point-virgule" in result.output
    assert count(db, Organisation) == 0


def test_import_writes_everything_then_refuses_duplicates(
    settings: Settings, db: Session, good_file: Path
) -> None:
    result = reseau(settings, "directory", "import", str(good_file))
    assert result.exit_code == 0, result.output
    assert "2 ligne(s) importée(s)." in result.output
    assert count(db, Organisation) == 2
    assert audit_actions(db)[-1] == "directory.import.organisations"
    again = reseau(settings, "directory", "import", str(good_file))
    assert again.exit_code == 1
    assert "Doublon probable – Ligne 2 : doublon probable de « École Jean-Renoir »" in again.output
    assert count(db, Organisation) == 2
    forced = reseau(settings, "directory", "import", str(good_file), "--allow-duplicates")
    assert forced.exit_code == 0 and count(db, Organisation) == 4


def test_bad_lines_fail_the_command(settings: Settings, db: Session, tmp_path: Path) -> None:
    path = tmp_path / "mauvais.csv"
    path.write_text("Nom,Courriel\nBonne,\n,x@example.org\nTrois,faux\n", encoding="utf-8")
    for dry in ([], ["--dry-run"]):
        result = reseau(settings, "directory", "import", str(path), *dry)
        assert result.exit_code == 1
        assert "Erreur – Ligne 3, colonne « Nom » : Le nom est obligatoire." in result.output
        assert "Erreur – Ligne 4, colonne « Courriel » : Adresse électronique invalide." in result.output
    assert count(db, Organisation) == 0
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    result = reseau(settings, "directory", "import", str(empty))
    assert result.exit_code == 1 and "Le fichier est vide." in result.output


def test_contacts_import(settings: Settings, db: Session, tmp_path: Path) -> None:
    make_org(db, "Valophis Habitat")
    path = tmp_path / "contacts.csv"
    path.write_bytes(
        "\ufeffPrénom,Nom,Organisation,Rôle,Consentement\nMehdi,Saïdi,Valophis Habitat,GUP,oui\n".encode(
            "utf-8"
        )
    )
    result = reseau(settings, "directory", "import", str(path), "--kind", "contacts")
    assert result.exit_code == 0, result.output
    assert count(db, Contact) == 1


def test_a_50_mb_file_is_refused(settings: Settings, db: Session, tmp_path: Path) -> None:
    path = tmp_path / "enorme.csv"
    with path.open("wb") as fh:
        fh.write(b"Nom\n")
        fh.truncate(50 * 1024 * 1024)
    result = reseau(settings, "directory", "import", str(path))
    assert result.exit_code == 1
    assert "Le fichier est trop volumineux (50.0 Mo) : 5 Mo au plus." in result.output
    assert count(db, Organisation) == 0


def test_export_to_a_file_and_to_stdout(settings: Settings, db: Session, tmp_path: Path) -> None:
    org = make_org(db, "Caisse d'Allocations Familiales", kind="operateur_public")
    make_org(db, "Adoma")
    make_contact(db, "Garnier", "Hélène", org, "Responsable", consent_listed=False)
    target = tmp_path / "export.csv"
    result = reseau(settings, "directory", "export", "--output", str(target))
    assert result.exit_code == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["Adoma", "Caisse d'Allocations Familiales"]
    found = reseau(settings, "directory", "export", "--query", "allocations")
    assert found.exit_code == 0
    assert "Caisse d'Allocations Familiales;Opérateur public" in found.output and "Adoma" not in found.output
    people = reseau(settings, "directory", "export", "--kind", "contacts")
    assert "Hélène;Garnier;;;;Caisse d'Allocations Familiales;Responsable;non" in people.output


def test_reindex(settings: Settings, db: Session) -> None:
    make_org(db, "Adoma")
    result = reseau(settings, "directory", "reindex")
    assert result.exit_code == 0
    assert "1 organisation(s), 0 contact(s)" in result.output
