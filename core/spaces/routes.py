"""Space pages: list, detail with plugin panels, create/edit, close/reopen/delete, memberships.

URL names (mounted as ``spaces``): ``spaces:list``, ``spaces:create``, ``spaces:detail``,
``spaces:edit``, ``spaces:close``, ``spaces:reopen``, ``spaces:delete``, ``spaces:members``,
``spaces:add_member``, ``spaces:remove_member``.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from core.corehooks import SPACE_MANAGE
from core.directory.vocab import PILLARS
from core.i18n import to_paris
from core.spaces import services
from core.spaces.forms import AD_HOC, MemberForm, SpaceForm
from core.spaces.models import Space
from core.web.context import RequestContext, page
from core.web.forms import bind


def _space(ctx: RequestContext) -> Space:
    space = services.get_by_slug(ctx.db, ctx.request.path_params["slug"])
    if space is None:
        raise HTTPException(404)
    return space


def _labels(ctx: RequestContext) -> dict[str, Any]:
    """Kind and pillar labels every space template shows."""
    kinds = {name: k.label for name, k in ctx.state.registry.space_kinds.items()}
    return {"kind_labels": kinds, "pillar_labels": PILLARS}


@page
def space_list(ctx: RequestContext) -> Response:
    """Open spaces grouped by kind, then the closed ones."""
    open_spaces = services.list_spaces(ctx.db)
    closed = services.list_spaces(ctx.db, closed=True)
    counts = services.member_counts(ctx.db, [s.id for s in [*open_spaces, *closed]])
    return ctx.render(
        "spaces/list.html",
        groups=services.group_by_kind(open_spaces, ctx.state.registry.space_kinds),
        closed=closed,
        counts=counts,
        can_create=ctx.user is not None and ctx.user.is_admin,
        **_labels(ctx),
    )


@page
def space_detail(ctx: RequestContext) -> Response:
    """A space: what it is, who animates it and takes part (signed-in users), the plugins' panels."""
    space = _space(ctx)
    groups = []
    if ctx.user is not None:
        groups = services.group_by_role(services.members(ctx.db, space.id), ctx.state.registry.space_roles)
    return ctx.render(
        "spaces/detail.html",
        space=space,
        role_groups=groups,
        panels=ctx.state.hooks.space_panels(ctx, space),
        can_manage=ctx.can(SPACE_MANAGE, space.id),
        is_admin=ctx.user is not None and ctx.user.is_admin,
        **_labels(ctx),
    )


def _apply_error(form: SpaceForm, error: services.SpaceError) -> None:
    target = getattr(form, error.field or "name", None) or form.name
    target.errors = [*target.errors, error.message]


def _today(ctx: RequestContext) -> Any:
    return to_paris(ctx.now()).date()


@page
def space_create(ctx: RequestContext) -> Response:
    """Create a space (admins)."""
    user = ctx.require_admin()
    form = bind(ctx, SpaceForm)
    form.set_choices(ctx.state.registry.space_kinds)
    if ctx.form is not None:
        if form.validate():
            try:
                space = services.create_space(
                    ctx.db, user, form.values(), ctx.state.registry.space_kinds, today=_today(ctx)
                )
            except services.SpaceError as error:
                _apply_error(form, error)
            else:
                return ctx.redirect(
                    ctx.url_for("spaces:detail", slug=space.slug),
                    flash=ctx._("L'espace « %(name)s » a été créé.", name=space.name),
                )
        return ctx.render("spaces/form.html", status_code=400, form=form, space=None)
    return ctx.render("spaces/form.html", form=form, space=None)


@page
def space_edit(ctx: RequestContext) -> Response:
    """Edit a space (admins); the slug does not change."""
    user = ctx.require_admin()
    space = _space(ctx)
    form = bind(
        ctx,
        SpaceForm,
        obj=space,
        duration="permanent" if space.is_permanent else AD_HOC,
        pillar=space.pillar or "",
    )
    form.set_choices(ctx.state.registry.space_kinds)
    if ctx.form is not None:
        if form.validate():
            try:
                changes = services.update_space(
                    ctx.db, user, space, form.values(), ctx.state.registry.space_kinds
                )
            except services.SpaceError as error:
                _apply_error(form, error)
            else:
                message = ctx._("L'espace a été modifié.") if changes else ctx._("Aucune modification.")
                return ctx.redirect(ctx.url_for("spaces:detail", slug=space.slug), flash=message)
        return ctx.render("spaces/form.html", status_code=400, form=form, space=space)
    return ctx.render("spaces/form.html", form=form, space=space)


@page
def space_close(ctx: RequestContext) -> Response:
    """Close a space (admins)."""
    user = ctx.require_admin()
    space = _space(ctx)
    services.close_space(ctx.db, user, space, ctx.now())
    return ctx.redirect(
        ctx.url_for("spaces:detail", slug=space.slug),
        flash=ctx._("L'espace est fermé. Il reste consultable et peut être rouvert."),
    )


