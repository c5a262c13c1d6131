"""Metropolis-scale data for the benchmarks: ``reseau demo --scale large`` (or ``small``).

Reproducible (a fixed seed), French names with accents, hyphens and apostrophes, ten years of
meetings (2017–2026) with their invitations and answers, sent reminders in the outbox, and the
plugins' data in proportion (``acces_services``: catalogue, figures, proposals). Rows go in by
bulk: ``COPY`` on PostgreSQL (psycopg), ``executemany`` inserts on SQLite, in one transaction,
behind a progress bar. Primary keys are assigned here (from the current maximum) so foreign
keys need no round trip; PostgreSQL sequences are moved past them at the end.

The data sits beside the ordinary demo data and is recognised by its first space's slug: a
second run finds it and adds nothing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, func, inspect, select, text
from tqdm import tqdm

from bench.french import (
    COMMENTS,
    FIRST_NAMES,
    FUNCTIONS,
    LAST_NAMES,
    MEETING_TITLES,
    MINUTES_BODY,
    NEIGHBOURHOODS,
    ORG_PREFIXES,
    ORG_THEMES,
    OUTBOX_RULES,
    PLACES,
    ROOMS,
    SERVICE_KINDS,
    SPACE_NAMES,
    SPACE_TOPICS,
    STREETS,
)
from core.accounts.models import User
from core.calendar.models import ActionItem, Invitation, Meeting, Minutes
from core.directory import vocab
from core.directory.models import Affiliation, Contact, Organisation, OrganisationTag
from core.directory.normalise import contact_name_key, fold, name_key
from core.directory.search import contact_document, organisation_document
from core.reminders.models import OutboxMessage
from core.spaces.models import ANIMATOR, MEMBER, Space, SpaceMembership

PARIS = ZoneInfo("Europe/Paris")
SEED = 20260
#: the ten years of history: 2017-01-01 to 2026-12-31 (the last weeks are still to come)
FIRST_DAY = date(2017, 1, 1)
LAST_DAY = date(2026, 12, 31)
#: the slug of the first generated space: its presence means the data is already there
MARKER_SLUG = "metropole-espace-001"
CHUNK = 5000


@dataclass(frozen=True)
class Scale:
    """How many rows of each kind to generate."""

    name: str
    organisations: int
    contacts: int
    spaces: int
    meetings: int
    #: invitations (with their answers) in all; spread evenly over the meetings
    invitations: int
    outbox: int
    #: contacts that also have an account
    users: int
    #: acces_services: services in the catalogue, proposals of the platforms
    services: int
    proposals: int


SCALES: dict[str, Scale] = {
    "large": Scale("large", 20_000, 100_000, 120, 50_000, 1_000_000, 200_000, 1_000, 1_000, 400),
    "small": Scale("small", 200, 1_000, 6, 500, 10_000, 2_000, 20, 20, 8),
}


# ------------------------------------------------------------------------------ bulk writing


def _none() -> None:
    return None


def _same(value: Any) -> Any:
    return value


class BulkWriter:
    """Writes rows of one table at a time: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

    Rows are dicts; the columns' Python-side defaults are filled in first (``COPY`` knows
    nothing of them) so every row carries every column.
    """

    def __init__(self, conn: Connection, progress: tqdm[Any]) -> None:
        self.conn = conn
        self.progress = progress
        self.is_postgresql = conn.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}
        self._keyed: set[str] = set()

    def next_id(self, table: Table) -> int:
        """The first free primary key of ``table``."""
        return int(self.conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1

    @staticmethod
    def _defaults(table: Table) -> dict[str, Callable[[], Any]]:
        makers: dict[str, Callable[[], Any]] = {}
        for column in table.columns:
            default = column.default
            if default is None:
                if column.nullable and not column.primary_key:
                    makers[column.key] = _none
                continue
            arg: Any = getattr(default, "arg", None)
            if getattr(default, "is_callable", False):
                makers[column.key] = partial(arg, None)  # SQLAlchemy wraps it to take a context
            elif getattr(default, "is_scalar", False):
                makers[column.key] = partial(_same, arg)
        return makers

    def write(self, table: Table, rows: Iterable[dict[str, Any]]) -> None:
        """Insert every row of ``rows`` (any iterable: it is consumed by chunks)."""
        self.progress.set_description(table.name)
        makers = self._defaults(table)
        chunk: list[dict[str, Any]] = []
        for row in rows:
            for key, make in makers.items():
                if key not in row:
                    row[key] = make()
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self._flush(table, chunk)
                chunk = []
        if chunk:
            self._flush(table, chunk)

    def _flush(self, table: Table, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        if self.is_postgresql:
            raw = self.conn.connection.driver_connection
            assert raw is not None
            names = ", ".join(f'"{c}"' for c in columns)
            jsons = {c.key for c in table.columns if c.type.__class__.__name__ == "JSON"}
            with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(
                        [json.dumps(row[c], ensure_ascii=False) if c in jsons else row[c] for c in columns]
                    )
        else:
            self.conn.execute(table.insert(), rows)
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        if "id" in table.c and table.c.id.primary_key and "id" in rows[0]:
            self._keyed.add(table.name)
        self.progress.update(len(rows))

    def fix_sequences(self) -> None:
        """Move each PostgreSQL ``id`` sequence past the keys assigned here."""
        if not self.is_postgresql:
            return
        for name in sorted(self._keyed):
            sequence = self.conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name})
            if sequence:
                self.conn.execute(
                    text(f'SELECT setval(:s, (SELECT coalesce(max(id), 1) FROM "{name}"))'), {"s": sequence}
                )


# ------------------------------------------------------------------------------ generation


def _paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def _email(first: str, last: str, n: int, domain: str) -> str:
    return f"{fold(first).replace(' ', '-')}.{fold(last).replace(' ', '-')}.{n}@{domain}"


@dataclass
class _People:
    """What later tables need to know of the generated directory."""

    organisation_ids: list[int]
    contact_ids: list[int]
    primary_org: dict[int, int]
    emails: dict[int, tuple[str, str]]


def _directory(w: BulkWriter, scale: Scale, rng: random.Random, now: datetime) -> _People:
    org_table, contact_table = Organisation.__table__, Contact.__table__
    first_org, first_contact = w.next_id(org_table), w.next_id(contact_table)  # type: ignore[arg-type]
    combos = [
        (p, t, pl)
        for p in range(len(ORG_PREFIXES))
        for t in range(len(ORG_THEMES))
        for pl in range(len(PLACES))
    ]
    rng.shuffle(combos)
    org_rows, tag_rows, names = [], [], {}
    themes = list(vocab.THEMES)
    for i in range(scale.organisations):
        p, t, pl = combos[i % len(combos)]
        prefix, kind = ORG_PREFIXES[p]
        city, postcode = PLACES[pl]
        name = f"{prefix} {ORG_THEMES[t]} – {city}"
        if i >= len(combos):
            name += f" ({i // len(combos) + 1})"
        oid = first_org + i
        names[oid] = name
        tags = [f"pillar:{rng.choice(list(vocab.PILLARS))}"]
        if rng.random() < 0.4:
            tags.append(f"theme:{rng.choice(themes)}")
        org = Organisation(
            name=name,
            kind=kind,
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            postcode=postcode,
            city=city,
            description=f"Intervient dans le quartier {rng.choice(NEIGHBOURHOODS)}.",
            email=f"contact.{oid}@{fold(city).replace(' ', '-')}.example.org",
            website="",
            commitments="",
            tags=[OrganisationTag(tag=tag) for tag in dict.fromkeys(tags)],
        )
        org_rows.append(
            {
                "id": oid,
                "name": name,
                "name_key": name_key(name),
                "kind": kind,
                "is_signatory": rng.random() < 0.02,
                "commitments": "",
                "address": org.address,
                "postcode": postcode,
                "city": city,
                "website": "",
                "email": org.email,
                "phone": f"+331{rng.randint(40000000, 49999999)}",
                "description": org.description,
                "search_doc": organisation_document(org),
                "created_at": now,
                "updated_at": now,
            }
        )
        tag_rows += [{"organisation_id": oid, "tag": tag.tag} for tag in org.tags]
    w.write(org_table, org_rows)  # type: ignore[arg-type]
    w.write(OrganisationTag.__table__, tag_rows)  # type: ignore[arg-type]
    organisation_ids = list(names)

    primary_org: dict[int, int] = {}
    emails: dict[int, tuple[str, str]] = {}
    first_affiliation = w.next_id(Affiliation.__table__)  # type: ignore[arg-type]

    def contacts() -> Iterator[dict[str, Any]]:
        for i in range(scale.contacts):
            cid = first_contact + i
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            oid = rng.choice(organisation_ids)
            function = rng.choice(FUNCTIONS)
            email = _email(first, last, cid, "example.org")
            primary_org[cid] = oid
            emails[cid] = (email, f"{first} {last}")
            person = Contact(first_name=first, last_name=last, function=function, email=email)
            yield {
                "id": cid,
                "first_name": first,
                "last_name": last,
                "name_key": contact_name_key(first, last),
                "function": function,
                "email": email,
                "phone": f"+336{rng.randint(10000000, 99999999)}",
                "consent_listed": rng.random() < 0.8,
                "consent_at": now,
                "search_doc": contact_document(person, [(names[oid], function)]),
                "created_at": now,
                "updated_at": now,
                "anonymised_at": None,
            }

    w.write(contact_table, contacts())  # type: ignore[arg-type]
    w.write(
        Affiliation.__table__,  # type: ignore[arg-type]
        (
            {
                "id": first_affiliation + n,
                "contact_id": cid,
                "organisation_id": oid,
                "role": "",
                "is_primary": True,
            }
            for n, (cid, oid) in enumerate(primary_org.items())
        ),
    )
    return _People(organisation_ids, list(primary_org), primary_org, emails)


def _users(w: BulkWriter, scale: Scale, rng: random.Random, people: _People, now: datetime) -> None:
    from core.demo import _demo_password_hash

    first = w.next_id(User.__table__)  # type: ignore[arg-type]
    password = _demo_password_hash()
    chosen = rng.sample(people.contact_ids, min(scale.users, len(people.contact_ids)))
    w.write(
        User.__table__,  # type: ignore[arg-type]
        (
            {
                "id": first + n,
                "email": people.emails[cid][0],
                "display_name": people.emails[cid][1],
                "password_hash": password,
                "contact_id": cid,
                "is_active": True,
                "created_at": now,
            }
            for n, cid in enumerate(chosen)
        ),
    )


@dataclass
class _Spaces:
    ids: list[int]
    pools: dict[int, list[int]]
    platforms: list[int]


def _spaces(
    w: BulkWriter, scale: Scale, rng: random.Random, people: _People, platform_kind: str | None
) -> _Spaces:
    first = w.next_id(Space.__table__)  # type: ignore[arg-type]
    first_membership = w.next_id(SpaceMembership.__table__)  # type: ignore[arg-type]
    rows, memberships, pools, platforms = [], [], {}, []
    created = datetime.combine(FIRST_DAY, time(9), tzinfo=UTC)
    n_membership = 0
    for i in range(scale.spaces):
        sid = first + i
        kind = "core.espace"
        if platform_kind and i in (scale.spaces // 2 - 1, scale.spaces - 1):  # two platforms
            kind = platform_kind
            platforms.append(sid)
        name = f"{SPACE_NAMES[i % len(SPACE_NAMES)]} « {SPACE_TOPICS[i % len(SPACE_TOPICS)]} » n° {i + 1}"
        rows.append(
            {
                "id": sid,
                "slug": f"metropole-espace-{i + 1:03d}",
                "name": name,
                "kind": kind,
                "description": f"Espace du réseau, quartier {NEIGHBOURHOODS[i % len(NEIGHBOURHOODS)]}.",
                "is_permanent": True,
                "ends_on": None,
                "pillar": rng.choice(list(vocab.PILLARS)),
                "created_at": created,
                "closed_at": None,
            }
        )
        pool = rng.sample(people.contact_ids, min(60, len(people.contact_ids)))
        pools[sid] = pool
        for k, cid in enumerate(pool):
            memberships.append(
                {
                    "id": first_membership + n_membership,
                    "space_id": sid,
                    "role": ANIMATOR if k < 2 else MEMBER,
                    "contact_id": cid,
                    "organisation_id": None,
                    "added_at": created,
                }
            )
            n_membership += 1
        for oid in dict.fromkeys(people.primary_org[cid] for cid in pool[:10]):
            memberships.append(
                {
                    "id": first_membership + n_membership,
                    "space_id": sid,
                    "role": MEMBER,
                    "contact_id": None,
                    "organisation_id": oid,
                    "added_at": created,
                }
            )
            n_membership += 1
    w.write(Space.__table__, rows)  # type: ignore[arg-type]
    w.write(SpaceMembership.__table__, memberships)  # type: ignore[arg-type]
    return _Spaces(list(pools), pools, platforms)


def _meetings(
    w: BulkWriter, scale: Scale, rng: random.Random, people: _People, spaces: _Spaces, now: datetime
) -> list[tuple[int, int, datetime]]:
    """Meetings, their invitations and answers, minutes, action items; returns (id, space, start)."""
    first = w.next_id(Meeting.__table__)  # type: ignore[arg-type]
    days = (LAST_DAY - FIRST_DAY).days
    per_meeting = max(1, scale.invitations // max(1, scale.meetings))
    meetings: list[tuple[int, int, datetime]] = []
    rows = []
    for i in range(scale.meetings):
        day = FIRST_DAY + timedelta(days=rng.randrange(days + 1))
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        starts = _paris(day, rng.choice((9, 10, 14, 15, 17)), rng.choice((0, 30)))
        sid = rng.choice(spaces.ids)
        mid = first + i
        meetings.append((mid, sid, starts))
        cancelled = rng.random() < 0.03
        created = starts - timedelta(days=rng.randint(10, 40))
        rows.append(
            {
                "id": mid,
                "uid": f"metropole-{mid}@reseau.example.org",
                "sequence": rng.choice((0, 0, 0, 1, 2)),
                "space_id": sid,
                "kind": "core.reunion",
                "title": f"{rng.choice(MEETING_TITLES)} – {SPACE_TOPICS[sid % len(SPACE_TOPICS)]}",
                "description": "Ordre du jour : point d'étape des actions, indicateurs, questions diverses.",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "location": f"{rng.choice(PLACES)[0]}, {rng.choice(ROOMS)}",
                "room": "",
                "online_url": "https://visio.example.org/reunion" if rng.random() < 0.3 else "",
                "visibility": "public" if rng.random() < 0.4 else "members",
                "status": "cancelled" if cancelled else "scheduled",
                "cancel_reason": "Report demandé par les partenaires." if cancelled else "",
                "cancelled_at": created + timedelta(days=5) if cancelled else None,
                "reminders_enabled": True,
                "series_key": None,
                "created_by_id": None,
                "created_at": created,
                "updated_at": created,
            }
        )
    w.write(Meeting.__table__, rows)  # type: ignore[arg-type]
    del rows

    first_invitation = w.next_id(Invitation.__table__)  # type: ignore[arg-type]

    def invitations() -> Iterator[dict[str, Any]]:
        n = 0
        for mid, sid, starts in meetings:
            past = starts < now
            pool = spaces.pools[sid]
            invited = rng.sample(pool, min(per_meeting, len(pool)))
            for cid in invited:
                roll = rng.random()
                if past:
                    response = (
                        "accepted"
                        if roll < 0.55
                        else "declined"
                        if roll < 0.75
                        else "tentative"
                        if roll < 0.85
                        else "pending"
                    )
                else:
                    response = "accepted" if roll < 0.3 else "declined" if roll < 0.4 else "pending"
                invited_at = starts - timedelta(days=21)
                yield {
                    "id": first_invitation + n,
                    "meeting_id": mid,
                    "contact_id": cid,
                    "organisation_id": people.primary_org[cid],
                    "response": response,
                    "responded_at": None
                    if response == "pending"
                    else invited_at + timedelta(days=rng.randint(1, 15)),
                    "comment": rng.choice(COMMENTS) if response != "pending" and rng.random() < 0.05 else "",
                    "invited_at": invited_at,
                    "invited_by_id": None,
                }
                n += 1

    w.write(Invitation.__table__, invitations())  # type: ignore[arg-type]
    first_minutes = w.next_id(Minutes.__table__)  # type: ignore[arg-type]
    w.write(
        Minutes.__table__,  # type: ignore[arg-type]
        (
            {
                "id": first_minutes + n,
                "meeting_id": mid,
                "body": MINUTES_BODY,
                "body_html": "",
                "author_id": None,
                "updated_at": starts + timedelta(days=3),
                "published_at": starts + timedelta(days=3),
            }
            for n, (mid, _sid, starts) in enumerate(m for m in meetings if m[2] < now and m[0] % 10 < 8)
        ),
    )
    first_action = w.next_id(ActionItem.__table__)  # type: ignore[arg-type]
    w.write(
        ActionItem.__table__,  # type: ignore[arg-type]
        (
            {
                "id": first_action + n,
                "meeting_id": mid,
                "space_id": sid,
                "title": "Transmettre le bilan d'activité aux partenaires",
                "owner_contact_id": spaces.pools[sid][0],
                "due_on": (starts + timedelta(days=30)).date(),
                "status": "done" if starts + timedelta(days=30) < now and mid % 5 else "open",
                "done_at": None,
                "created_at": starts,
            }
            for n, (mid, sid, starts) in enumerate(meetings)
        ),
    )
    return meetings


def _outbox(
    w: BulkWriter,
    scale: Scale,
    rng: random.Random,
    people: _People,
    meetings: list[tuple[int, int, datetime]],
    now: datetime,
) -> None:
    """Sent reminders of past meetings (a few failed), as the outbox holds them after ten years."""
    past = [m for m in meetings if m[2] < now - timedelta(days=2)]
    if not past:
        return
    first = w.next_id(OutboxMessage.__table__)  # type: ignore[arg-type]

    def rows() -> Iterator[dict[str, Any]]:
        for n in range(scale.outbox):
            mid, sid, starts = past[n % len(past)]
            rule, template = OUTBOX_RULES[(n // len(past)) % len(OUTBOX_RULES)]
            cid = rng.choice(people.contact_ids)
            email, name = people.emails[cid]
            due = starts - timedelta(days=1)
            failed = rng.random() < 0.01
            yield {
                "id": first + n,
                "key": f"{rule}:metropole:{n}",
                "message_id": f"<metropole.{n}@reseau.example.org>",
                "rule": rule,
                "status": "failed" if failed else "sent",
                "optional": rule != "core.invitation",
                "recipient_email": email,
                "recipient_name": name,
                "recipient_user_id": None,
                "recipient_contact_id": cid,
                "language": "fr",
                "template": template,
                "context": {},
                "attachments": [],
                "subject": f"Rappel : réunion du {starts:%d/%m/%Y}",
                "body_text": "",
                "body_html": "",
                "meeting_id": mid,
                "space_id": sid,
                "digest_key": None,
                "due_at": due,
                "expires_at": None,
                "attempts": 3 if failed else 1,
                "next_attempt_at": due,
                "last_error": "550 boîte inconnue" if failed else "",
                "lease_owner": None,
                "lease_expires_at": None,
                "created_at": due,
                "sent_at": None if failed else due + timedelta(minutes=1),
                "updated_at": due + timedelta(minutes=1),
            }

    w.write(OutboxMessage.__table__, rows())  # type: ignore[arg-type]


def _acces_services(
    w: BulkWriter,
    scale: Scale,
    rng: random.Random,
    people: _People,
    spaces: _Spaces,
    meetings: list[tuple[int, int, datetime]],
    now: datetime,
) -> None:
    """The platform's catalogue (services, tags, quarterly figures) and proposals."""
    from plugins.acces_services import periods
    from plugins.acces_services.models import Figure, PlatformSettings, Proposal, Service, ServiceTag
    from plugins.acces_services.services import search_document
    from plugins.acces_services.vocab import CATEGORIES, DISTANCE_BANDS, PUBLICS, QUARTER

    if not spaces.platforms:
        return
    first_service = w.next_id(Service.__table__)  # type: ignore[arg-type]
    services, tags = [], []
    categories, bands, publics = list(CATEGORIES), list(DISTANCE_BANDS), list(PUBLICS)
    for i in range(scale.services):
        sid = first_service + i
        oid = rng.choice(people.organisation_ids)
        organisation = Organisation(name=f"Organisation {oid}")
        category = rng.choice(categories)
        service = Service(
            name=f"{rng.choice(SERVICE_KINDS)} {rng.choice(ORG_THEMES)} n° {i + 1}",
            category=category,
            description="Sur inscription, à l'accueil ou par téléphone.",
            public_details="",
            address=f"{rng.randint(1, 80)} avenue de l'Europe",
            city=rng.choice(PLACES)[0],
        )
        chosen = [f"public:{p}" for p in rng.sample(publics, 2)]
        services.append(
            {
                "id": sid,
                "space_id": spaces.platforms[i % len(spaces.platforms)],
                "organisation_id": oid,
                "name": service.name,
                "category": category,
                "description": service.description,
                "public_details": "",
                "age_min": None,
                "age_max": None,
                "address": service.address,
                "postcode": "94350",
                "city": service.city,
                "latitude": 48.82 + rng.random() / 50,
                "longitude": 2.53 + rng.random() / 50,
                "distance_m": rng.randint(50, 6000),
                "distance_band": rng.choice(bands),
                "opening_hours": "Du lundi au vendredi, 9 h – 12 h et 14 h – 18 h",
                "is_free": rng.random() < 0.5,
                "price_details": "",
                "has_social_pricing": rng.random() < 0.4,
                "social_pricing_details": "",
                "registration": "",
                "contact_name": "",
                "contact_email": "",
                "contact_phone": "",
                "website": "",
                "is_published": True,
                "archived_at": None,
                "search_doc": search_document(service, organisation, chosen),
                "created_by_id": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        tags += [{"service_id": sid, "tag": tag} for tag in chosen]
    w.write(Service.__table__, services)  # type: ignore[arg-type]
    w.write(ServiceTag.__table__, tags)  # type: ignore[arg-type]
    w.write(
        PlatformSettings.__table__,  # type: ignore[arg-type]
        ({"space_id": sid, "period_kind": QUARTER, "updated_at": now} for sid in spaces.platforms),
    )
    quarters = [
        periods.period_containing(date(year, month, 1), QUARTER)
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1)
        for month in (1, 4, 7, 10)
    ]
    quarters = [q for q in quarters if q.end < now.date()]
    first_figure = w.next_id(Figure.__table__)  # type: ignore[arg-type]

    def figures() -> Iterator[dict[str, Any]]:
        n = 0
        for row in services:
            for quarter in quarters:
                total = rng.randint(5, 400)
                yield {
                    "id": first_figure + n,
                    "service_id": row["id"],
                    "period": quarter.code,
                    "period_start": quarter.start,
                    "period_end": quarter.end,
                    "users_total": total,
                    "users_neighbourhood": rng.randint(0, total),
                    "source": "demo",
                    "entered_by_id": None,
                    "created_at": now,
                    "updated_at": now,
                }
                n += 1

    w.write(Figure.__table__, figures())  # type: ignore[arg-type]
    platform_meetings = [m for m in meetings if m[1] in spaces.platforms] or meetings
    first_proposal = w.next_id(Proposal.__table__)  # type: ignore[arg-type]
    w.write(
        Proposal.__table__,  # type: ignore[arg-type]
        (
            {
                "id": first_proposal + n,
                "space_id": spaces.platforms[n % len(spaces.platforms)],
                "kind": rng.choice(("etude", "avis", "proposition", "recommandation")),
                "title": f"Ouvrir {rng.choice(ORG_THEMES).lower()} le samedi matin (n° {n + 1})",
                "body": "Les familles du quartier ne peuvent pas venir en semaine.",
                "status": "submitted",
                "answer": "",
                "is_public": n % 2 == 0,
                "meeting_id": platform_meetings[n % len(platform_meetings)][0],
                "submitted_at": now,
                "answered_at": None,
                "status_changed_at": now,
                "created_by_id": None,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(scale.proposals)
        ),
    )


def _settle(engine: Engine) -> None:
    """Statistics after the bulk load, as the database would have them in service."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        return
    raw = engine.raw_connection()  # autocommit: no BEGIN around the checkpoint
    try:
        cursor = raw.cursor()
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


def expected_rows(scale: Scale) -> int:
    """Roughly how many rows a scale writes (the progress bar's total)."""
    per_meeting = max(1, scale.invitations // max(1, scale.meetings))
    return (
        int(scale.organisations * 2.4)
        + scale.contacts * 2
        + scale.users
        + scale.spaces * 68
        + scale.meetings * (3 + per_meeting)
        + scale.outbox
        + scale.services * 40
        + scale.proposals
    )


def already_generated(engine: Engine) -> bool:
    """Whether the scaled data is in the database already (its marker space exists)."""
    with engine.connect() as conn:
        return conn.scalar(select(Space.id).where(Space.slug == MARKER_SLUG)) is not None


def generate(engine: Engine, scale: Scale, *, seed: int = SEED, progress: bool = True) -> dict[str, int]:
    """Write ``scale``'s data into a migrated database; returns the rows written per table.

    Nothing is written when the data is there already (an empty dict is returned).
    """
    if already_generated(engine):
        return {}
    rng = random.Random(seed)
    # a fixed "now" keeps the data reproducible: answers and sent mail before it, pending after
    now = datetime(2026, 11, 1, 8, tzinfo=UTC)
    tables = set(inspect(engine).get_table_names())
    platform_kind = "acces_services.plateforme" if "acces_services_services" in tables else None
    with tqdm(total=expected_rows(scale), unit=" lignes", disable=not progress, smoothing=0.1) as bar:
        with engine.begin() as conn:
            writer = BulkWriter(conn, bar)
            people = _directory(writer, scale, rng, now)
            _users(writer, scale, rng, people, now)
            spaces = _spaces(writer, scale, rng, people, platform_kind)
            meetings = _meetings(writer, scale, rng, people, spaces, now)
            _outbox(writer, scale, rng, people, meetings, now)
            if platform_kind:
                _acces_services(writer, scale, rng, people, spaces, meetings, now)
            writer.fix_sequences()
        bar.set_description("analyse")
        _settle(engine)
    return writer.counts
