"""How the sender spends its CPU: one rendering thread at a time feeding the connections,
outcomes written in few transactions, and headers written without needless re-encoding."""

from __future__ import annotations

import asyncio
import email
import email.policy
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from email.policy import compat32
from typing import Any

import pytest

import core.reminders.sender as sender
from core.config import Settings
from core.reminders import mail
from core.reminders.sender import Outcome, Recorder, SendReport, send_due
from tests.core.reminders.test_reminders_delivery import _enqueue, notice_template  # noqa: F401
from tests.smtp import SmtpSink


def test_batches_are_prepared_one_at_a_time_and_each_message_delivered_once(
    make_app: Any, smtp_sink: SmtpSink, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(plugins=[], smtp_url=f"{smtp_sink.url}&connections=3&per_connection=5")
    _enqueue(app, 60, clock.at)
    original = sender.prepare
    lock = threading.Lock()
    running = {"now": 0, "most": 0, "calls": 0}

    def watched(*args: Any, **kwargs: Any) -> list[sender.Prepared]:
        with lock:
            running["now"] += 1
            running["calls"] += 1
            running["most"] = max(running["most"], running["now"])
        try:
            time.sleep(0.005)  # long enough for a second rendering thread to overlap, if any ran
            return original(*args, **kwargs)
        finally:
            with lock:
                running["now"] -= 1

    monkeypatch.setattr(sender, "prepare", watched)
    report = asyncio.run(send_due(app.state.reseau, clock.at))
    assert report.sent == 60 and report.claimed == 60
    assert running == {"now": 0, "most": 1, "calls": 12}  # 60 messages in batches of 5
    assert set(Counter(m.rcpt_tos[0] for m in smtp_sink.messages).values()) == {1}
    assert smtp_sink.count() == 60


def test_the_recorder_gathers_outcomes_arriving_close_together_into_one_flush(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flushes: list[list[int]] = []

    def fake_record(state: Any, owner: str, prepared: Any, outcomes: Any, now: Any, rng: Any) -> SendReport:
        flushes.append([o.id for o in outcomes])
        return SendReport(sent=len(outcomes))

    monkeypatch.setattr(sender, "record", fake_record)
    monkeypatch.setattr(sender, "FLUSH_LINGER", 0.5)  # far longer than the ten arrivals below

    async def scenario() -> SendReport:
        recorder = Recorder(None, "me", datetime(2026, 3, 1, tzinfo=UTC), random.Random(1))  # type: ignore[arg-type]
        for n in range(10):  # one outcome per turn of the loop, as the connections answer
            recorder.add(Outcome(n, "sent"))
            await asyncio.sleep(0.001)
        return await recorder.close()

    report = asyncio.run(scenario())
    assert flushes == [list(range(10))]
    assert report.sent == 10


def test_a_full_flush_does_not_wait_for_the_linger(monkeypatch: pytest.MonkeyPatch) -> None:
    flushes: list[int] = []
    monkeypatch.setattr(
        sender, "record", lambda *a: flushes.append(len(a[3])) or SendReport(sent=len(a[3]))
    )
    monkeypatch.setattr(sender, "FLUSH_LINGER", 30.0)  # the test would hang if it waited

    async def scenario() -> SendReport:
        recorder = Recorder(None, "me", datetime(2026, 3, 1, tzinfo=UTC), random.Random(1))  # type: ignore[arg-type]
        for n in range(sender.FLUSH_SIZE):
            recorder.add(Outcome(n, "sent"))
        return await asyncio.wait_for(recorder.close(), timeout=10)

    assert asyncio.run(scenario()).sent == sender.FLUSH_SIZE
    assert flushes == [sender.FLUSH_SIZE]


@pytest.mark.parametrize(
    "value",
    [
        "Rappel : réunion demain",  # non-ASCII: the standard way
        "auto-generated",
        "<https://reseau.example.org/courriels/desabonnement/abc.def/un-clic>",
        "x" * 500,  # long: compat32 without a line length does not fold either
        "=?utf-8?b?UmFwcGVsIDogcsOpdW5pb24=?=\r\n =?utf-8?b?ZGVtYWlu?=",  # already folded
        "",
    ],
)
def test_headers_are_written_as_compat32_writes_them(value: str) -> None:
    standard = compat32.clone(linesep="\r\n", max_line_length=None)
    assert mail._FAST_POLICY.fold_binary("Subject", value) == standard.fold_binary("Subject", value)


def test_a_two_part_message_parses_back_with_its_own_boundary() -> None:
    settings = Settings(
        database_url="sqlite://", secret_key="k", base_url="https://reseau.example.org", mail_from="hub@example.org"
    )
    rendered = mail.Rendered("Réunion : ordre du jour", "Bonjour Zoé,\n--=_ piège\n", "<p>Bonjour Zoé</p>")
    data = mail.build_bytes(
        settings,
        to_email="zoe@example.org",
        to_name="Zoé Lefèvre",
        rendered=rendered,
        message_id="<k@example.org>",
        language="fr",
        date=datetime(2026, 3, 1, 8, tzinfo=UTC),
    )
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message.get_boundary().startswith("=_") and len(message.get_boundary()) == 34
    text, html = (part.get_content() for part in message.iter_parts())
    assert text == rendered.text and html == rendered.html
    assert str(message["Subject"]) == "Réunion : ordre du jour"
    assert str(message["To"]) == "Zoé Lefèvre <zoe@example.org>"
    assert b"\r\nAuto-Submitted: auto-generated\r\n" in data
