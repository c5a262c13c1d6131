"""The reminder rule API: what the core and every plugin declare, and what a rule yields.

A plugin returns :class:`ReminderRule` objects from ``reseau_register_reminder_rules``. The
sweep calls each enabled rule's ``collect(run)`` with a :class:`RuleRun` – a session, the
window ``(run.since, run.now]``, the admin-configured :class:`Timing` and helpers – and the
rule yields a :class:`Due` for every email that falls due in that window. The engine inserts
them into the outbox with insert-or-ignore on ``Due.key``, so overlapping windows, a second
sweep, a restart or a second worker are harmless. Example::

    def collect(run: RuleRun) -> Iterator[Due]:
        for offset in run.timing.offsets:                 # e.g. J-7, admin-editable
            lo, hi = run.anchor_range(offset)             # meetings whose J-7 may be due now
            for meeting in run.db.scalars(select(Meeting).where(Meeting.starts_at.between(lo, hi))):
                due_at = run.due_at(meeting.starts_at, offset)
                if run.is_due(due_at):
                    yield Due(key=f"myplugin.thing:{meeting.id}:{offset}", ...)

    RULE = ReminderRule(name="myplugin.thing", label=_l("…"), description=_l("…"),
                        collect=collect, default_timing=Timing.of("J-7"))

``run.rows_due_at(offset, rows_between, anchor)`` (and ``rows_due_on`` for date anchors) is that
inner loop in one call; ``space_animators`` and ``contact_recipient`` find whom to write to.

Times: everything is aware UTC; day-based offsets are counted on Europe/Paris calendar dates
and fire at the rule's wall-clock ``send_time`` (so a J-1 reminder keeps its 08:00 across a
DST change); hour-based offsets are exact durations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import holidays
from babel.support import LazyProxy
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from core.directory.models import Contact
from core.i18n import PARIS
from core.spaces.models import ANIMATOR, SpaceMembership

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.config import Settings

Unit = Literal["hours", "days", "working_days", "weeks", "months"]
#: whatever a rule reads to find what is due (a model, a row of several, a period)
Row = TypeVar("Row")
Anchor = TypeVar("Anchor", datetime, date)

_OFFSET_RE = re.compile(
    r"^\s*(?P<letter>[JHSM])\s*(?P<sign>[+-])\s*(?P<amount>\d{1,3})\s*(?P<wd>ouvr[ée]s?|o)?\s*$",
    re.IGNORECASE,
)
_LETTER_UNIT: dict[str, Unit] = {"H": "hours", "J": "days", "S": "weeks", "M": "months"}
_UNIT_LETTER = {"hours": "H", "days": "J", "working_days": "J", "weeks": "S", "months": "M"}


@dataclass(frozen=True, order=True)
class Offset:
    """A signed distance from an anchor date, written the French way.

    ``J-7`` (7 days before), ``J+3``, ``J-5 ouvrés`` (5 working days before: weekends and French
    public holidays skipped), ``H-2`` (2 hours before), ``S-8`` (8 weeks), ``M-1`` (one month).
    """

    amount: int
    unit: Unit = "days"

    @classmethod
    def parse(cls, text: str) -> Offset:
        """Parse ``J-7``, ``J+3``, ``J-5 ouvrés``, ``H-2``, ``S-8``, ``M-1``; ``ValueError`` otherwise."""
        match = _OFFSET_RE.match(text or "")
        if not match:
            raise ValueError(text)
        amount = int(match["amount"]) * (-1 if match["sign"] == "-" else 1)
        unit = _LETTER_UNIT[match["letter"].upper()]
        if match["wd"]:
            if unit != "days":
                raise ValueError(text)
            unit = "working_days"
        return cls(amount, unit)

    def __str__(self) -> str:
        text = f"{_UNIT_LETTER[self.unit]}{'+' if self.amount >= 0 else '-'}{abs(self.amount)}"
        return text + (" ouvrés" if self.unit == "working_days" else "")

    @property
    def slug(self) -> str:
        """A compact, stable form for idempotency keys: ``J-7``, ``J-5o``, ``H-2``."""
        return str(self).replace(" ouvrés", "o")

    @property
    def is_day_based(self) -> bool:
        """Whether the offset counts calendar days (and fires at a wall-clock time)."""
        return self.unit != "hours"

    def apply_to_date(self, day: date) -> date:
        """The Paris calendar date ``self`` away from ``day`` (not for hour offsets)."""
        if self.unit == "days":
            return day + timedelta(days=self.amount)
        if self.unit == "weeks":
            return day + timedelta(weeks=self.amount)
        if self.unit == "months":
            shifted: date = day + relativedelta(months=self.amount)
            return shifted
        if self.unit == "working_days":
            return add_working_days(day, self.amount)
        raise ValueError(f"{self} is not day-based")

    def max_span(self) -> timedelta:
        """An upper bound of the distance this offset can cover (for conservative windows)."""
        n = abs(self.amount)
        if self.unit == "hours":
            return timedelta(hours=n)
        if self.unit == "days":
            return timedelta(days=n)
        if self.unit == "weeks":
            return timedelta(weeks=n)
        if self.unit == "months":
            return timedelta(days=31 * n)
        # working days: 5 per week, plus room for a cluster of public holidays
        return timedelta(days=math.ceil(n * 7 / 5) + 7)


def parse_offsets(text: str) -> tuple[Offset, ...]:
    """Parse a comma- or space-separated list (``"J-7, J-1"``); ``ValueError(bad part)`` otherwise."""
    parts = [p for p in re.split(r"\s*[,;]\s*", (text or "").strip()) if p]
    return tuple(Offset.parse(p) for p in parts)


def format_offsets(offsets: Iterable[Offset]) -> str:
    """``"J-7, J-1"``."""
    return ", ".join(str(o) for o in offsets)


@dataclass(frozen=True)
class Timing:
    """When a rule fires: its offsets, the Paris wall-clock time of day-based reminders, on/off.

    Rules declare a default; admins override it per rule on the "Courriels" admin pages.
    """

    offsets: tuple[Offset, ...] = ()
    send_time: time = time(8, 0)
    enabled: bool = True

    @classmethod
    def of(cls, *offsets: str, at: str | time = "08:00", enabled: bool = True) -> Timing:
        """``Timing.of("J-7", "J-1", at="08:30")``."""
        send_time = at if isinstance(at, time) else time.fromisoformat(at)
        return cls(tuple(Offset.parse(o) for o in offsets), send_time, enabled)


# ------------------------------------------------------------------------------ what rules yield


@dataclass(frozen=True)
class Recipient:
    """Who receives one email. ``language`` ``None`` means: the account's language, else the hub's.

    Give ``user_id`` or ``contact_id`` when known: opt-outs, digests and the language are looked
    up through the account (an account is also found from its contact or its address).
    """

    email: str
    name: str = ""
    language: str | None = None
    user_id: int | None = None
    contact_id: int | None = None


def contact_recipient(contact: Contact) -> Recipient:
    """A directory contact as a recipient (their account, if any, is found by the engine)."""
    return Recipient(email=contact.email.strip(), name=contact.full_name, contact_id=contact.id)


def space_animators(db: Session, space_ids: Iterable[int]) -> dict[int, list[Contact]]:
    """The animators of these spaces who are not anonymised and have an address, by space (every
    space asked is a key), in contact id order: one query for all the spaces.

    A rule that wants more of an address (one plain, valid address) filters the lists further.
    """
    ids = set(space_ids)
    found: dict[int, list[Contact]] = {space_id: [] for space_id in ids}
    if not ids:
        return found
    rows = db.execute(
        select(SpaceMembership.space_id, Contact)
        .join(Contact, Contact.id == SpaceMembership.contact_id)
        .where(
            SpaceMembership.space_id.in_(ids),
            SpaceMembership.role == ANIMATOR,
            Contact.anonymised_at.is_(None),
            Contact.email != "",
        )
        .order_by(Contact.id)
    )
    for space_id, contact in rows:
        found[space_id].append(contact)
    return found


@dataclass(frozen=True)
class Attachment:
    """A file sent with the email. ``alternative=True`` also puts it in the body's
    ``multipart/alternative`` (what calendar clients need for an iTIP invitation)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"
    params: Mapping[str, str] = field(default_factory=dict)
    alternative: bool = False

    @classmethod
    def calendar(cls, ical: bytes, method: str, filename: str = "invitation.ics") -> Attachment:
        """An iTIP message: ``text/calendar; method=<METHOD>; charset=utf-8``, shown inline by
        Outlook, Gmail and Apple Mail, and attached as a ``.ics`` file as well."""
        return cls(filename, ical, "text/calendar", {"method": method.upper(), "charset": "utf-8"}, True)


