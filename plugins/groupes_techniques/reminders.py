"""Reminder rules: a group that has not planned the meetings its obligation asks for.

Offsets of zero or more (``J+0``) count from the first day of the period: "the period opens and
nothing is planned". Negative offsets (``S-8``, ``S-4``) count back from its deadline (the last
day of the period, or an ad hoc group's end): "still nothing planned". Two rules share this
logic so admins tune each on the *Courriels* page:

* ``groupes_techniques.semester`` – the group's animators, at J+0, S-8 and S-4;
* ``groupes_techniques.escalation`` – the admins, at S-4.

The condition is checked at the due instant: a meeting planned in the meantime (or held with
minutes) stops the next reminders. Keys name the group, the period, the offset and the
recipient, so each reminder goes once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.models import User
from core.i18n import lazy_gettext as _l
from core.reminders.rules import Due, Offset, Recipient, ReminderRule, RuleRun, Timing, contact_recipient
from core.reminders.services import rule_timing
from core.spaces.models import Space
from plugins.groupes_techniques import compliance, services
from plugins.groupes_techniques.periods import paris_day, utc_end
from plugins.groupes_techniques.vocab import ESCALATION_RULE, KINDS, SEMESTER_RULE, YEAR


def _boundaries(first: date, last: date, opening: bool) -> list[date]:
    """Period starts (1 January, 1 July) or period ends (30 June, 31 December) in ``[first, last]``."""
    found: list[date] = []
    for year in range(first.year, last.year + 1):
        days = (date(year, 1, 1), date(year, 7, 1)) if opening else (date(year, 6, 30), date(year, 12, 31))
        found.extend(d for d in days if first <= d <= last)
    return found


def _cells_due(run: RuleRun, offset: Offset) -> Iterator[tuple[Space, compliance.Cell, date]]:
    """The groups whose period starts (offset ≥ 0) or ends (offset < 0) on an anchor date of this
    window, with their cell judged now, when they still need a meeting."""
    dates = run.date_range(offset)
    if dates is None:
        return
    first, last = dates
    opening = offset.amount >= 0
    anchors = _boundaries(first, last, opening)
    stmt = select(Space).where(Space.kind.in_(KINDS), Space.closed_at.is_(None))
    if not anchors:
        if opening:
            return
        # only an ad hoc group ending in the window can be due
        stmt = stmt.where(Space.is_permanent.is_(False), Space.ends_on.between(first, last))
    groups = run.db.scalars(stmt.order_by(Space.id)).all()
    if not groups:
        return
    history = services.obligations(run.db, [g.id for g in groups])
    facts = compliance.meeting_facts(
        run.db, [g.id for g in groups], date(first.year - 1, 1, 1), date(last.year + 1, 12, 31), run.now
    )
    today = paris_day(run.now)
    for space in groups:
        for year in range(first.year, last.year + 1):
            for period, rule in services.periods_of_year(history[space.id], year):
                deadline = compliance.deadline_of(space, period)
                if deadline is None:
                    continue
                anchor = period.start if opening else deadline
                if not first <= anchor <= last:
                    continue
                due_at = run.due_on(anchor, offset)
                if not run.is_due(due_at):
                    continue
                cell = compliance.evaluate(space, period, rule, facts[space.id], today=today, horizon_days=0)
                if cell.needs_meeting:
                    yield space, cell, anchor


def _context(run: RuleRun, space: Space, cell: compliance.Cell, offset: Offset) -> dict[str, Any]:
    query = urlencode({"space": space.id, "title": f"Réunion – {space.name}", "kind": "core.reunion"})
    return {
        "group": space.name,
        "group_url": run.url_for("spaces:detail", slug=space.slug),
        "compliance_url": run.url_for("groupes_techniques:group", space_id=space.id),
        "plan_url": f"{run.url_for('calendar:meeting_new')}?{query}",
        "period_year": cell.period.year,
        "period_half": cell.period.half,
        "yearly": cell.period.kind == YEAR,
        "required": cell.required,
        "held": len(cell.held),
        "planned": len(cell.planned) + len(cell.unconfirmed),
        "to_plan": cell.to_plan,
        "deadline": cell.deadline,
        "opening": offset.amount >= 0,
    }


def collect_animators(run: RuleRun) -> Iterator[Due]:
    """The animators of each group that has not planned enough meetings, at each offset."""
    for offset in run.timing.offsets:
        due = list(_cells_due(run, offset))
        people = services.animators(run.db, {s.id for s, _c, _a in due})
        for space, cell, anchor in due:
            context = _context(run, space, cell, offset)
            for contact in people.get(space.id, []):
                if contact.anonymised_at is not None or not contact.email.strip():
                    continue
                yield Due(
                    key=f"{SEMESTER_RULE}:{space.id}:{cell.period.code}:{offset.slug}:c{contact.id}",
                    recipient=contact_recipient(contact),
                    template="groupes_techniques/emails/semester",
                    context=context,
                    due_at=run.due_on(anchor, offset),
                    expires_at=utc_end(cell.deadline) if cell.deadline else None,
                    space_id=space.id,
                )


def collect_admins(run: RuleRun) -> Iterator[Due]:
    """The admins, about each group that still has not planned enough meetings (escalation)."""
    for offset in run.timing.offsets:
        due = list(_cells_due(run, offset))
        if not due:
            continue
        admins = run.db.scalars(
            select(User).where(User.is_admin.is_(True), User.is_active.is_(True)).order_by(User.id)
        ).all()
        people = services.animators(run.db, {s.id for s, _c, _a in due})
        for space, cell, anchor in due:
            context = _context(run, space, cell, offset)
            context["animators"] = [c.full_name for c in people.get(space.id, [])]
            for user in admins:
                yield Due(
                    key=f"{ESCALATION_RULE}:{space.id}:{cell.period.code}:{offset.slug}:u{user.id}",
                    recipient=Recipient(email=user.email, name=user.display_name, user_id=user.id),
                    template="groupes_techniques/emails/escalation",
                    context=context,
                    due_at=run.due_on(anchor, offset),
                    expires_at=utc_end(cell.deadline) if cell.deadline else None,
                    space_id=space.id,
                )


SEMESTER_REMINDER = ReminderRule(
    name=SEMESTER_RULE,
    label=_l("Réunion d'obligation à prévoir"),
    description=_l(
        "Quand une période s'ouvre sans réunion prévue (J+0), puis avant son échéance s'il manque "
        "toujours une réunion (S-8, S-4) : J+ compte depuis le début de la période, J-/S- avant sa fin."
    ),
    audience=_l("Les co-animateurs du groupe ou du comité"),
    collect=collect_animators,
    default_timing=Timing.of("J+0", "S-8", "S-4", at="08:00"),
    opt_out_allowed=False,
)

ESCALATION_REMINDER = ReminderRule(
    name=ESCALATION_RULE,
    label=_l("Obligation de réunion en risque (administrateurs)"),
    description=_l("Avant l'échéance d'une période, les groupes qui n'ont toujours pas prévu leur réunion."),
    audience=_l("Les administrateurs"),
    collect=collect_admins,
    default_timing=Timing.of("S-4", at="08:00"),
    opt_out_allowed=False,
)

RULES = [SEMESTER_REMINDER, ESCALATION_REMINDER]


def horizon_days(db: Session) -> int:
    """How close to its deadline a period is "at risk": from the animators' first reminder
    before the deadline (S-8 by default: 56 days), as the admins set it."""
    timing = rule_timing(db, SEMESTER_REMINDER)
    sample = date(2026, 12, 31)
    spans = [
        (sample - o.apply_to_date(sample)).days for o in timing.offsets if o.amount < 0 and o.is_day_based
    ]
    if not timing.enabled or not spans:
        return compliance.DEFAULT_HORIZON_DAYS
    return max(spans)
