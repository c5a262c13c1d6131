"""Fixtures of the browser tests: one server, one SMTP sink, one Chromium per test session.

``live_server`` serves the real app (uvicorn, PostgreSQL with the demo data, mail to
``e2e_sink``); ``open_page(role)`` gives a fresh browser tab signed in as one of
:data:`ACCOUNTS` (or anonymous); ``shots(page, "step")`` keeps a screenshot of each step under
``var/e2e-screenshots/<test>/``. Without Chromium (``/usr/bin/chromium``) or Playwright the
tests are skipped, unless ``CI`` is set: then they fail, like the PostgreSQL half of the suite.

Every test of this directory gets the ``e2e`` marker (``-m "not e2e"`` leaves them out). Under
pytest-xdist each worker that draws one of them starts its own database, server and browser
(session fixtures are per worker); the tests do not depend on each other's data.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.db import make_engine, make_session_factory
from tests.e2e.server import ROOT, LiveServer, create_database, drop_database
from tests.e2e.support import seed_meeting
from tests.smtp import SmtpSink

CHROMIUM = Path(os.environ.get("RESEAU_E2E_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "var" / "e2e-screenshots"
PASSWORD = "reseau-demo-2026"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: the demo accounts the tests sign in with, by role
ACCOUNTS: dict[str, str] = {
    "admin": "admin@example.org",
    # animator of the project team (and, with the plugin, of the groupes techniques); not an admin
    "animator": "nadia.benali@example.org",
    # a partner's staff member with an account, member of no space
    "partner": "sophie.lefevre@example.org",
    # animator of the acces_services platform (with Camille Martin)
    "acces_animator": "isabelle.moreau@example.org",
    # animator of the club_economie space (the club's demo data)
    "club_animator": "julien.roux@example.org",
    # trainer of the unite_formation demo cycles (not an animator of the unit)
    "trainer": "karim.haddad@example.org",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # remembered so that ``open_page`` can capture every open tab when the test failed
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} while CI is set: the browser tests must run in CI")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium (skip the browser tests without it, fail when ``CI`` is set)."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        _unavailable(f"Playwright or axe-playwright-python missing ({exc}); install the dev extras")
    return CHROMIUM


@pytest.fixture(scope="session")
def e2e_sink() -> Iterator[SmtpSink]:
    """The SMTP server the live app sends to (real aiosmtpd on loopback)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def live_server(
    chromium_path: Path, e2e_sink: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app under uvicorn on a fresh PostgreSQL database holding the demo data."""
    try:
        database_url = create_database(os.environ.get("RESEAU_TEST_DATABASE_URL", PG_DEFAULT))
    except OperationalError as exc:
        _unavailable(f"PostgreSQL unreachable: {exc}")
    server = LiveServer(database_url, tmp_path_factory.mktemp("e2e-data"), e2e_sink.url)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        drop_database(database_url)


@pytest.fixture(scope="session")
def e2e_engine(live_server: LiveServer) -> Iterator[Engine]:
    """An engine on the live server's database, to look up ids and check what the browser did."""
    engine = make_engine(live_server.database_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def e2e_db(e2e_engine: Engine) -> Iterator[Session]:
    """A session on the live database (reads only what is committed; close it before writing)."""
    with make_session_factory(e2e_engine)() as session:
        yield session


@pytest.fixture(scope="session")
def seeded_meeting(live_server: LiveServer, e2e_engine: Engine) -> dict[str, Any]:
    """A meeting with invitations, minutes and an action item (see :func:`seed_meeting`)."""
    return seed_meeting(make_session_factory(e2e_engine), live_server.settings, ACCOUNTS["animator"])


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    launched = manager.chromium.launch(executable_path=str(chromium_path), headless=True)
    try:
        yield launched
    finally:
        launched.close()
        manager.stop()


def sign_in(page: Any, server: LiveServer, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(server.url("/compte/connexion"))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/compte/connexion" not in page.url, f"sign-in as {email} failed: {page.url}"


class Shots:
    """Numbered screenshots of one test's steps, under ``var/e2e-screenshots/<test>/``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def __call__(self, page: Any, step: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """Take a screenshot of a step: ``shots(page, "rsvp-accepted")``."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")
    folder = SCREENSHOTS / name
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    return Shots(folder)


@pytest.fixture(scope="session")
def signed_in_states(browser: Any, live_server: LiveServer) -> dict[str, Any]:
    """Cookies of each role, made on first use (signing in hashes a password: do it once)."""
    return {}


OpenPage = Callable[..., Any]


@pytest.fixture
def open_page(
    browser: Any,
    live_server: LiveServer,
    signed_in_states: dict[str, Any],
    shots: Shots,
    request: pytest.FixtureRequest,
) -> Iterator[OpenPage]:
    """``open_page(role=None, **context_options)``: a new tab in a new context, signed in as
    ``role`` (a key of :data:`ACCOUNTS`) or anonymous; closed after the test, with a screenshot
    of each tab when the test failed."""
    contexts: list[Any] = []

    def factory(role: str | None = None, **options: Any) -> Any:
        options.setdefault("locale", "fr-FR")
        options.setdefault("timezone_id", "Europe/Paris")
        if role is not None and role not in signed_in_states:
            context = browser.new_context(locale="fr-FR")
            sign_in(context.new_page(), live_server, ACCOUNTS[role])
            signed_in_states[role] = context.storage_state()
            context.close()
        if role is not None:
            options["storage_state"] = signed_in_states[role]
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield factory
    failed = request.node.stash.get(FAILED, False)
    for number, context in enumerate(contexts, 1):
        if failed:
            for page in context.pages:
                shots(page, f"failure-tab-{number}")
        context.close()
