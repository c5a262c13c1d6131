"""The admins' "Courriels" pages: outbox with counts and filters, a message, retry, rule
timings; access rules."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from core.reminders.models import OutboxMessage, ReminderRuleState
from core.reminders.testing import collect, run_at
from tests.core.reminders.conftest import World, paris
from tests.helpers import login, post_form
from tests.smtp import SmtpSink

PASSWORD = "mot-de-passe-de-test-2026"


def _arrange(world: World, smtp_sink: SmtpSink, app, clock) -> dict[str, OutboxMessage]:  # type: ignore[no-untyped-def]
    admin = world.contact("Camille", "Martin")
    world.user(admin, admin=True, password=PASSWORD)
    member = world.contact("Julien", "Roux")
    world.user(member, password=PASSWORD)
    meeting = world.meeting(world.space(), paris(2026, 3, 20, 14), title="Comité technique")
    world.invite(meeting, world.contact("Nadia", "Benali"), clock.at)
    world.invite(meeting, world.contact("Karim", "Haddad"), clock.at)
    world.commit()
    smtp_sink.fail_next("550 5.1.1 Boîte inconnue")
    run_at(app, clock.at)
    rows = {r.recipient_email.split(".")[0]: r for r in world.outbox()}
    return rows


def test_outbox_page_counts_filters_and_retry(mail_app, world: World, smtp_sink: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    rows = _arrange(world, smtp_sink, mail_app, clock)
    failed = next(r for r in rows.values() if r.status == "failed")
    sent = next(r for r in rows.values() if r.status == "sent")
    with TestClient(mail_app, follow_redirects=True) as client:
        assert client.get("/courriels/", follow_redirects=False).status_code == 303  # sign in first
        login(client, "julien.roux@example.org", PASSWORD)
        assert client.get("/courriels/").status_code == 403
        assert client.get(f"/courriels/messages/{sent.id}").status_code == 403
        client.cookies.clear()
        client._reseau_csrf = None  # type: ignore[attr-defined]
        login(client, "camille.martin@example.org", PASSWORD)
        assert 'href="/courriels/"' in client.get("/admin/").text

        page = client.get("/courriels/")
        assert page.status_code == 200
        assert "Envoyé : <strong>1</strong>" in page.text and "En échec : <strong>1</strong>" in page.text
        assert "Invitation : Comité technique" in page.text and "550" in page.text
        only_failed = client.get("/courriels/", params={"statut": "failed"})
        assert failed.recipient_email in only_failed.text and sent.recipient_email not in only_failed.text
        by_recipient = client.get("/courriels/", params={"destinataire": sent.recipient_email[:5].upper()})
        assert sent.recipient_email in by_recipient.text and failed.recipient_email not in by_recipient.text
        by_rule = client.get("/courriels/", params={"regle": "core.reminder_accepted"})
        assert "Aucun message ne correspond" in by_rule.text
        by_date = client.get("/courriels/", params={"du": "2026-03-03"})
        assert "Aucun message ne correspond" in by_date.text
        assert "0 message" in by_date.text
        in_range = client.get("/courriels/", params={"du": "2026-03-02", "au": "2026-03-02"})
        assert "2 messages" in in_range.text
        bad_date = client.get("/courriels/", params={"du": "02/03/2026"})
        assert bad_date.status_code == 400 and "Date invalide" in bad_date.text

        detail = client.get(f"/courriels/messages/{sent.id}")
        assert detail.status_code == 200
        assert "Bonjour" in detail.text and "METHOD:REQUEST" in detail.text and sent.key in detail.text
        html = client.get(f"/courriels/messages/{sent.id}/html")
        assert html.status_code == 200 and "sandbox" in html.headers["content-security-policy"]
        assert "Comité technique" in html.text

        refused = post_form(client, f"/courriels/messages/{sent.id}/renvoyer")
        assert "Seul un message en échec" in refused.text
        retried = post_form(client, f"/courriels/messages/{failed.id}/renvoyer")
        assert retried.status_code == 200 and "sera renvoyé" in retried.text
    world.db.commit()
    row = world.db.get(OutboxMessage, failed.id)
    world.db.refresh(row)
    assert row.status == "pending" and row.attempts == 0
    _, report = run_at(mail_app, clock.at + timedelta(minutes=1))
    assert report.sent == 1 and smtp_sink.count() == 2


def test_rule_timings_are_edited_by_admins(mail_app, world: World, smtp_sink: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    _arrange(world, smtp_sink, mail_app, clock)
    with TestClient(mail_app, follow_redirects=True) as client:
        login(client, "camille.martin@example.org", PASSWORD)
        page = client.get("/courriels/regles")
        assert (
            page.status_code == 200
            and "Relance des invités sans réponse" in page.text
            and 'value="J-7"' in page.text
        )
        bad = post_form(
            client,
            "/courriels/regles/core.reminder_unanswered",
            {"enabled": "1", "offsets": "J-10, dans 3 jours", "send_time": "25:00"},
        )
        assert bad.status_code == 400
        assert "« dans 3 jours »" in bad.text and "pas un délai" in bad.text and "Heure invalide" in bad.text
        assert 'value="J-10, dans 3 jours"' in bad.text  # what was typed is kept
        assert 'aria-invalid="true"' in bad.text
        good = post_form(
            client,
            "/courriels/regles/core.reminder_unanswered",
            {"enabled": "1", "offsets": "j-10, J-3", "send_time": "09:30"},
        )
        assert good.status_code == 200 and "enregistrée" in good.text and 'value="J-10, J-3"' in good.text
        off = post_form(
            client, "/courriels/regles/core.reminder_accepted", {"offsets": "J-1", "send_time": "08:00"}
        )
        assert off.status_code == 200
        assert post_form(client, "/courriels/regles/inconnue.regle", {}).status_code == 404
    world.db.commit()
    state = world.db.get(ReminderRuleState, "core.reminder_unanswered")
    assert state.offsets == ["J-10", "J-3"] and state.send_time == "09:30"
    assert world.db.get(ReminderRuleState, "core.reminder_accepted").enabled is False
    dues = collect(mail_app, "core.reminder_unanswered", paris(2026, 3, 17, 9, 30))
    assert len(dues) == 2 and all(d.key.endswith(":J-3") for d in dues)
    # a disabled rule sends nothing
    from core.calendar.models import Invitation

    for invitation in world.db.query(Invitation):
        invitation.response = "accepted"
    world.commit()
    run_at(mail_app, paris(2026, 3, 19, 8))
    assert world.outbox("core.reminder_accepted") == []
