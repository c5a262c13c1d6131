"""Routes of the follow-up of meetings: attendance, sign-in sheets, minutes, decisions, actions.

Mounted under ``/agenda`` with the calendar routes (names ``calendar:…``). Every route checks
on the server who may do what (see :mod:`core.calendar.followup`); a meeting the visitor may
not see answers 404, a page they may see but not manage 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from core.calendar import actions, attendance, followup
from core.calendar import minutes as minutes_service
from core.calendar import pdf as pdf_documents
from core.calendar.followup_forms import ActionItemForm, DecisionForm, MinutesForm, WalkInForm
from core.calendar.links import meeting_url
from core.calendar.models import ActionItem, Meeting
from core.calendar.visibility import can_see
from core.corehooks import MEETING_MANAGE
from core.directory.models import Organisation
from core.i18n import PARIS
from core.resources.storage import StorageError
from core.spaces.models import Space
from core.web.context import LoginRequired, RequestContext, page
from core.web.forms import bind
from core.web.redirects import safe_next

MAX_BLANK_LINES = 60
DEFAULT_BLANK_LINES = 8


# ------------------------------------------------------------------------------------ helpers


def _meeting(ctx: RequestContext) -> tuple[Meeting, Space]:
    meeting = ctx.db.get(Meeting, int(ctx.request.path_params["meeting_id"]))
    if meeting is None:
        raise HTTPException(404)
    space = ctx.db.get(Space, meeting.space_id)
    assert space is not None
    return meeting, space


def _managed_meeting(ctx: RequestContext) -> tuple[Meeting, Space]:
    """The meeting of the path, for a user who may manage it (sign-in, 404 or 403 otherwise)."""
    meeting, space = _meeting(ctx)
    user = ctx.require_user()
    if not ctx.can(MEETING_MANAGE, meeting.space_id):
        if not can_see(ctx.db, user, meeting):
            raise HTTPException(404)
        raise HTTPException(403)
    return meeting, space


def _today(ctx: RequestContext) -> date:
    return ctx.now().astimezone(PARIS).date()


def _common(ctx: RequestContext, meeting: Meeting, space: Space, **extra: Any) -> dict[str, Any]:
    return {"meeting": meeting, "space": space, "meeting_link": meeting_url(ctx, meeting.id), **extra}


def _blank_lines(ctx: RequestContext) -> int:
    raw = ctx.request.query_params.get("lignes", "")
    if not raw.isdigit():
        return DEFAULT_BLANK_LINES
    return min(int(raw), MAX_BLANK_LINES)


# --------------------------------------------------------------------------------- attendance


def _attendance_page(
    ctx: RequestContext,
    meeting: Meeting,
    space: Space,
    *,
    walk_in: WalkInForm,
    error: str = "",
    status_code: int = 200,
) -> Response:
    groups = attendance.sheet(ctx.db, meeting)
    query = (ctx.request.query_params.get("q") or "").strip()[:100]
    candidates = attendance.search_contacts(ctx.db, meeting, query) if query else []
    return ctx.render(
        "calendar/followup/attendance.html",
        status_code=status_code,
        **_common(
            ctx,
            meeting,
            space,
            groups=groups,
            summary=attendance.summary(groups),
            query=query,
            candidates=candidates,
            walk_in=walk_in,
            error=error,
            too_early=meeting.starts_at.astimezone(PARIS).date() > _today(ctx),
        ),
    )


def _walk_in_form(ctx: RequestContext) -> WalkInForm:
    form = bind(ctx, WalkInForm)
    orgs = ctx.db.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name_key)).all()
    form.set_organisations([(oid, name) for oid, name in orgs])
    return form


@page
def attendance_page(ctx: RequestContext) -> Response:
    """Record who came: a checkbox per invitee, grouped by organisation, and walk-ins."""
    meeting, space = _managed_meeting(ctx)
    walk_in = _walk_in_form(ctx)
    if ctx.form is None:
        return _attendance_page(ctx, meeting, space, walk_in=walk_in)
    user = ctx.require_user()
    refusal = ""
    if meeting.is_cancelled:
        refusal = ctx._("Cette réunion a été annulée : il n'y a pas de présences à relever.")
    elif meeting.starts_at.astimezone(PARIS).date() > _today(ctx):
        refusal = ctx._(
            "La réunion n'a pas encore eu lieu : les présences se relèvent le jour même ou après."
        )
    if refusal:
        return _attendance_page(ctx, meeting, space, walk_in=walk_in, status_code=400, error=refusal)
    action = ctx.form.get("action")
    here = ctx.url_for("calendar:attendance", meeting_id=meeting.id)
    try:
        if action == "save":
            raw = [v for v in ctx.form.getlist("present") if isinstance(v, str)]
            if not all(v.isdigit() for v in raw):
                raise attendance.AttendanceError(
                    ctx._("Une des personnes cochées n'est pas sur la liste de cette réunion.")
                )
            added, removed = attendance.record(ctx.db, meeting, {int(v) for v in raw}, user, ctx.now())
            return ctx.redirect(
                here,
                flash=ctx._(
                    "Présences enregistrées (%(a)s ajoutée(s), %(r)s retirée(s)).", a=added, r=removed
                ),
            )
        if action == "add_contact":
            raw_id = ctx.form.get("contact_id")
            if not isinstance(raw_id, str) or not raw_id.isdigit():
                raise attendance.AttendanceError(ctx._("Choisissez une personne dans la liste."))
            attendance.add_walk_in(ctx.db, meeting, user, ctx.now(), contact_id=int(raw_id))
            return ctx.redirect(here, flash=ctx._("Personne ajoutée aux présents."))
        if action == "new_person":
            if not walk_in.validate():
                return _attendance_page(ctx, meeting, space, walk_in=walk_in, status_code=400)
            attendance.add_walk_in(
                ctx.db,
                meeting,
                user,
                ctx.now(),
                first_name=walk_in.first_name.data or "",
                last_name=walk_in.last_name.data or "",
                organisation_id=walk_in.organisation_id.data,
            )
            return ctx.redirect(here, flash=ctx._("Personne ajoutée aux présents et à l'annuaire."))
    except attendance.AttendanceError as exc:
        ctx.db.rollback()
        field = getattr(walk_in, exc.field, None) if exc.field else None
        if field is not None:
            field.errors = [*list(field.errors), exc.message]
            return _attendance_page(ctx, meeting, space, walk_in=walk_in, status_code=400)
        return _attendance_page(ctx, meeting, space, walk_in=walk_in, status_code=400, error=exc.message)
    raise HTTPException(400)


@page
def signin_sheet(ctx: RequestContext) -> Response:
    """The printable sign-in sheet (HTML, with a print style)."""
    meeting, space = _managed_meeting(ctx)
    lines = _blank_lines(ctx)
    return ctx.render(
        "calendar/followup/signin_sheet.html",
        **_common(
            ctx,
            meeting,
            space,
            groups=attendance.sheet(ctx.db, meeting),
            blank_lines=lines,
            pdf_url=ctx.url_for("calendar:signin_pdf", meeting_id=meeting.id, query={"lignes": lines}),
        ),
    )


def _download_name(prefix: str, meeting: Meeting, ext: str) -> str:
    return f"{prefix}-{meeting.starts_at.astimezone(PARIS):%Y-%m-%d}-{meeting.id}.{ext}"


@page
def signin_pdf(ctx: RequestContext) -> Response:
    """The sign-in sheet as a PDF to print."""
    meeting, space = _managed_meeting(ctx)
    data = pdf_documents.signin_sheet_pdf(
        meeting, space, attendance.sheet(ctx.db, meeting), _blank_lines(ctx), ctx.now()
    )
    name = _download_name("emargement", meeting, "pdf")
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@page
def attendance_csv(ctx: RequestContext) -> Response:
    """Invitees and attendees as CSV (``;``, UTF-8 with BOM, for spreadsheets)."""
    meeting, _space = _managed_meeting(ctx)
    text = attendance.csv_export(attendance.sheet(ctx.db, meeting))
    name = _download_name("presences", meeting, "csv")
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ------------------------------------------------------------------------------------ minutes


@page
def minutes_view(ctx: RequestContext) -> Response:
    """The compte rendu, decisions and actions of a meeting (members; everyone once published)."""
    meeting, space = _meeting(ctx)
    minutes = minutes_service.get_minutes(ctx.db, meeting.id)
    can_manage = ctx.can(MEETING_MANAGE, meeting.space_id)
    if not (can_manage or followup.can_read_minutes(ctx.db, ctx.user, meeting, minutes)):
        if ctx.user is None:
            raise LoginRequired()
        raise HTTPException(404 if not can_see(ctx.db, ctx.user, meeting) else 403)
    context = followup.meeting_followup(ctx.db, meeting, ctx.user, can_manage=can_manage)
    return ctx.render("calendar/followup/minutes.html", followup=context, **_common(ctx, meeting, space))


@page
def minutes_edit(ctx: RequestContext) -> Response:
    """Write or correct the compte rendu (Markdown)."""
    meeting, space = _managed_meeting(ctx)
    minutes = minutes_service.get_minutes(ctx.db, meeting.id)
    form = bind(ctx, MinutesForm, body=minutes.body if minutes else "")
    error = ""
    if ctx.form is not None:
        if form.validate():
            try:
                minutes_service.save_minutes(ctx.db, meeting, form.body.data or "", ctx.user, ctx.now())
            except minutes_service.MinutesError as exc:
                error = str(exc)
            else:
                return ctx.redirect(
                    ctx.url_for("calendar:minutes", meeting_id=meeting.id),
                    flash=ctx._("Compte rendu enregistré."),
                )
        if error:
            form.body.errors = [*list(form.body.errors), error]
        return ctx.render(
            "calendar/followup/minutes_edit.html",
            status_code=400,
            **_common(ctx, meeting, space, form=form, minutes=minutes),
        )
    return ctx.render(
        "calendar/followup/minutes_edit.html", **_common(ctx, meeting, space, form=form, minutes=minutes)
    )


@page
def minutes_publish(ctx: RequestContext) -> Response:
    """Publish the minutes: the meeting's audience reads them; a PDF resource is attached."""
    meeting, space = _managed_meeting(ctx)
    back = ctx.url_for("calendar:minutes", meeting_id=meeting.id)
    try:
        minutes_service.publish_minutes(
            ctx.db, meeting, space, ctx.user, ctx.now(), ctx.state.settings.data_dir
        )
    except minutes_service.MinutesError as exc:
        ctx.db.rollback()
        return ctx.redirect(back, flash=str(exc), category="error")
    except StorageError as exc:
        raise HTTPException(
            503, detail=ctx._("Le document n'a pas pu être enregistré sur le serveur. Réessayez plus tard.")
        ) from exc
    return ctx.redirect(back, flash=ctx._("Compte rendu publié : il est joint aux ressources de la réunion."))


