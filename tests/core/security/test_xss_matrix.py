"""Stored XSS: a hostile payload in every free-text column of the database, then every page,
feed and email rendered, as the admin, an animator and a member.

The columns are chosen by walking the schema (plugins included): every string column long
enough to hold text, except identifiers, codes and vocabularies (slugs, kinds, statuses, keys…),
URL columns (they get a ``javascript:`` URL instead) and the pre-sanitised ``*_html`` columns
(those are fed through their form, where the sanitiser runs). Payloads carry a CRLF too, so a
calendar feed that does not escape would grow an injected property.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import Base, transaction
from core.privacy.schema import is_email_column
from core.reminders.models import OutboxMessage
from core.reminders.runtime import run_at
from tests.core.security.matrix_world import Matrix, RouteCase, collected_routes, observe
from tests.helpers import csrf_from

PAYLOADS = (
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
)
INJECTED_PROPERTY = "X-INJ:1"
TEXT_PAYLOAD = "".join(PAYLOADS) + "\r\n" + INJECTED_PROPERTY
URL_PAYLOAD = "javascript:alert(document.cookie)"
#: what must never appear unescaped in a page or an HTML email
RAW = re.compile(r"<script>alert|<img src=x onerror|<svg onload|href=[\"']?\s*javascript:", re.I)
#: columns that hold identifiers, codes or vocabulary, not text someone typed
CODE_COLUMNS = frozenset(
    {
        "slug", "kind", "status", "role", "visibility", "key", "uid", "token_hash", "password_hash",
        "stored_name", "content_type", "language", "rule", "template", "message_id", "lease_owner",
        "search_doc", "name_key", "period", "digest", "digest_key", "series_key", "object_type",
        "object_id", "action", "source", "fingerprint", "response", "pillar", "tag", "category",
        "filename", "offsets", "send_time", "period_kind", "distance_band", "registration",
        "postcode", "phone", "last_error", "actor",
    }
)
URL_COLUMNS = frozenset({"url", "website", "online_url"})
SKIP_TABLES = frozenset({"outbox", "feed_event_cache", "login_attempts", "alembic_version", "reminder_rules"})
ROLES = ("admin", "animator", "member")
GET_ROUTES = [r for r in collected_routes() if "GET" in r.methods]


def poisoned_columns() -> list[tuple[sa.Table, sa.Column[str], str]]:
    """(table, column, payload) for every column the corpus goes into."""
    chosen = []
    for table in Base.metadata.sorted_tables:
        if table.name in SKIP_TABLES or len(table.primary_key.columns) != 1:
            continue
        for column in table.columns:
            if not isinstance(column.type, sa.String) or column.primary_key or column.foreign_keys:
                continue
            name = column.name
            if name in URL_COLUMNS:
                chosen.append((table, column, URL_PAYLOAD))
            elif name in CODE_COLUMNS or name.endswith("_html") or is_email_column(column):
                continue
            elif column.type.length is None or column.type.length >= len(TEXT_PAYLOAD) + 8:
                chosen.append((table, column, TEXT_PAYLOAD))
    return chosen


@pytest.fixture(scope="module")
def poisoned(matrix: Matrix) -> Matrix:
    """Every chosen column of every row gets the corpus (suffixed with the row id: unique)."""
    state = matrix.app.state.reseau
    with transaction(state.session_factory) as db:
        existing = set(sa.inspect(db.connection()).get_table_names())
        for table, column, payload in poisoned_columns():
            if table.name not in existing:
                continue
            [pk] = table.primary_key.columns
            value = sa.literal(payload) + sa.cast(pk, sa.String)
            db.execute(sa.update(table).values({column.name: value}))
    # the minutes go through their form, so the Markdown sanitiser is what is tested
    animator = matrix.clients["animator"]
    url = f"/agenda/reunions/{matrix.world.params['meeting_id']}/compte-rendu/modifier"
    page = animator.get(url)
    body = "\n\n".join([*PAYLOADS, "[lien](javascript:alert(1))", "<a href='javascript:alert(1)'>x</a>"])
    saved = animator.post(url, data={"csrf_token": csrf_from(page.text), "body": body})
    assert observe(saved) in (">", "200"), saved.status_code
    return matrix


def test_calendar_names_and_descriptions_are_escaped() -> None:
    """A newline typed in a space's name once broke its feed (500) and could add properties."""
    from core.calendar.ics import new_calendar

    ical = new_calendar(f"Espace\r\n{INJECTED_PROPERTY}", description=f"Texte\n{INJECTED_PROPERTY}").to_ical()
    lines = ical.decode().split("\r\n")
    assert not any(line.startswith(INJECTED_PROPERTY) for line in lines)
    assert "X-WR-CALNAME:Espace\\nX-INJ:1" in lines


