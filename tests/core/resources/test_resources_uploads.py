"""Uploading documents: size limit, type by content, names never used on disk, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from core.resources import filetypes
from core.resources import services as resources
from core.resources.models import Resource
from tests.core.resources.followup_world import (
    PNG_1PX,
    World,
    docx_bytes,
    odt_bytes,
    pdf_bytes,
    sign_in,
    zip_bytes,
)
from tests.helpers import csrf_token


def upload(client: TestClient, query: str, filename: str, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    form = {"csrf_token": csrf_token(client), "title": "Compte rendu", "visibility": "members", **fields}
    return client.post(
        f"/ressources/nouveau-document?{query}",
        data=form,
        files={"file": (filename, data, "application/octet-stream")},
        follow_redirects=False,
    )


def uploads(data_dir: Path) -> list[Path]:
    directory = data_dir / "uploads"
    return sorted(directory.iterdir()) if directory.exists() else []


def resource_count(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Resource)) or 0


@pytest.fixture
def data_dir(app) -> Path:  # type: ignore[no-untyped-def]
    return Path(app.state.reseau.settings.data_dir)


def test_animator_uploads_a_pdf_and_members_download_it_as_an_attachment(
    client: TestClient, world: World, db: Session, data_dir: Path
) -> None:
    sign_in(client, world, "anim_a")
    content = pdf_bytes("Relevé de décisions")
    response = upload(client, f"espace={world.space_a.id}", "Relevé de décisions – mars.pdf", content)
    assert response.status_code == 303
    resource = db.scalar(select(Resource))
    assert resource is not None
    assert resource.filename == "Relevé de décisions – mars.pdf"
    assert resource.content_type == "application/pdf"
    assert resource.size == len(content)
    files = uploads(data_dir)
    assert [p.name for p in files] == [resource.stored_name]
    assert len(resource.stored_name) == 32 and "." not in resource.stored_name
    assert db.scalar(select(AuditEntry.action)) == "resources.document.added"

    sign_in(client, world, "member_a")
    listing = client.get(f"/ressources/?espace={world.space_a.id}")
    assert "Compte rendu" in listing.text
    download = client.get(f"/ressources/{resource.id}/telecharger")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="Releve de decisions _ mars.pdf"' in disposition
    assert "filename*=UTF-8''Relev%C3%A9%20de%20d%C3%A9cisions%20%E2%80%93%20mars.pdf" in disposition
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert "no-store" in download.headers["cache-control"]


def test_office_documents_images_and_text_are_recognised_by_content(
    client: TestClient, world: World, db: Session
) -> None:
    sign_in(client, world, "anim_a")
    cases = [
        ("plan.png", PNG_1PX, "image/png"),
        ("note.docx", docx_bytes(), filetypes.DOCX.mime),
        ("note.odt", odt_bytes(), filetypes.ODT.mime),
        ("liste.csv", "nom;prénom\nCôté;Mélanie\n".encode("cp1252"), "text/csv"),
        ("lisez-moi.txt", "Ordre du jour : café à 9 h.".encode(), "text/plain"),
    ]
    for name, data, mime in cases:
        response = upload(client, f"espace={world.space_a.id}", name, data, title=name)
        assert response.status_code == 303, (name, response.text[:300])
        db.rollback()
        assert db.scalar(select(Resource.content_type).where(Resource.title == name)) == mime


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("rapport.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "Formats acceptés : PDF"),
        (
            "rapport.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
            "Formats acceptés : PDF",
        ),
        ("rapport.pdf", PNG_1PX, "ne correspond pas à son nom"),
        ("archive.zip", zip_bytes([("a.txt", b"x")]), "Formats acceptés : PDF"),
        ("macro.docx", docx_bytes([("word/vbaProject.bin", b"\x00" * 10)]), "macros"),
        ("page.txt", b"<html><body onload='x()'>coucou</body></html>", "Formats acceptés : PDF"),
        (
            "dessin.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "Formats acceptés : PDF",
        ),
        ("vide.pdf", b"", "Choisissez un fichier"),
    ],
)
def test_wrong_types_are_refused_with_a_french_message_and_nothing_kept(
    client: TestClient, world: World, db: Session, data_dir: Path, filename: str, data: bytes, message: str
) -> None:
    sign_in(client, world, "anim_a")
    response = upload(client, f"espace={world.space_a.id}", filename, data, title="Mon titre gardé")
    assert response.status_code == 400
    assert message in response.text
    assert 'value="Mon titre gardé"' in response.text
    assert 'aria-describedby="file-hint file-error"' in response.text
    assert resource_count(db) == 0
    assert uploads(data_dir) == []


def test_a_file_over_the_per_file_limit_gets_413_and_a_french_message(
    make_app, world: World, db: Session, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(max_upload_size=1024)
    with TestClient(app) as client:
        sign_in(client, world, "anim_a")
        big = pdf_bytes() + b"%" + b"0" * 2048
        response = upload(client, f"espace={world.space_a.id}", "gros.pdf", big)
    assert response.status_code == 413
    assert (
        "dépasse la taille maximale autorisée (0,0009765625 Mo)" in response.text
        or "dépasse la taille maximale" in response.text
    )
    assert resource_count(db) == 0
    assert uploads(data_dir) == []


def test_a_body_over_the_request_limit_is_refused_while_reading(
    make_app, world: World, db: Session, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(max_body_size=4096)
    with TestClient(app) as client:
        sign_in(client, world, "anim_a")
        response = upload(client, f"espace={world.space_a.id}", "gros.pdf", pdf_bytes() + b"0" * 8192)
    assert response.status_code == 413
    assert "dépasse la taille autorisée" in response.text
    assert resource_count(db) == 0
    assert uploads(data_dir) == []


@pytest.mark.parametrize(
    ("client_name", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("/absolute/path/x.pdf", "x.pdf"),
    ],
)
def test_path_traversal_names_are_harmless(
    client: TestClient,
    world: World,
    db: Session,
    data_dir: Path,
    tmp_path: Path,
    client_name: str,
    shown: str,
) -> None:
    sign_in(client, world, "anim_a")
    before = {p for p in tmp_path.rglob("*")}
    response = upload(client, f"espace={world.space_a.id}", client_name, pdf_bytes())
    assert response.status_code == 303, response.text[:400]
    resource = db.scalar(select(Resource))
    assert resource is not None
    assert resource.filename == shown
    created = {p for p in tmp_path.rglob("*")} - before
    assert {p for p in created if p.is_file()} == {data_dir / "uploads" / resource.stored_name}
    assert not Path("/etc/passwd.pdf").exists()


def test_no_orphan_file_when_the_database_write_fails(
    client: TestClient, world: World, db: Session, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, world, "anim_a")

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database write failed")

    monkeypatch.setattr(resources.audit, "record", broken_audit)
    with pytest.raises(RuntimeError):
        upload(client, f"espace={world.space_a.id}", "doc.pdf", pdf_bytes())
    assert resource_count(db) == 0
    assert uploads(data_dir) == []


def test_no_row_when_the_file_cannot_be_written(
    client: TestClient, world: World, db: Session, data_dir: Path
) -> None:
    sign_in(client, world, "anim_a")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "uploads").write_text("not a directory")
    response = upload(client, f"espace={world.space_a.id}", "doc.pdf", pdf_bytes())
    assert response.status_code == 503
    assert "pas pu être enregistré sur le serveur" in response.text
    assert resource_count(db) == 0


def test_service_rollback_removes_the_file(world: World, db: Session, tmp_path: Path) -> None:
    resource = resources.add_document(
        db, tmp_path, title="Brouillon", data=pdf_bytes(), filename="b.pdf", space_id=world.space_a.id
    )
    assert (tmp_path / "uploads" / resource.stored_name).is_file()
    db.rollback()
    assert list((tmp_path / "uploads").iterdir()) == []


def test_service_accepts_a_file_object_and_checks_its_size_while_reading(
    world: World, db: Session, tmp_path: Path
) -> None:
    import io

    resource = resources.add_document(
        db,
        tmp_path,
        title="Flux",
        data=io.BytesIO(pdf_bytes()),
        filename="f.pdf",
        meeting_id=world.meeting.id,
    )
    assert resource.space_id == world.space_a.id and resource.meeting_id == world.meeting.id
    with pytest.raises(resources.UploadTooLarge):
        resources.add_document(
            db,
            tmp_path,
            title="Gros",
            data=io.BytesIO(b"%PDF" + b"0" * 100),
            filename="g.pdf",
            space_id=world.space_a.id,
            max_size=50,
        )


def test_clean_filename_keeps_only_a_harmless_last_segment() -> None:
    assert filetypes.clean_filename('..\x00"<script>\x07.pdf') == "script.pdf"
    assert filetypes.clean_filename("C:\\Users\\x\\Compte rendu.PDF") == "Compte rendu.PDF"
    assert filetypes.clean_filename("....") == ""
    long_name = "é" * 300 + ".pdf"
    cleaned = filetypes.clean_filename(long_name)
    assert len(cleaned) == 255 and cleaned.endswith(".pdf")
