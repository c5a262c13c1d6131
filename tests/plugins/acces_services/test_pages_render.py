"""Every page of the plugin, and the core pages it adds panels to, render for each role: the
expected status, a whole page (no half-rendered template), French text, one ``h1``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.demo import organisation_by_name
from plugins.acces_services.demo import SLUG
from plugins.acces_services.models import Figure, Proposal, Service
from tests.helpers import login
from tests.plugins.acces_services.conftest import ADMIN, ANIMATOR, CULTURE_PROVIDER, MakeUser, fresh

ROLES = ("anonyme", "hors_plateforme", "membre", "referent", "animateur", "admin")
OK, LOGIN, FORBIDDEN, NOT_FOUND = 200, 303, 403, 404


def _urls(db: Session) -> dict[str, str]:
    fresh(db)
    mediatheque = db.scalar(select(Service.id).where(Service.name == "Médiathèque municipale"))
    figure = db.scalar(select(Figure.id).where(Figure.service_id == mediatheque).limit(1))
    public = db.scalar(select(Proposal.id).where(Proposal.is_public.is_(True)))
    private = db.scalar(select(Proposal.id).where(Proposal.is_public.is_(False)))
    culture = organisation_by_name(db, "Pôle Culture")
    assert mediatheque and figure and public and private and culture
    return {
        "catalogue": "/acces_services/?q=musique&categorie=arts&tarif=tarif_social&distance=commune",
        "guide": "/acces_services/guide?categorie=culture",
        "service": f"/acces_services/services/{mediatheque}",
        "service_edit": f"/acces_services/services/{mediatheque}/modifier",
        "service_new": "/acces_services/services/nouveau",
        "figures": "/acces_services/frequentation",
        "figure_new": f"/acces_services/frequentation/saisie?service={mediatheque}&period=2025-T4",
        "figure_edit": f"/acces_services/frequentation/{figure}/correction",
        "import": "/acces_services/frequentation/import",
        "template": "/acces_services/frequentation/modele.csv",
        "indicators": "/acces_services/indicateurs?categorie=culture",
        "indicators_csv": "/acces_services/indicateurs.csv",
        "service_indicators": f"/acces_services/indicateurs/services/{mediatheque}",
        "dashboard": "/acces_services/plateforme",
        "proposals": "/acces_services/propositions",
        "proposal_public": f"/acces_services/propositions/{public}",
        "proposal_private": f"/acces_services/propositions/{private}",
        "proposal_new": "/acces_services/propositions/nouvelle",
        "proposal_edit": f"/acces_services/propositions/{public}/modifier",
        "settings": "/acces_services/parametres",
        "home": "/",
        "space": f"/espaces/{SLUG}",
        "organisation": f"/annuaire/organisations/{culture.id}",
        "rules": "/courriels/regles",
    }


# expected status per page, in the order of ROLES
EXPECTED: dict[str, tuple[int, ...]] = {
    "catalogue": (OK, OK, OK, OK, OK, OK),
    "guide": (OK, OK, OK, OK, OK, OK),
    "service": (OK, OK, OK, OK, OK, OK),
    "service_edit": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "service_new": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "figures": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "figure_new": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "figure_edit": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "import": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "template": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "indicators": (LOGIN, FORBIDDEN, OK, OK, OK, OK),
    "indicators_csv": (LOGIN, FORBIDDEN, OK, OK, OK, OK),
    "service_indicators": (LOGIN, FORBIDDEN, OK, OK, OK, OK),
    "dashboard": (LOGIN, FORBIDDEN, OK, OK, OK, OK),
    "proposals": (OK, OK, OK, OK, OK, OK),
    "proposal_public": (OK, OK, OK, OK, OK, OK),
    "proposal_private": (NOT_FOUND, NOT_FOUND, OK, OK, OK, OK),
    "proposal_new": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK),
    "proposal_edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK),
    "settings": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK),
    "home": (OK, OK, OK, OK, OK, OK),
    "space": (OK, OK, OK, OK, OK, OK),
    "organisation": (OK, OK, OK, OK, OK, OK),
    "rules": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_each_role(
    client: TestClient, db: Session, platform: int, make_user: MakeUser, role: str
) -> None:
    if role == "hors_plateforme":
        make_user("dehors@example.org", "Adoma")
        login(client, "dehors@example.org")
    elif role == "membre":
        make_user("membre@example.org", "Conseil Citoyen des Hautes-Noues")
        login(client, "membre@example.org")
    elif role != "anonyme":
        login(client, {"referent": CULTURE_PROVIDER, "animateur": ANIMATOR, "admin": ADMIN}[role])
    index = ROLES.index(role)
    for name, url in _urls(db).items():
        wanted = EXPECTED[name][index]
        response = client.get(url, follow_redirects=False)
        if response.status_code in (302, 303, 307) and wanted != LOGIN:
            response = client.get(url)  # e.g. a space page that redirects to its canonical form
        assert response.status_code == wanted, (role, name, response.status_code)
        if wanted == LOGIN:
            assert "/compte/connexion" in response.headers["location"], (role, name)
            continue
        if response.headers["content-type"].startswith("text/csv"):
            assert response.content.startswith(b"\xef\xbb\xbf"), (role, name)  # a spreadsheet's UTF-8
            continue
        page = response.text
        assert page.rstrip().endswith("</html>"), (role, name)
        assert "{{" not in page and "{%" not in page and "Traceback" not in page, (role, name)
        assert '<html lang="fr"' in page, (role, name)
        if wanted == OK:
            assert len(re.findall(r"<h1[\s>]", page)) == 1, (role, name)
        if name == "rules" and wanted == OK:  # the admins see and may tune the platform's reminders
            assert "Fréquentation à saisir" in page and "Proposition sans réponse des élus" in page
