"""The sender: claim due outbox rows, render and send them, record what happened.

1. **Claim** (one short write transaction, committed before any network I/O): rows whose
   ``expires_at`` passed become ``expired``; rows whose lease ran out go back to ``pending``;
   then due ``pending`` rows become ``sending`` with a lease for this sender – PostgreSQL with
   ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``, SQLite with a
   compare-and-set (``… AND status = 'pending'``) inside ``BEGIN IMMEDIATE``.
2. **Prepare** (in one worker thread, batch after batch): render the templates in the
   recipient's language and build the message (:mod:`core.reminders.mail`).
3. **Deliver** with aiosmtplib: one recipient per message, a fresh connection per small batch,
   several connections at once, TLS required and certificates verified when configured, an
   overall timeout per message. Without ``RESEAU_SMTP_URL`` the message is written as an
   ``.eml`` file under ``<data_dir>/mail/``.
4. **Record** (only the lease holder may; outcomes gathered for ``FLUSH_LINGER`` seconds into
   one transaction): sent; 4xx, connection errors and timeouts → retried
   with exponential backoff and jitter; 5xx → failed (shown to admins).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

import aiosmtplib
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from core.db import transaction
from core.reminders import mail
from core.reminders.models import (
    DIGESTED,
    EXPIRED,
    FAILED,
    HELD,
    PENDING,
    SENDING,
    SENT,
    OutboxMessage,
)
from core.reminders.outbox import decode_attachments, from_json, message_id_for

if TYPE_CHECKING:
    from core.app import AppState
    from core.config import Settings

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
#: rows claimed at a time
CLAIM_SIZE = 200
#: how long the recorder lets outcomes gather before writing them (one transaction per flush
#: instead of one per message; a crash can leave at most this much mail to be sent again)
FLUSH_LINGER = 0.02
FLUSH_SIZE = 100
DIGEST_RULE = "core.digest"

Kind = Literal["sent", "temporary", "permanent"]


# ------------------------------------------------------------------------------ configuration


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send, from ``RESEAU_SMTP_URL``:

    ``smtp://host:587?starttls=1`` (STARTTLS required), ``smtps://host:465`` (TLS from the
    start), ``smtp://127.0.0.1:25`` (no TLS: local relays only). Query options: ``timeout``
    (seconds per message, default ``RESEAU_SMTP_TIMEOUT``), ``connections`` (in parallel,
    default 4), ``per_connection`` (messages per connection, default 20). Credentials come from
    ``RESEAU_SMTP_USERNAME``/``RESEAU_SMTP_PASSWORD`` and are only sent over TLS. Certificates
    are always verified (``RESEAU_SMTP_CAFILE`` adds a private authority).
    """

    hostname: str
    port: int
    use_tls: bool = False
    start_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    cafile: str | None = None
    connections: int = 4
    per_connection: int = 20
    local_hostname: str = "localhost"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """The configuration, or ``None`` when mail goes to ``.eml`` files; ``ValueError`` when
        the URL is wrong or would send credentials in clear."""
        if not settings.smtp_url:
            return None
        url = urlsplit(settings.smtp_url)
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise ValueError("RESEAU_SMTP_URL doit être de la forme smtp://hôte:port ou smtps://hôte:port")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        use_tls = url.scheme == "smtps"
        port = url.port or (465 if use_tls else 587 if _flag(query.get("starttls", "0")) else 25)
        start_tls = not use_tls and (_flag(query["starttls"]) if "starttls" in query else port == 587)
        if settings.smtp_username and not (use_tls or start_tls):
            raise ValueError("identifiants SMTP refusés sans TLS : utilisez smtps:// ou ?starttls=1")
        domain = mail.sender_address(settings).domain or "localhost"
        return cls(
            hostname=url.hostname,
            port=port,
            use_tls=use_tls,
            start_tls=start_tls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=float(query.get("timeout", settings.smtp_timeout)),
            cafile=settings.smtp_cafile,
            connections=max(1, int(query.get("connections", "4"))),
            per_connection=max(1, int(query.get("per_connection", "20"))),
            local_hostname=domain,
        )

    def tls_context(self) -> ssl.SSLContext:
        """A verifying client context (system authorities, plus ``cafile`` when given)."""
        context = ssl.create_default_context(cafile=self.cafile)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def describe(self) -> str:
        """For admins: ``smtp://host:587 (STARTTLS obligatoire)``."""
        tls = "TLS" if self.use_tls else "STARTTLS obligatoire" if self.start_tls else "sans TLS"
        return f"{'smtps' if self.use_tls else 'smtp'}://{self.hostname}:{self.port} ({tls})"


