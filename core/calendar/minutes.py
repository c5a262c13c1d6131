"""Minutes (compte rendu) and decisions: Markdown rendered and sanitised, publication.

The animator writes Markdown; it is rendered with markdown-it-py (raw HTML allowed so that
pasted markup is not lost) and **always** cleaned with nh3 against a short allow-list: no
script, no style, no event handler, no image (no remote fetch, no tracking pixel), links only
to http, https and mailto. Headings are shifted two levels down, since the minutes sit under
the page's own ``h1``/``h2``.

Publishing makes the minutes readable by everyone who may see the meeting and stores them as
a **PDF document resource** of the meeting (category ``core.minutes``), with who came, the
text, the decisions and the actions: a file partners can keep, print and forward, as with
any upload. Publishing again after an edit replaces that document; the previous one is
removed softly (kept with its file), so every published version is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.calendar import attendance
from core.calendar.models import Decision, Meeting, Minutes
from core.i18n import format_date
from core.i18n import gettext as _
from core.resources import services as resources
from core.resources.models import MEMBERS, PUBLIC, Resource

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.spaces.models import Space

MINUTES_CATEGORY = "core.minutes"
MAX_BODY = 200_000

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_HREFLESS_LINK = re.compile(r"<a(?![^>]*\shref=)[^>]*>(.*?)</a>", re.S)


class MinutesError(ValueError):
    """Bad input for minutes or decisions (French message)."""


def _shift_headings(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1:]) + 2)}"


_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_markdown.core.ruler.push("reseau_shift_headings", _shift_headings)


def render_markdown(text: str) -> str:
    """Markdown to safe HTML (see the module docstring for what is kept)."""
    html = _markdown.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # a link whose address was refused (javascript:…) is kept as plain text
    return _HREFLESS_LINK.sub(r"\1", clean)


def plain_text(html: str) -> str:
    """The text of sanitised HTML, without any tag."""
    return nh3.clean(html, tags=set())


def get_minutes(db: Session, meeting_id: int) -> Minutes | None:
    """The minutes of a meeting, if written."""
    return db.scalar(select(Minutes).where(Minutes.meeting_id == meeting_id))


def save_minutes(db: Session, meeting: Meeting, body: str, actor: User | None, now: datetime) -> Minutes:
    """Create or update the minutes' text (stored as Markdown and as sanitised HTML)."""
    if meeting.is_cancelled:
        raise MinutesError(_("Cette réunion a été annulée : elle n'a pas de compte rendu."))
    if len(body or "") > MAX_BODY:
        raise MinutesError(_("Le compte rendu est trop long (200 000 caractères au plus)."))
    minutes = get_minutes(db, meeting.id)
    if minutes is None:
        minutes = Minutes(meeting_id=meeting.id, body="", body_html="")
        db.add(minutes)
    changed = minutes.body != body
    minutes.body = body
    minutes.body_html = render_markdown(body)
    minutes.author_id = actor.id if actor is not None else None
    minutes.updated_at = now
    db.flush()
    if changed:
        audit.record(db, actor, "calendar.minutes.saved", minutes, summary=meeting.title)
    return minutes


def modified_since_publication(minutes: Minutes | None) -> bool:
    """Whether the published minutes were edited afterwards (the PDF is then out of date)."""
    return bool(minutes and minutes.published_at and minutes.updated_at > minutes.published_at)


