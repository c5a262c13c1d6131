"""The trainers' and animators' pages: their cycles, the cycle form, sessions, publishing,
closing and cancelling, the participants with their attendance rates."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from core.i18n import gettext as _
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.unite_formation import registrations as reg
from plugins.unite_formation import services as svc
from plugins.unite_formation.forms import CancelCycleForm, CycleForm, SessionForm, options, utc_to_paris
from plugins.unite_formation.models import Cycle
from plugins.unite_formation.web import (
    access,
    editable_cycle,
    field_error,
    form_value,
    int_param,
    links,
    vocab,
)


@page
def manage(ctx: RequestContext) -> Response:
    """The cycles the user may edit."""
    ctx.require_user()
    rights = access(ctx)
    if not rights.can_create:
        raise HTTPException(403)
    cycles = svc.cycles_for_editor(ctx.db, rights)
    now = ctx.now()
    rows = [(c, reg.counts(ctx.db, c, now), svc.first_start(c), reg.shown_status(c, now)) for c in cycles]
    return ctx.render("unite_formation/manage.html", rows=rows, access=rights, **vocab())


def _cycle_form(ctx: RequestContext, rights: svc.Access, cycle: Cycle | None) -> CycleForm:
    data = {}
    if cycle is not None and ctx.form is None:
        data = {
            "price": cycle.price_cents / 100,
            "registration_opens_at": utc_to_paris(cycle.registration_opens_at),
            "registration_closes_at": utc_to_paris(cycle.registration_closes_at),
            "trainer_ids": sorted(cycle.trainer_ids),
        }
    form = bind(ctx, CycleForm, obj=cycle, **data)
    spaces = [s for s in svc.unit_spaces(ctx.db) if rights.is_admin or s.id in rights.teach | rights.manage]
    form.space_id.choices = options((s.id, s.name) for s in spaces)
    form.trainer_ids.choices = options(svc.trainer_choices(ctx.db, [s.id for s in spaces]))
    return form


def _edit(ctx: RequestContext, cycle: Cycle | None, rights: svc.Access) -> Response:
    form = _cycle_form(ctx, rights, cycle)
    status = 200
    if ctx.form is not None:
        if form.validate():
            try:
                saved = svc.save_cycle(
                    ctx.db,
                    rights,
                    form.space_id.data,
                    form.values(),
                    form.trainer_ids.data or [],
                    cycle,
                    now=ctx.now(),
                )
            except svc.ServiceError as exc:
                field_error(form, exc)
            else:
                message = _("Cycle enregistré.") if cycle is None else _("Modifications enregistrées.")
                return ctx.redirect(
                    ctx.url_for("unite_formation:cycle_admin", cycle_id=saved.id), flash=message
                )
        status = 400
        ctx.db.rollback()
    return ctx.render(
        "unite_formation/cycle_form.html", status_code=status, form=form, cycle=cycle, **vocab()
    )


@page
def cycle_new(ctx: RequestContext) -> Response:
    """Create a cycle (a draft)."""
    ctx.require_user()
    rights = access(ctx)
    if not rights.can_create:
        raise HTTPException(403)
    return _edit(ctx, None, rights)


@page
def cycle_edit(ctx: RequestContext) -> Response:
    """Edit a cycle (trainers: their own; animators and admins: all)."""
    cycle, rights = editable_cycle(ctx)
    return _edit(ctx, cycle, rights)


def _admin_page(
    ctx: RequestContext, cycle: Cycle, rights: svc.Access, status: int = 200, **extra: object
) -> Response:
    rows = reg.projected(ctx.db, cycle, ctx.now())
    extra.setdefault("error", None)
    from plugins.unite_formation import attendance

    rates = attendance.rates(ctx.db, cycle)
    return ctx.render(
        "unite_formation/cycle_admin.html",
        status_code=status,
        cycle=cycle,
        access=rights,
        rows=rows,
        rates=rates,
        counts=reg.counts(ctx.db, cycle, ctx.now()),
        shown=reg.shown_status(cycle, ctx.now()),
        meetings=svc.meetings_of(cycle),
        sessions=sorted(cycle.sessions, key=lambda s: s.meeting.starts_at),
        session_form=extra.pop("session_form", None) or bind(ctx, SessionForm),
        cancel_form=extra.pop("cancel_form", None) or CancelCycleForm(),
        **extra,
        **vocab(),
    )


@page
def cycle_admin(ctx: RequestContext) -> Response:
    """A cycle's management page: sessions, registrations and waiting list, attendance rates."""
    cycle, rights = editable_cycle(ctx)
    return _admin_page(ctx, cycle, rights)


