"""Meeting management pages: create, edit (reschedule), cancel, reinstate, duplicate, series,
and the agenda. Every route checks ``core.meeting.manage`` in the meeting's space."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route
from wtforms import SelectChoice

from core.calendar import agenda, series, services, views
from core.calendar.access import int_param, load_meeting, wake_reminders
from core.calendar.conflicts import Conflict, find_conflicts, mark_visible, room_key
from core.calendar.forms import (
    FOLD_LABELS,
    AgendaItemForm,
    CancelForm,
    MeetingForm,
    SeriesForm,
    add_error,
    apply_service_errors,
    choices,
)
from core.calendar.models import CANCELLED, AgendaItem, Invitation, Meeting
from core.calendar.services import MeetingInput, MeetingValidationError
from core.calendar.timeparse import utc_to_wall
from core.directory.models import Contact
from core.i18n import PARIS
from core.spaces.models import Space, SpaceMembership
from core.web.context import RequestContext, page
from core.web.forms import bind

#: query parameters ``calendar:meeting_new`` accepts to prefill its form (plugins link with them)
PREFILL = ("title", "kind", "description", "location", "room", "online_url", "visibility")


def _kinds(ctx: RequestContext, extra: str | None = None) -> list[SelectChoice]:
    kinds = [(k.name, str(k.label)) for k in ctx.state.registry.meeting_kinds.values()]
    if extra and extra not in ctx.state.registry.meeting_kinds:
        kinds.append((extra, extra))  # a kind whose plugin was switched off stays on its meetings
    return choices(kinds)


def _meeting_values(meeting: Meeting, *, with_dates: bool = True) -> dict[str, Any]:
    """Form data from a meeting (Paris wall times, with the DST choice when it matters)."""
    start, end = utc_to_wall(meeting.starts_at), utc_to_wall(meeting.ends_at)
    values: dict[str, Any] = {
        "space_id": meeting.space_id,
        "kind": meeting.kind,
        "title": meeting.title,
        "description": meeting.description,
        "location": meeting.location,
        "room": meeting.room,
        "online_url": meeting.online_url,
        "visibility": meeting.visibility,
        "reminders_enabled": meeting.reminders_enabled,
        "start_time": start.at,
        "end_time": end.at,
    }
    if with_dates:
        values["start_date"] = start.day
        values["end_date"] = end.day if end.day != start.day else None
        values["start_fold"] = str(start.fold)
        values["end_fold"] = str(end.fold)
    return values


def _prefill(ctx: RequestContext, spaces: list[Space]) -> dict[str, Any]:
    """Form data from the query string of ``calendar:meeting_new`` (invalid values dropped)."""
    params = ctx.request.query_params
    values: dict[str, Any] = {}
    space_id = int_param(params.get("space"))
    if space_id in {s.id for s in spaces}:
        values["space_id"] = space_id
    for name in PREFILL:
        raw = params.get(name)
        if raw:
            values[name] = raw[:2000]
    if values.get("kind") not in ctx.state.registry.meeting_kinds:
        values.pop("kind", None)
    if values.get("visibility") not in services.VISIBILITIES:
        values.pop("visibility", None)
    day = views.parse_day(params.get("date"), date.min)
    if day != date.min:
        values["start_date"] = day
    for name in ("start_time", "end_time"):
        raw = params.get(name.split("_")[0]) or params.get(name)
        if raw:
            with contextlib.suppress(ValueError):
                values[name] = datetime.strptime(raw, "%H:%M").time()
    return values


@dataclass
class Outcome:
    """What a meeting form submission led to: a saved meeting, or the form to show again."""

    meeting: Meeting | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    needs_past: bool = False


def _submit(
    ctx: RequestContext, form: MeetingForm, *, meeting: Meeting | None = None, source: Meeting | None = None
) -> Outcome:
    """Validate the form, warn about conflicts, then create / update / duplicate."""
    outcome = Outcome()
    valid = form.validate()
    instants = form.instants()
    now = ctx.now()
    moved = instants is not None and (meeting is None or instants != (meeting.starts_at, meeting.ends_at))
    # offer the "it already happened" checkbox as soon as the dates say so, with other errors too
    in_past = moved and instants is not None and instants[0] < now
    outcome.needs_past = bool(form.confirm_past.data) or in_past
    if not valid or instants is None:
        return outcome
    starts_at, ends_at = instants
    space_id = meeting.space_id if meeting else source.space_id if source else form.space_id.data
    data = MeetingInput(
        space_id=space_id,
        title=form.title.data or "",
        starts_at=starts_at,
        ends_at=ends_at,
        kind=form.kind.data,
        description=form.description.data or "",
        location=form.location.data or "",
        room=form.room.data or "",
        online_url=form.online_url.data or "",
        visibility=form.visibility.data,
        reminders_enabled=bool(form.reminders_enabled.data),
    )
    if not services.can_manage(ctx.db, ctx.state.registry, ctx.user, space_id):
        raise HTTPException(403)
    kinds = list(ctx.state.registry.meeting_kinds)
    if meeting is not None and meeting.kind not in kinds:
        kinds.append(meeting.kind)  # a kind whose plugin was switched off stays valid on its meetings
    try:
        services.clean_input(
            data, now=now, kinds=kinds, confirm_past=bool(form.confirm_past.data), check_past=moved
        )
    except MeetingValidationError as exc:
        apply_service_errors(form, exc.errors)
        return outcome
    room_changed = meeting is not None and room_key(meeting.room) != room_key(data.room)
    if moved or room_changed:
        outcome.conflicts = find_conflicts(
            ctx.db,
            space_id=space_id,
            starts_at=starts_at,
            ends_at=ends_at,
            room=data.room,
            exclude_meeting_id=meeting.id if meeting else None,
        )
        mark_visible(ctx.db, ctx.user, outcome.conflicts)
    if outcome.conflicts and not form.confirm_conflicts.data:
        add_error(
            form, "confirm_conflicts", ctx._("Confirmez l'enregistrement malgré les conflits signalés.")
        )
        return outcome
    try:
        with ctx.db.begin_nested():
            confirm_past = bool(form.confirm_past.data)
            if meeting is not None:
                services.update_meeting(
                    ctx.db, ctx.user, meeting, data, now=now, kinds=kinds, confirm_past=confirm_past
                )
                outcome.meeting = meeting
            elif source is not None:
                outcome.meeting = services.duplicate_meeting(
                    ctx.db,
                    ctx.user,
                    source,
                    data,
                    now=now,
                    kinds=kinds,
                    confirm_past=confirm_past,
                    copy_agenda=bool(form.copy_agenda.data),
                    copy_invitations=bool(form.copy_invitations.data),
                )
            else:
                outcome.meeting = services.create_meeting(
                    ctx.db, ctx.user, data, now=now, kinds=kinds, confirm_past=confirm_past
                )
    except MeetingValidationError as exc:
        apply_service_errors(form, exc.errors)
    else:
        wake_reminders(ctx)
    return outcome


def _render_form(
    ctx: RequestContext,
    form: MeetingForm,
    outcome: Outcome | None,
    *,
    mode: str,
    meeting: Meeting | None = None,
    space: Space | None = None,
) -> Response:
    submitted = ctx.form is not None
    return ctx.render(
        "calendar/meeting_form.html",
        status_code=400 if submitted else 200,
        form=form,
        mode=mode,
        meeting=meeting,
        locked_space=space,
        conflicts=outcome.conflicts if outcome else [],
        show_confirm_past=bool(outcome and outcome.needs_past),
        fold_labels=form.fold_labels(),
        kind_label=views.kind_label,
    )


@page
def meeting_new(ctx: RequestContext) -> Response:
    """Plan a meeting in one of the spaces the user animates (``?space=<id>`` and the
    :data:`PREFILL` parameters, ``date``, ``start``, ``end`` prefill the form)."""
    user = ctx.require_user()
    spaces = list(services.manageable_spaces(ctx.db, ctx.state.registry, user))
    if not spaces:
        raise HTTPException(
            403, detail=ctx._("Seules les personnes qui animent un espace peuvent planifier ses réunions.")
        )
    form = bind(ctx, MeetingForm, **(_prefill(ctx, spaces) if ctx.form is None else {}))
    form.space_id.choices = choices((s.id, s.name) for s in spaces)
    form.kind.choices = _kinds(ctx)
    outcome = None
    if ctx.form is not None:
        outcome = _submit(ctx, form)
        if outcome.meeting is not None:
            return ctx.redirect(
                ctx.url_for("calendar:meeting", meeting_id=outcome.meeting.id),
                flash=ctx._("La réunion « %(title)s » est planifiée.", title=outcome.meeting.title),
            )
    return _render_form(ctx, form, outcome, mode="new")


@page
def meeting_edit(ctx: RequestContext) -> Response:
    """Edit or reschedule a meeting (same UID; SEQUENCE bumped on significant changes)."""
    meeting = load_meeting(ctx, int(ctx.request.path_params["meeting_id"]), manage=True)
    if meeting.status == CANCELLED:
        return ctx.redirect(
            ctx.url_for("calendar:meeting", meeting_id=meeting.id),
            flash=ctx._("Cette réunion est annulée : rétablissez-la avant de la modifier."),
            category="warning",
        )
    form = bind(ctx, MeetingForm, **(_meeting_values(meeting) if ctx.form is None else {}))
    form.space_id.choices = choices([(meeting.space_id, meeting.space.name)])
    form.space_id.data = meeting.space_id
    form.kind.choices = _kinds(ctx, meeting.kind)
    outcome = None
    if ctx.form is not None:
        outcome = _submit(ctx, form, meeting=meeting)
        if outcome.meeting is not None:
            return ctx.redirect(
                ctx.url_for("calendar:meeting", meeting_id=meeting.id),
                flash=ctx._("La réunion est enregistrée."),
            )
    return _render_form(ctx, form, outcome, mode="edit", meeting=meeting, space=meeting.space)


@page
def meeting_duplicate(ctx: RequestContext) -> Response:
    """A new meeting in the same space from this one's details: choose the new date."""
    source = load_meeting(ctx, int(ctx.request.path_params["meeting_id"]), manage=True)
    form = bind(ctx, MeetingForm, **(_meeting_values(source, with_dates=False) if ctx.form is None else {}))
    form.space_id.choices = choices([(source.space_id, source.space.name)])
    form.space_id.data = source.space_id
    form.kind.choices = _kinds(ctx)
    outcome = None
    if ctx.form is not None:
        outcome = _submit(ctx, form, source=source)
        if outcome.meeting is not None:
            return ctx.redirect(
                ctx.url_for("calendar:meeting", meeting_id=outcome.meeting.id),
                flash=ctx._("La réunion a été dupliquée."),
            )
    return _render_form(ctx, form, outcome, mode="duplicate", meeting=source, space=source.space)


