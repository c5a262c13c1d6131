"""The club's own pages: its home, its resources for project carriers, its opinions."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response

from core.calendar.models import Meeting
from core.i18n import format_date
from core.i18n import gettext as _
from core.resources import services as resources_service
from core.resources.models import MEMBERS as RESOURCE_MEMBERS
from core.resources.models import PUBLIC as RESOURCE_PUBLIC
from core.spaces.models import Space
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.club_economie import access, club_life, members, services
from plugins.club_economie.forms import OpinionForm, OpinionStatusForm, ResourceForm, options
from plugins.club_economie.models import Opinion
from plugins.club_economie.vocab import (
    MEETING_KINDS,
    OPINION_KINDS,
    OPINION_STATUSES,
    RESOURCE_CATEGORIES,
    label,
)


@page
def index(ctx: RequestContext) -> Response:
    """The club's home: what it is, how to join, its next meetings, links for its people."""
    space = access.club(ctx)
    is_member = access.is_member(ctx, space)
    meetings = members.upcoming_meetings(ctx.db, space.id, ctx.now()) if is_member else []
    counts = services.status_counts(ctx.db, space.id) if access.can_review(ctx, space) else None
    return ctx.render(
        "club_economie/index.html",
        space=space,
        is_member=is_member,
        can_review=counts is not None,
        can_manage=access.can_manage(ctx, space),
        counts=counts,
        meetings=meetings,
        meeting_kinds=MEETING_KINDS,
        label=label,
    )


def _refuse(form: Any, exc: club_life.ClubError | resources_service.ResourceError) -> None:
    name = getattr(exc, "field", None)
    message = getattr(exc, "message", None) or str(exc)
    if name and name in form._fields:
        form[name].errors = [*form[name].errors, message]
    else:
        form.form_errors.append(message)


@page
def resources(ctx: RequestContext) -> Response:
    """Resources for project carriers, by category; animators add links."""
    space = access.club(ctx)
    manage = access.can_manage(ctx, space)
    form = bind(ctx, ResourceForm)
    status = 200
    if ctx.form is not None:
        user = access.manager(ctx, space)
        if form.validate():
            try:
                resources_service.add_link(
                    ctx.db,
                    title=form.title.data,
                    url=form.url.data,
                    space_id=space.id,
                    visibility=RESOURCE_PUBLIC if form.public.data else RESOURCE_MEMBERS,
                    category=form.category.data,
                    description=form.description.data or "",
                    actor=user,
                    now=ctx.now(),
                )
            except resources_service.ResourceError as exc:
                _refuse(form, exc)
            else:
                return ctx.redirect(
                    ctx.url_for("club_economie:resources"), flash=_("La ressource est ajoutée.")
                )
        status = 400
    return ctx.render(
        "club_economie/resources.html",
        status_code=status,
        space=space,
        groups=club_life.resources_by_category(ctx.db, ctx.user, space.id),
        categories=RESOURCE_CATEGORIES,
        form=form if manage else None,
        label=label,
    )


def _opinion(ctx: RequestContext, space_id: int) -> Opinion:
    opinion = ctx.db.get(Opinion, int(ctx.request.path_params["opinion_id"]))
    if opinion is None or opinion.space_id != space_id:
        raise HTTPException(404, detail=_("Cet avis n'existe pas."))
    return opinion


def _opinion_form(ctx: RequestContext, space_id: int, opinion: Opinion | None) -> OpinionForm:
    form = bind(ctx, OpinionForm, obj=opinion)
    meetings = club_life.club_meetings(ctx.db, space_id)
    form.meeting_id.choices = options(
        [("", _("Aucune"))] + [(str(m.id), f"{m.title} ({format_date(m.starts_at)})") for m in meetings]
    )
    if ctx.form is None and opinion is not None:
        form.meeting_id.data = str(opinion.meeting_id or "")
    return form


@page
def opinions(ctx: RequestContext) -> Response:
    """The club's opinions, proposals and recommendations (club members and animators)."""
    space = access.club(ctx)
    ctx.require_user()
    if not access.is_member(ctx, space):
        raise HTTPException(403)
    items = club_life.opinions(ctx.db, space.id)
    return ctx.render(
        "club_economie/opinions.html",
        space=space,
        opinions=items,
        meetings=club_life.meetings_by_id(ctx.db, {o.meeting_id for o in items if o.meeting_id}),
        kinds=OPINION_KINDS,
        statuses=OPINION_STATUSES,
        can_manage=access.can_manage(ctx, space),
        label=label,
    )


def _save(ctx: RequestContext, space: Space, opinion: Opinion | None) -> Response:
    user = access.manager(ctx, space)
    form = _opinion_form(ctx, space.id, opinion)
    status = 200
    if ctx.form is not None:
        if form.validate():
            raw = form.meeting_id.data
            try:
                saved = club_life.save_opinion(
                    ctx.db,
                    user,
                    space.id,
                    opinion,
                    kind=form.kind.data,
                    title=form.title.data,
                    body=form.body.data or "",
                    meeting_id=int(raw) if raw else None,
                    now=ctx.now(),
                )
            except club_life.ClubError as exc:
                _refuse(form, exc)
            else:
                return ctx.redirect(
                    ctx.url_for("club_economie:opinion", opinion_id=saved.id), flash=_("Enregistré.")
                )
        status = 400
    return ctx.render(
        "club_economie/opinion.html",
        status_code=status,
        space=space,
        opinion=opinion,
        form=form,
        status_form=OpinionStatusForm(meta={"locales": ("fr",)}),
        meeting=ctx.db.get(Meeting, opinion.meeting_id) if opinion and opinion.meeting_id else None,
        kinds=OPINION_KINDS,
        statuses=OPINION_STATUSES,
        transitions=club_life.TRANSITIONS,
        label=label,
    )


@page
def opinion_new(ctx: RequestContext) -> Response:
    """Record a new opinion (draft)."""
    return _save(ctx, access.club(ctx), None)


@page
def opinion(ctx: RequestContext) -> Response:
    """An opinion: edit it, move its status."""
    space = access.club(ctx)
    return _save(ctx, space, _opinion(ctx, space.id))


@page
def opinion_status(ctx: RequestContext) -> Response:
    """Mark an opinion sent to the city, or answered."""
    space = access.club(ctx)
    user = access.manager(ctx, space)
    item = _opinion(ctx, space.id)
    form = bind(ctx, OpinionStatusForm)
    try:
        club_life.set_status(
            ctx.db, user, item, form.status.data or "", form.answer.data or "", now=ctx.now()
        )
    except club_life.ClubError as exc:
        raise HTTPException(400, detail=exc.message) from exc
    return ctx.redirect(
        ctx.url_for("club_economie:opinion", opinion_id=item.id), flash=_("L'état est mis à jour.")
    )
