"""Platform life through the core: its meetings (core calendar) and its studies and survey results
(core resources) are reached from the platform's dashboard; a proposal links to the meeting
where it was adopted."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar.models import Meeting
from core.resources import services as resources
from core.resources.models import MEMBERS
from plugins.acces_services.models import Proposal
from tests.helpers import login
from tests.plugins.acces_services.conftest import ANIMATOR, MakeUser, fresh, text


def test_the_dashboard_leads_to_the_platforms_meetings_and_documents(
    client: TestClient, db: Session, platform: int, make_user: MakeUser
) -> None:
    resources.add_link(
        db,
        title="Enquête sur les pratiques culturelles des habitants (résultats)",
        url="https://example.org/enquete-pratiques.pdf",
        space_id=platform,
        visibility=MEMBERS,
    )
    db.commit()
    annual = fresh(db).scalar(select(Meeting).where(Meeting.title.endswith("bilan annuel")))
    assert annual is not None

    login(client, ANIMATOR)
    page = client.get("/acces_services/plateforme")
    assert page.status_code == 200
    body = text(page)
    assert re.search(rf'<a href="[^"]*/reunions/{annual.id}">{re.escape(annual.title)}</a>', body)
    assert '<a href="https://example.org/enquete-pratiques.pdf">Enquête sur les pratiques culturelles' in body
    assert f"/ressources/?espace={platform}" in body
    assert "Partager une étude ou un document" in body  # animators add studies and survey results

    make_user("membre@example.org", "Conseil Citoyen des Hautes-Noues")
    login(client, "membre@example.org")
    member = text(client.get("/acces_services/plateforme"))
    assert "Enquête sur les pratiques culturelles" in member
    assert "Partager une étude ou un document" not in member


def test_a_public_proposal_names_its_meeting_and_links_it_for_those_who_may_see_it(
    client: TestClient, db: Session, platform: int
) -> None:
    proposal = db.scalar(select(Proposal).where(Proposal.title == "Rapprocher le conservatoire du quartier"))
    assert proposal is not None and proposal.meeting_id is not None
    login(client, ANIMATOR)
    page = text(client.get(f"/acces_services/propositions/{proposal.id}"))
    assert "en réunion « Plateforme d'accès aux services – analyse des chiffres » du 20 janvier 2026" in page
    assert re.search(rf'<a href="[^"]*/reunions/{proposal.meeting_id}">voir la réunion</a>', page)
