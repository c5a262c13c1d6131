"""The annual report: meetings held, attendance by organisation, decisions, open action items;
CSV and printable; each reader sees the groups they belong to."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.accounts import services as accounts
from core.calendar.models import DONE, ActionItem, Attendance, Decision
from core.directory.models import Affiliation, Contact, Organisation
from core.spaces import services as spaces
from core.spaces.models import MEMBER
from tests.helpers import login
from tests.plugins.groupes_techniques.conftest import add_meeting, make_group, paris, text


def _world(db: Session) -> None:
    group = make_group(db, "Groupe Santé", valid_from=date(2025, 1, 1))
    other = make_group(db, "Groupe Emploi", valid_from=date(2025, 1, 1))
    ars = Organisation(name="ARS", name_key="ars", is_signatory=True)
    caf = Organisation(name="CAF", name_key="caf", is_signatory=True)
    asso = Organisation(name="Association Santé Quartier", name_key="association sante quartier")
    db.add_all([ars, caf, asso])
    db.flush()
    spaces.add_membership(db, group, MEMBER, organisation_id=caf.id)
    spaces.add_membership(db, group, MEMBER, organisation_id=ars.id)
    emma = Contact(first_name="Emma", last_name="Leroy", email="emma.leroy@example.org")
    paul = Contact(first_name="Paul", last_name="Martin", email="paul.martin@example.org")
    db.add_all([emma, paul])
    db.flush()
    db.add_all(
        [
            Affiliation(contact_id=emma.id, organisation_id=ars.id),
            Affiliation(contact_id=paul.id, organisation_id=asso.id),
        ]
    )
    spaces.add_membership(db, group, MEMBER, contact_id=paul.id)
    first = add_meeting(db, group, paris(2025, 3, 12, 14), minutes=True)
    second = add_meeting(db, group, paris(2025, 10, 8, 14), minutes=True)
    add_meeting(db, group, paris(2025, 11, 20, 14))  # no minutes, no attendance: not held
    add_meeting(db, other, paris(2024, 6, 1, 14), minutes=True)  # another year
    db.add_all(
        [
            Attendance(meeting_id=first.id, contact_id=emma.id, organisation_id=ars.id),
            Attendance(meeting_id=first.id, contact_id=paul.id, organisation_id=asso.id),
            Attendance(meeting_id=second.id, contact_id=emma.id, organisation_id=ars.id),
            Decision(meeting_id=second.id, position=0, text="Lancer un atelier santé mentale"),
            ActionItem(
                meeting_id=second.id, space_id=group.id, title="Réserver la salle", due_on=date(2026, 1, 15)
            ),
            ActionItem(meeting_id=first.id, space_id=group.id, title="Action terminée", status=DONE),
        ]
    )
    accounts.create_user(db, "bilan.admin@example.org", "reseau-demo-2026", "Admin", is_admin=True)
    accounts.create_user(db, "paul.martin@example.org", "reseau-demo-2026", "Paul", contact_id=paul.id)
    db.commit()


def test_annual_report_page_csv_and_print(db: Session, client: TestClient) -> None:
    _world(db)
    login(client, "bilan.admin@example.org")
    page = text(client.get("/groupes_techniques/bilan/2025"))
    assert "Bilan annuel des instances 2025" in page
    section = page.split("Groupe Santé</h2>")[1].split("</section>")[0]
    assert "2 réunions tenues" in section
    assert "ARS" in section and "Association Santé Quartier" in section
    assert "Signataires membres du groupe jamais présents : CAF" in section
    assert "Lancer un atelier santé mentale" in section
    assert "Réserver la salle" in section and "Action terminée" not in section
    csv = client.get("/groupes_techniques/bilan/2025/bilan.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Groupe;Obligation;Réunions tenues")
    sante = next(line for line in lines if line.startswith("Groupe Santé;"))
    assert ";2;" in sante and "ARS (2), Association Santé Quartier (1)" in sante and ";CAF;" in sante
    assert "Groupe Emploi;" in csv.content.decode("utf-8-sig")
    printable = text(client.get("/groupes_techniques/bilan/2025/imprimer"))
    assert "Lancer un atelier santé mentale" in printable and "<nav" not in printable


def test_a_member_sees_only_their_groups(db: Session, client: TestClient) -> None:
    _world(db)
    login(client, "paul.martin@example.org")
    page = text(client.get("/groupes_techniques/bilan/2025"))
    assert "Groupe Santé" in page and "Groupe Emploi" not in page
    assert client.get("/groupes_techniques/bilan/1800").status_code == 404


def test_csv_cells_never_start_a_formula() -> None:
    from plugins.groupes_techniques import csvout

    assert csvout.cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert csvout.cell("-1") == "'-1" and csvout.cell("Groupe") == "Groupe" and csvout.cell(None) == ""
    text_ = csvout.write(["Nom"], [["@SUM(A1)"], [3]])
    assert text_.startswith("\ufeffNom\r\n") and "'@SUM(A1)\r\n3\r\n" in text_