# ---------------------------------------------------------------------------------- decisions


@page
def decisions_page(ctx: RequestContext) -> Response:
    """Record, correct or remove the meeting's decisions."""
    meeting, space = _managed_meeting(ctx)
    form = bind(ctx, DecisionForm)
    status = 200
    if ctx.form is not None:
        action = ctx.form.get("action", "add")
        here = ctx.url_for("calendar:decisions", meeting_id=meeting.id)
        if action in ("update", "delete"):
            raw = ctx.form.get("decision_id")
            try:
                decision = minutes_service.get_decision(ctx.db, meeting, int(str(raw)))
            except (LookupError, ValueError) as exc:
                raise HTTPException(404) from exc
            if action == "delete":
                minutes_service.delete_decision(ctx.db, decision, ctx.user)
                return ctx.redirect(here, flash=ctx._("Décision retirée."))
            try:
                minutes_service.update_decision(ctx.db, decision, str(ctx.form.get("text") or ""), ctx.user)
            except minutes_service.MinutesError as exc:
                return ctx.redirect(here, flash=str(exc), category="error")
            return ctx.redirect(here, flash=ctx._("Décision corrigée."))
        if form.validate():
            try:
                minutes_service.add_decision(ctx.db, meeting, form.text.data or "", ctx.user, ctx.now())
            except minutes_service.MinutesError as exc:
                form.text.errors = [*list(form.text.errors), str(exc)]
            else:
                return ctx.redirect(here, flash=ctx._("Décision enregistrée."))
        status = 400
    return ctx.render(
        "calendar/followup/decisions.html",
        status_code=status,
        **_common(
            ctx, meeting, space, form=form, decisions=minutes_service.list_decisions(ctx.db, meeting.id)
        ),
    )


