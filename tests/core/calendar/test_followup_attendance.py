"""Attendance: sign-in sheet (HTML and PDF), recording who came, walk-ins, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.models import CANCELLED, Attendance, Meeting
from core.directory.models import Contact
from tests.core.resources.followup_world import World, build_world, sign_in
from tests.helpers import FrozenClock, post_form


@pytest.fixture
def world(db: Session, app: object) -> World:
    return build_world(db)


@pytest.fixture
def meeting_day(clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))


def test_signin_sheet_lists_invitees_by_organisation_with_blank_lines(
    client: TestClient, world: World
) -> None:
    sign_in(client, world, "anim_a")
    page = client.get(f"/agenda/reunions/{world.meeting.id}/feuille-emargement?lignes=5")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Feuille d'émargement</h1>" in html
    assert "Hôtel de ville, place de l&#39;Église" in html and "Salle des fêtes" in html
    assert "mardi 10 mars 2026, 14 h 00" in html
    # organisations sorted by name, people without one last
    order = [
        html.index(name)
        for name in (
            "Association Élan Solidaire",
            "Caisse d&#39;Allocations Familiales",
            "Préfecture du Val-de-Marne",
            "Ville de Villiers-sur-Marne",
            "Sans organisation",
        )
    ]
    assert order == sorted(order)
    for name in ("Hélène Garnier", "Jérôme Bœuf", "Françoise Dupré", "Aïcha Traoré", "Éric Sans-Structure"):
        assert name in html
    assert html.count('class="signin-blank"') == 5
    assert "excusé·e" in html  # the CAF invitee declined
    assert '<th scope="col" class="signature">Signature</th>' in html


def test_signin_pdf_embeds_a_unicode_font_and_lists_accented_names(client: TestClient, world: World) -> None:
    sign_in(client, world, "anim_a")
    response = client.get(f"/agenda/reunions/{world.meeting.id}/feuille-emargement.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="emargement-2026-03-10-')
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for name in (
        "Hélène Garnier",
        "Jérôme Bœuf",
        "Françoise Dupré",
        "Aïcha Traoré",
        "Préfecture du Val-de-Marne",
        "Groupe Habitat – réunion de printemps",
        "Feuille d'émargement",
        "Signature",
    ):
        assert name in text, name
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts
    font_names = [
        page["/Resources"]["/Font"][k].get_object()["/BaseFont"]
        for page in reader.pages
        for k in page["/Resources"]["/Font"]
    ]
    assert any("DejaVu" in str(name) for name in font_names)


def test_long_lists_repeat_the_table_header_on_every_page(client: TestClient, world: World) -> None:
    sign_in(client, world, "anim_a")
    response = client.get(f"/agenda/reunions/{world.meeting.id}/feuille-emargement.pdf?lignes=60")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert "Nom et prénom" in page.extract_text()
        assert "Page " in page.extract_text()


def test_recording_attendance_and_csv_export(
    client: TestClient, world: World, db: Session, meeting_day: None
) -> None:
    sign_in(client, world, "anim_a")
    url = f"/agenda/reunions/{world.meeting.id}/presences"
    page = client.get(url)
    assert page.status_code == 200
    assert f'id="present-{world.contacts["prefet"].id}"' in page.text
    present = [world.contacts["anim_a"].id, world.contacts["prefet"].id]
    response = post_form(client, url, {"action": "save", "present": present}, follow_redirects=False)
    assert response.status_code == 303
    rows = db.scalars(select(Attendance).where(Attendance.meeting_id == world.meeting.id)).all()
    assert {(r.contact_id, r.organisation_id) for r in rows} == {
        (world.contacts["anim_a"].id, world.orgs["ville"].id),
        (world.contacts["prefet"].id, world.orgs["prefecture"].id),
    }
    # unticking someone removes their attendance; the page shows the new state
    post_form(client, url, {"action": "save", "present": [world.contacts["prefet"].id]})
    db.rollback()
    assert db.scalars(
        select(Attendance.contact_id).where(Attendance.meeting_id == world.meeting.id)
    ).all() == [world.contacts["prefet"].id]

    # a walk-in from the directory, found without accents
    search = client.get(url, params={"q": "melanie cote"})
    assert "Mélanie Côté" in search.text
    post_form(client, url, {"action": "add_contact", "contact_id": world.contacts["walkin"].id})
    # a walk-in not in the directory
    response = post_form(
        client,
        url,
        {
            "action": "new_person",
            "first_name": "Öznur",
            "last_name": "Kılıç",
            "organisation_id": world.orgs["asso"].id,
        },
    )
    assert response.status_code == 200
    db.rollback()
    newcomer = db.scalar(select(Contact).where(Contact.last_name == "Kılıç"))
    assert newcomer is not None and newcomer.consent_listed is False

    export = client.get(f"/agenda/reunions/{world.meeting.id}/presences.csv")
    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Nom",
        "Prénom",
        "Fonction",
        "Organisation",
        "Signataire",
        "Invité·e",
        "Réponse",
        "Présent·e",
    ]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Dupré"][3:] == ["Préfecture du Val-de-Marne", "oui", "oui", "accepte", "oui"]
    assert by_name["Côté"][3:] == ["Association Élan Solidaire", "non", "non", "", "oui"]
    assert by_name["Kılıç"][1] == "Öznur" and by_name["Kılıç"][7] == "oui"
    assert by_name["Traoré"][6:] == ["décline", "non"]


def test_csv_cells_never_start_a_formula(
    client: TestClient, world: World, db: Session, meeting_day: None
) -> None:
    sign_in(client, world, "anim_a")
    url = f"/agenda/reunions/{world.meeting.id}/presences"
    post_form(client, url, {"action": "new_person", "first_name": '=HYPERLINK("x")', "last_name": "+Malin"})
    text = client.get(f"/agenda/reunions/{world.meeting.id}/presences.csv").content.decode("utf-8-sig")
    assert "\r\n'+Malin;\"'=HYPERLINK" in text


def test_bad_attendance_input_is_refused_and_changes_nothing(
    client: TestClient, world: World, db: Session, meeting_day: None
) -> None:
    sign_in(client, world, "anim_a")
    url = f"/agenda/reunions/{world.meeting.id}/presences"
    outsider = world.contacts["outsider"].id  # neither invited nor recorded
    response = post_form(client, url, {"action": "save", "present": [world.contacts["prefet"].id, outsider]})
    assert response.status_code == 400
    assert "n&#39;est pas sur la liste" in response.text
    response = post_form(client, url, {"action": "new_person", "first_name": "Sans", "last_name": ""})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.text
    assert 'value="Sans"' in response.text
    db.rollback()
    assert db.scalars(select(Attendance)).all() == []


def test_attendance_is_refused_before_the_meeting_day_and_for_cancelled_meetings(
    client: TestClient, world: World, db: Session, clock: FrozenClock
) -> None:
    sign_in(client, world, "anim_a")
    url = f"/agenda/reunions/{world.meeting.id}/presences"
    response = post_form(client, url, {"action": "save", "present": [world.contacts["prefet"].id]})
    assert response.status_code == 400
    assert "pas encore eu lieu" in response.text
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))  # the morning of the meeting
    meeting = db.get(Meeting, world.meeting.id)
    assert meeting is not None
    meeting.status = CANCELLED
    db.commit()
    response = post_form(client, url, {"action": "save", "present": [world.contacts["prefet"].id]})
    assert response.status_code == 400
    assert "annulée" in response.text
    db.rollback()
    assert db.scalars(select(Attendance)).all() == []
