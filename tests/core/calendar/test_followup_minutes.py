"""Minutes and decisions: sanitised Markdown, who reads them, publication as a PDF resource."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar import followup
from core.calendar.minutes import render_markdown
from core.calendar.models import Decision, Meeting, Minutes
from core.resources.models import Resource
from tests.core.resources.followup_world import World, build_world, sign_in
from tests.helpers import FrozenClock, post_form

NASTY = """# Bilan

Texte **gras** et [site](https://example.org) et [piège](javascript:alert(1)).

<script>alert("x")</script>
<img src="https://tracker.example/p.gif" onerror="alert(2)">
<a href="javascript:alert(3)" onclick="alert(4)">clic</a>
<p onmouseover="alert(5)" style="color:red">survol</p>
<iframe src="https://evil.example"></iframe>
"""


@pytest.fixture
def world(db: Session, app: object) -> World:
    return build_world(db)


@pytest.fixture
def after_meeting(clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 13, 9, 0, tzinfo=UTC))  # after every meeting of the world


def test_markdown_is_rendered_and_sanitised() -> None:
    html = render_markdown(NASTY)
    assert "<h3>Bilan</h3>" in html  # headings sit under the page's h1/h2
    assert "<strong>gras</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>' in html
    lowered = html.lower()
    for forbidden in (
        "<script",
        'alert("x")',
        "onerror",
        "onclick",
        "onmouseover",
        'href="javascript',
        "<img",
        "<iframe",
        "style=",
        "tracker.example",
    ):
        assert forbidden not in lowered, forbidden
    # a refused link address stays as inert text, never as a link
    assert "<a>" not in html and "[piège](javascript:alert(1))" in html
    assert "survol" in html and "clic" in html


def test_animator_writes_members_read_then_publication_opens_the_minutes(
    client: TestClient, world: World, db: Session, after_meeting: None
) -> None:
    url = f"/agenda/reunions/{world.meeting.id}/compte-rendu"
    sign_in(client, world, "anim_a")
    assert client.get(url + "/modifier").status_code == 200
    response = post_form(
        client, url + "/modifier", {"body": NASTY + "\nÉlan, Œuvre, « guillemets »."}, follow_redirects=False
    )
    assert response.status_code == 303
    minutes = db.scalar(select(Minutes))
    assert minutes is not None and "<script" not in minutes.body_html and minutes.published_at is None
    page = client.get(url)
    assert "<h3>Bilan</h3>" in page.text and "<script>alert" not in page.text
    assert "brouillon" in page.text

    # a member of the space reads the draft; an outsider invited elsewhere does not
    sign_in(client, world, "member_a")
    assert client.get(url).status_code == 200
    sign_in(client, world, "prefet")  # invited to the meeting, not a member of the space
    assert client.get(url).status_code == 403
    sign_in(client, world, "outsider")
    assert client.get(url).status_code == 404

    sign_in(client, world, "anim_a")
    post_form(
        client,
        f"/agenda/reunions/{world.meeting.id}/decisions",
        {"action": "add", "text": "Lancer l'étude « mobilité »."},
    )
    response = post_form(client, url + "/publier", follow_redirects=False)
    assert response.status_code == 303
    db.rollback()
    resource = db.scalar(select(Resource).where(Resource.category == "core.minutes"))
    assert resource is not None
    assert resource.meeting_id == world.meeting.id and resource.visibility == "members"
    assert resource.content_type == "application/pdf" and resource.filename == "compte-rendu-2026-03-10.pdf"

    sign_in(client, world, "prefet")  # invited: the meeting's audience now reads the minutes
    page = client.get(url)
    assert page.status_code == 200 and "Lancer l&#39;étude « mobilité »." in page.text
    download = client.get(f"/ressources/{resource.id}/telecharger")
    assert download.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.content)).pages)
    for expected in (
        "Compte rendu",
        "Groupe Habitat – réunion de printemps",
        "Bilan",
        "Élan, Œuvre",
        "Lancer l'étude « mobilité ».",
        "Excusés",
        "Aïcha Traoré",
    ):
        assert expected in text, expected
    assert "<script" not in text and 'alert("x")' not in text and "alert(2)" not in text

    sign_in(client, world, "outsider")  # not invited, not a member: still nothing
    assert client.get(url).status_code == 404
    assert client.get(f"/ressources/{resource.id}/telecharger").status_code == 404


def test_republishing_replaces_the_document_and_keeps_the_old_one(
    client: TestClient, world: World, db: Session, after_meeting: None, clock: FrozenClock
) -> None:
    url = f"/agenda/reunions/{world.public_meeting.id}/compte-rendu"
    sign_in(client, world, "anim_a")
    post_form(client, url + "/modifier", {"body": "Première version."})
    post_form(client, url + "/publier")
    clock.advance(hours=1)
    post_form(client, url + "/modifier", {"body": "Version corrigée."})
    page = client.get(url)
    assert "modifié depuis sa publication" in page.text
    post_form(client, url + "/publier")
    db.rollback()
    documents = db.scalars(
        select(Resource).where(Resource.category == "core.minutes").order_by(Resource.id)
    ).all()
    assert len(documents) == 2
    assert documents[0].removed_at is not None and documents[1].removed_at is None
    assert documents[1].visibility == "public"  # a public meeting's minutes are public
    sign_in(client, world, "anonymous")
    assert "Version corrigée." in client.get(url).text
    assert client.get(f"/ressources/{documents[1].id}/telecharger").status_code == 200
    assert client.get(f"/ressources/{documents[0].id}/telecharger").status_code == 404


def test_publishing_is_refused_before_the_meeting_and_without_text(
    client: TestClient, world: World, db: Session
) -> None:
    url = f"/agenda/reunions/{world.meeting.id}/compte-rendu"
    sign_in(client, world, "anim_a")
    page = post_form(client, url + "/publier")
    assert "Écrivez le compte rendu avant de le publier." in page.text
    post_form(client, url + "/modifier", {"body": "Préparation."})
    page = post_form(client, url + "/publier")
    assert "pas encore eu lieu" in page.text
    db.rollback()
    assert db.scalar(select(Minutes.published_at)) is None
    assert db.scalars(select(Resource)).all() == []


def test_decisions_are_added_corrected_and_removed(client: TestClient, world: World, db: Session) -> None:
    url = f"/agenda/reunions/{world.meeting.id}/decisions"
    sign_in(client, world, "anim_a")
    assert post_form(client, url, {"action": "add", "text": ""}).status_code == 400
    post_form(client, url, {"action": "add", "text": "Première décision"})
    post_form(client, url, {"action": "add", "text": "Seconde décision"})
    db.rollback()
    first, second = db.scalars(select(Decision).order_by(Decision.position)).all()
    post_form(
        client, url, {"action": "update", "decision_id": first.id, "text": "Première décision, corrigée"}
    )
    post_form(client, url, {"action": "delete", "decision_id": second.id})
    db.rollback()
    assert db.scalars(select(Decision.text)).all() == ["Première décision, corrigée"]
    # a decision of another meeting cannot be reached through this one (no IDOR)
    other = f"/agenda/reunions/{world.public_meeting.id}/decisions"
    assert post_form(client, other, {"action": "delete", "decision_id": first.id}).status_code == 404


def test_the_followup_partial_renders_for_an_animator_and_a_reader(
    app, world: World, db: Session, after_meeting: None, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    url = f"/agenda/reunions/{world.meeting.id}/compte-rendu"
    sign_in(client, world, "anim_a")
    post_form(
        client,
        f"/agenda/reunions/{world.meeting.id}/presences",
        {"action": "save", "present": [world.contacts["prefet"].id, world.contacts["anim_a"].id]},
    )
    post_form(client, url + "/modifier", {"body": "## Points\n\nTout va bien."})
    post_form(client, url + "/publier")
    db.rollback()
    meeting = db.get(Meeting, world.meeting.id)
    assert meeting is not None
    template = app.state.reseau.templates.get_template("calendar/_followup.html")
    request = SimpleNamespace(app=app)

    def render(who: str, can_manage: bool) -> str:
        user = world.users[who]
        context = followup.meeting_followup(db, meeting, user, can_manage=can_manage)
        return template.render(followup=context, request=request, ctx=None, csrf_token="jeton", user=user)

    html = render("anim_a", True)
    assert "Relever les présences" in html and "Publier de nouveau le compte rendu" in html
    assert "<h4>Points</h4>" in html and "Tout va bien." in html
    assert "Préfecture du Val-de-Marne" in html and "représenté" in html
    assert "Caisse d&#39;Allocations Familiales" in html and "non représenté" in html
    assert "compte-rendu-2026-03-10.pdf" in html
    reader = render("prefet", False)
    assert "Relever les présences" not in reader and "Tout va bien." in reader
    outsider = render("outsider", False)
    assert "Tout va bien." not in outsider and "compte-rendu-2026-03-10.pdf" not in outsider