@dataclass(frozen=True)
class Due:
    """One email that is due: the unit of exactly-once delivery.

    * ``key`` – stable and unique for this email, e.g.
      ``groupes_techniques.semester:12:2026-S1:S-8``. Start it with the rule's name.
    * ``template`` – ``emails/<name>`` (core) or ``<plugin>/emails/<name>``: the files
      ``<template>.subject.txt``, ``<template>.txt`` and (optional) ``<template>.html``.
    * ``context`` – JSON-safe values for the templates (``str``, numbers, ``bool``, ``None``,
      lists, dicts, and aware ``datetime``/``date`` which are kept as such). Links must be
      absolute URLs built from ``RESEAU_BASE_URL`` (``run.url_for`` does it).
    * ``due_at`` – when it falls due (at most ``run.now``); ``expires_at`` – after it, the email
      is never sent (the meeting has started).
    * ``meeting_id`` / ``space_id`` – a reschedule or cancellation of the meeting cancels it
      while it is still pending.
    """

    key: str
    recipient: Recipient
    template: str
    context: Mapping[str, Any]
    due_at: datetime
    expires_at: datetime | None = None
    meeting_id: int | None = None
    space_id: int | None = None
    attachments: tuple[Attachment, ...] = ()


Collect = Callable[["RuleRun"], Iterable[Due]]
#: a label: a string, or a lazy translation (``_l("…")``) shown in the reader's language
Label = str | LazyProxy


