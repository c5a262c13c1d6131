"""Calendar feeds: what each feed holds, private feed tokens, and building large feeds fast.

Feeds
    * public: every public meeting; per space: that space's public meetings;
    * private (``/ical/prive/<token>.ics``): what its owner may see – the same rule as the
      calendar (:func:`core.calendar.visibility.visible_meetings`: public meetings, the
      members-only meetings of their spaces and those they are invited to). No feed carries
      anybody's email address: events have no ATTENDEE nor ORGANIZER.

Window
    A feed holds the meetings that start at most :data:`FEED_PAST` (12 months) ago and every
    meeting ahead. Cancelled meetings stay, with ``STATUS:CANCELLED``, so calendars mark them as cancelled.

Tokens
    A private feed token is 32 random bytes (``secrets``), shown once to its owner; only its
    SHA-256 is stored. A user has at most one active token: issuing a new one revokes the old.

Speed
    A feed costs a bounded number of queries whatever its size. One aggregate query returns a
    single row – the feed's ETag (the MD5 of its meetings' ``id|SEQUENCE|last change|space``
    keys) and Last-Modified – which answers a conditional GET (304) and finds a feed already
    built (whole feeds are kept by ETag). Otherwise one light query lists the keys, and only
    for events not cached one query reads stored events and one the meetings themselves. Each
    event is serialised once per key and output format, and kept in a bounded in-process LRU
    and in the ``feed_event_cache`` table (shared by every worker and across restarts), so a
    feed is put together from cached bytes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import icalendar
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, literal, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from core import i18n
from core.audit import services as audit
from core.calendar import ics
from core.calendar.feed_models import FeedEventCache
from core.calendar.models import PUBLIC, FeedToken, Meeting
from core.calendar.visibility import visible_meetings
from core.i18n import gettext as _
from core.spaces.models import Space

if TYPE_CHECKING:
    from core.accounts.models import User

log = logging.getLogger(__name__)

#: how far back a feed goes; everything ahead is included
FEED_PAST = timedelta(days=365)
#: how often subscribed clients are asked to poll
REFRESH = timedelta(hours=1)
#: random bytes in a private feed token
TOKEN_BYTES = 32
#: events kept in memory per worker (about 750 bytes each)
EVENT_CACHE_SIZE = 20_000
EVENT_CACHE_BYTES = 24 * 1024 * 1024
#: whole feeds kept in memory per worker
FEED_CACHE_SIZE = 64
FEED_CACHE_BYTES = 32 * 1024 * 1024
#: up to this many ids, missing events are fetched by id; above, by the feed's own criteria
_BY_ID_LIMIT = 500
#: a token's "last used" is written at most this often (a write per poll would be wasteful)
_TOUCH_EVERY = timedelta(hours=1)


# ------------------------------------------------------------------------------------- tokens


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def active_token(db: Session, user: User) -> FeedToken | None:
    """The user's current (not revoked) private feed token, if any."""
    return db.scalar(
        select(FeedToken)
        .where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.created_at.desc(), FeedToken.id.desc())
        .limit(1)
    )