def test_html_emails_escape_the_text_templates_they_include() -> None:
    """A ``.txt`` template renders without autoescape, and an include's output counts as safe:
    an HTML email including one must escape it (the semester reminder put a group's name raw
    into its HTML)."""
    root = Path(__file__).resolve().parents[3]
    include = re.compile(r"\{%-?\s*include\s+[\"'][^\"']+\.txt[\"']")
    unescaped = []
    for path in [*root.glob("core/templates/**/*.html"), *root.glob("plugins/*/templates/**/*.html")]:
        for line in path.read_text().splitlines():
            if include.search(line) and "forceescape" not in line:
                unescaped.append(f"{path.relative_to(root)}: {line.strip()}")
    assert not unescaped, "\n".join(unescaped)


def test_the_corpus_reaches_the_tables_people_write(poisoned: Matrix) -> None:
    names = {f"{t.name}.{c.name}" for t, c, _p in poisoned_columns()}
    for expected in ("contacts.last_name", "organisations.name", "meetings.title", "meetings.description",
                     "invitations.comment", "spaces.description", "resources.title", "users.display_name",
                     "meetings.online_url"):
        assert expected in names


@pytest.mark.parametrize("case", GET_ROUTES, ids=lambda c: c.name)
def test_every_page_escapes_the_corpus(poisoned: Matrix, case: RouteCase) -> None:
    url = poisoned.world.url(case)
    problems = []
    for role in ROLES:
        response = poisoned.clients[role].get(url)
        got = observe(response)
        if got.startswith("5"):
            problems.append(f"{role}: server error {got}")
            continue
        kind = response.headers.get("content-type", "")
        if kind.startswith("text/html") and (match := RAW.search(response.text)):
            start = max(match.start() - 60, 0)
            problems.append(f"{role}: unescaped {response.text[start : match.end() + 20]!r}")
        if kind.startswith("text/calendar"):
            lines = response.text.replace("\r\n ", "").split("\r\n")
            if any(line.startswith(INJECTED_PROPERTY) for line in lines):
                problems.append(f"{role}: the feed grew an injected property")
    assert not problems, f"GET {url}\n" + "\n".join(problems)


def test_emails_escape_the_corpus(poisoned: Matrix) -> None:
    """Invitations and reminders about space A's meeting, rendered from the poisoned data."""
    state = poisoned.app.state.reseau
    now = state.now()
    with transaction(state.session_factory) as db:
        before = db.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    for step in range(0, 8 * 24, 12):
        run_at(state, now + timedelta(hours=step))
    with transaction(state.session_factory, write=False) as db:
        mails = list(db.scalars(sa.select(OutboxMessage).where(OutboxMessage.id > before)))
    rendered = [m for m in mails if m.body_html]
    assert rendered, "no email was rendered from the poisoned data"
    problems = [f"{m.key}: {RAW.search(m.body_html).group(0)!r}" for m in rendered if RAW.search(m.body_html)]
    assert not any(INJECTED_PROPERTY in line for m in mails for line in m.subject.splitlines()[1:])
    assert not problems, "\n".join(problems)