# ------------------------------------------------------------------------------ claim


def _expire_and_reclaim(db: Session, now: datetime) -> int:
    expired = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_((PENDING, HELD)), OutboxMessage.expires_at <= now)
        .values(status=EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    # a crashed sender's rows: back to pending (or failed when they keep crashing it)
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, OutboxMessage.lease_expires_at <= now)
        .values(
            status=PENDING,
            lease_owner=None,
            lease_expires_at=None,
            next_attempt_at=now,
            last_error="bail expiré : l'envoi précédent n'a pas abouti",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(expired or 0)


def claim(state: AppState, now: datetime, owner: str, limit: int = CLAIM_SIZE) -> tuple[list[int], int]:
    """Claim up to ``limit`` due rows for ``owner`` and commit; return their ids and how many
    rows expired on the way."""
    lease_until = now + LEASE
    claimed_values = {
        "status": SENDING,
        "lease_owner": owner,
        "lease_expires_at": lease_until,
        "attempts": OutboxMessage.attempts + 1,
        "updated_at": now,
    }
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    with transaction(state.session_factory) as db:
        expired = _expire_and_reclaim(db, now)
        if db.get_bind().dialect.name == "postgresql":
            stmt = (
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.with_for_update(skip_locked=True)))
                .values(**claimed_values)
                .returning(OutboxMessage.id)
            )
        else:
            ids = list(db.scalars(due))
            if not ids:
                return [], expired
            stmt = (
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == PENDING)
                .values(**claimed_values)
                .returning(OutboxMessage.id)
            )
        claimed = sorted(db.scalars(stmt.execution_options(synchronize_session=False)))
    return claimed, expired


# ------------------------------------------------------------------------------ prepare


@dataclass
class Prepared:
    """A claimed row ready to go: its envelope and bytes, or why it cannot be built."""

    id: int
    attempts: int
    to: str
    envelope_from: str
    message_id: str
    rendered: mail.Rendered | None = None
    data: bytes = b""
    error: str = ""
    #: rendered reminders folded into this digest, stored with it
    items: list[tuple[int, mail.Rendered]] = field(default_factory=list)


def template_context(state: AppState, row: OutboxMessage) -> dict[str, object]:
    """The variables of an email's templates: the rule's context plus the hub's common ones."""
    settings = state.settings
    base = settings.base_url.rstrip("/")
    router = state.extras.get("router")
    unsubscribe = ""
    preferences = f"{base}/courriels/preferences"
    if router is not None:
        preferences = base + str(router.url_path_for("reminders:preferences"))
    if row.optional or row.rule == DIGEST_RULE:
        unsubscribe = unsubscribe_url(
            state, row.recipient_email, "*" if row.rule == DIGEST_RULE else row.rule
        )
    context = from_json(row.context or {})
    return {
        **context,
        "hub_name": settings.hub_name,
        "base_url": base,
        "recipient": {"name": row.recipient_name, "email": row.recipient_email},
        "unsubscribe_url": unsubscribe,
        "preferences_url": preferences,
        "lang": row.language,
    }


def unsubscribe_url(state: AppState, email: str, rule: str) -> str:
    """The signed page where ``email`` stops receiving ``rule`` (absolute)."""
    from core.reminders.preferences import unsubscribe_token

    token = unsubscribe_token(state.settings, email, rule)
    router = state.extras.get("router")
    base = state.settings.base_url.rstrip("/")
    if router is None:
        return f"{base}/courriels/desabonnement/{token}"
    return base + str(router.url_path_for("reminders:unsubscribe", token=token))


def render_row(
    state: AppState, row: OutboxMessage, db: Session | None = None
) -> tuple[mail.Rendered, list[tuple[int, mail.Rendered]], str]:
    """Render a row (a digest renders the reminders it folds first, and lists them); also
    return the unsubscribe link the message carries (``""`` for mandatory mail)."""
    env = mail.email_environment(state.templates)
    context = template_context(state, row)
    items: list[tuple[int, mail.Rendered]] = []
    if row.rule == DIGEST_RULE and db is not None:
        folded = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.digest_key == row.key, OutboxMessage.status == DIGESTED)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
        ).all()
        for item in folded:
            items.append(
                (item.id, mail.render(env, item.template, template_context(state, item), row.language))
            )
        context["items"] = [{"subject": r.subject, "text": r.text} for _, r in items]
    return mail.render(env, row.template, context, row.language), items, str(context["unsubscribe_url"])