@page
def meeting_cancel(ctx: RequestContext) -> Response:
    """Cancel a meeting with a reason (POST); the meeting and the answers stay."""
    meeting = load_meeting(ctx, int(ctx.request.path_params["meeting_id"]), manage=True)
    form = bind(ctx, CancelForm)
    if ctx.form is not None and form.validate():
        try:
            with ctx.db.begin_nested():
                services.cancel_meeting(ctx.db, ctx.user, meeting, form.reason.data or "", now=ctx.now())
        except MeetingValidationError as exc:
            apply_service_errors(form, exc.errors)
        else:
            wake_reminders(ctx)
            return ctx.redirect(
                ctx.url_for("calendar:meeting", meeting_id=meeting.id),
                flash=ctx._("La réunion est annulée. Les personnes invitées en seront informées."),
            )
    return ctx.render(
        "calendar/cancel.html", status_code=400 if ctx.form is not None else 200, form=form, meeting=meeting
    )


@page
def meeting_reinstate(ctx: RequestContext) -> Response:
    """Undo a cancellation (POST)."""
    meeting = load_meeting(ctx, int(ctx.request.path_params["meeting_id"]), manage=True)
    try:
        with ctx.db.begin_nested():
            services.reinstate_meeting(ctx.db, ctx.user, meeting, now=ctx.now())
    except MeetingValidationError as exc:
        return ctx.redirect(
            ctx.url_for("calendar:meeting", meeting_id=meeting.id), flash=str(exc), category="error"
        )
    wake_reminders(ctx)
    return ctx.redirect(
        ctx.url_for("calendar:meeting", meeting_id=meeting.id), flash=ctx._("La réunion est rétablie.")
    )


