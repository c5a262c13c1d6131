"""Groups seeded by the demo, created, closed and (not) deleted by admins; the compliance pages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.models import Meeting
from core.demo import contact_by_email
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, SpaceMembership
from plugins.groupes_techniques import services
from plugins.groupes_techniques.models import GroupProfile, Obligation
from plugins.groupes_techniques.vocab import COMMITTEE_KIND, GROUP_KIND
from tests.helpers import login, post_form
from tests.plugins.groupes_techniques.conftest import fresh, text


def test_demo_seeds_the_groups_of_the_contract(demo: object, db: Session) -> None:
    groups = services.tracked_groups(db)
    by_kind = {k: [g for g in groups if g.kind == k] for k in (GROUP_KIND, COMMITTEE_KIND)}
    assert len(by_kind[GROUP_KIND]) == 4 and all(g.pillar for g in by_kind[GROUP_KIND])
    assert {g.name for g in by_kind[COMMITTEE_KIND]} == {
        "Comité de pilotage technique",
        "Comité de pilotage politique",
    }
    camille = contact_by_email(db, "camille.martin@example.org")
    nadia = contact_by_email(db, "nadia.benali@example.org")
    assert camille is not None and nadia is not None
    for group in groups:
        animators = {c.id for c in services.animators(db, [group.id])[group.id]}
        assert animators == {camille.id, nadia.id}
        assert db.scalar(select(func.count()).where(SpaceMembership.space_id == group.id)) > 2
    politique = next(g for g in groups if g.slug == "comite-pilotage-politique")
    assert services.obligations(db, [politique.id])[politique.id][0].period == "year"
    assert services.default_animator_ids(db) == sorted([camille.id, nadia.id])


def test_compliance_pages_csv_and_print(demo: object, client: TestClient) -> None:
    assert client.get("/groupes_techniques/", follow_redirects=False).status_code == 303
    login(client, "julien.roux@example.org")
    page = text(client.get("/groupes_techniques/"))
    assert "Groupe technique Habitat et cadre de vie" in page and "Comité de pilotage politique" in page
    filtered = text(client.get("/groupes_techniques/?pilier=habitat_cadre_de_vie"))
    assert "Habitat et cadre de vie" in filtered and "Développement économique" not in filtered
    csv = client.get("/groupes_techniques/conformite.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Groupe;Pilier;Période;Obligation;Statut")
    assert "Groupe technique Éducation et parentalité" in body
    printable = text(client.get("/groupes_techniques/conformite/imprimer"))
    assert "pour le comité de pilotage" in printable and "<nav" not in printable


def test_group_page_and_space_panel(demo: object, db: Session, client: TestClient) -> None:
    space = spaces.get_by_slug(db, "gt-habitat-cadre-de-vie")
    assert space is not None
    login(client, "camille.martin@example.org")
    page = text(client.get(f"/groupes_techniques/groupes/{space.id}"))
    assert "Prochaine échéance" in page and "Historique" in page and "Au moins 1 réunion par semestre" in page
    assert "Prévoir une réunion" in page and f"space={space.id}" in page
    panel = text(client.get(f"/espaces/{space.slug}"))
    assert "Obligation de réunion" in panel and "Historique et prochaine échéance" in panel


def test_admin_creates_an_ad_hoc_group_with_default_animators(
    demo: object, db: Session, client: TestClient
) -> None:
    login(client, "admin@example.org")
    form = text(client.get("/groupes_techniques/groupes/nouveau"))
    assert "Co-animateurs" in form and "checked" in form
    missing_theme = post_form(
        client,
        "/groupes_techniques/groupes/nouveau",
        {
            "name": "Groupe prévention",
            "kind": GROUP_KIND,
            "permanence": "ponctuel",
            "ends_on": "2026-12-31",
            "min_meetings": "1",
            "period": "semester",
        },
    )
    assert missing_theme.status_code == 400 and "thème défini" in text(missing_theme), text(
        missing_theme
    ).split("<main")[1][:3000]
    assert 'value="Groupe prévention"' in text(missing_theme)
    camille = contact_by_email(db, "camille.martin@example.org")
    assert camille is not None
    done = post_form(
        client,
        "/groupes_techniques/groupes/nouveau",
        {
            "name": "Groupe prévention",
            "kind": GROUP_KIND,
            "permanence": "ponctuel",
            "ends_on": "2026-12-31",
            "theme": "Prévention de la délinquance",
            "min_meetings": "2",
            "period": "semester",
            "animators": str(camille.id),
        },
    )
    assert done.status_code == 200 and "Le groupe est créé." in text(done)
    fresh(db)
    space = next(g for g in services.tracked_groups(db) if g.name == "Groupe prévention")
    assert space.is_permanent is False and space.ends_on is not None
    assert db.get(GroupProfile, space.id).theme == "Prévention de la délinquance"  # type: ignore[union-attr]
    assert [r.min_meetings for r in services.obligations(db, [space.id])[space.id]] == [2]
    assert [m.contact_id for m in spaces.memberships(db, space.id, ANIMATOR)] == [camille.id]


def test_delete_is_refused_while_meetings_exist_close_instead(
    demo: object, db: Session, client: TestClient
) -> None:
    space = spaces.get_by_slug(db, "gt-habitat-cadre-de-vie")
    assert space is not None and db.scalar(select(Meeting.id).where(Meeting.space_id == space.id).limit(1))
    login(client, "julien.roux@example.org")
    assert post_form(client, f"/groupes_techniques/groupes/{space.id}/supprimer").status_code == 403
    login(client, "admin@example.org")
    refused = post_form(client, f"/groupes_techniques/groupes/{space.id}/supprimer")
    assert "ne peut pas être supprimé" in text(refused)
    fresh(db)
    assert spaces.get_by_slug(db, "gt-habitat-cadre-de-vie") is not None
    closed = post_form(client, f"/groupes_techniques/groupes/{space.id}/fermer")
    assert "Le groupe est fermé." in text(closed)
    fresh(db)
    assert spaces.get_by_slug(db, "gt-habitat-cadre-de-vie").closed_at is not None  # type: ignore[union-attr]
    assert space.id not in {g.id for g in services.tracked_groups(db)}


def test_a_group_without_history_can_be_deleted(demo: object, db: Session, client: TestClient) -> None:
    login(client, "admin@example.org")
    post_form(
        client,
        "/groupes_techniques/groupes/nouveau",
        {
            "name": "Groupe erroné",
            "kind": GROUP_KIND,
            "permanence": "permanent",
            "min_meetings": "1",
            "period": "semester",
        },
    )
    fresh(db)
    space_id = next(g.id for g in services.tracked_groups(db) if g.name == "Groupe erroné")
    gone = post_form(client, f"/groupes_techniques/groupes/{space_id}/supprimer")
    assert "Le groupe est supprimé." in text(gone)
    fresh(db)
    assert services.group(db, space_id) is None
    assert db.scalar(select(func.count()).where(Obligation.space_id == space_id)) == 0


def test_admin_changes_the_obligation_from_a_period(demo: object, db: Session, client: TestClient) -> None:
    space = spaces.get_by_slug(db, "gt-education-parentalite")
    assert space is not None
    login(client, "admin@example.org")
    bad = post_form(
        client,
        f"/groupes_techniques/groupes/{space.id}/obligation",
        {"min_meetings": "2", "period": "year", "valid_from": "2026-07-01"},
    )
    assert bad.status_code == 400 and "1er janvier" in text(bad)
    good = post_form(
        client,
        f"/groupes_techniques/groupes/{space.id}/obligation",
        {"min_meetings": "2", "period": "semester", "valid_from": "2026-07-01"},
    )
    assert "L'obligation est enregistrée." in text(good) and "Au moins 2 réunions par semestre" in text(good)
    fresh(db)
    assert len(services.obligations(db, [space.id])[space.id]) == 2


def test_animators_see_their_groups_to_plan_on_the_dashboard(db: Session, client: TestClient) -> None:
    from datetime import date

    from core.accounts import services as accounts
    from core.directory.models import Contact
    from tests.plugins.groupes_techniques.conftest import add_meeting, make_group, paris

    idle = make_group(
        db, "Groupe à relancer", valid_from=date(2026, 1, 1), animators=("eve.anim@example.org",)
    )
    busy = make_group(db, "Groupe à jour", valid_from=date(2026, 1, 1))
    contact = db.query(Contact).filter_by(email="eve.anim@example.org").one()
    spaces.add_membership(db, busy, ANIMATOR, contact_id=contact.id)
    add_meeting(db, busy, paris(2026, 5, 10, 14))
    accounts.create_user(db, "eve.anim@example.org", "reseau-demo-2026", "Eve", contact_id=contact.id)
    db.commit()
    login(client, "eve.anim@example.org")
    home = text(client.get("/"))
    panel = home.split("Réunions à prévoir dans vos groupes</h2>")[1].split("</section>")[0]
    assert "Groupe à relancer" in panel and "Groupe à jour" not in panel  # its meeting is planned
    assert f"space={idle.id}" in panel