def publish_minutes(
    db: Session, meeting: Meeting, space: Space, actor: User | None, now: datetime, data_dir: Path
) -> Resource:
    """Publish the minutes: readable by the meeting's audience, and stored as a PDF resource of
    the meeting (an earlier published version is removed softly, never lost)."""
    minutes = get_minutes(db, meeting.id)
    if minutes is None or not minutes.body.strip():
        raise MinutesError(_("Écrivez le compte rendu avant de le publier."))
    if meeting.is_cancelled:
        raise MinutesError(_("Cette réunion a été annulée : elle n'a pas de compte rendu."))
    if now < meeting.starts_at:
        raise MinutesError(_("La réunion n'a pas encore eu lieu : publiez le compte rendu après la réunion."))
    groups = attendance.sheet(db, meeting)
    present = [g for g in groups if g.represented]
    excused = [p.contact.full_name for g in groups for p in g.people if p.declined and not p.present]
    decisions = list_decisions(db, meeting.id)
    from core.calendar.actions import action_items_of_meeting
    from core.calendar.pdf import minutes_pdf

    items = action_items_of_meeting(db, meeting.id)
    minutes.published_at = now
    if minutes.updated_at > now:
        minutes.updated_at = now
    data = minutes_pdf(meeting, space, minutes.body_html, present, excused, decisions, items, now)
    for previous in db.scalars(
        select(Resource).where(
            Resource.meeting_id == meeting.id,
            Resource.category == MINUTES_CATEGORY,
            Resource.removed_at.is_(None),
        )
    ):
        resources.remove_resource(db, previous, actor, now=now)
    date = format_date(meeting.starts_at, "yyyy-MM-dd")
    resource = resources.add_document(
        db,
        data_dir,
        title=_("Compte rendu – %(title)s", title=meeting.title),
        description=_("Compte rendu de la réunion du %(date)s.", date=format_date(meeting.starts_at)),
        data=data,
        filename=f"compte-rendu-{date}.pdf",
        meeting_id=meeting.id,
        visibility=PUBLIC if meeting.visibility == PUBLIC else MEMBERS,
        category=MINUTES_CATEGORY,
        actor=actor,
        max_size=max(resources.DEFAULT_MAX_UPLOAD, len(data)),
        now=now,
    )
    audit.record(db, actor, "calendar.minutes.published", minutes, summary=meeting.title)
    return resource


# ---------------------------------------------------------------------------------- decisions


def list_decisions(db: Session, meeting_id: int) -> Sequence[Decision]:
    """The decisions of a meeting, in order."""
    return db.scalars(
        select(Decision).where(Decision.meeting_id == meeting_id).order_by(Decision.position, Decision.id)
    ).all()


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise MinutesError(_("Écrivez le texte de la décision."))
    if len(text) > 5000:
        raise MinutesError(_("Une décision ne doit pas dépasser 5 000 caractères."))
    return text


def add_decision(db: Session, meeting: Meeting, text: str, actor: User | None, now: datetime) -> Decision:
    """Record a decision at the end of the meeting's list."""
    text = _clean_text(text)
    last = db.scalar(select(func.max(Decision.position)).where(Decision.meeting_id == meeting.id))
    decision = Decision(meeting_id=meeting.id, text=text, position=(last or 0) + 1, created_at=now)
    db.add(decision)
    db.flush()
    audit.record(db, actor, "calendar.decision.added", decision, summary=text[:200])
    return decision


def get_decision(db: Session, meeting: Meeting, decision_id: int) -> Decision:
    """A decision of this meeting (a decision of another meeting is refused)."""
    decision = db.get(Decision, decision_id)
    if decision is None or decision.meeting_id != meeting.id:
        raise LookupError(decision_id)
    return decision


def update_decision(db: Session, decision: Decision, text: str, actor: User | None) -> None:
    """Correct a decision's text (the audit log keeps the previous wording)."""
    text = _clean_text(text)
    changes = audit.diff(decision, {"text": text})
    if changes:
        decision.text = text
        audit.record(db, actor, "calendar.decision.updated", decision, changes=changes)


def delete_decision(db: Session, decision: Decision, actor: User | None) -> None:
    """Remove a decision recorded by mistake (its text stays in the audit log)."""
    audit.record(
        db,
        actor,
        "calendar.decision.deleted",
        decision,
        summary=decision.text,
        changes={"text": [decision.text, None]},
    )
    db.delete(decision)