@dataclass(frozen=True)
class ReminderRule:
    """A reminder rule, declared once through ``reseau_register_reminder_rules``.

    * ``name`` – ``<plugin>.<rule>``; ``label``/``description`` – shown to admins and users;
      ``audience`` – who receives it, in a few words.
    * ``collect(run)`` – yields the :class:`Due` emails of the window ``(run.since, run.now]``.
      It runs inside the sweep's transaction for this rule; it must be cheap: query only what
      can be due in the window, on indexed columns.
    * ``default_timing`` – offsets and send time admins may change (``Timing()`` when the rule
      has no offset, e.g. an invitation sent as soon as it exists).
    * ``opt_out_allowed`` – optional reminders can be switched off by each person, arrive in
      their digest if they chose one, and carry a one-click unsubscribe link.
    * ``overlap`` – how far each sweep looks back before the previous one, to catch rows
      committed late (their timestamps are older than their commit).
    """

    name: str
    label: Label
    collect: Collect
    description: Label = ""
    audience: Label = ""
    default_timing: Timing = Timing()
    opt_out_allowed: bool = True
    overlap: timedelta = timedelta(minutes=15)

    @property
    def plugin(self) -> str:
        """The declaring plugin (``core`` for the core's rules)."""
        return self.name.partition(".")[0]


# ------------------------------------------------------------------------------ time helpers


def paris_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a Paris wall-clock time.

    A time that happens twice (last Sunday of October) is the first one; a time that does not
    exist (last Sunday of March, 02:00–03:00) is moved forward by the gap, as calendar apps do.
    """
    # PEP 495, fold=0: an ambiguous time takes the first offset; a time in the gap is read with
    # the offset before the change, which lands after the gap (02:30 -> 03:30 CEST)
    return datetime.combine(day, at).replace(tzinfo=PARIS, fold=0).astimezone(UTC)


def paris_date(instant: datetime) -> date:
    """The Paris calendar date of an aware instant."""
    return instant.astimezone(PARIS).date()


@cache
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a French public holiday (1 May, 14 July, Ascension…)."""
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_working_days(day: date, n: int) -> date:
    """The working day ``n`` working days after (``n`` > 0) or before (``n`` < 0) ``day``.

    ``n == 0`` gives ``day`` itself when it is a working day, else the previous working day
    (a deadline on a Sunday is due on the Friday before).
    """
    step = 1 if n > 0 else -1
    current = day
    if n == 0:
        while not is_working_day(current):
            current -= timedelta(days=1)
        return current
    remaining = abs(n)
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


# ------------------------------------------------------------------------------ the run


