"""Public pages: the catalogue, a cycle, its ``.ics``, registering, and the signed links
(cancel a registration, take an offered place). The trainers' pages are in
:mod:`plugins.unite_formation.manage_routes`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from core.declarations import Panel
from core.directory.models import Contact
from core.i18n import gettext as _
from core.spaces.models import Space
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.unite_formation import catalogue
from plugins.unite_formation import links as signed
from plugins.unite_formation import registrations as reg
from plugins.unite_formation import services as svc
from plugins.unite_formation.forms import RegistrationForm
from plugins.unite_formation.links import LinkError
from plugins.unite_formation.models import Cycle, Registration
from plugins.unite_formation.vocab import SPACE_KIND
from plugins.unite_formation.web import access, cycle_or_404, field_error, found, links, vocab


@page
def index(ctx: RequestContext) -> Response:
    """The catalogue of published cycles, with filters."""
    filters = catalogue.parse_filters(ctx.request.query_params)
    entries = catalogue.search(ctx.db, filters, ctx.now())
    return ctx.render(
        "unite_formation/catalogue.html", entries=entries, filters=filters, access=access(ctx), **vocab()
    )


def _visible_cycle(ctx: RequestContext) -> tuple[Cycle, svc.Access]:
    cycle = cycle_or_404(ctx)
    rights = access(ctx)
    if not svc.is_visible(cycle, rights):
        raise HTTPException(404)
    return cycle, rights


@page
def cycle(ctx: RequestContext) -> Response:
    """A cycle: objectives, programme, sessions, places left, and the registration form."""
    found_cycle, rights = _visible_cycle(ctx)
    item = catalogue.entry(ctx.db, found_cycle, ctx.now())
    form = bind(ctx, RegistrationForm, **_prefill(ctx))
    return ctx.render(
        "unite_formation/cycle.html",
        item=item,
        cycle=found_cycle,
        access=rights,
        form=form,
        closed_reason=reg.window_error(found_cycle, ctx.now()),
        meetings=svc.meetings_of(found_cycle),
        trainers=svc.trainer_names(found_cycle),
        **vocab(),
    )


@page
def cycle_ics(ctx: RequestContext) -> Response:
    """The cycle's sessions as an ``.ics`` file to import into any calendar."""
    found_cycle, _rights = _visible_cycle(ctx)
    url = ctx.absolute_url("unite_formation:cycle", cycle_id=found_cycle.id)
    body = reg.sessions_calendar(found_cycle, url)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="formation-{found_cycle.id}.ics"'},
    )


def _prefill(ctx: RequestContext) -> dict[str, str]:
    """A signed-in person's details, from their directory entry when they have one."""
    if ctx.user is None or ctx.form is not None:
        return {}
    contact = ctx.db.get(Contact, ctx.user.contact_id) if ctx.user.contact_id else None
    if contact is None:
        return {"email": ctx.user.email, "last_name": ctx.user.display_name}
    return {
        "email": ctx.user.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone": contact.phone,
    }


def space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    """The unit's upcoming published cycles on its space page."""
    if space.kind != SPACE_KIND:
        return []
    entries = [
        e for e in catalogue.search(ctx.db, catalogue.Filters(), ctx.now()) if e.cycle.space_id == space.id
    ]
    html = ctx.render_string("unite_formation/_space_panel.html", entries=entries, **vocab())
    return [Panel("unite_formation.cycles", _("Prochains cycles de formation"), html, order=20)]


@page
def register(ctx: RequestContext) -> Response:
    """Register for the whole cycle (POST from the cycle page)."""
    found_cycle, rights = _visible_cycle(ctx)
    form = bind(ctx, RegistrationForm)
    if form.validate():
        person = reg.Person(
            first_name=form.first_name.data or "",
            last_name=form.last_name.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            organisation=form.organisation.data or "",
            public_category=form.public_category.data or "",
            priority_area=bool(form.priority_area.data),
            accessibility_needs=form.accessibility_needs.data or "",
        )
        user = ctx.user
        own = user is not None and user.email.lower() == person.email.lower()
        try:
            registration = reg.register(
                ctx.db,
                found_cycle.id,
                person,
                now=ctx.now(),
                links=links(ctx),
                user_id=user.id if own and user is not None else None,
                contact_id=user.contact_id if own and user is not None else None,
            )
        except svc.ServiceError as exc:
            field_error(form, exc)
        else:
            from core.reminders.runtime import send_soon

            ctx.after_commit(lambda: send_soon(ctx.state))
            return ctx.render(
                "unite_formation/registered.html", cycle=found_cycle, registration=registration, **vocab()
            )
    item = catalogue.entry(ctx.db, found_cycle, ctx.now())
    ctx.db.rollback()  # nothing half-written
    return ctx.render(
        "unite_formation/cycle.html",
        status_code=400,
        item=item,
        cycle=found_cycle,
        access=rights,
        form=form,
        closed_reason=reg.window_error(found_cycle, ctx.now()),
        meetings=svc.meetings_of(found_cycle),
        trainers=svc.trainer_names(found_cycle),
        **vocab(),
    )


