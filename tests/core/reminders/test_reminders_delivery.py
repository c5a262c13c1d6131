"""Delivery to a real SMTP server: failures and retries, TLS, exactly once under restarts and
concurrent senders, leases, ``.eml`` files without SMTP, header injection, ``enqueue``."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from core.db import transaction
from core.reminders.models import OutboxMessage
from core.reminders.outbox import enqueue
from core.reminders.rules import Due, Recipient
from core.reminders.sender import MAX_ATTEMPTS, claim, record, send_due
from core.reminders.sweep import sweep
from core.reminders.testing import run_at
from tests.core.reminders.conftest import World, paris
from tests.smtp import SmtpSink, closed_port, silent_server


def _due(n: int, at, email_address: str | None = None, **changes) -> Due:  # type: ignore[no-untyped-def]
    values = {
        "key": f"tests.notice:{n}",
        "recipient": Recipient(email=email_address or f"personne{n}@example.org", name=f"Personne {n}"),
        "template": "emails/test_notice",
        "context": {"number": n, "when": at},
        "due_at": at,
    }
    values.update(changes)
    return Due(**values)


@pytest.fixture(autouse=True)
def notice_template(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A tiny transactional template, as a plugin would ship (``<dir>/emails/test_notice.*``)."""
    folder = tmp_path / "templates" / "emails"
    folder.mkdir(parents=True)
    (folder / "test_notice.subject.txt").write_text("Avis n° {{ number }} pour {{ recipient.name }}")
    (folder / "test_notice.txt").write_text("Bonjour,\nAvis n° {{ number }} du {{ when|datetime }}.\n")
    (folder / "test_notice.html").write_text("<p>Avis n° {{ number }} pour {{ recipient.name }}</p>")
    import core.app

    original = core.app.make_environment
    monkeypatch.setattr(core.app, "make_environment", lambda dirs: original([*dirs, tmp_path / "templates"]))


def _enqueue(app, count: int, at, **kwargs) -> None:  # type: ignore[no-untyped-def]
    state = app.state.reseau
    with transaction(state.session_factory) as db:
        for n in range(count):
            enqueue(db, _due(n, at, **kwargs), now=at)


def _rows(world: World) -> list[OutboxMessage]:
    return world.outbox()


# ------------------------------------------------------------------------------ enqueue, files


