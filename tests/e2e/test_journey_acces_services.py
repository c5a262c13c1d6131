"""Journey (plugin acces_services): a resident finds a service in the public catalogue; the
platform's animator enters the service's attendance figures for the last period, which then
appear among the figures entered."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.e2e.conftest import OpenPage, Shots
from tests.e2e.server import LiveServer


def test_resident_finds_a_service_and_animator_enters_its_figures(
    open_page: OpenPage, live_server: LiveServer, e2e_db: Session, shots: Shots
) -> None:
    # a resident (anonymous) searches the catalogue and opens a service
    resident = open_page()
    resident.goto(live_server.url("/acces_services/"))
    shots(resident, "catalogue")
    first = resident.locator("#results-title ~ * a[href*='/acces_services/services/']").first
    name = first.inner_text().strip()
    resident.get_by_label("Rechercher", exact=True).fill(name.split()[0])
    resident.get_by_role("button", name="Filtrer").click()
    resident.get_by_role("link", name=name, exact=True).first.click()
    resident.get_by_role("heading", level=1, name=name).wait_for()
    shots(resident, "service-page")

    # the animator enters the figures of a service still missing for the last period
    animator = open_page("acces_animator")
    animator.goto(live_server.url("/acces_services/frequentation"))
    shots(animator, "figures-to-enter")
    missing = animator.locator("section[aria-labelledby='missing-title'] li")
    assert missing.count() > 0, "the demo leaves figures to enter for the last period"
    service = missing.first.inner_text().split(" (")[0].strip()
    missing.first.get_by_role("link").click()
    animator.get_by_label("Nombre d'usagers sur la période", exact=False).fill("120")
    animator.get_by_label("Dont usagers habitant le quartier", exact=False).fill("45")
    shots(animator, "figures-form")
    animator.get_by_role("button", name="Enregistrer", exact=True).click()
    animator.wait_for_load_state()
    assert animator.locator(".error-summary").count() == 0, animator.locator("main").inner_text()[:500]
    shots(animator, "figures-saved")
    row = e2e_db.execute(
        text(
            "SELECT f.users_total, f.users_neighbourhood FROM acces_services_figures f "
            "JOIN acces_services_services s ON s.id = f.service_id WHERE s.name = :name "
            "ORDER BY f.id DESC LIMIT 1"
        ),
        {"name": service},
    ).one()
    assert tuple(row) == (120, 45)
