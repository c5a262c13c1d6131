"""People's choices: opting out per rule, daily and weekly digests, one-click unsubscribe
(signed links: GET shows, POST acts, tampering refused), the language of emails."""

from __future__ import annotations

import re
from datetime import date, timedelta

from starlette.testclient import TestClient

from core.reminders.models import ReminderOptOut, ReminderUserSettings
from core.reminders.testing import run_at
from tests.core.reminders.conftest import World, paris
from tests.helpers import login, post_form
from tests.smtp import SmtpSink

PASSWORD = "mot-de-passe-de-test-2026"


def _link(text: str, path: str) -> str:
    match = re.search(rf"http://testserver({re.escape(path)}[^\s<\"]+)", text)
    assert match, text
    return match.group(1)


def test_preferences_page_opt_out_keeps_invitations(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    nadia = world.contact("Nadia", "Benali")
    world.user(nadia, password=PASSWORD)
    meeting = world.meeting(world.space(), paris(2026, 3, 20, 14))
    world.invite(meeting, nadia, clock.at, response="accepted")
    world.commit()
    with TestClient(mail_app, follow_redirects=True) as client:
        login(client, nadia.email, PASSWORD)
        assert "/courriels/preferences" in client.get("/compte/profil").text
        page = client.get("/courriels/preferences")
        assert page.status_code == 200
        assert "Rappel de la réunion" in page.text and "Invitation à une réunion" not in page.text
        optional = {"core.reminder_unanswered", "core.minutes_missing", "core.action_item_overdue"}
        response = post_form(client, "/courriels/preferences", {"rules": sorted(optional), "digest": "none"})
        assert response.status_code == 200 and "Vos préférences sont enregistrées" in response.text
        assert 'value="core.reminder_accepted" checked' not in response.text
        bad = post_form(client, "/courriels/preferences", {"rules": sorted(optional), "digest": "hourly"})
        assert bad.status_code == 400 and "Choisissez un rythme" in bad.text
    run_at(mail_app, clock.at)
    run_at(mail_app, paris(2026, 3, 19, 8))
    subjects = [m.message["Subject"] for m in smtp_sink.to(nadia.email)]
    assert len(subjects) == 1 and subjects[0].startswith("Invitation")


def test_unsubscribe_link_get_shows_post_acts_tampered_refused(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    julien = world.contact("Julien", "Roux")
    first = world.meeting(world.space(), paris(2026, 3, 20, 14))
    second = world.meeting(world.space(slug="autre"), paris(2026, 3, 27, 14))
    for meeting in (first, second):
        world.invite(meeting, julien, paris(2026, 3, 1), response="accepted")
    world.commit()
    run_at(mail_app, paris(2026, 3, 19, 8))
    [reminder] = smtp_sink.to(julien.email)
    message = reminder.message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_url = message["List-Unsubscribe"].strip("<>")
    text = message.get_body(("plain",)).get_content()
    page_path = _link(text, "/courriels/desabonnement/")
    assert header_url == f"http://testserver{page_path}/un-clic"

    with TestClient(mail_app, follow_redirects=True) as client:
        shown = client.get(page_path)
        assert (
            shown.status_code == 200
            and "Rappel de la réunion" in shown.text
            and "julien.roux@example.org" in shown.text
        )
        world.db.commit()
        assert (
            world.db.query(ReminderOptOut).count() == 0
        )  # a mail scanner following the link changes nothing
        tampered = client.get(page_path[:-3] + ("AAA" if not page_path.endswith("AAA") else "BBB"))
        assert tampered.status_code == 400 and "invalide" in tampered.text
        assert post_form(client, page_path[:-3] + "xyz", {"scope": "rule"}).status_code == 400
        done = post_form(client, page_path, {"scope": "rule"})
        assert done.status_code == 200 and "C'est fait" in done.text
        assert post_form(client, page_path, {"scope": "rule"}).status_code == 200  # twice is harmless
    world.db.commit()
    assert [(o.email, o.rule) for o in world.db.query(ReminderOptOut)] == [
        ("julien.roux@example.org", "core.reminder_accepted")
    ]
    run_at(mail_app, paris(2026, 3, 26, 8))
    assert len(smtp_sink.to(julien.email)) == 1  # no reminder for the second meeting


def test_one_click_unsubscribe_by_post_without_session(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    owner = world.contact("Thomas", "Petit")
    meeting = world.meeting(world.space(), paris(2026, 3, 2, 14))
    world.action(meeting, owner, date(2026, 3, 9))
    world.commit()
    run_at(mail_app, paris(2026, 3, 10, 8))
    [mail] = smtp_sink.messages
    url = mail.message["List-Unsubscribe"].strip("<>").removeprefix("http://testserver")
    with TestClient(mail_app) as client:  # a mail provider: no cookie, no CSRF token
        response = client.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
        assert client.post(url.replace("/un-clic", "x/un-clic")).status_code == 400
        assert client.get(url, follow_redirects=False).status_code == 303
    world.db.commit()
    assert [o.rule for o in world.db.query(ReminderOptOut)] == ["core.action_item_overdue"]


def test_daily_digest_folds_reminders_but_not_those_that_would_expire(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    karim = world.contact("Karim", "Haddad")
    user = world.user(karim, password=PASSWORD)
    space = world.space()
    early = world.meeting(space, paris(2026, 3, 20, 7), title="Petit-déjeuner des partenaires")
    morning = world.meeting(space, paris(2026, 3, 20, 10), title="Comité technique")
    afternoon = world.meeting(space, paris(2026, 3, 20, 15), title="Atelier habitat")
    for meeting in (early, morning, afternoon):
        world.invite(meeting, karim, paris(2026, 3, 1), response="accepted")
    world.commit()
    with TestClient(mail_app, follow_redirects=True) as client:
        login(client, karim.email, PASSWORD)
        post_form(
            client,
            "/courriels/preferences",
            {"rules": ["core.reminder_accepted", "core.reminder_unanswered"], "digest": "daily"},
        )
    world.db.commit()
    assert world.db.get(ReminderUserSettings, user.id).digest == "daily"

    run_at(mail_app, paris(2026, 3, 19, 8))  # J-1 of the three meetings
    # the 07:00 meeting would have started before the 07:30 digest: sent alone
    assert [m.message["Subject"] for m in smtp_sink.messages] == [
        "Rappel : Petit-déjeuner des partenaires – vendredi 20 mars 2026, 07 h 00"
    ]
    held = [r for r in world.outbox("core.reminder_accepted") if r.status == "held"]
    assert len(held) == 2
    run_at(mail_app, paris(2026, 3, 20, 7, 30))
    [digest] = smtp_sink.messages[1:]
    assert digest.message["Subject"] == "Votre récapitulatif du jour : 2 rappel(s)"
    body = digest.message.get_body(("plain",)).get_content()
    assert "Comité technique" in body and "Atelier habitat" in body
    assert digest.message["List-Unsubscribe"]  # stopping the digest = no optional reminder
    assert {r.status for r in world.outbox("core.reminder_accepted")} == {"sent", "digested"}
    assert all(r.subject for r in world.outbox("core.reminder_accepted"))
    run_at(mail_app, paris(2026, 3, 20, 7, 31))
    assert smtp_sink.count() == 2


def test_weekly_digest_on_monday_and_leaving_the_digest_releases_held_mail(
    mail_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    camille = world.contact("Camille", "Martin")
    user = world.user(camille, password=PASSWORD)
    world.db.add(ReminderUserSettings(user_id=user.id, digest="weekly"))
    space = world.space()
    world.animator(space, camille)
    world.meeting(space, paris(2026, 3, 10, 14))  # Tuesday: minutes due J+3 (Friday 13) and J+7
    world.commit()
    run_at(mail_app, paris(2026, 3, 13, 8))
    assert smtp_sink.count() == 0
    run_at(mail_app, paris(2026, 3, 16, 7, 30))  # Monday
    [digest] = smtp_sink.messages
    assert "semaine" in digest.message["Subject"]
    run_at(mail_app, paris(2026, 3, 17, 8))  # J+7: held again for next Monday
    with TestClient(mail_app, follow_redirects=True) as client:
        login(client, camille.email, PASSWORD)
        post_form(client, "/courriels/preferences", {"rules": ["core.minutes_missing"], "digest": "none"})
    run_at(mail_app, paris(2026, 3, 17, 9))
    assert [m.message["Subject"].split(" :")[0] for m in smtp_sink.messages] == [
        "Votre récapitulatif de la semaine",
        "Compte rendu à écrire",
    ]


def test_email_in_the_recipients_language(mail_app, world: World, smtp_sink: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    sophie = world.contact("Sophie", "Lefevre")
    world.user(sophie, language="en")
    meeting = world.meeting(world.space(), paris(2026, 3, 20, 14))
    world.invite(meeting, sophie, clock.at)
    world.commit()
    run_at(mail_app, clock.at)
    [mail] = smtp_sink.messages
    assert mail.message["Content-Language"] == "en"
    text = mail.message.get_body(("plain",)).get_content()
    assert "Friday 20 March 2026, 14:00" in text
    assert '<html lang="en">' in mail.message.get_body(("html",)).get_content()
    assert world.outbox()[0].language == "en"
    _ = timedelta
