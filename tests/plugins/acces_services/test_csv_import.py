"""CSV import of attendance figures: all or nothing, every bad line reported in French."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from plugins.acces_services import services as svc
from plugins.acces_services.models import Figure
from tests.helpers import csrf_token, login
from tests.plugins.acces_services.conftest import (
    ANIMATOR,
    CULTURE_PROVIDER,
    figure_count,
    fresh,
    service_id,
    text,
)

URL = "/acces_services/frequentation/import"
MEDIATHEQUE = "Médiathèque municipale"
CONSERVATOIRE = "Conservatoire municipal de musique, danse et théâtre"
ESPACE_EMPLOI = "Espace emploi"  # Pôle E.S.C.A.L.E., not the culture provider's


def upload(
    client: TestClient, content: bytes, *, replace: bool = False, name: str = "chiffres.csv"
) -> object:
    data = {"csrf_token": csrf_token(client)}
    if replace:
        data["replace"] = "y"
    return client.post(URL, data=data, files={"file": (name, content, "text/csv")})


def test_a_file_with_bad_lines_writes_nothing_and_names_every_line(
    client: TestClient, db: Session, platform: int
) -> None:
    conservatoire = service_id(db, CONSERVATOIRE)
    before = figure_count(db)
    login(client, CULTURE_PROVIDER)
    content = "\n".join(
        [
            "numero;service;periode;usagers;usagers_quartier",
            f"{conservatoire};;2025-T1;300;20",  # 2: good
            f";{MEDIATHEQUE};2025-T1;100;120",  # 3: neighbourhood above total
            f"{conservatoire};;2024-T4;-5;0",  # 4: negative
            f"{conservatoire};;2026-T3;10;1",  # 5: future
            f"{conservatoire};;2026-T1;10;1",  # 6: not over yet (clock: 2 March 2026)
            ";Club de quidditch;2025-T1;10;1",  # 7: unknown service
            f"{conservatoire};;2025-t1;300;20",  # 8: duplicate of line 2
            f"{conservatoire};;2025-T1x;3;1",  # 9: unreadable period
            f"{conservatoire};;2024-T3;douze;1",  # 10: not a number
            f";{ESPACE_EMPLOI};2025-T1;50;20",  # 11: another provider's service
            "99999;;2025-T1;1;1",  # 12: unknown number
            "",
        ]
    ).encode()
    response = upload(client, content)
    assert response.status_code == 400
    page = text(response)
    assert "Rien n'a été enregistré" in page
    expected = [
        "Ligne 3 : les usagers du quartier (120) ne peuvent pas être plus nombreux que l'ensemble des "
        "usagers (100).",
        "Ligne 4 : le nombre d'usagers ne peut pas être négatif.",
        "Ligne 5 : la période 2026-T3 est dans le futur.",
        "Ligne 6 : la période 2026-T1 n'est pas terminée",
        "Ligne 7 : service « Club de quidditch » inconnu.",
        "Ligne 8 : doublon : « Conservatoire municipal de musique, danse et théâtre » pour 2025-T1 figure "
        "déjà à la ligne 2.",
        "Ligne 9 : « 2025-T1x » n'est pas une période valide",
        "Ligne 10 : « douze » n'est pas un nombre entier.",
        f"Ligne 11 : vous ne pouvez pas saisir les chiffres du service « {ESPACE_EMPLOI} ».",
        "Ligne 12 : service n° 99999 inconnu.",
    ]
    for message in expected:
        assert message in page, message
    assert "Ligne 2 " not in page
    assert figure_count(db) == before


def test_a_windows_1252_file_with_french_headers_is_imported_then_corrected_with_its_history(
    client: TestClient, db: Session, platform: int
) -> None:
    mediatheque = service_id(db, MEDIATHEQUE)
    conservatoire = service_id(db, CONSERVATOIRE)
    before = figure_count(db)
    login(client, CULTURE_PROVIDER)
    content = (
        "Service;Période;Usagers;Usagers du quartier\r\n"
        f"{MEDIATHEQUE.upper()};2025-T1;1 650;290\r\n"
        f"{CONSERVATOIRE};T1 2025;400;30\r\n"
    ).encode("cp1252")
    response = upload(client, content)
    assert response.status_code == 200, text(response)
    assert "Import terminé : 2 ligne(s) ajoutée(s), 0 corrigée(s), 0 inchangée(s)." in text(response)
    assert figure_count(db) == before + 2
    figure = db.scalar(select(Figure).where(Figure.service_id == mediatheque, Figure.period == "2025-T1"))
    assert figure is not None and (figure.users_total, figure.users_neighbourhood, figure.source) == (
        1650,
        290,
        "csv",
    )

    # the same file again: refused without "replace", nothing changes
    again = upload(client, content)
    assert again.status_code == 400
    assert "Ligne 2 : les chiffres de 2025-T1 sont déjà saisis" in text(again)

    # a comma-separated UTF-8 file with a BOM corrects one figure and keeps the other
    corrected = (
        "\ufeffnumero,periode,usagers,usagers_quartier\n"
        + f"{mediatheque},2025-T1,1650,310\n{conservatoire},2025-T1,400,30\n"
    )
    response = upload(client, corrected.encode("utf-8"), replace=True)
    assert response.status_code == 200, text(response)
    assert "0 ligne(s) ajoutée(s), 1 corrigée(s), 1 inchangée(s)" in text(response)
    fresh(db)
    figure = db.get(Figure, figure.id)
    assert figure is not None and figure.users_neighbourhood == 310
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "acces_services.figure.corrected", AuditEntry.object_id == str(figure.id)
        )
    )
    assert entry is not None and entry.changes == {"users_neighbourhood": [290, 310]}
    assert entry.actor == CULTURE_PROVIDER


def test_unreadable_files_are_refused_in_french(client: TestClient, db: Session, platform: int) -> None:
    login(client, ANIMATOR)
    cases = {
        b"": "Choisissez un fichier CSV.",
        b"\x00\x01\x02binary": "n'est pas un fichier texte CSV",
        b"nom;trimestre\nx;2025-T1\n": "il manque la colonne « usagers »",
        b"numero;periode;usagers;usagers_quartier\n": "Le fichier ne contient aucune ligne de chiffres.",
    }
    for content, message in cases.items():
        response = upload(client, content)
        assert response.status_code == 400, content
        assert message in text(response), content


def test_the_template_lists_the_providers_services_for_the_last_quarter(
    client: TestClient, db: Session, platform: int
) -> None:
    login(client, CULTURE_PROVIDER)
    response = client.get("/acces_services/frequentation/modele.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="frequentation-2025-T4.csv"' in response.headers["content-disposition"]
    body = response.content.decode("utf-8-sig")
    assert body.splitlines()[0] == "numero;service;periode;usagers;usagers_quartier"
    assert f"{service_id(db, MEDIATHEQUE)};{MEDIATHEQUE};2025-T4;;" in body
    assert ESPACE_EMPLOI not in body
    # filled in and sent back as is, it imports (2025-T4 is already entered: corrections)
    filled = body.replace(";2025-T4;;", ";2025-T4;10;1").encode("utf-8-sig")
    response = upload(client, filled, replace=True)
    assert response.status_code == 200, text(response)


def test_a_line_refused_while_writing_takes_back_the_lines_already_written(
    client: TestClient, db: Session, platform: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone enters the same figure between the check and the write: the file stays all or
    nothing (the lines written before are taken back) and the page says which line failed."""
    real = svc.add_figure
    calls: list[str] = []

    def add_figure(*args: object, **kwargs: object) -> object:
        calls.append("call")
        if len(calls) == 2:
            raise svc.ServiceError(
                "Les chiffres de 2025-T1 sont déjà saisis pour ce service : corrigez-les plutôt."
            )
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(svc, "add_figure", add_figure)
    before = figure_count(db)
    audit_before = fresh(db).scalar(select(func.count(AuditEntry.id)))
    login(client, CULTURE_PROVIDER)
    client.get("/acces_services/frequentation")
    response = upload(
        client,
        f"service;periode;usagers;usagers_quartier\n{MEDIATHEQUE};2025-T1;100;20\n{CONSERVATOIRE};2025-T1;90;9\n".encode(),
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = text(response)
    assert f"« {CONSERVATOIRE} », 2025-T1 : Les chiffres de 2025-T1 sont déjà saisis" in page
    assert "Rien n'a été enregistré" in page
    assert figure_count(db) == before
    assert fresh(db).scalar(select(func.count(AuditEntry.id))) == audit_before