# --------------------------------------------------------------------------------- series


def _series_rule(form: SeriesForm) -> series.SeriesRule:
    frequency = form.frequency.data
    weekday = int(form.weekday.data) if form.weekday.data not in (None, "") else None
    return series.SeriesRule(
        frequency=frequency,
        first=form.first.data,
        interval=form.interval.data or 1,
        weekday=weekday,
        position=int(form.position.data) if form.position.data not in (None, "") else None,
        monthly_mode=form.monthly_mode.data or series.SAME_DAY,
        count=form.count.data,
        until=form.until.data,
    )


#: series service field names → series form field names
_SERIES_FIELDS = {
    "first": "first",
    "until": "until",
    "interval": "interval",
    "count": "count",
    "confirm_past": "confirm_past",
    "title": "title",
    "kind": "kind",
    "online_url": "online_url",
    "location": "location",
    "room": "room",
    "ends_at": "end_time",
    "visibility": "visibility",
    "space_id": "space_id",
}


@dataclass
class SeriesPreview:
    """The dates a series form gives, with their problems, before anything is created."""

    rule_text: str = ""
    occurrences: list[series.Occurrence] = field(default_factory=list)
    conflicts: dict[date, list[Conflict]] = field(default_factory=dict)

    @property
    def ambiguous(self) -> bool:
        """Whether a date's time happens twice (the form then asks which one)."""
        return any(o.ambiguous for o in self.occurrences)


