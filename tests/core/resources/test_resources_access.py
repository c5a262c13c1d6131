"""Who sees, adds and removes resources; links; the space panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.testclient import TestClient

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.resources import services as resources
from core.resources.models import Resource
from core.spaces.models import Space
from core.web.context import RequestContext
from tests.core.resources.followup_world import World, pdf_bytes, sign_in
from tests.helpers import post_form


@pytest.fixture
def shelf(world: World, db: Session, app) -> dict[str, Resource]:  # type: ignore[no-untyped-def]
    data_dir = Path(app.state.reseau.settings.data_dir)
    a, m, pm = world.space_a.id, world.meeting.id, world.public_meeting.id
    items = {
        "space_public": resources.add_link(
            db, title="Site de la ville", url="https://villiers.example", space_id=a, visibility="public"
        ),
        "space_members": resources.add_document(
            db,
            data_dir,
            title="Diagnostic partagé",
            data=pdf_bytes(),
            filename="diag.pdf",
            space_id=a,
            visibility="members",
        ),
        "space_animators": resources.add_document(
            db,
            data_dir,
            title="Notes d'animation",
            data=pdf_bytes(),
            filename="notes.pdf",
            space_id=a,
            visibility="animators",
        ),
        "meeting_public": resources.add_document(
            db,
            data_dir,
            title="Support de séance",
            data=pdf_bytes(),
            filename="support.pdf",
            meeting_id=m,
            visibility="public",
        ),
        "meeting_members": resources.add_document(
            db,
            data_dir,
            title="Dossier des participants",
            data=pdf_bytes(),
            filename="dossier.pdf",
            meeting_id=m,
            visibility="members",
        ),
        "public_meeting_public": resources.add_link(
            db, title="Plan d'accès", url="https://plan.example", meeting_id=pm, visibility="public"
        ),
        "club_members": resources.add_document(
            db,
            data_dir,
            title="Fichier du club",
            data=pdf_bytes(),
            filename="club.pdf",
            space_id=world.space_b.id,
            visibility="members",
        ),
    }
    db.commit()
    return items


SEES = {
    "anonymous": {"space_public", "public_meeting_public"},
    "outsider": {"space_public", "public_meeting_public"},
    "anim_b": {"space_public", "public_meeting_public", "club_members"},
    "prefet": {"space_public", "public_meeting_public", "meeting_public", "meeting_members"},
    "member_a": {
        "space_public",
        "public_meeting_public",
        "space_members",
        "meeting_public",
        "meeting_members",
    },
    "anim_a": {
        "space_public",
        "public_meeting_public",
        "space_members",
        "space_animators",
        "meeting_public",
        "meeting_members",
    },
    "admin": {
        "space_public",
        "public_meeting_public",
        "space_members",
        "space_animators",
        "meeting_public",
        "meeting_members",
        "club_members",
    },
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_visibility_rule_for_lists_and_downloads(
    client: TestClient, world: World, db: Session, shelf: dict[str, Resource], who: str
) -> None:
    user = None if who == "anonymous" else db.get(User, world.users[who].id)
    seen = {r.id for r in resources.visible_resources(db, user)}
    assert {k for k, r in shelf.items() if r.id in seen} == SEES[who]
    sign_in(client, world, who)
    listing = client.get("/ressources/").text
    for key, resource in shelf.items():
        assert (resource.title.replace("'", "&#39;") in listing) == (key in SEES[who]), key
        if resource.is_document:
            response = client.get(f"/ressources/{resource.id}/telecharger", follow_redirects=False)
            expected = 200 if key in SEES[who] else (303 if who == "anonymous" else 404)
            assert response.status_code == expected, key


ADD_STATUS = {"anonymous": 303, "member_a": 403, "anim_b": 403, "prefet": 403, "anim_a": 200, "admin": 200}


@pytest.mark.parametrize("who", sorted(ADD_STATUS))
def test_only_animators_and_admins_add_resources(
    client: TestClient, world: World, db: Session, who: str
) -> None:
    sign_in(client, world, who)
    for query in (f"espace={world.space_a.id}", f"reunion={world.public_meeting.id}"):
        for page in ("nouveau-document", "nouveau-lien"):
            assert (
                client.get(f"/ressources/{page}?{query}", follow_redirects=False).status_code
                == ADD_STATUS[who]
            )
        response = post_form(
            client,
            f"/ressources/nouveau-lien?{query}",
            {"title": "Lien", "url": "https://example.org", "visibility": "public"},
            follow_redirects=False,
        )
        assert response.status_code == (303 if ADD_STATUS[who] == 200 else ADD_STATUS[who])
    db.rollback()
    assert len(db.scalars(select(Resource)).all()) == (2 if ADD_STATUS[who] == 200 else 0)


def test_links_are_http_or_https_only(client: TestClient, world: World, db: Session) -> None:
    sign_in(client, world, "anim_a")
    url = f"/ressources/nouveau-lien?espace={world.space_a.id}"
    for bad in (
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "ftp://example.org/f",
    ):
        response = post_form(client, url, {"title": "Piège", "url": bad, "visibility": "public"})
        assert response.status_code == 400, bad
        assert "doit commencer par http:// ou https://" in response.text
        assert 'value="Piège"' in response.text
    response = post_form(
        client,
        url,
        {"title": "Ville", "url": "www.villiers.example/agenda", "visibility": "members"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.rollback()
    assert db.scalars(select(Resource.url)).all() == ["https://www.villiers.example/agenda"]
    with pytest.raises(resources.ResourceError):
        resources.add_link(db, title="x", url="javascript:alert(1)", space_id=world.space_a.id)


def test_removing_hides_but_keeps_the_row_the_file_and_an_audit_entry(
    client: TestClient,
    world: World,
    db: Session,
    shelf: dict[str, Resource],
    app,  # type: ignore[no-untyped-def]
) -> None:
    target = shelf["space_members"]
    sign_in(client, world, "member_a")
    assert client.get(f"/ressources/{target.id}/retirer").status_code == 403
    assert post_form(client, f"/ressources/{target.id}/retirer").status_code == 403
    sign_in(client, world, "anim_b")  # animates another space
    assert post_form(client, f"/ressources/{shelf['space_public'].id}/retirer").status_code == 403
    assert post_form(client, f"/ressources/{target.id}/retirer").status_code == 404
    sign_in(client, world, "anim_a")
    assert "nouveau-document" not in client.get(f"/ressources/{target.id}/retirer").text
    response = post_form(client, f"/ressources/{target.id}/retirer", follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"] == f"/ressources/?espace={world.space_a.id}", response.headers
    db.rollback()
    db.expire_all()  # the fixture's objects were committed by this session
    row = db.get(Resource, target.id)
    assert row is not None and row.removed_at is not None and row.removed_by_id == world.users["anim_a"].id
    assert (Path(app.state.reseau.settings.data_dir) / "uploads" / row.stored_name).is_file()
    assert (
        db.scalar(select(AuditEntry.action).where(AuditEntry.action == "resources.removed"))
        == "resources.removed"
    )
    assert client.get(f"/ressources/{target.id}/telecharger").status_code == 404
    assert (
        "« Diagnostic partagé » a été retirée." in client.get(f"/ressources/?espace={world.space_a.id}").text
    )
    assert "Diagnostic partagé" not in client.get(f"/ressources/?espace={world.space_a.id}").text


def test_unknown_targets_and_bad_ids_are_404(client: TestClient, world: World) -> None:
    sign_in(client, world, "anim_a")
    assert client.get("/ressources/nouveau-document").status_code == 404
    assert client.get("/ressources/nouveau-document?espace=99999").status_code == 404
    assert client.get("/ressources/nouveau-lien?reunion=abc").status_code == 404
    assert client.get(f"/ressources/nouveau-lien?reunion={world.meeting_b.id}").status_code == 404
    assert client.get("/ressources/424242/telecharger").status_code == 404


def test_space_panel_lists_what_the_viewer_may_see(
    app, world: World, db: Session, shelf: dict[str, Resource]
) -> None:  # type: ignore[no-untyped-def]
    state = app.state.reseau
    space = db.get(Space, world.space_a.id)
    assert space is not None

    def panels(who: str) -> str:
        user = None if who == "anonymous" else db.get(User, world.users[who].id)
        scope = {
            "type": "http",
            "app": app,
            "session": {},
            "path": "/",
            "headers": [],
            "method": "GET",
            "query_string": b"",
        }
        ctx = RequestContext(request=Request(scope), state=state, db=db, user=user, form=None, language="fr")
        found = [p for p in state.hooks.space_panels(ctx, space) if p.key == "core.resources"]
        assert len(found) == 1 and found[0].title == "Ressources"
        return str(found[0].html)

    anonymous = panels("anonymous")
    assert (
        "Site de la ville" in anonymous
        and "Diagnostic partagé" not in anonymous
        and "Ajouter un document" not in anonymous
    )
    animator = panels("anim_a")
    assert (
        "Notes d&#39;animation" in animator
        and "Ajouter un document" in animator
        and "Support de séance" in animator
    )
