"""Journey: a partner subscribes to their private calendar feed; the feed, fetched as a calendar
application would (no cookie), holds the meetings they are invited to."""

from __future__ import annotations

from typing import Any

from icalendar import Calendar

from tests.e2e.conftest import OpenPage, Shots
from tests.e2e.server import LiveServer


def test_partner_subscribes_to_their_private_feed(
    open_page: OpenPage, live_server: LiveServer, seeded_meeting: dict[str, Any], shots: Shots, browser: Any
) -> None:
    # Sophie Lefèvre's organisation (Pôle E.S.C.A.L.E.) is invited to the seeded meeting
    partner = open_page("partner")
    partner.goto(live_server.url("/"))
    partner.get_by_role("link", name="Agenda", exact=True).first.click()
    partner.get_by_role("link", name="S'abonner", exact=False).first.click()
    shots(partner, "subscription-page")
    partner.get_by_role("button", name="Créer mon lien privé").click()
    feed_url = partner.get_by_label("Adresse web de votre flux privé").input_value()
    shots(partner, "private-link-shown")
    assert feed_url.startswith(live_server.url("/ical/prive/")), feed_url
    webcal = partner.get_by_role("link", name="M'abonner à mon agenda privé").get_attribute("href")
    assert webcal == "webcal://" + feed_url.split("://", 1)[1], webcal

    # the calendar application fetches it without any session
    app = browser.new_context()
    try:
        response = app.request.get(feed_url)
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/calendar")
        body = response.body()
    finally:
        app.close()
    calendar = Calendar.from_ical(body)
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert seeded_meeting["meeting_uid"] in events, sorted(events)
    assert str(events[seeded_meeting["meeting_uid"]]["SUMMARY"]) == seeded_meeting["meeting_title"]
    # no participant's address in a feed
    assert b"claire.dubois@example.org" not in body

    # shown once: back on the page, only the fact that a link is active
    partner.goto(live_server.url("/ical/abonnement"))
    assert partner.get_by_label("Adresse web de votre flux privé").count() == 0
    partner.get_by_text("Un lien privé est actif", exact=False).wait_for()
    shots(partner, "link-active")