def _action(ctx: RequestContext, act: Callable[[Cycle, svc.Access], str]) -> Response:
    cycle, rights = editable_cycle(ctx)
    try:
        message = act(cycle, rights)
    except svc.ServiceError as exc:
        ctx.db.rollback()
        return _admin_page(ctx, cycle, rights, status=400, error=exc.message)
    return ctx.redirect(ctx.url_for("unite_formation:cycle_admin", cycle_id=cycle.id), flash=message)


@page
def session_add(ctx: RequestContext) -> Response:
    """Add a session (a core meeting) to a cycle."""
    cycle, rights = editable_cycle(ctx)
    form = bind(ctx, SessionForm)
    if form.validate():
        data = svc.SessionInput(
            form.day.data,
            form.starts.data,
            form.ends.data,
            form.location.data or "",
            form.online_url.data or "",
        )
        try:
            svc.add_session(
                ctx.db, rights, cycle, data, now=ctx.now(), kinds=ctx.state.registry.meeting_kinds
            )
        except svc.ServiceError as exc:
            field_error(form, exc)
        else:
            return ctx.redirect(
                ctx.url_for("unite_formation:cycle_admin", cycle_id=cycle.id), flash=_("Séance ajoutée.")
            )
    ctx.db.rollback()
    return _admin_page(ctx, cycle, rights, status=400, session_form=form)


@page
def session_remove(ctx: RequestContext) -> Response:
    """Cancel a session of the cycle (its meeting is kept, cancelled)."""

    def act(cycle: Cycle, rights: svc.Access) -> str:
        svc.remove_session(
            ctx.db,
            rights,
            cycle,
            int_param(ctx, "session_id"),
            now=ctx.now(),
            page_url=ctx.absolute_url("unite_formation:cycle", cycle_id=cycle.id),
        )
        return _("Séance annulée.")

    return _action(ctx, act)


@page
def publish(ctx: RequestContext) -> Response:
    """Publish the cycle (it appears in the catalogue, registrations open with its window)."""

    def act(cycle: Cycle, rights: svc.Access) -> str:
        svc.publish(ctx.db, rights, cycle, now=ctx.now())
        return _("Le cycle est publié.")

    return _action(ctx, act)


@page
def close(ctx: RequestContext) -> Response:
    """Close the registrations now."""

    def act(cycle: Cycle, rights: svc.Access) -> str:
        svc.close_registrations(ctx.db, rights, cycle, now=ctx.now())
        return _("Les inscriptions sont closes.")

    return _action(ctx, act)


@page
def cancel(ctx: RequestContext) -> Response:
    """Cancel the whole cycle: every participant is told; every record is kept."""
    cycle, rights = editable_cycle(ctx)
    form = bind(ctx, CancelCycleForm)
    if form.validate():
        try:
            reg.cancel_cycle(
                ctx.db, rights, cycle.id, form_value(ctx, "reason"), now=ctx.now(), links=links(ctx)
            )
        except svc.ServiceError as exc:
            field_error(form, exc)
        else:
            from core.reminders.runtime import send_soon, sweep_soon

            ctx.after_commit(lambda: sweep_soon(ctx.state))
            ctx.after_commit(lambda: send_soon(ctx.state))
            return ctx.redirect(
                ctx.url_for("unite_formation:cycle_admin", cycle_id=cycle.id),
                flash=_("Le cycle est annulé ; les participants sont prévenus par courriel."),
            )
    ctx.db.rollback()
    return _admin_page(ctx, cycle, rights, status=400, cancel_form=form)


routes = [
    Route("/gestion", manage, name="manage"),
    Route("/gestion/nouveau", cycle_new, methods=["GET", "POST"], name="cycle_new"),
    Route("/gestion/{cycle_id:int}", cycle_admin, name="cycle_admin"),
    Route("/gestion/{cycle_id:int}/modifier", cycle_edit, methods=["GET", "POST"], name="cycle_edit"),
    Route("/gestion/{cycle_id:int}/seances", session_add, methods=["POST"], name="session_add"),
    Route(
        "/gestion/{cycle_id:int}/seances/{session_id:int}/annuler",
        session_remove,
        methods=["POST"],
        name="session_remove",
    ),
    Route("/gestion/{cycle_id:int}/publier", publish, methods=["POST"], name="publish"),
    Route("/gestion/{cycle_id:int}/clore", close, methods=["POST"], name="close"),
    Route("/gestion/{cycle_id:int}/annuler", cancel, methods=["POST"], name="cancel"),
]
