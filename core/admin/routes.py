"""Administration (admins only): accounts and the audit log.

Every view starts with ``ctx.require_admin()``: anonymous visitors are sent to the login page,
signed-in non-admins get 403.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from core.accounts import services as accounts
from core.accounts.forms import EditUserForm, NewUserForm, UserForm, select_choices
from core.accounts.routes import attach_error
from core.admin.forms import AuditFilterForm, UserFilterForm
from core.audit import services as audit
from core.directory.models import Contact
from core.pagination import page_number
from core.web.context import RequestContext, page
from core.web.forms import bind

_TRISTATE = {"oui": True, "non": False}


def _query_form(ctx: RequestContext, form_class: type[Any]) -> Any:
    """A filter form read from the query string (an empty query shows the defaults)."""
    params: QueryParams | None = ctx.request.query_params or None
    meta = {"locales": ("fr_FR", "fr") if ctx.language == "fr" else ("en",)}
    return form_class(formdata=params, meta=meta)


def _page_links(ctx: RequestContext, name: str, query: dict[str, Any]) -> Any:
    """``url_for_page(n)`` for the pagination macro, keeping the filters."""
    return lambda number: ctx.url_for(name, query={**query, "page": number})


@page
def index(ctx: RequestContext) -> Response:
    """The administration home: plugins enabled and links to every admin page."""
    ctx.require_admin()
    return ctx.render("admin/index.html", plugins=ctx.state.hooks.plugin_info())


@page
def users(ctx: RequestContext) -> Response:
    """Every account, searchable and filterable (active, admin), paginated."""
    ctx.require_admin()
    form = _query_form(ctx, UserFilterForm)
    if not form.validate():
        return ctx.render("admin/users.html", form=form, page=None, url_for_page=None, status_code=400)
    filters = accounts.UserFilters(
        q=form.q.data or "", active=_TRISTATE.get(form.actif.data), admin=_TRISTATE.get(form.admin.data)
    )
    results = accounts.search_users(ctx.db, filters, page_number(ctx.request.query_params.get("page")))
    query = {"q": form.q.data, "actif": form.actif.data, "admin": form.admin.data}
    return ctx.render(
        "admin/users.html", form=form, page=results, url_for_page=_page_links(ctx, "admin:users", query)
    )


def _user_values(form: UserForm) -> dict[str, Any]:
    return {
        "email": form.email.data or "",
        "display_name": form.display_name.data or "",
        "is_admin": bool(form.is_admin.data),
        "contact_id": form.contact_id.data,
    }


@page
def user_new(ctx: RequestContext) -> Response:
    """Create an account, linked to a directory contact when chosen (``?contact=<id>`` preselects one)."""
    admin = ctx.require_admin()
    prefill: dict[str, Any] = {}
    contact_param = ctx.request.query_params.get("contact", "")
    if ctx.form is None and contact_param.isdigit():
        contact = ctx.db.get(Contact, int(contact_param))
        if contact is not None:
            prefill = {"contact_id": contact.id, "email": contact.email, "display_name": contact.full_name}
    form = bind(ctx, NewUserForm, **prefill)
    form.set_contact_choices(accounts.contact_choices(ctx.db))
    if ctx.form is None:
        return ctx.render("admin/user_form.html", form=form, account=None, history=[])
    if form.validate():
        try:
            password = form.password.data or ""
            user = accounts.register_user(ctx.db, admin, password=password, **_user_values(form))
        except accounts.AccountError as exc:
            attach_error(form, exc)
        else:
            url = ctx.url_for("admin:user", user_id=user.id)
            return ctx.redirect(url, flash=ctx._("Le compte est créé."))
    form.password.data = ""
    return ctx.render("admin/user_form.html", form=form, account=None, history=[], status_code=400)


@page
def user_edit(ctx: RequestContext) -> Response:
    """Edit an account; a change of rights (admin, active, contact) or password ends its sessions."""
    admin = ctx.require_admin()
    user = accounts.get_user(ctx.db, ctx.request.path_params["user_id"])
    if user is None:
        raise HTTPException(404, detail=ctx._("Ce compte n'existe pas."))
    form = bind(ctx, EditUserForm, obj=user)
    form.set_contact_choices(accounts.contact_choices(ctx.db, user.id))
    history = [
        (entry, audit.action_label(entry.action), audit.readable_changes(entry.changes))
        for entry in audit.entries_for(ctx.db, "users", user.id, limit=20)
    ]
    if ctx.form is None:
        return ctx.render("admin/user_form.html", form=form, account=user, history=history)
    if form.validate():
        try:
            changes = accounts.update_user(
                ctx.db,
                admin,
                user,
                is_active=bool(form.is_active.data),
                new_password=form.new_password.data or None,
                **_user_values(form),
            )
        except accounts.AccountError as exc:
            attach_error(form, exc)
        else:
            if user.id == admin.id:
                accounts.keep_session(ctx.request.session, user)  # editing oneself keeps one's session
            message = ctx._("Le compte est enregistré.") if changes else ctx._("Aucune modification.")
            return ctx.redirect(ctx.url_for("admin:user", user_id=user.id), flash=message)
    form.new_password.data = ""
    return ctx.render("admin/user_form.html", form=form, account=user, history=history, status_code=400)


@page
def audit_log(ctx: RequestContext) -> Response:
    """Who changed what: filters (action, author, object type, dates), newest first, paginated."""
    ctx.require_admin()
    form = _query_form(ctx, AuditFilterForm)
    actions = [(a, audit.action_label(a)) for a in audit.known_actions(ctx.db)]
    form.action.choices = select_choices([("", ctx._("Toutes")), *actions])
    types = audit.known_object_types(ctx.db)
    form.object_type.choices = select_choices([("", ctx._("Tous")), *((t, t) for t in types)])
    form.user.choices = select_choices([("", ctx._("Tous")), *accounts.user_choices(ctx.db)])
    if not form.validate():
        return ctx.render(
            "admin/audit.html", form=form, page=None, rows=[], url_for_page=None, status_code=400
        )
    filters = audit.AuditFilters(
        action=form.action.data or "",
        user_id=form.user.data,
        object_type=form.object_type.data or "",
        since=form.since.data,
        until=form.until.data,
    )
    results = audit.search(ctx.db, filters, page_number(ctx.request.query_params.get("page")))
    rows = [(e, audit.action_label(e.action), audit.readable_changes(e.changes)) for e in results.items]
    query = {
        "action": filters.action,
        "user": filters.user_id,
        "object_type": filters.object_type,
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
    }
    links = _page_links(ctx, "admin:audit", query)
    return ctx.render("admin/audit.html", form=form, page=results, rows=rows, url_for_page=links)


routes = [
    Route("/", index, name="index"),
    Route("/comptes", users, name="users"),
    Route("/comptes/nouveau", user_new, methods=["GET", "POST"], name="user_new"),
    Route("/comptes/{user_id:int}", user_edit, methods=["GET", "POST"], name="user"),
    Route("/journal", audit_log, name="audit"),
]