def _series_preview(ctx: RequestContext, form: SeriesForm) -> SeriesPreview:
    """The dates of the rule, turned into instants, each checked for conflicts (one indexed
    query per date, at most :data:`core.calendar.series.MAX_OCCURRENCES`)."""
    preview = SeriesPreview()
    try:
        rule = _series_rule(form)
        dates = series.series_dates(rule)
    except series.SeriesError as exc:
        apply_service_errors(form, exc.errors, _SERIES_FIELDS)
        return preview
    preview.rule_text = rule.describe()
    folds = {
        name: (int(f.data) if f.data in ("0", "1") else None)
        for name, f in (("start", form.start_fold), ("end", form.end_fold))
    }
    start_time, end_time = form.start_time.data, form.end_time.data
    assert start_time is not None and end_time is not None  # required fields, validated
    preview.occurrences = series.occurrences(
        dates, start_time, end_time, start_fold=folds["start"], end_fold=folds["end"]
    )
    for occ in preview.occurrences:
        if occ.starts_at and occ.ends_at and not occ.error:
            found = find_conflicts(
                ctx.db,
                space_id=form.space_id.data,
                starts_at=occ.starts_at,
                ends_at=occ.ends_at,
                room=form.room.data or "",
            )
            if found:
                mark_visible(ctx.db, ctx.user, found)
                preview.conflicts[occ.day] = found
    return preview


def _series_create(ctx: RequestContext, form: SeriesForm, preview: SeriesPreview) -> list[Meeting]:
    """Create the previewed meetings, or attach the reasons not to the form (nothing written)."""
    if preview.conflicts and not form.confirm_conflicts.data:
        add_error(form, "confirm_conflicts", ctx._("Confirmez la création malgré les conflits signalés."))
        return []
    now = ctx.now()
    template = MeetingInput(
        space_id=form.space_id.data,
        title=form.title.data or "",
        starts_at=now,  # replaced by each occurrence's
        ends_at=now,
        kind=form.kind.data,
        description=form.description.data or "",
        location=form.location.data or "",
        room=form.room.data or "",
        online_url=form.online_url.data or "",
        visibility=form.visibility.data,
        reminders_enabled=bool(form.reminders_enabled.data),
    )
    try:
        with ctx.db.begin_nested():
            return series.create_series(
                ctx.db,
                ctx.user,
                template,
                preview.occurrences,
                now=now,
                kinds=list(ctx.state.registry.meeting_kinds),
                confirm_past=bool(form.confirm_past.data),
            )
    except MeetingValidationError as exc:
        apply_service_errors(form, exc.errors, _SERIES_FIELDS)
        return []


