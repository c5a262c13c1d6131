"""Groups and their obligations: create, close, delete; the dated obligation history.

Plain functions over a SQLAlchemy session (no web imports), inside the caller's transaction.
Refusals raise :class:`GroupError` (or the core's ``SpaceError``) with a French message and the
form field concerned. Every change is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.directory.models import Contact
from core.i18n import format_date, ngettext
from core.i18n import gettext as _
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, Space, SpaceMembership
from plugins.groupes_techniques.models import GroupProfile, Obligation
from plugins.groupes_techniques.periods import Period, is_period_start, period_of, semester_of
from plugins.groupes_techniques.vocab import GROUP_KIND, KINDS, MAX_MEETINGS, PERIODS, SEMESTER, YEAR

if TYPE_CHECKING:
    from core.accounts.models import User

THEME_MAX = 200


class GroupError(ValueError):
    """A change refused: a French ``message`` and the form ``field`` concerned (or ``None``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------------------------ groups


def tracked_groups(db: Session, *, include_closed: bool = False, pillar: str | None = None) -> list[Space]:
    """The groups and committees (spaces of the plugin's kinds), committees first, then by name."""
    stmt = select(Space).where(Space.kind.in_(KINDS))
    if not include_closed:
        stmt = stmt.where(Space.closed_at.is_(None))
    if pillar:
        stmt = stmt.where(Space.pillar == pillar)
    found = db.scalars(stmt).all()
    return sorted(found, key=lambda s: (s.kind == GROUP_KIND, not s.is_permanent, s.name.casefold(), s.id))


def group(db: Session, space_id: int) -> Space | None:
    """The group or committee with this space id (``None`` for any other space)."""
    space = db.get(Space, space_id)
    return space if space is not None and space.kind in KINDS else None


def theme_of(db: Session, space_id: int) -> str:
    """The theme of a group ("" when none was given)."""
    profile = db.get(GroupProfile, space_id)
    return profile.theme if profile is not None else ""


def animators(db: Session, space_ids: Iterable[int]) -> dict[int, list[Contact]]:
    """The animators (contacts) of these spaces, by space, by name."""
    ids = set(space_ids)
    found: dict[int, list[Contact]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = db.execute(
        select(SpaceMembership.space_id, Contact)
        .join(Contact, Contact.id == SpaceMembership.contact_id)
        .where(SpaceMembership.space_id.in_(ids), SpaceMembership.role == ANIMATOR)
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    ).all()
    for space_id, contact in rows:
        found[space_id].append(contact)
    return found


def animated_by(db: Session, contact_id: int) -> list[int]:
    """The ids of the spaces a contact animates."""
    return list(
        db.scalars(
            select(SpaceMembership.space_id).where(
                SpaceMembership.contact_id == contact_id, SpaceMembership.role == ANIMATOR
            )
        )
    )


def usual_animators(db: Session) -> list[Contact]:
    """The people offered as co-animators of a new group: whoever animates a group today, those
    who animate every open groupe technique (the chef de projet and the déléguée du préfet)
    first."""
    groups = [s.id for s in tracked_groups(db) if s.kind == GROUP_KIND]
    by_space = animators(db, groups)
    counts: dict[int, int] = {}
    people: dict[int, Contact] = {}
    for contacts in by_space.values():
        for contact in contacts:
            if contact.anonymised_at is None:
                counts[contact.id] = counts.get(contact.id, 0) + 1
                people[contact.id] = contact
    return sorted(people.values(), key=lambda c: (-counts[c.id], c.last_name, c.first_name, c.id))


def default_animator_ids(db: Session) -> list[int]:
    """Those who co-animate every open groupe technique: checked by default on a new group."""
    groups = [s.id for s in tracked_groups(db) if s.kind == GROUP_KIND]
    if not groups:
        return []
    by_space = animators(db, groups)
    common = set.intersection(*({c.id for c in contacts} for contacts in by_space.values()))
    return sorted(common)


@dataclass(frozen=True)
class GroupValues:
    """What an admin gives to create a group."""

    name: str
    kind: str
    description: str = ""
    theme: str = ""
    is_permanent: bool = True
    ends_on: date | None = None
    pillar: str | None = None
    period: str = SEMESTER
    min_meetings: int = 1
    animator_ids: tuple[int, ...] = ()


def create_group(db: Session, actor: User | None, values: GroupValues, *, today: date) -> Space:
    """Create a group (a core space of the plugin's kinds) with its theme, first obligation
    (from the start of the current period) and co-animators."""
    theme = " ".join(values.theme.split())
    if len(theme) > THEME_MAX:
        raise GroupError(_("Le thème ne doit pas dépasser %(n)s caractères.", n=THEME_MAX), "theme")
    if not values.is_permanent and not theme:
        raise GroupError(_("Un groupe ponctuel se réunit sur un thème défini : indiquez-le."), "theme")
    _check_obligation(values.period, values.min_meetings)
    chosen = list(dict.fromkeys(values.animator_ids))
    contacts = {c.id: c for c in db.scalars(select(Contact).where(Contact.id.in_(chosen)))} if chosen else {}
    if any(i not in contacts or contacts[i].anonymised_at is not None for i in chosen):
        raise GroupError(_("Choisissez les co-animateurs dans la liste."), "animators")
    space = spaces.create_space(
        db,
        actor,
        spaces.SpaceValues(
            values.name, values.kind, values.description, values.is_permanent, values.ends_on, values.pillar
        ),
        KINDS,
        today=today,
    )
    db.add(GroupProfile(space_id=space.id, theme=theme))
    db.add(
        Obligation(
            space_id=space.id,
            period=values.period,
            min_meetings=values.min_meetings,
            valid_from=period_of(values.period, today).start,
            created_by_id=actor.id if actor is not None else None,
        )
    )
    for contact_id in chosen:
        spaces.add_member(db, actor, space, ANIMATOR, (ANIMATOR,), contact_id=contact_id)
    db.flush()
    return space


def close_group(db: Session, actor: User | None, space: Space, now: datetime) -> None:
    """Close a group: it keeps its history, leaves the compliance table's open groups and gets
    no more reminders; it can be reopened from its space page."""
    spaces.close_space(db, actor, space, now)


def delete_group(db: Session, actor: User | None, space: Space) -> None:
    """Delete a group created by mistake; refused (``SpaceError``) once it has meetings,
    documents or actions – close it instead."""
    blocker = spaces.deletion_blocker(db, space.id)
    if blocker:
        raise spaces.SpaceError(blocker)
    db.execute(delete(Obligation).where(Obligation.space_id == space.id))
    db.execute(delete(GroupProfile).where(GroupProfile.space_id == space.id))
    spaces.delete_space(db, actor, space)


# ------------------------------------------------------------------------------- obligations


def _check_obligation(period: str, min_meetings: int) -> None:
    if period not in PERIODS:
        raise GroupError(_("Choisissez une période de la liste."), "period")
    if not 0 <= min_meetings <= MAX_MEETINGS:
        raise GroupError(
            _("Indiquez un nombre de réunions entre 0 et %(n)s.", n=MAX_MEETINGS), "min_meetings"
        )


def obligations(db: Session, space_ids: Collection[int]) -> dict[int, list[Obligation]]:
    """Every obligation row of these spaces, oldest first (the history), by space."""
    found: dict[int, list[Obligation]] = {i: [] for i in space_ids}
    if not space_ids:
        return found
    rows = db.scalars(
        select(Obligation)
        .where(Obligation.space_id.in_(space_ids))
        .order_by(Obligation.space_id, Obligation.valid_from, Obligation.id)
    )
    for row in rows:
        found[row.space_id].append(row)
    return found


def rule_at(history: Sequence[Obligation], day: date) -> Obligation | None:
    """The rule in force on ``day``: the latest dated on or before it (the last one entered wins
    among rules of the same date)."""
    current = None
    for row in history:  # ordered by valid_from, id
        if row.valid_from <= day:
            current = row
        else:
            break
    return current


def periods_of_year(history: Sequence[Obligation], year: int) -> list[tuple[Period, Obligation | None]]:
    """The periods of ``year`` and the rule that governs each: the whole year under a yearly
    rule, else each semester under the rule in force on its first day."""
    first = rule_at(history, date(year, 1, 1))
    if first is not None and first.period == YEAR:
        return [(Period(year, 0), first)]
    second = rule_at(history, date(year, 7, 1))
    if second is not None and second.period == YEAR:  # never written by set_obligation
        second = None
    return [(Period(year, 1), first), (Period(year, 2), second)]


def describe(rule: Obligation | None) -> str:
    """``Au moins 1 réunion par semestre``, ``Au moins 2 réunions par an``, ``Aucune obligation``."""
    if rule is None or rule.min_meetings == 0:
        return _("Aucune obligation")
    if rule.period == YEAR:
        return ngettext(
            "Au moins %(num)d réunion par an", "Au moins %(num)d réunions par an", rule.min_meetings
        )
    return ngettext(
        "Au moins %(num)d réunion par semestre", "Au moins %(num)d réunions par semestre", rule.min_meetings
    )


def start_choices(today: date, count: int = 4) -> list[date]:
    """Dates an obligation change may take effect: the current semester's start and the next ones
    (a change never reaches back into a period that has ended)."""
    period = semester_of(today)
    found = []
    for _i in range(count):
        found.append(period.start)
        period = period.next()
    return found


def set_obligation(
    db: Session,
    actor: User | None,
    space: Space,
    *,
    period: str,
    min_meetings: int,
    valid_from: date,
    today: date,
) -> Obligation:
    """Record a new obligation for ``space`` from ``valid_from`` (earlier rows stay as they are).

    Refused: a date before the current semester (past compliance is never rewritten), a date
    that does not start a period of the new rule (1 January for a yearly rule), and a change on
    1 July while a yearly rule runs that year (it would split a year already counted as one).
    """
    _check_obligation(period, min_meetings)
    if valid_from < semester_of(today).start:
        raise GroupError(
            _("Une obligation ne peut pas changer pour une période déjà commencée avant ce semestre."),
            "valid_from",
        )
    if not is_period_start(period, valid_from):
        message = (
            _("Une obligation annuelle commence un 1er janvier.")
            if period == YEAR
            else _("Une obligation semestrielle commence un 1er janvier ou un 1er juillet.")
        )
        raise GroupError(message, "valid_from")
    history = obligations(db, [space.id])[space.id]
    current = rule_at(history, valid_from)
    if current is not None and current.period == YEAR and valid_from.month != 1:
        raise GroupError(
            _(
                "L'obligation annuelle en vigueur court jusqu'au 31 décembre : "
                "choisissez le 1er janvier suivant."
            ),
            "valid_from",
        )
    row = Obligation(
        space_id=space.id,
        period=period,
        min_meetings=min_meetings,
        valid_from=valid_from,
        created_by_id=actor.id if actor is not None else None,
    )
    db.add(row)
    db.flush()
    before = describe(current)
    audit.record(
        db,
        actor,
        "groupes_techniques.obligation.changed",
        space,
        summary=_("%(rule)s à partir du %(day)s", rule=describe(row), day=format_date(valid_from, "short")),
        changes={"obligation": [before, describe(row)], "valid_from": [None, valid_from.isoformat()]},
    )
    return row