def prepare(state: AppState, ids: Sequence[int], now: datetime) -> list[Prepared]:
    """Load, render and build the claimed rows (runs in a thread)."""
    settings = state.settings
    envelope_from = mail.sender_address(settings).addr_spec
    prepared = []
    with state.session_factory() as db:
        rows = db.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        ).all()
        for row in rows:
            item = Prepared(
                id=row.id,
                attempts=row.attempts,
                to=row.recipient_email.strip(),
                envelope_from=envelope_from,
                message_id=row.message_id or message_id_for(row.key, settings.mail_from),
            )
            try:
                item.rendered, item.items, unsubscribe = render_row(state, row, db)
                item.data = mail.build_bytes(
                    settings,
                    to_email=row.recipient_email,
                    to_name=row.recipient_name,
                    rendered=item.rendered,
                    message_id=item.message_id,
                    language=row.language,
                    date=now,
                    attachments=decode_attachments(row.attachments or []),
                    unsubscribe_url=unsubscribe,
                )
            except Exception as exc:  # a broken template or address: permanent, shown to admins
                log.exception("cannot build outbox message %s", row.id)
                item.error = f"{type(exc).__name__}: {exc}"
            prepared.append(item)
    return prepared


# ------------------------------------------------------------------------------ deliver


@dataclass(frozen=True)
class Outcome:
    """What happened to one message."""

    id: int
    kind: Kind
    error: str = ""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError) and not str(exc):
        return "délai dépassé"
    return f"{type(exc).__name__}: {exc}"


NO_SMTPUTF8 = "adresse accentuée refusée : le serveur de courriel ne prend pas en charge SMTPUTF8"