def revoke_tokens(db: Session, user: User, now: datetime) -> int:
    """Revoke every active token of the user (audited); returns how many were revoked."""
    result = db.execute(
        update(FeedToken)
        .where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit.record(db, user, "calendar.feed_token.revoked", user, summary=f"{count}")
    return count


def issue_token(db: Session, user: User, now: datetime) -> str:
    """Revoke the user's active token and create a new one (audited); the plain token is returned once."""
    revoke_tokens(db, user, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = FeedToken(user_id=user.id, token_hash=hash_token(token), created_at=now)
    db.add(row)
    db.flush()
    audit.record(db, user, "calendar.feed_token.issued", row)
    return token


def token_owner(db: Session, token: str) -> tuple[FeedToken, User] | None:
    """The active token and its (active) owner for a plain token, or ``None``."""
    from core.accounts.models import User

    if not token or len(token) > 200:
        return None
    row = db.execute(
        select(FeedToken, User)
        .join(User, User.id == FeedToken.user_id)
        .where(FeedToken.token_hash == hash_token(token), FeedToken.revoked_at.is_(None), User.is_active)
    ).first()
    return (row[0], row[1]) if row else None


def token_needs_touch(token: FeedToken, now: datetime) -> bool:
    """Whether the token's ``last_used_at`` is old enough to be written again."""
    return token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY


def touch_token(db: Session, token_id: int, now: datetime) -> None:
    """Record that the token was used (skipped when another worker just did)."""
    db.execute(
        update(FeedToken)
        .where(
            FeedToken.id == token_id,
            (FeedToken.last_used_at.is_(None)) | (FeedToken.last_used_at < now - _TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )


# -------------------------------------------------------------------------- what a feed holds


@dataclass(frozen=True)
class FeedSpec:
    """A feed: its calendar name and description, and which meetings it holds."""

    name: str
    description: str
    criteria: ColumnElement[bool]
    private: bool = False


def public_feed() -> FeedSpec:
    """Every public meeting."""
    return FeedSpec(
        name=_("Réseau – réunions publiques"),
        description=_("Les réunions publiques de tous les espaces du réseau."),
        criteria=Meeting.visibility == PUBLIC,
    )


def space_feed(space: Space) -> FeedSpec:
    """The public meetings of one space."""
    return FeedSpec(
        name=_("Réseau – %(space)s", space=space.name),
        description=_("Les réunions publiques de l'espace « %(space)s ».", space=space.name),
        criteria=and_(Meeting.space_id == space.id, Meeting.visibility == PUBLIC),
    )


def private_feed(db: Session, user: User) -> FeedSpec:
    """What ``user`` may see: public meetings, their spaces' and their invitations."""
    return FeedSpec(
        name=_("Réseau – mon agenda"),
        description=_("Les réunions que %(name)s peut voir dans Réseau.", name=user.display_name),
        criteria=visible_meetings(db, user),
        private=True,
    )


# ------------------------------------------------------------------------------------ caching


class BytesCache:
    """A thread-safe LRU of bytes, bounded in entries and in total size."""

    def __init__(self, max_items: int, max_bytes: int) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The cached bytes for each key (``None`` where missing), marking hits as recent."""
        out: list[bytes | None] = []
        with self._lock:
            items = self._items
            for key in keys:
                value = items.get(key)
                if value is not None:
                    items.move_to_end(key)
                out.append(value)
        return out

    def get(self, key: str) -> bytes | None:
        """The cached bytes for ``key``, or ``None``."""
        return self.get_many([key])[0]

    def put_many(self, entries: Sequence[tuple[str, bytes]]) -> None:
        """Store entries, evicting the least recently used beyond the bounds."""
        with self._lock:
            items = self._items
            for key, value in entries:
                if len(value) > self.max_bytes:
                    continue
                previous = items.pop(key, None)
                if previous is not None:
                    self.size -= len(previous)
                items[key] = value
                self.size += len(value)
            while items and (len(items) > self.max_items or self.size > self.max_bytes):
                _, evicted = items.popitem(last=False)
                self.size -= len(evicted)

    def clear(self) -> None:
        """Forget everything (benchmarks use it to measure a cold worker)."""
        with self._lock:
            self._items.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._items)


def _format_key(base_url: str, language: str, sample_url: str) -> str:
    """What, besides the meeting itself, the bytes of an event depend on."""
    try:
        source = Path(ics.__file__).read_bytes()
    except OSError:  # an installation without sources: fall back to the library version
        source = b""
    digest = hashlib.blake2b(digest_size=8)
    for part in (
        source,
        icalendar.__version__.encode(),
        base_url.encode(),
        language.encode(),
        sample_url.encode(),
    ):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class FeedRuntime:
    """Per-app feed state: the caches, how to link a meeting, the output fingerprint."""

    meeting_url: Callable[[int], str]
    base_url: str
    language: str = i18n.DEFAULT_LANGUAGE
    #: serialised events by meeting key (:func:`_meeting_key`)
    cache: BytesCache = field(default_factory=lambda: BytesCache(EVENT_CACHE_SIZE, EVENT_CACHE_BYTES))
    #: whole feeds by ETag, for clients that never send a conditional GET
    bodies: BytesCache = field(default_factory=lambda: BytesCache(FEED_CACHE_SIZE, FEED_CACHE_BYTES))
    format_key: str = ""

    def __post_init__(self) -> None:
        if not self.format_key:
            self.format_key = _format_key(self.base_url, self.language, self.meeting_url(0))


# ----------------------------------------------------------------------------------- building


def _meeting_key() -> ColumnElement[str]:
    """``id|sequence|updated_at|space name``, built by the database.

    Everything the bytes of a meeting's event depend on (with the runtime's format key). Made
    in SQL so that a feed of thousands of meetings costs no per-row Python beyond a string:
    the key is both the in-process cache key and what the ETag hashes.
    """
    return (
        cast(Meeting.id, String)
        + "|"
        + cast(Meeting.sequence, String)
        + "|"
        + cast(Meeting.updated_at, String)
        + "|"
        + Space.name
    )


def _as_utc(raw: object) -> datetime:
    """A raw ``updated_at`` as the driver returns it (SQLite text, PostgreSQL datetime) in UTC."""
    if isinstance(raw, datetime):
        return raw.astimezone(UTC) if raw.tzinfo else raw.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


@dataclass(frozen=True)
class FeedPlan:
    """A feed's meetings (ids and keys, by id) and validators, before any serialising."""

    spec: FeedSpec
    ids: list[int]
    keys: list[str]
    etag: str
    last_modified: datetime | None
    since: datetime


@dataclass(frozen=True)
class StoredEvent:
    """An event just serialised, to be kept in the shared cache table."""

    meeting_id: int
    fingerprint: str
    body: bytes


def fingerprint(key: str, format_key: str) -> str:
    """Under which a meeting's event is stored in the shared table (see :func:`_meeting_key`)."""
    return hashlib.blake2b(f"{key}|{format_key}".encode(), digest_size=16).hexdigest()


def _etag(spec: FeedSpec, runtime: FeedRuntime, keys_md5: str) -> str:
    """The ETag: the feed's name, the output format and the MD5 of its meetings' keys by id."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{spec.name}\0{spec.description}\0{runtime.format_key}\0{keys_md5}".encode())
    return f'"{digest.hexdigest()}"'


def _feed_select(spec: FeedSpec, since: datetime, *columns: Any) -> Select[Any]:
    """The feed's meetings, as ``columns``."""
    return (
        select(*columns)
        .join(Space, Space.id == Meeting.space_id)
        .where(spec.criteria, Meeting.starts_at >= since)
    )


def feed_validators(
    db: Session, spec: FeedSpec, *, now: datetime, runtime: FeedRuntime
) -> tuple[str, datetime | None]:
    """The feed's ETag and Last-Modified from one aggregate query that returns a single row.

    What a conditional GET costs, whatever the size of the feed. The keys are joined by id
    (``string_agg … ORDER BY`` on PostgreSQL, ``group_concat`` over an ordered subquery on
    SQLite) and hashed with MD5, as :func:`plan_feed` does in Python. Should SQLite ever join
    them in another order, the ETag would only differ, costing a full answer, never a stale one.
    """
    since = now - FEED_PAST
    feed = (
        _feed_select(spec, since, Meeting.id.label("id"), _meeting_key().label("key"), Meeting.updated_at)
        .order_by(Meeting.id)
        .subquery()
    )
    postgres = db.get_bind().dialect.name == "postgresql"
    if postgres:
        joined = func.md5(
            func.string_agg(feed.c.key, postgresql.aggregate_order_by(literal("\n"), feed.c.id))
        )
    else:
        joined = func.group_concat(feed.c.key, literal("\n"))
    value, last_modified = db.execute(select(joined, func.max(feed.c.updated_at))).one()
    keys_md5 = (value or _md5("")) if postgres else _md5(value or "")
    return _etag(spec, runtime, keys_md5), last_modified


def _md5(text: str) -> str:
    # an ETag, not a secret: MD5 because PostgreSQL computes the same one in the database
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def plan_feed(db: Session, spec: FeedSpec, *, now: datetime, runtime: FeedRuntime) -> FeedPlan:
    """The feed's meetings (id and key, by id) and validators, from one light query."""
    since = now - FEED_PAST
    rows = list(
        db.execute(
            _feed_select(spec, since, Meeting.id, _meeting_key(), type_coerce(Meeting.updated_at, NullType()))
        )
    )
    rows.sort(key=itemgetter(0))  # by id, as the validators query joins the keys
    ids = [row[0] for row in rows]
    keys = [row[1] for row in rows]
    last_modified = _as_utc(max(row[2] for row in rows)) if rows else None
    return FeedPlan(spec, ids, keys, _etag(spec, runtime, _md5("\n".join(keys))), last_modified, since)


def render_feed(db: Session, plan: FeedPlan, *, runtime: FeedRuntime) -> tuple[bytes, list[StoredEvent]]:
    """The feed's bytes, and the events that had to be serialised (to store in the shared cache).

    At most two queries, only when events are missing from the in-process cache.
    """
    bodies = runtime.cache.get_many(plan.keys)
    missing = {mid: key for mid, key, body in zip(plan.ids, plan.keys, bodies, strict=True) if body is None}
    fresh: list[StoredEvent] = []
    if missing:
        found = _load_stored(db, plan, missing, runtime.format_key)
        runtime.cache.put_many([(missing[mid], body) for mid, body in found.items()])
        for mid in found:
            del missing[mid]
        if missing:
            fresh = _serialise(db, plan, missing, runtime)
        by_id = {**found, **{e.meeting_id: e.body for e in fresh}}
        bodies = [
            body if body is not None else by_id.get(mid) for mid, body in zip(plan.ids, bodies, strict=True)
        ]
    body = ics.assemble_feed(
        [b for b in bodies if b is not None],  # a meeting deleted meanwhile is left out
        name=plan.spec.name,
        method="PUBLISH",
        description=plan.spec.description,
        refresh=REFRESH,
    )
    return body, fresh


def _among(plan: FeedPlan, ids: Sequence[int]) -> ColumnElement[bool]:
    """Meetings with these ids: by id when few, else by the feed's criteria (one query either way)."""
    if len(ids) <= _BY_ID_LIMIT:
        return Meeting.id.in_(ids)
    return and_(plan.spec.criteria, Meeting.starts_at >= plan.since)


def _load_stored(db: Session, plan: FeedPlan, missing: dict[int, str], format_key: str) -> dict[int, bytes]:
    wanted = {mid: fingerprint(key, format_key) for mid, key in missing.items()}
    rows = db.execute(
        select(FeedEventCache.meeting_id, FeedEventCache.fingerprint, FeedEventCache.body)
        .join(Meeting, Meeting.id == FeedEventCache.meeting_id)
        .where(_among(plan, list(missing)))
    ).all()
    return {mid: bytes(body) for mid, stored, body in rows if wanted.get(mid) == stored}


def _serialise(
    db: Session, plan: FeedPlan, missing: dict[int, str], runtime: FeedRuntime
) -> list[StoredEvent]:
    rows = db.execute(
        select(Meeting, Space.name, _meeting_key())
        .join(Space, Space.id == Meeting.space_id)
        .where(_among(plan, list(missing)))
    ).all()
    fresh: list[StoredEvent] = []
    with i18n.language(runtime.language):
        for meeting, space_name, key in rows:
            if meeting.id not in missing:
                continue
            # cached under the key of what is serialised now, should the meeting have just changed
            event = ics.meeting_event(meeting, runtime.meeting_url(meeting.id), space_name=space_name)
            fresh.append(
                StoredEvent(meeting.id, fingerprint(key, runtime.format_key), ics.event_bytes(event))
            )
            runtime.cache.put_many([(key, fresh[-1].body)])
    return fresh


@dataclass(frozen=True)
class FeedAnswer:
    """What to answer for a feed: ``body`` ``None`` means "not modified" (304)."""

    etag: str
    last_modified: datetime | None
    body: bytes | None
    #: events serialised for this answer, to share through :func:`store_events`
    fresh: list[StoredEvent]


def answer_feed(
    db: Session,
    spec: FeedSpec,
    *,
    now: datetime,
    runtime: FeedRuntime,
    not_modified: Callable[[str], bool] = lambda etag: False,
) -> FeedAnswer:
    """Answer a request for a feed, doing as little as the caches allow.

    One single-row query gives the validators, whatever the size of the feed: it answers the
    usual poll of a calendar app (``not_modified(etag)``: nothing new) and finds an already
    built feed. Otherwise the feed is assembled from cached events (:func:`render_feed`).
    """
    etag, last_modified = feed_validators(db, spec, now=now, runtime=runtime)
    if not_modified(etag):
        return FeedAnswer(etag, last_modified, None, [])
    body = runtime.bodies.get(etag)
    if body is not None:
        return FeedAnswer(etag, last_modified, body, [])
    plan = plan_feed(db, spec, now=now, runtime=runtime)
    body, fresh = render_feed(db, plan, runtime=runtime)
    runtime.bodies.put_many([(plan.etag, body)])
    # the validators of what was built (a meeting may have changed between the two queries)
    return FeedAnswer(plan.etag, plan.last_modified, body, fresh)


def meeting_file(meeting: Meeting, space_name: str, *, runtime: FeedRuntime) -> bytes:
    """The ``.ics`` file of one meeting, in the feeds' language."""
    with i18n.language(runtime.language):
        return ics.single_meeting_calendar(meeting, runtime.meeting_url(meeting.id), space_name=space_name)


def store_events(db: Session, events: Sequence[StoredEvent], now: datetime) -> None:
    """Keep freshly serialised events in the shared cache table (insert or replace)."""
    if not events:
        return
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [
        {"meeting_id": e.meeting_id, "fingerprint": e.fingerprint, "body": e.body, "stored_at": now}
        # one lock order for every writer, so two workers storing the same events never deadlock
        for e in sorted(events, key=lambda e: e.meeting_id)
    ]
    stmt = insert(FeedEventCache)
    stmt = stmt.on_conflict_do_update(
        index_elements=[FeedEventCache.meeting_id],
        set_={
            "fingerprint": stmt.excluded.fingerprint,
            "body": stmt.excluded.body,
            "stored_at": stmt.excluded.stored_at,
        },
    )
    db.execute(stmt, values)