@page
def series_new(ctx: RequestContext) -> Response:
    """Several meetings at once from a rule: preview the dates (``action=preview``), then create
    them (``action=create``); ``?space=<id>`` preselects the space."""
    user = ctx.require_user()
    spaces = list(services.manageable_spaces(ctx.db, ctx.state.registry, user))
    if not spaces:
        raise HTTPException(
            403, detail=ctx._("Seules les personnes qui animent un espace peuvent planifier ses réunions.")
        )
    prefill: dict[str, Any] = {}
    space_id = int_param(ctx.request.query_params.get("space"))
    if ctx.form is None and space_id in {s.id for s in spaces}:
        prefill["space_id"] = space_id
    form = bind(ctx, SeriesForm, **prefill)
    form.space_id.choices = choices((s.id, s.name) for s in spaces)
    form.kind.choices = _kinds(ctx)
    preview = SeriesPreview()
    creating = ctx.form is not None and ctx.form.get("action") == "create"
    if ctx.form is not None and form.validate():
        preview = _series_preview(ctx, form)
        if creating and preview.occurrences:
            created = _series_create(ctx, form, preview)
            if created:
                first, last = (
                    m.starts_at.astimezone(PARIS).date().isoformat() for m in (created[0], created[-1])
                )
                return ctx.redirect(
                    ctx.url_for(
                        "calendar:list", query={"space": form.space_id.data, "start": first, "end": last}
                    ),
                    flash=ctx._("%(n)s réunions ont été créées.", n=len(created)),
                )
    now = ctx.now()
    return ctx.render(
        "calendar/series_form.html",
        status_code=400 if ctx.form is not None and (form.errors or creating) else 200,
        form=form,
        preview=preview.occurrences,
        rule_text=preview.rule_text,
        conflicts=preview.conflicts,
        ambiguous=preview.ambiguous,
        any_past=any(o.starts_at is not None and o.starts_at < now for o in preview.occurrences),
        fold_labels=[(value, str(label)) for value, label in FOLD_LABELS],
    )


# --------------------------------------------------------------------------------- agenda