def classify(exc: BaseException) -> Kind:
    """5xx answers to a message are permanent; 4xx, timeouts and connection errors are not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [e.code for e in exc.recipients]
        return "permanent" if codes and all(500 <= c < 600 for c in codes) else "temporary"
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPHeloError
    ):
        return "permanent" if 500 <= exc.code < 600 else "temporary"
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):
        return "permanent"  # an address that cannot be sent to
    return "temporary"


async def deliver_smtp(
    config: SmtpConfig, batch: Sequence[Prepared], on_outcome: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Send a small batch over one connection; a connection failure defers the whole rest.

    ``on_outcome`` hears of each message as soon as the server answered for it."""
    smtp = aiosmtplib.SMTP(
        hostname=config.hostname,
        port=config.port,
        use_tls=config.use_tls,
        start_tls=config.start_tls,
        validate_certs=True,
        tls_context=config.tls_context() if (config.use_tls or config.start_tls) else None,
        username=config.username,
        password=config.password,
        timeout=config.timeout,
        local_hostname=config.local_hostname,
    )
    try:
        async with asyncio.timeout(config.timeout):
            await smtp.connect()
            if smtp.is_ehlo_or_helo_needed:  # learn the extensions (SMTPUTF8) before the first message
                await smtp.ehlo()
    except Exception as exc:  # refused, timed out, no STARTTLS, bad certificate, bad login…
        error = f"connexion impossible : {_describe(exc)}"
        failed = [Outcome(p.id, "temporary", error) for p in batch]
        if on_outcome is not None:
            for outcome in failed:
                on_outcome(outcome)
        return failed
    outcomes: list[Outcome] = []

    def note(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    try:
        for index, item in enumerate(batch):
            try:
                # an address with accents before the @ needs SMTPUTF8 (RFC 6531); without it the
                # server could not take the address: a permanent failure, the batch goes on
                options = [] if item.to.isascii() and item.envelope_from.isascii() else ["SMTPUTF8"]
                if options and not smtp.supports_extension("smtputf8"):
                    note(Outcome(item.id, "permanent", NO_SMTPUTF8))
                    continue
                async with asyncio.timeout(config.timeout):
                    await smtp.sendmail(item.envelope_from, [item.to], item.data, mail_options=options)
            except Exception as exc:
                note(Outcome(item.id, classify(exc), _describe(exc)))
                answered = isinstance(
                    exc, aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused | ValueError
                )
                if not (answered and smtp.is_connected):  # the connection is gone: defer the rest
                    for p in batch[index + 1 :]:
                        note(Outcome(p.id, "temporary", f"connexion interrompue : {_describe(exc)}"))
                    break
            else:
                note(Outcome(item.id, "sent"))
    finally:
        try:
            if smtp.is_connected:
                async with asyncio.timeout(min(config.timeout, 5.0)):
                    await smtp.quit()
        except Exception:
            smtp.close()
    return outcomes


def deliver_files(settings: Settings, batch: Sequence[Prepared], now: datetime) -> list[Outcome]:
    """Write each message as ``<data_dir>/mail/<date>/<id>-<hash>.eml`` (atomically)."""
    folder = Path(settings.data_dir) / "mail" / now.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for item in batch:
        name = f"{item.id:08d}-{item.message_id.strip('<>').partition('@')[0][:16]}.eml"
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(item.data)
        tmp.replace(folder / name)
        outcomes.append(Outcome(item.id, "sent"))
    return outcomes


# ------------------------------------------------------------------------------ record


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential backoff with "equal jitter": 1 min, 2, 4… (capped at 6 h), half of it random."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)).total_seconds()
    return timedelta(seconds=delay / 2 + rng.uniform(0, delay / 2))


@dataclass
class SendReport:
    """What one send run did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    #: rows whose lease was taken over by another sender before we could record them
    lost: int = 0

    def add(self, other: SendReport) -> None:
        """Accumulate another report."""
        for name in ("claimed", "sent", "retried", "failed", "expired", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _outcome_values(item: Prepared, outcome: Outcome, now: datetime, rng: random.Random) -> dict[str, object]:
    """The columns one outcome sets (rows of the same shape go in one executemany)."""
    values: dict[str, object] = {"b_id": outcome.id}
    if outcome.kind == "sent":
        values.update(status=SENT, sent_at=now, last_error="")
    elif outcome.kind == "temporary" and item.attempts < MAX_ATTEMPTS:
        retry_at = now + backoff(item.attempts, rng)
        values.update(status=PENDING, next_attempt_at=retry_at, last_error=outcome.error)
    else:
        values.update(status=FAILED, last_error=outcome.error)
    if item.rendered is not None:
        values.update(
            subject=item.rendered.subject,
            body_text=item.rendered.text,
            body_html=item.rendered.html,
            message_id=item.message_id,
        )
    return values


def record(
    state: AppState,
    owner: str,
    prepared: dict[int, Prepared],
    outcomes: Sequence[Outcome],
    now: datetime,
    rng: random.Random,
) -> SendReport:
    """Store the outcomes of rows this sender still holds, in one transaction.

    The rows still leased to ``owner`` are selected (and locked on PostgreSQL) first; only they
    are updated, by one ``executemany`` per shape of row: a row whose lease was taken over by
    another sender is counted as ``lost`` and left alone.
    """
    report = SendReport()
    if not outcomes:
        return report
    ids = [o.id for o in outcomes]
    with transaction(state.session_factory) as db:
        held_stmt = select(OutboxMessage.id).where(
            OutboxMessage.id.in_(ids), OutboxMessage.status == SENDING, OutboxMessage.lease_owner == owner
        )
        if db.get_bind().dialect.name == "postgresql":
            held_stmt = held_stmt.with_for_update()
        held = set(db.scalars(held_stmt))
        shapes: dict[tuple[str, ...], list[dict[str, object]]] = {}
        folded: list[tuple[int, mail.Rendered]] = []
        for outcome in outcomes:
            if outcome.id not in held:
                report.lost += 1
                log.warning(
                    "outbox %s: lease lost before its outcome (%s) was recorded", outcome.id, outcome.kind
                )
                continue
            item = prepared[outcome.id]
            values = _outcome_values(item, outcome, now, rng)
            shapes.setdefault(tuple(values), []).append(values)
            status = values["status"]
            report.sent += status == SENT
            report.retried += status == PENDING
            report.failed += status == FAILED
            if status == SENT:
                folded += item.items
        table: Table = OutboxMessage.__table__  # type: ignore[assignment]
        for keys, rows in shapes.items():
            columns: dict[str, Any] = {key: bindparam(key) for key in keys if key != "b_id"}
            db.execute(
                table.update()
                .where(table.c.id == bindparam("b_id"))
                .values(lease_owner=None, lease_expires_at=None, updated_at=now, **columns),
                rows,
            )
        for item_id, rendered in folded:  # the reminders a sent digest carried
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id)
                .values(
                    subject=rendered.subject, body_text=rendered.text, body_html=rendered.html, sent_at=now
                )
                .execution_options(synchronize_session=False)
            )
    return report


class Recorder:
    """Records outcomes as they come, off the event loop: each accepted message is marked sent
    by the next flush (at most ``FLUSH_LINGER`` seconds later), not at the end of its batch, so
    a crash leaves at most the messages of one flush to be sent again after the lease expires.
    The flushes run one at a time; what arrives meanwhile goes into the next one."""

    def __init__(self, state: AppState, owner: str, now: datetime, rng: random.Random) -> None:
        self.state, self.owner, self.now, self.rng = state, owner, now, rng
        self.prepared: dict[int, Prepared] = {}
        self.report = SendReport()
        self._waiting: list[Outcome] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    def add(self, outcome: Outcome) -> None:
        """Queue one outcome (its :class:`Prepared` must be in ``prepared``)."""
        self._waiting.append(outcome)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._closed and len(self._waiting) < FLUSH_SIZE:
                await asyncio.sleep(FLUSH_LINGER)  # let a few more outcomes join this flush
            batch, self._waiting = self._waiting, []
            if batch:
                partial = await asyncio.to_thread(
                    record, self.state, self.owner, self.prepared, batch, self.now, self.rng
                )
                self.report.add(partial)
            if self._closed and not self._waiting:
                return

    async def close(self) -> SendReport:
        """Flush what is left and return everything recorded."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task
        return self.report


# ------------------------------------------------------------------------------ the run


def new_owner() -> str:
    """A lease owner id unique to this sender run: host, process, random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _deliver(
    state: AppState, config: SmtpConfig | None, recorder: Recorder, prepared: list[Prepared], now: datetime
) -> None:
    """Deliver one prepared batch over one connection (or to files); each outcome goes to the
    recorder as soon as it is known."""
    recorder.prepared.update((p.id, p) for p in prepared)
    for p in prepared:
        if p.error:
            recorder.add(Outcome(p.id, "permanent", p.error))
    ready = [p for p in prepared if not p.error]
    if ready and config is None:
        for outcome in await asyncio.to_thread(deliver_files, state.settings, ready, now):
            recorder.add(outcome)
    elif ready and config is not None:
        await deliver_smtp(config, ready, recorder.add)


async def _send_claimed(
    state: AppState,
    config: SmtpConfig | None,
    recorder: Recorder,
    batches: list[list[int]],
    now: datetime,
    connections: int,
) -> None:
    """Prepare the batches one after the other in a worker thread while up to ``connections``
    prepared batches are being delivered: one rendering thread at a time (several would only
    fight over the GIL) overlapping the network round trips."""
    queue: asyncio.Queue[list[Prepared] | None] = asyncio.Queue(maxsize=connections)

    async def produce() -> None:
        try:
            for ids in batches:
                await queue.put(await asyncio.to_thread(prepare, state, ids, now))
        finally:
            for _ in range(connections):
                await queue.put(None)

    async def consume() -> None:
        while (prepared := await queue.get()) is not None:
            await _deliver(state, config, recorder, prepared, now)

    await asyncio.gather(produce(), *(consume() for _ in range(connections)))


async def send_due(
    state: AppState,
    now: datetime | None = None,
    *,
    owner: str | None = None,
    limit: int = CLAIM_SIZE,
    max_rounds: int = 50,
    rng: random.Random | None = None,
) -> SendReport:
    """Send everything due at ``now`` (the app's clock by default), claim after claim.

    Each claim is cut into batches of ``per_connection`` messages, prepared one after the other
    while up to ``connections`` prepared batches are delivered at once, so the rendering of the
    next batch overlaps the network round trips of the others.
    """
    now = now or state.now()
    owner = owner or new_owner()
    rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
    config = SmtpConfig.from_settings(state.settings)
    size = config.per_connection if config is not None else 50
    connections = config.connections if config is not None else 1
    recorder = Recorder(state, owner, now, rng)

    claimed = expired_total = 0
    try:
        for _ in range(max_rounds):
            ids, expired = await asyncio.to_thread(claim, state, now, owner, limit)
            expired_total += expired
            if not ids:
                break
            claimed += len(ids)
            batches = [ids[i : i + size] for i in range(0, len(ids), size)]
            await _send_claimed(state, config, recorder, batches, now, connections)
            if len(ids) < limit:
                break
    finally:
        report = await recorder.close()
    report.claimed += claimed
    report.expired += expired_total
    return report
