"""Accessibility in a real browser: axe-core on every main page, reflow at 320 px and 200 % zoom,
and the RSVP form completed with the keyboard alone.

The pages come from :data:`tests.e2e.pages.PAGES` (data: add a line to cover a new page). Each
page must have no axe violation of impact *serious* or *critical*, and no horizontal scrolling
of the page itself at 320 CSS pixels (WCAG 1.4.10) nor at 640 (a 1280-pixel window zoomed to
200 %); wide data tables scroll inside their own container, which the criterion allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from core.config import BUILTIN_PLUGINS
from core.db import make_session_factory
from core.plugins import make_plugin_manager
from tests.e2e.conftest import OpenPage, Shots
from tests.e2e.pages import PAGES, Lookup, PageCheck
from tests.e2e.server import LiveServer

SERIOUS = ("serious", "critical")
#: a 1280 × 800 window at 200 % zoom lays pages out in 640 × 400 CSS pixels
ZOOMED = {"width": 640, "height": 400}
NARROW = {"width": 320, "height": 640}


@pytest.fixture
def lookup(e2e_engine: Engine, seeded_meeting: dict[str, Any]) -> Iterator[Lookup]:
    """Finds the ids of the pages to check (and the meeting made for them)."""
    with make_session_factory(e2e_engine)() as db:
        yield Lookup(db, seeded_meeting)


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


_SCROLL = "() => [document.documentElement.scrollWidth, window.innerWidth]"
#: at 320 px, wide tables scroll in their own box: it must be reachable with the keyboard
NARROW_RULES = {"runOnly": {"type": "rule", "values": ["scrollable-region-focusable"]}}


@pytest.mark.parametrize("check", PAGES, ids=[c.name for c in PAGES])
def test_reflow_at_320px_and_200_percent_zoom(
    check: PageCheck, open_page: OpenPage, live_server: LiveServer, lookup: Lookup, shots: Shots
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = _open(check, open_page, live_server, lookup, viewport=NARROW)
    width, inner = page.evaluate(_SCROLL)
    if width > inner:  # screenshots only of what fails: full-page captures are slow
        shots(page, f"{check.name}-320px")
    assert width <= inner, f"{check.name}: the page scrolls sideways at 320 px ({width} > {inner})"
    assert page.locator("h1").first.is_visible()
    scrollers = Axe().run(page, options=NARROW_RULES).response["violations"]
    assert not scrollers, f"{check.name} at 320 px:\n{_describe(scrollers)}"
    page.set_viewport_size(ZOOMED)
    width, inner = page.evaluate(_SCROLL)
    if width > inner:
        shots(page, f"{check.name}-zoom-200")
    assert width <= inner, f"{check.name}: the page scrolls sideways at 200 % zoom ({width} > {inner})"


_FOCUSED = """() => { const el = document.activeElement; const style = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, text: (el.innerText || '').trim(), outline: style.outlineStyle,
          shadow: style.boxShadow}; }"""


def _tab_to(page: Any, wanted: Any, limit: int = 40) -> dict[str, str]:
    """Press Tab until the focused element is ``wanted(info)``; fail after ``limit`` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        info: dict[str, str] = page.evaluate(_FOCUSED)
        if wanted(info):
            return info
    raise AssertionError(f"never reached with Tab; last focused: {info}")


def test_rsvp_form_with_the_keyboard_only(
    open_page: OpenPage, live_server: LiveServer, seeded_meeting: dict[str, Any], shots: Shots
) -> None:
    """An invitee answers with Tab, Space and Enter (and types a comment): the skip link comes
    first, every control on the way shows where the focus is."""
    page = open_page()
    page.goto(live_server.url(seeded_meeting["keyboard_rsvp_path"]))
    first = _tab_to(page, lambda info: True, limit=1)
    assert first["text"] == "Aller au contenu principal", first
    page.keyboard.press("Enter")  # the skip link: the next Tab starts in the main content
    comment = _tab_to(page, lambda info: info["id"] == "comment")
    assert comment["outline"] != "none" or comment["shadow"] != "none", comment
    page.keyboard.type("Je serai là.")
    button = _tab_to(page, lambda info: info["tag"] == "BUTTON" and info["text"] == "Je participe")
    assert button["outline"] != "none" or button["shadow"] != "none", button
    shots(page, "focus-on-accept")
    with page.expect_navigation():  # the answer is posted: wait for the page it leads to
        page.keyboard.press("Space")
    answer = page.locator("dl.details").inner_text()
    assert "Participe" in answer and "Je serai là." in answer, answer
    shots(page, "answered")