@page
def space_reopen(ctx: RequestContext) -> Response:
    """Reopen a closed space (admins)."""
    user = ctx.require_admin()
    space = _space(ctx)
    services.reopen_space(ctx.db, user, space)
    return ctx.redirect(ctx.url_for("spaces:detail", slug=space.slug), flash=ctx._("L'espace est rouvert."))


@page
def space_delete(ctx: RequestContext) -> Response:
    """Confirm, then delete a space created by mistake (admins); refused once it has meetings."""
    user = ctx.require_admin()
    space = _space(ctx)
    if ctx.form is not None:
        try:
            services.delete_space(ctx.db, user, space)
        except services.SpaceError as error:
            return ctx.render("spaces/delete.html", status_code=409, space=space, blocker=error.message)
        return ctx.redirect(
            ctx.url_for("spaces:list"), flash=ctx._("L'espace « %(name)s » a été supprimé.", name=space.name)
        )
    return ctx.render("spaces/delete.html", space=space, blocker=services.deletion_blocker(ctx.db, space.id))


# ----------------------------------------------------------------------------------- members


def _members_page(
    ctx: RequestContext, space: Space, form: MemberForm, query: str, status_code: int = 200
) -> Response:
    registry = ctx.state.registry
    results = services.search_holders(ctx.db, query) if query else None
    groups = services.group_by_role(services.members(ctx.db, space.id), registry.space_roles)
    return ctx.render(
        "spaces/members.html",
        status_code=status_code,
        space=space,
        role_groups=groups,
        held_roles=services.held_roles(groups),
        form=form,
        query=query,
        results=results,
        min_length=services.SEARCH_MIN,
        **_labels(ctx),
    )


@page
def space_members(ctx: RequestContext) -> Response:
    """Manage memberships (admins and the space's animators); ``?q=`` searches who to add."""
    space = _space(ctx)
    ctx.require(SPACE_MANAGE, space.id)
    query = " ".join(ctx.request.query_params.get("q", "").split())[:200]
    form = bind(ctx, MemberForm, q=query)
    form.set_choices(ctx.state.registry.space_roles)
    return _members_page(ctx, space, form, query)


@page
def space_add_member(ctx: RequestContext) -> Response:
    """Add the chosen contact or organisation with a declared role."""
    space = _space(ctx)
    user = ctx.require(SPACE_MANAGE, space.id)
    form = bind(ctx, MemberForm)
    form.set_choices(ctx.state.registry.space_roles)
    query = " ".join((form.q.data or "").split())[:200]
    if form.validate():
        try:
            contact_id, organisation_id = services.parse_holder(form.holder.data or "")
            membership, created = services.add_member(
                ctx.db,
                user,
                space,
                form.role.data or "",
                ctx.state.registry.space_roles,
                contact_id=contact_id,
                organisation_id=organisation_id,
            )
        except services.SpaceError as error:
            field = form.role if error.field == "role" else form.holder
            field.errors = [*field.errors, error.message]
        else:
            role = ctx.state.registry.space_roles[membership.role].label
            name = services.holder_label(ctx.db, contact_id, organisation_id)
            message = (
                ctx._("%(name)s a été ajouté·e : %(role)s.", name=name, role=role)
                if created
                else ctx._("%(name)s avait déjà ce rôle : %(role)s.", name=name, role=role)
            )
            return ctx.redirect(ctx.url_for("spaces:members", slug=space.slug), flash=message)
    return _members_page(ctx, space, form, query, status_code=400)


@page
def space_remove_member(ctx: RequestContext) -> Response:
    """Remove one membership."""
    space = _space(ctx)
    user = ctx.require(SPACE_MANAGE, space.id)
    try:
        membership = services.remove_member(ctx.db, user, space, ctx.request.path_params["membership_id"])
    except LookupError as exc:
        raise HTTPException(404) from exc
    name = services.holder_name(membership)
    message = ctx._("%(name)s a été retiré·e de l'espace.", name=name)
    # an animator who removed their own role may no longer manage the space
    if not ctx.can(SPACE_MANAGE, space.id):
        return ctx.redirect(ctx.url_for("spaces:detail", slug=space.slug), flash=message)
    return ctx.redirect(ctx.url_for("spaces:members", slug=space.slug), flash=message)


routes = [
    Route("/", space_list, name="list"),
    Route("/nouveau", space_create, methods=["GET", "POST"], name="create"),
    Route("/{slug}", space_detail, name="detail"),
    Route("/{slug}/modifier", space_edit, methods=["GET", "POST"], name="edit"),
    Route("/{slug}/fermer", space_close, methods=["POST"], name="close"),
    Route("/{slug}/rouvrir", space_reopen, methods=["POST"], name="reopen"),
    Route("/{slug}/supprimer", space_delete, methods=["GET", "POST"], name="delete"),
    Route("/{slug}/membres", space_members, name="members"),
    Route("/{slug}/membres/ajouter", space_add_member, methods=["POST"], name="add_member"),
    Route(
        "/{slug}/membres/{membership_id:int}/retirer",
        space_remove_member,
        methods=["POST"],
        name="remove_member",
    ),
]
