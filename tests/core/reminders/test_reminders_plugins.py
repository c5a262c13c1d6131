"""Plugin rules are found through ``reseau_register_reminder_rules``, react to an absence, get
opt-out links like core rules, and a broken rule neither stops the others nor loses its window."""

from __future__ import annotations

from datetime import date

from core.app import create_app
from core.plugins import make_plugin_manager
from core.reminders.models import ReminderRuleState
from core.reminders.sweep import sweep
from core.reminders.testing import run_at
from tests.core.reminders import fake_plugin
from tests.core.reminders.conftest import World, paris
from tests.smtp import SmtpSink


def test_a_plugin_rule_reacts_to_absence_and_a_broken_rule_is_isolated(
    settings, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    pm = make_plugin_manager([])
    pm.register(fake_plugin, name="fake_plugin")
    app = create_app(settings.with_(plugins=(), smtp_url=smtp_sink.url), plugin_manager=pm, clock=clock)
    try:
        assert {"fake_plugin.absence", "fake_plugin.broken"} <= set(app.state.reseau.registry.reminder_rules)
        quiet = world.space(name="Groupe Éducation", slug="gt-education")
        busy = world.space(name="Groupe Habitat", slug="gt-habitat")
        world.meeting(busy, paris(2026, 6, 10, 14))
        world.commit()
        swept, sent = run_at(app, paris(2026, 6, 2, 8))  # S-4 before 30 June
        assert swept.errors.keys() == {"fake_plugin.broken", "fake_plugin.bad_key"}
        assert "must start with 'fake_plugin.bad_key:'" in swept.errors["fake_plugin.bad_key"]
        assert swept.inserted["fake_plugin.absence"] == 1 and sent.sent == 1
        [mail] = smtp_sink.messages
        assert mail.message["Subject"] == "Aucune réunion prévue : Groupe Éducation"
        assert "30 juin 2026" in mail.message.get_body(("plain",)).get_content()
        assert mail.message["List-Unsubscribe"]
        # the broken rule's watermark did not move: its window is retried, not lost
        world.db.commit()
        broken = world.db.get(ReminderRuleState, "fake_plugin.broken")
        assert broken is None or broken.swept_until is None
        assert world.db.get(ReminderRuleState, "fake_plugin.absence").swept_until == paris(2026, 6, 2, 8)
        # a meeting gets planned: no S-1 reminder
        world.meeting(quiet, paris(2026, 6, 25, 10))
        world.commit()
        run_at(app, paris(2026, 6, 23, 8))
        assert smtp_sink.count() == 1
        report = sweep(app.state.reseau, paris(2026, 6, 23, 8))
        assert report.total == 0
    finally:
        app.state.reseau.engine.dispose()
    assert date(2026, 6, 30) == fake_plugin.DEADLINE