# ------------------------------------------------------------------------------- action items


def _action_form(ctx: RequestContext, meeting: Meeting) -> tuple[ActionItemForm, set[int]]:
    form = bind(ctx, ActionItemForm)
    owners = actions.owner_candidates(ctx.db, meeting)
    form.set_owners([(c.id, c.full_name) for c in owners])
    return form, {c.id for c in owners}


@page
def action_items_page(ctx: RequestContext) -> Response:
    """The meeting's action items: add one, change a status."""
    meeting, space = _managed_meeting(ctx)
    form, allowed = _action_form(ctx, meeting)
    status = 200
    if ctx.form is not None:
        if form.validate():
            try:
                actions.add_action_item(
                    ctx.db,
                    meeting,
                    title=form.title.data or "",
                    owner_contact_id=form.owner_contact_id.data,
                    due_on=form.due_on.data,
                    actor=ctx.user,
                    now=ctx.now(),
                    allowed_owners=allowed,
                )
            except actions.ActionError as exc:
                field = getattr(form, exc.field, form.title)
                field.errors = [*list(field.errors), exc.message]
            else:
                return ctx.redirect(
                    ctx.url_for("calendar:action_items", meeting_id=meeting.id),
                    flash=ctx._("Action enregistrée."),
                )
        status = 400
    items = actions.action_items_of_meeting(ctx.db, meeting.id)
    return ctx.render(
        "calendar/followup/action_items.html",
        status_code=status,
        **_common(ctx, meeting, space, form=form, items=items, today=_today(ctx)),
    )