@dataclass
class RuleRun:
    """What a rule's ``collect`` receives: the window to look at and everything it needs.

    ``db`` is the sweep's session (read what you need; do not commit). ``now`` is the sweep
    instant (window end, inclusive) and ``since`` the window start (exclusive): the previous
    sweep minus the rule's ``overlap``, or a bounded look-back on the very first sweep.
    """

    db: Session
    rule: ReminderRule
    timing: Timing
    since: datetime
    now: datetime
    settings: Settings
    url_path_for: Callable[..., Any] | None = None

    @property
    def base_url(self) -> str:
        """``RESEAU_BASE_URL`` without a trailing slash."""
        return self.settings.base_url.rstrip("/")

    def url_for(self, name: str, /, **params: Any) -> str:
        """The absolute URL of a named route (``"calendar:meeting"``), from ``RESEAU_BASE_URL``.

        Raises ``starlette.routing.NoMatchFound`` for an unknown name.
        """
        if self.url_path_for is None:
            raise LookupError("no router available to build URLs")
        return self.base_url + str(self.url_path_for(name, **params))

    def is_due(self, instant: datetime) -> bool:
        """Whether ``instant`` falls in this sweep's window ``(since, now]``."""
        return self.since < instant <= self.now

    def due_at(self, anchor: datetime, offset: Offset) -> datetime:
        """The instant ``offset`` away from ``anchor``: day-based offsets land on the Paris date
        at the timing's ``send_time``; hour offsets are exact."""
        if not offset.is_day_based:
            return anchor + timedelta(hours=offset.amount)
        return paris_to_utc(offset.apply_to_date(paris_date(anchor)), self.timing.send_time)

    def due_on(self, day: date, offset: Offset) -> datetime:
        """Like :meth:`due_at` for a date anchor (an action item's due date, a period's end)."""
        if not offset.is_day_based:
            return paris_to_utc(day, time(0, 0)) + timedelta(hours=offset.amount)
        return paris_to_utc(offset.apply_to_date(day), self.timing.send_time)

    def due_dates(self) -> list[date]:
        """The Paris dates whose ``send_time`` instant falls in the window (often none)."""
        day, last = paris_date(self.since), paris_date(self.now)
        dates = []
        while day <= last:
            if self.is_due(paris_to_utc(day, self.timing.send_time)):
                dates.append(day)
            day += timedelta(days=1)
        return dates

    def date_range(self, offset: Offset) -> tuple[date, date] | None:
        """The anchor dates ``[first, last]`` whose day-based ``offset`` may be due in this window,
        or ``None`` when nothing can be (the send time is not in the window)."""
        dates = self.due_dates()
        if not dates:
            return None
        first, last = dates[0], dates[-1]
        if offset.unit in ("days", "weeks"):
            shift = offset.apply_to_date(first) - first
            return first - shift, last - shift
        if offset.unit == "months":  # month ends are clamped: a few days of slack
            back = relativedelta(months=offset.amount)
            return first - back - timedelta(days=4), last - back + timedelta(days=4)
        span = offset.max_span()
        if offset.amount < 0:
            return first, last + span
        if offset.amount > 0:
            return first - span, last
        return first, last + timedelta(days=7)

    def anchor_range(self, offset: Offset) -> tuple[datetime, datetime] | None:
        """The anchor instants ``[lo, hi)`` whose ``due_at(anchor, offset)`` may fall in the
        window, or ``None``: query anchors in it on an indexed column, then keep those whose
        :meth:`due_at` :meth:`is_due`. The range is tight, so a sweep reads what is due."""
        if not offset.is_day_based:
            shift = timedelta(hours=offset.amount)
            return self.since - shift, self.now - shift + timedelta(microseconds=1)
        dates = self.date_range(offset)
        if dates is None:
            return None
        return paris_to_utc(dates[0], time(0)), paris_to_utc(dates[1] + timedelta(days=1), time(0))

    def rows_due_at(
        self,
        offset: Offset,
        rows_between: Callable[[datetime, datetime], Iterable[Row]],
        anchor: Callable[[Row], datetime | None],
    ) -> Iterator[tuple[Row, datetime]]:
        """The rows whose reminder ``offset`` away from their anchor instant is due in this
        window, each with that due instant: :meth:`anchor_range`, :meth:`due_at`, :meth:`is_due`.

        ``rows_between(lo, hi)`` reads the rows anchored in ``[lo, hi)`` (a range on an indexed
        column) and is not called when nothing can be due; ``anchor(row)`` is the row's anchor
        (``None``: the row is skipped). Example::

            for meeting, due_at in run.rows_due_at(offset, meetings_starting_between, lambda m: m.starts_at):
        """
        return self._rows_due(
            self.anchor_range(offset), rows_between, anchor, lambda at: self.due_at(at, offset)
        )

    def rows_due_on(
        self,
        offset: Offset,
        rows_between: Callable[[date, date], Iterable[Row]],
        day: Callable[[Row], date | None],
    ) -> Iterator[tuple[Row, datetime]]:
        """Like :meth:`rows_due_at` for date anchors (a due date, a period's end):
        ``rows_between(first, last)`` reads the rows whose date is in ``[first, last]``
        (:meth:`date_range`), each row's reminder is :meth:`due_on` its ``day(row)``."""
        return self._rows_due(self.date_range(offset), rows_between, day, lambda on: self.due_on(on, offset))

    def _rows_due(
        self,
        bounds: tuple[Anchor, Anchor] | None,
        rows_between: Callable[[Anchor, Anchor], Iterable[Row]],
        anchor: Callable[[Row], Anchor | None],
        due: Callable[[Anchor], datetime],
    ) -> Iterator[tuple[Row, datetime]]:
        if bounds is None:
            return
        for row in rows_between(*bounds):
            at = anchor(row)
            if at is None:
                continue
            instant = due(at)
            if self.is_due(instant):
                yield row, instant