def _presenter_choices(ctx: RequestContext, meeting: Meeting, items: list[AgendaItem]) -> list[SelectChoice]:
    """Invitees, the space's members and current presenters, by name."""
    current = [i.presenter_contact_id for i in items if i.presenter_contact_id is not None]
    invited = select(Invitation.contact_id).where(Invitation.meeting_id == meeting.id)
    members = select(SpaceMembership.contact_id).where(
        SpaceMembership.space_id == meeting.space_id, SpaceMembership.contact_id.is_not(None)
    )
    contacts = ctx.db.scalars(
        select(Contact)
        .where(or_(Contact.id.in_(invited), Contact.id.in_(members), Contact.id.in_(current or [-1])))
        .where(Contact.anonymised_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    ).all()
    return choices([(0, ctx._("— Personne en particulier —")), *((c.id, c.full_name) for c in contacts)])


@page
def agenda_page(ctx: RequestContext) -> Response:
    """Edit the agenda: add, change, remove and reorder items (buttons, no script), and pin the
    open action items to follow up."""
    meeting = load_meeting(ctx, int(ctx.request.path_params["meeting_id"]), manage=True)
    now = ctx.now()
    view = agenda.agenda_view(ctx.db, meeting, now=now)
    items = list(view.items)
    by_id = {i.id: i for i in items}
    editing: AgendaItem | None = None
    wanted = int_param(ctx.request.query_params.get("item"))
    if ctx.form is None and wanted in by_id:
        editing = by_id[wanted]
    action = str(ctx.form.get("action", "")) if ctx.form is not None else ""
    item_id = int_param(ctx.form.get("item_id")) if ctx.form is not None else None
    target = by_id.get(item_id) if item_id is not None else None
    if action in ("update", "delete", "up", "down") and target is None:
        raise HTTPException(404)
    if action == "update":
        editing = target
    initial: dict[str, Any] = {}
    if ctx.form is None and editing is not None:
        initial = {
            "title": editing.title,
            "details": editing.details,
            "duration_minutes": editing.duration_minutes,
            "presenter": editing.presenter_contact_id or 0,
        }
    form = bind(ctx, AgendaItemForm, **initial)
    form.presenter.choices = _presenter_choices(ctx, meeting, items)
    back = ctx.url_for("calendar:agenda", meeting_id=meeting.id)
    if ctx.form is not None:
        if meeting.status == CANCELLED:
            return ctx.redirect(back, flash=ctx._("Cette réunion est annulée."), category="error")
        if action in ("up", "down") and target is not None:
            agenda.move_item(ctx.db, ctx.user, target, -1 if action == "up" else 1)
            return ctx.redirect(back + f"#point-{target.id}")
        if action == "delete" and target is not None:
            agenda.remove_item(ctx.db, ctx.user, target)
            return ctx.redirect(back, flash=ctx._("Le point a été retiré de l'ordre du jour."))
        if action == "pin":
            ids = [i for i in (int_param(v) for v in ctx.form.getlist("action_item_id")) if i is not None]
            added = agenda.add_followup_items(ctx.db, meeting, now=now, actor=ctx.user, only=ids)
            return ctx.redirect(
                back, flash=ctx._("%(n)s action(s) ajoutée(s) à l'ordre du jour.", n=len(added))
            )
        if action in ("add", "update") and form.validate():
            presenter = form.presenter.data or None
            try:
                with ctx.db.begin_nested():
                    if action == "add":
                        agenda.add_item(
                            ctx.db,
                            ctx.user,
                            meeting,
                            form.title.data or "",
                            details=form.details.data or "",
                            duration_minutes=form.duration_minutes.data,
                            presenter_contact_id=presenter,
                        )
                    else:
                        assert target is not None
                        agenda.update_item(
                            ctx.db,
                            ctx.user,
                            target,
                            form.title.data or "",
                            details=form.details.data or "",
                            duration_minutes=form.duration_minutes.data,
                            presenter_contact_id=presenter,
                        )
            except agenda.AgendaError as exc:
                apply_service_errors(form, exc.errors, {})
            else:
                return ctx.redirect(back, flash=ctx._("L'ordre du jour est enregistré."))
        elif action not in ("add", "update"):
            raise HTTPException(400)
    return ctx.render(
        "calendar/agenda.html",
        status_code=400 if ctx.form is not None else 200,
        meeting=meeting,
        agenda=view,
        form=form,
        editing=editing,
    )


routes = [
    Route("/reunions/nouvelle", meeting_new, methods=["GET", "POST"], name="meeting_new"),
    Route("/reunions/{meeting_id:int}/modifier", meeting_edit, methods=["GET", "POST"], name="meeting_edit"),
    Route(
        "/reunions/{meeting_id:int}/dupliquer",
        meeting_duplicate,
        methods=["GET", "POST"],
        name="meeting_duplicate",
    ),
    Route(
        "/reunions/{meeting_id:int}/annuler", meeting_cancel, methods=["GET", "POST"], name="meeting_cancel"
    ),
    Route(
        "/reunions/{meeting_id:int}/retablir", meeting_reinstate, methods=["POST"], name="meeting_reinstate"
    ),
    Route("/reunions/{meeting_id:int}/ordre-du-jour", agenda_page, methods=["GET", "POST"], name="agenda"),
    Route("/series/nouvelle", series_new, methods=["GET", "POST"], name="series_new"),
]