@page
def action_item_update(ctx: RequestContext) -> Response:
    """Change an action's status (its owner or the space's animators)."""
    user = ctx.require_user()
    item = ctx.db.get(ActionItem, int(ctx.request.path_params["action_id"]))
    if item is None:
        raise HTTPException(404)
    is_owner = user.contact_id is not None and item.owner_contact_id == user.contact_id
    if not (is_owner or ctx.can(MEETING_MANAGE, item.space_id)):
        meeting = ctx.db.get(Meeting, item.meeting_id)
        visible = meeting is not None and followup.can_read_minutes(
            ctx.db, user, meeting, minutes_service.get_minutes(ctx.db, meeting.id)
        )
        raise HTTPException(403 if visible else 404)
    assert ctx.form is not None
    try:
        actions.set_status(ctx.db, item, str(ctx.form.get("status") or ""), user, ctx.now())
    except actions.ActionError as exc:
        raise HTTPException(400, detail=exc.message) from exc
    target = safe_next(str(ctx.form.get("next") or ""), ctx.url_for("calendar:actions"))
    return ctx.redirect(target, flash=ctx._("Action « %(title)s » mise à jour.", title=item.title))


@page
def my_actions(ctx: RequestContext) -> Response:
    """My open actions and, for animators, the open actions of the spaces they animate."""
    user = ctx.require_user()
    mine = actions.open_items_of_contact(ctx.db, user.contact_id) if user.contact_id is not None else []
    from core.resources.services import animator_space_ids

    space_ids = None if user.is_admin else animator_space_ids(ctx.db, user)
    animated = (
        [i for i in actions.open_items_of_spaces(ctx.db, space_ids) if i.id not in {m.id for m in mine}]
        if (space_ids is None or space_ids)
        else []
    )
    all_items = mine + animated
    meetings = actions.meetings_of(ctx.db, all_items)
    spaces = {
        s.id: s for s in ctx.db.scalars(select(Space).where(Space.id.in_({i.space_id for i in all_items})))
    }
    return ctx.render(
        "calendar/followup/actions.html",
        mine=mine,
        animated=animated,
        meetings=meetings,
        spaces=spaces,
        today=_today(ctx),
        meeting_links={mid: meeting_url(ctx, mid) for mid in meetings},
        here=ctx.url_for("calendar:actions"),
    )


def dashboard_panel_html(ctx: RequestContext) -> Any:
    """The "Mes actions à mener" dashboard panel's HTML, or ``None`` when the user has none."""
    user = ctx.user
    if user is None or user.contact_id is None:
        return None
    mine = actions.open_items_of_contact(ctx.db, user.contact_id)
    if not mine:
        return None
    meetings = actions.meetings_of(ctx.db, mine)
    return ctx.render_string(
        "calendar/followup/_actions_panel.html",
        items=mine[:10],
        more=len(mine) - 10,
        meetings=meetings,
        meeting_links={mid: meeting_url(ctx, mid) for mid in meetings},
        today=_today(ctx),
        here="/",
    )


routes = [
    Route(
        "/reunions/{meeting_id:int}/presences", attendance_page, methods=["GET", "POST"], name="attendance"
    ),
    Route("/reunions/{meeting_id:int}/feuille-emargement", signin_sheet, name="signin_sheet"),
    Route("/reunions/{meeting_id:int}/feuille-emargement.pdf", signin_pdf, name="signin_pdf"),
    Route("/reunions/{meeting_id:int}/presences.csv", attendance_csv, name="attendance_csv"),
    Route("/reunions/{meeting_id:int}/compte-rendu", minutes_view, name="minutes"),
    Route(
        "/reunions/{meeting_id:int}/compte-rendu/modifier",
        minutes_edit,
        methods=["GET", "POST"],
        name="minutes_edit",
    ),
    Route(
        "/reunions/{meeting_id:int}/compte-rendu/publier",
        minutes_publish,
        methods=["POST"],
        name="minutes_publish",
    ),
    Route("/reunions/{meeting_id:int}/decisions", decisions_page, methods=["GET", "POST"], name="decisions"),
    Route(
        "/reunions/{meeting_id:int}/actions", action_items_page, methods=["GET", "POST"], name="action_items"
    ),
    Route("/actions/{action_id:int}", action_item_update, methods=["POST"], name="action_item_update"),
    Route("/mes-actions", my_actions, name="actions"),
]