# ------------------------------------------------------------------------------ signed links


def _linked(ctx: RequestContext, purpose: str) -> Registration:
    try:
        registration_id = signed.read(
            ctx.state.settings.secret_key, purpose, ctx.request.path_params["token"], now=ctx.now()
        )
    except LinkError as exc:
        raise HTTPException(exc.status, detail=exc.message) from exc
    return found(reg.get_registration(ctx.db, registration_id))


def _link_page(
    ctx: RequestContext,
    purpose: str,
    template: str,
    act: Callable[[Registration], None],
    done: str,
    extra: Callable[[Registration], dict[str, Any]] = lambda _registration: {},
) -> Response:
    """A signed link's page: the registration and its cycle (GET); on POST, ``act`` on the
    registration and back to the page with ``done`` flashed, or the service's refusal (400).
    ``extra`` adds to what the template shows."""
    registration = _linked(ctx, purpose)
    found_cycle = found(svc.get_cycle(ctx.db, registration.cycle_id))
    error = None
    if ctx.form is not None:
        try:
            act(registration)
        except svc.ServiceError as exc:
            error = exc.message
        else:
            return ctx.redirect(ctx.request.url.path, flash=done)
    return ctx.render(
        template,
        status_code=400 if error else 200,
        registration=registration,
        cycle=found_cycle,
        error=error,
        **extra(registration),
        **vocab(),
    )


@page
def cancel_link(ctx: RequestContext) -> Response:
    """Cancel one's registration: a page with a button (GET), the cancellation (POST)."""

    def cancel(registration: Registration) -> None:
        reg.cancel_registration(ctx.db, registration.id, now=ctx.now(), links=links(ctx))
        from core.reminders.runtime import send_soon, sweep_soon

        ctx.after_commit(lambda: sweep_soon(ctx.state))
        ctx.after_commit(lambda: send_soon(ctx.state))

    return _link_page(
        ctx, signed.CANCEL, "unite_formation/cancel_link.html", cancel, _("Votre inscription est annulée.")
    )


@page
def offer_link(ctx: RequestContext) -> Response:
    """Take a place offered from the waiting list: a page (GET), the confirmation (POST)."""

    def take(registration: Registration) -> None:
        reg.accept_offer(ctx.db, registration.id, now=ctx.now(), links=links(ctx))
        from core.reminders.runtime import send_soon

        ctx.after_commit(lambda: send_soon(ctx.state))

    return _link_page(
        ctx,
        signed.OFFER,
        "unite_formation/offer_link.html",
        take,
        _("C'est confirmé : la place est à vous."),
        extra=lambda registration: {"state": reg.offer_state(ctx.db, registration, ctx.now())},
    )


def dashboard_panels(ctx: RequestContext) -> list[Panel]:
    """On the signed-in person's home page: the cycles they train and the ones they registered for."""
    user = ctx.user
    if user is None:
        return []
    now = ctx.now()
    rights = access(ctx)
    teaching = [
        catalogue.entry(ctx.db, c, now)
        for c in svc.cycles_for_editor(ctx.db, rights)
        if user.contact_id is not None and user.contact_id in c.trainer_ids and c.status != "cancelled"
    ]
    teaching = [e for e in teaching if e.ends_at is None or e.ends_at >= now]
    registered = [
        (r, catalogue.entry(ctx.db, c, now))
        for r, c in reg.registrations_of_person(ctx.db, user.id, user.contact_id)
    ]
    registered = [(r, e) for r, e in registered if e.ends_at is not None and e.ends_at >= now]
    if not teaching and not registered:
        return []
    html = ctx.render_string(
        "unite_formation/_dashboard_panel.html", teaching=teaching, registered=registered, **vocab()
    )
    return [Panel("unite_formation.mine", _("Mes formations"), html, order=40)]


def all_routes() -> list[Route]:
    """Every route of the plugin, public and for trainers."""
    from plugins.unite_formation import follow_routes, manage_routes

    return [
        Route("/", index, name="index"),
        Route("/cycles/{cycle_id:int}", cycle, name="cycle"),
        Route("/cycles/{cycle_id:int}/seances.ics", cycle_ics, name="cycle_ics"),
        Route("/cycles/{cycle_id:int}/inscription", register, methods=["POST"], name="register"),
        Route("/inscription/annuler/{token}", cancel_link, methods=["GET", "POST"], name="cancel_link"),
        Route("/inscription/place/{token}", offer_link, methods=["GET", "POST"], name="offer_link"),
        *manage_routes.routes,
        *follow_routes.routes,
    ]
