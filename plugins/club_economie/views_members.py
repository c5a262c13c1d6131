"""The members' directory (members-only and public), members' cards and membership years."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response

from core.i18n import gettext as _
from core.spaces.models import Space
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.club_economie import access, members
from plugins.club_economie.forms import DirectoryFilters, VisibilityForm, options
from plugins.club_economie.models import Member
from plugins.club_economie.vocab import SIZE_BANDS, label


def _directory(ctx: RequestContext, space: Space, *, public: bool) -> Response:
    params = ctx.request.query_params
    form = DirectoryFilters(meta={"locales": ("fr",)})
    known = members.activities(ctx.db, space.id, public=public)
    form.activity.choices = options([("", _("Toutes"))] + [(a, a) for a in known])
    activity = params.get("activity", "")
    size = params.get("size", "")
    form.activity.data = activity if activity in known else ""
    form.size.data = size if size in SIZE_BANDS else ""
    form.quartier.data = params.get("quartier") in ("1", "y", "on")
    filters = members.Filters(form.activity.data, form.size.data, bool(form.quartier.data))
    return ctx.render(
        "club_economie/directory.html",
        space=space,
        public=public,
        form=form,
        cards=members.directory(ctx.db, space.id, filters, public=public),
        size_bands=SIZE_BANDS,
        label=label,
        is_member=access.is_member(ctx, space),
    )


@page
def directory(ctx: RequestContext) -> Response:
    """The members' directory, for the club's members and animators."""
    space = access.club(ctx)
    ctx.require_user()
    if not access.is_member(ctx, space):
        raise HTTPException(403, detail=_("L'annuaire des membres est réservé aux membres du club."))
    return _directory(ctx, space, public=False)


@page
def public_directory(ctx: RequestContext) -> Response:
    """The public directory: the members who agreed to be published, with what they chose."""
    return _directory(ctx, access.club(ctx), public=True)


def _card_form(ctx: RequestContext, space: Space, member: Member, *, back: str) -> Response:
    form = bind(ctx, VisibilityForm, obj=member)
    status = 200
    if ctx.form is not None:
        if form.validate():
            members.set_visibility(ctx.db, ctx.user, member, form.data, now=ctx.now())
            return ctx.redirect(back, flash=_("Vos choix sont enregistrés."))
        status = 400
    year = members.current_year(ctx.now())
    return ctx.render(
        "club_economie/card.html",
        status_code=status,
        space=space,
        form=form,
        member=member,
        name=members.organisation_name(ctx.db, member),
        year=year,
        renewed=members.has_year(ctx.db, member.id, year + 1),
        has_year=members.has_year(ctx.db, member.id, year),
    )


@page
def my_card(ctx: RequestContext) -> Response:
    """A member's own card: what it shows in the directories; renewing the membership."""
    space = access.club(ctx)
    user = ctx.require_user()
    member = members.member_of_contact(ctx.db, space.id, user.contact_id)
    if member is None:
        raise HTTPException(404, detail=_("Vous ne représentez aucune entreprise membre du club."))
    return _card_form(ctx, space, member, back=ctx.url_for("club_economie:my_card"))


@page
def edit_card(ctx: RequestContext) -> Response:
    """An animator edits a member's card (at the member's request)."""
    space = access.club(ctx)
    access.manager(ctx, space)
    member = members.get_member(ctx.db, int(ctx.request.path_params["member_id"]))
    if member is None or member.space_id != space.id:
        raise HTTPException(404, detail=_("Ce membre n'existe pas."))
    return _card_form(ctx, space, member, back=ctx.url_for("club_economie:years"))


@page
def years(ctx: RequestContext) -> Response:
    """The animators' view of membership years: who has not renewed."""
    space = access.club(ctx)
    access.manager(ctx, space)
    current = members.current_year(ctx.now())
    raw = ctx.request.query_params.get("annee", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else current
    return ctx.render(
        "club_economie/years.html",
        space=space,
        year=year,
        rows=members.years_overview(ctx.db, space.id, year),
    )


@page
def renew(ctx: RequestContext) -> Response:
    """Record the next year's membership: by an animator, or by the member's representative."""
    space = access.club(ctx)
    user = ctx.require_user()
    member = members.get_member(ctx.db, int(ctx.request.path_params["member_id"]))
    if member is None or member.space_id != space.id or member.left_at is not None:
        raise HTTPException(404, detail=_("Ce membre n'existe pas."))
    own = member.contact_id is not None and member.contact_id == user.contact_id
    if not own and not access.can_manage(ctx, space):
        raise HTTPException(403)
    raw = (ctx.form.get("year") if ctx.form else None) or ""
    current = members.current_year(ctx.now())
    year = int(raw) if isinstance(raw, str) and raw.isdigit() else current + 1
    if not current - 1 <= year <= current + 1:
        raise HTTPException(
            400, detail=_("On ne renouvelle que pour l’année passée, en cours ou la suivante.")
        )
    created = members.renew(ctx.db, user, member, year, now=ctx.now())
    message = (
        _("Adhésion %(year)s enregistrée.", year=year)
        if created
        else _("L'adhésion %(year)s était déjà enregistrée.", year=year)
    )
    back = (
        ctx.url_for("club_economie:my_card")
        if own
        else ctx.url_for("club_economie:years", query={"annee": year - 1})
    )
    return ctx.redirect(back, flash=message)