def test_enqueue_is_transactional_and_idempotent(make_app, world: World, smtp_sink: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    state = app.state.reseau
    with pytest.raises(RuntimeError), transaction(state.session_factory) as db:
        enqueue(db, _due(1, clock.at), now=clock.at)
        raise RuntimeError("the caller's transaction fails")
    assert _rows(world) == []
    with transaction(state.session_factory) as db:
        assert enqueue(db, _due(1, clock.at), now=clock.at) is not None
        assert enqueue(db, _due(1, clock.at), now=clock.at) is None
    _swept, sent = run_at(app, clock.at)
    assert sent.sent == 1
    [received] = smtp_sink.messages
    assert received.message["Subject"] == "Avis n° 1 pour Personne 1"
    assert "lundi 2 mars 2026, 10 h 00" in received.message.get_body(("plain",)).get_content()
    assert _rows(world)[0].rule == "core.transactional"


def test_without_smtp_mail_is_written_to_eml_files_and_recorded(
    make_app, world: World, clock, settings
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[])
    _enqueue(app, 2, clock.at)
    _swept, sent = run_at(app, clock.at)
    assert sent.sent == 2
    files = sorted((settings.data_dir / "mail").rglob("*.eml"))
    assert len(files) == 2
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "personne0@example.org"
    assert {r.status for r in _rows(world)} == {"sent"}


# ------------------------------------------------------------------------------ SMTP failures


def test_451_then_success_is_retried_with_backoff(make_app, world: World, smtp_sink: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    _enqueue(app, 1, clock.at)
    smtp_sink.fail_next("451 4.3.0 Réessayez plus tard")
    _, sent = run_at(app, clock.at)
    assert sent.retried == 1 and smtp_sink.count() == 0
    [row] = _rows(world)
    assert row.status == "pending" and row.attempts == 1 and "451" in row.last_error
    assert clock.at + timedelta(seconds=30) <= row.next_attempt_at <= clock.at + timedelta(seconds=60)
    _, sent = run_at(app, clock.at + timedelta(seconds=10))  # not yet
    assert sent.claimed == 0
    _, sent = run_at(app, clock.at + timedelta(minutes=2))
    assert sent.sent == 1 and smtp_sink.count() == 1
    assert _rows(world)[0].attempts == 2


@pytest.mark.parametrize(
    ("answer", "stage"), [("550 5.1.1 Boîte inconnue", "rcpt"), ("554 5.7.1 Refusé", "data")]
)
def test_5xx_is_a_permanent_failure_shown_to_admins(
    make_app, world: World, smtp_sink: SmtpSink, clock, answer, stage
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    _enqueue(app, 3, clock.at)
    smtp_sink.fail_next(answer, stage=stage)  # only the first message
    _, sent = run_at(app, clock.at)
    assert (sent.sent, sent.failed) == (2, 1)
    failed = [r for r in _rows(world) if r.status == "failed"]
    assert len(failed) == 1 and answer[:3] in failed[0].last_error
    _, sent = run_at(app, clock.at + timedelta(days=1))
    assert sent.claimed == 0 and smtp_sink.count() == 2


def test_disconnect_after_data_is_retried_and_delivered_once(
    make_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    _enqueue(app, 2, clock.at)
    smtp_sink.disconnect_after_data()
    _, sent = run_at(app, clock.at)
    assert sent.retried == 2 and smtp_sink.count() == 0  # the second was never tried on the dead connection
    _, sent = run_at(app, clock.at + timedelta(minutes=5))
    assert sent.sent == 2
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        "personne0@example.org",
        "personne1@example.org",
    ]


def test_server_down_and_server_that_never_greets(make_app, world: World, clock) -> None:  # type: ignore[no-untyped-def]
    down = make_app(plugins=[], smtp_url=f"smtp://127.0.0.1:{closed_port()}?timeout=2")
    _enqueue(down, 1, clock.at)
    _, sent = run_at(down, clock.at)
    assert sent.retried == 1
    assert "connexion impossible" in _rows(world)[0].last_error
    with silent_server() as port:
        mute = make_app(plugins=[], smtp_url=f"smtp://127.0.0.1:{port}?timeout=1")
        _, sent = run_at(mute, clock.at + timedelta(hours=1))
    assert sent.retried == 1
    [row] = _rows(world)
    assert row.attempts == 2 and row.status == "pending" and "connexion impossible" in row.last_error


def test_temporary_failures_end_as_failed_after_max_attempts(make_app, world: World, clock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=f"smtp://127.0.0.1:{closed_port()}?timeout=1")
    _enqueue(app, 1, clock.at)
    for _ in range(MAX_ATTEMPTS):
        run_at(app, clock.advance(hours=7))
    [row] = _rows(world)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS


# ------------------------------------------------------------------------------ TLS


@pytest.fixture
def tls(tmp_path: Path):  # type: ignore[no-untyped-def]
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    sink = SmtpSink(tls_context=server_context).start()
    yield sink, str(cafile)
    sink.stop()


def test_starttls_with_a_verified_certificate(make_app, world: World, tls, clock) -> None:  # type: ignore[no-untyped-def]
    sink, cafile = tls
    url = f"smtp://127.0.0.1:{sink.port}?starttls=1&timeout=5"
    untrusted = make_app(plugins=[], smtp_url=url)
    _enqueue(untrusted, 1, clock.at)
    _, sent = run_at(untrusted, clock.at)  # self-signed for the client: refused, nothing sent
    assert sent.retried == 1 and sink.count() == 0
    assert (
        "CERTIFICATE_VERIFY_FAILED" in _rows(world)[0].last_error
        or "certificate" in _rows(world)[0].last_error
    )
    trusted = make_app(plugins=[], smtp_url=url, smtp_cafile=cafile)
    _, sent = run_at(trusted, clock.at + timedelta(minutes=5))
    assert sent.sent == 1
    [received] = sink.messages
    assert received.tls


def test_tls_required_but_server_has_no_starttls_sends_nothing(
    make_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=f"smtp://127.0.0.1:{smtp_sink.port}?starttls=1&timeout=5")
    _enqueue(app, 2, clock.at)
    _, sent = run_at(app, clock.at)
    assert sent.sent == 0 and sent.retried == 2 and smtp_sink.count() == 0
    assert all("STARTTLS" in r.last_error for r in _rows(world))


def test_credentials_are_never_sent_in_clear(make_app, clock) -> None:  # type: ignore[no-untyped-def]
    from core.reminders.sender import SmtpConfig

    app = make_app(
        plugins=[], smtp_url="smtp://mail.example.org:25", smtp_username="reseau", smtp_password="secret"
    )
    with pytest.raises(ValueError, match="sans TLS"):
        SmtpConfig.from_settings(app.state.reseau.settings)
    config = SmtpConfig.from_settings(app.state.reseau.settings.with_(smtp_url="smtp://mail.example.org:587"))
    assert config is not None and config.start_tls and config.username == "reseau"
    config = SmtpConfig.from_settings(app.state.reseau.settings.with_(smtp_url="smtps://mail.example.org"))
    assert config is not None and config.use_tls and config.port == 465


# ------------------------------------------------------------------------------ exactly once


def test_two_sweeps_and_a_restart_deliver_once(make_app, world: World, smtp_sink: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    space = world.space()
    meeting = world.meeting(space, paris(2026, 3, 20, 14))
    for n in range(5):
        world.invite(meeting, world.contact("Invite", f"Numero{n}"), clock.at, response="accepted")
    world.commit()
    first = make_app(plugins=[], smtp_url=smtp_sink.url)
    run_at(first, clock.at)
    sweep(first.state.reseau, clock.at)
    assert smtp_sink.count() == 5
    first.state.reseau.engine.dispose()
    # a new process (new app, new engine) at the same instant, then at J-1
    second = make_app(plugins=[], smtp_url=smtp_sink.url)
    run_at(second, clock.at)
    run_at(second, paris(2026, 3, 19, 8))
    run_at(make_app(plugins=[], smtp_url=smtp_sink.url), paris(2026, 3, 19, 8))
    keys = Counter(r.key for r in _rows(world))
    assert set(keys.values()) == {1} and len(keys) == 10
    # each person: the invitation and the J-1 reminder, once each
    assert Counter(m.rcpt_tos[0] for m in smtp_sink.messages) == {
        f"invite.numero{n}@example.org": 2 for n in range(5)
    }


def test_two_concurrent_senders_deliver_each_message_once(
    make_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    url = smtp_sink.url.replace("timeout=5", "timeout=5&connections=2&per_connection=3")
    apps = [make_app(plugins=[], smtp_url=url) for _ in range(2)]
    _enqueue(apps[0], 60, clock.at)
    barrier = threading.Barrier(2)
    reports = []

    def sender(app) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        reports.append(asyncio.run(send_due(app.state.reseau, clock.at, limit=7)))

    threads = [threading.Thread(target=sender, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.sent for r in reports) == 60
    assert all(r.lost == 0 for r in reports)
    delivered = Counter(m.rcpt_tos[0] for m in smtp_sink.messages)
    assert len(delivered) == 60 and set(delivered.values()) == {1}
    assert {r.status for r in _rows(world)} == {"sent"}


def test_a_crashed_senders_lease_is_taken_over(make_app, world: World, smtp_sink: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    state = app.state.reseau
    _enqueue(app, 3, clock.at)
    claimed, _ = claim(state, clock.at, "crashed-worker")
    assert len(claimed) == 3  # ... and the process dies before sending
    _, sent = run_at(app, clock.at + timedelta(minutes=5))
    assert sent.claimed == 0  # the lease still holds
    _, sent = run_at(app, clock.at + timedelta(minutes=11))
    assert sent.sent == 3 and smtp_sink.count() == 3
    # the crashed worker coming back cannot overwrite what the new holder recorded
    from core.reminders.sender import Outcome, Prepared

    ghost = {
        claimed[0]: Prepared(id=claimed[0], attempts=1, to="x@example.org", envelope_from="", message_id="")
    }
    import random

    report = record(
        state, "crashed-worker", ghost, [Outcome(claimed[0], "permanent", "late")], clock.at, random.Random(1)
    )
    assert report.lost == 1
    assert {r.status for r in _rows(world)} == {"sent"}


# ------------------------------------------------------------------------------ header injection


def test_no_header_injection_from_titles_names_or_addresses(
    make_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    space = world.space(name="Espace\r\nX-Injected: oui")
    meeting = world.meeting(space, paris(2026, 3, 20, 14), title="Réunion\r\nBcc: pirate@example.net")
    victim = world.contact("Nadia\r\nBcc: pirate@example.net", "Benali", email="nadia@example.org")
    world.invite(meeting, victim, clock.at)
    evil = world.contact("Evil", "Address", email="a@example.org\r\nBcc: pirate@example.net")
    world.invite(meeting, evil, clock.at)
    world.commit()
    _enqueue(app, 1, clock.at, email_address="b@example.org\r\nBcc: pirate@example.net")
    _, sent = run_at(app, clock.at)
    assert (sent.sent, sent.failed) == (1, 1)  # the bad contact is skipped by the rule; the bad address fails
    [received] = smtp_sink.messages
    assert received.rcpt_tos == ("nadia@example.org",)
    message = received.message
    assert "Bcc" not in message and "X-Injected" not in message
    assert "\n" not in message["Subject"] and "Bcc: pirate" in message["Subject"]  # shown, harmless
    assert message["To"].addresses[0].addr_spec == "nadia@example.org"
    assert b"\r\nBcc:" not in received.data.split(b"\r\n\r\n", 1)[0]
    failed = world.db.scalar(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert failed is not None and "adresse invalide" in failed.last_error


def test_accented_address_is_delivered_with_smtputf8_and_the_batch_goes_on(
    make_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    """French addresses may carry accents before the @ (RFC 6531): sent with SMTPUTF8, and one
    such address never holds back the messages queued after it."""
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    state = app.state.reseau
    with transaction(state.session_factory) as db:
        enqueue(db, _due(0, clock.at, email_address="chloé.dupré@example.org"), now=clock.at)
        for n in (1, 2):
            enqueue(db, _due(n, clock.at), now=clock.at)
    _, sent = run_at(app, clock.at)
    assert sent.sent == 3 and sent.retried == 0, [r.last_error for r in _rows(world)]
    [received] = smtp_sink.to("chloé.dupré@example.org")
    assert "chloé.dupré@example.org" in str(received.message["To"])
    assert smtp_sink.count() == 3


def test_accented_address_and_a_server_without_smtputf8_fails_alone(make_app, world: World, clock) -> None:  # type: ignore[no-untyped-def]
    sink = SmtpSink(smtputf8=False).start()
    try:
        app = make_app(plugins=[], smtp_url=sink.url)
        state = app.state.reseau
        with transaction(state.session_factory) as db:
            enqueue(db, _due(0, clock.at, email_address="chloé@example.org"), now=clock.at)
            enqueue(db, _due(1, clock.at), now=clock.at)
        _, sent = run_at(app, clock.at)
        assert (sent.sent, sent.failed, sent.retried) == (1, 1, 0)
        failed = [r for r in _rows(world) if r.status == "failed"]
        assert len(failed) == 1 and "SMTPUTF8" in failed[0].last_error
        assert sink.count() == 1
    finally:
        sink.stop()


def test_run_at_works_from_synchronous_code_under_a_running_loop(
    make_app, world: World, smtp_sink: SmtpSink, clock
) -> None:  # type: ignore[no-untyped-def]
    """Playwright's sync API (browser tests) or a sync helper called from async code leaves a
    loop running in the thread: ``run_at`` must still sweep and send, not refuse."""
    app = make_app(plugins=[], smtp_url=smtp_sink.url)
    _enqueue(app, 2, clock.at)

    async def under_a_loop():  # type: ignore[no-untyped-def]
        return run_at(app, clock.at)

    _, sent = asyncio.run(under_a_loop())
    assert sent.sent == 2 and smtp_sink.count() == 2
