"""Resource pages: lists per space and per meeting, add a document or a link, download, remove.

Mounted at ``/ressources`` (names ``resources:…``). A page about a space or a meeting takes it
from the query string: ``?espace=<id>`` or ``?reunion=<id>``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from math import ceil
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from core.calendar import visibility as meeting_visibility
from core.calendar.links import meeting_url
from core.calendar.models import Meeting
from core.corehooks import MEETING_MANAGE, SPACE_MANAGE
from core.resources import filetypes, services
from core.resources.forms import DocumentForm, LinkForm
from core.resources.models import PUBLIC, Resource
from core.resources.storage import StorageError
from core.spaces.models import Space
from core.web.context import LoginRequired, RequestContext, page
from core.web.forms import bind

PAGE_SIZE = 50
#: downloaded files are never rendered by the browser as part of the site
DOWNLOAD_CSP = "default-src 'none'; sandbox"


@dataclass
class Target:
    """Where resources are listed or added: a space, or a meeting (and its space)."""

    space: Space
    meeting: Meeting | None

    @property
    def query(self) -> dict[str, int]:
        return {"reunion": self.meeting.id} if self.meeting is not None else {"espace": self.space.id}

    @property
    def permission(self) -> str:
        return MEETING_MANAGE if self.meeting is not None else SPACE_MANAGE


def _int_param(ctx: RequestContext, name: str) -> int | None:
    value = ctx.request.query_params.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise HTTPException(404)
    return int(value)


def _target(ctx: RequestContext, *, required: bool) -> Target | None:
    """The space or meeting named in the query string (404 when unknown or not visible)."""
    meeting_id = _int_param(ctx, "reunion")
    space_id = _int_param(ctx, "espace")
    if meeting_id is not None:
        meeting = ctx.db.get(Meeting, meeting_id)
        if meeting is None or not meeting_visibility.can_see(ctx.db, ctx.user, meeting):
            if meeting is not None and ctx.user is None:
                raise LoginRequired()
            raise HTTPException(404)
        space = ctx.db.get(Space, meeting.space_id)
        assert space is not None
        return Target(space, meeting)
    if space_id is not None:
        space = ctx.db.get(Space, space_id)
        if space is None:
            raise HTTPException(404)
        return Target(space, None)
    if required:
        raise HTTPException(404)
    return None


def _can_manage(ctx: RequestContext, resource: Resource) -> bool:
    if resource.space_id is None:
        return ctx.user is not None and ctx.user.is_admin
    permission = MEETING_MANAGE if resource.meeting_id is not None else SPACE_MANAGE
    return ctx.can(permission, resource.space_id)


@dataclass(frozen=True)
class Pager:
    """What ``forms.pagination`` needs."""

    number: int
    pages: int


@page
def resource_list(ctx: RequestContext) -> Response:
    """The resources the visitor may see, of one space, one meeting, or everywhere."""
    target = _target(ctx, required=False)
    category = ctx.request.query_params.get("categorie") or None
    clause = services.visible_clause(ctx.db, ctx.user)
    stmt = select(Resource).where(clause)
    if target is not None and target.meeting is not None:
        stmt = stmt.where(Resource.meeting_id == target.meeting.id)
    elif target is not None:
        stmt = stmt.where(Resource.space_id == target.space.id)
    if category:
        stmt = stmt.where(Resource.category == category)
    total = ctx.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, ceil(total / PAGE_SIZE))
    number = min(max(_int_param(ctx, "page") or 1, 1), pages)
    items = list(
        ctx.db.scalars(
            stmt.order_by(Resource.created_at.desc(), Resource.id.desc())
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    can_add = target is not None and ctx.can(target.permission, target.space.id)
    query: dict[str, Any] = dict(target.query) if target is not None else {}
    if category:
        query["categorie"] = category

    def url_for_page(n: int) -> str:
        return ctx.url_for("resources:list", query={**query, "page": n})

    meetings = services.meeting_titles(ctx.db, items)
    return ctx.render(
        "resources/list.html",
        target=target,
        resources=items,
        meetings=meetings,
        meeting_links={m: meeting_url(ctx, m) for m in meetings},
        meeting_link=meeting_url(ctx, target.meeting.id) if target is not None and target.meeting else "",
        manageable={r.id for r in items if _can_manage(ctx, r)} if ctx.user is not None else set(),
        can_add=can_add,
        category=category,
        total=total,
        pager=Pager(number, pages),
        url_for_page=url_for_page,
        query=query,
    )


def _form_page(
    ctx: RequestContext, template: str, form: Any, target: Target, status_code: int = 200
) -> Response:
    return ctx.render(
        template,
        status_code=status_code,
        form=form,
        target=target,
        formats=filetypes.accepted_labels(),
        max_upload_mb=f"{ctx.state.settings.max_upload_size / (1024 * 1024):g}".replace(".", ","),
    )


def _apply_error(form: Any, error: services.ResourceError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        field = form.title
    field.errors = [*list(field.errors), error.message]


def _fields(ctx: RequestContext, form: Any, target: Target, user: Any) -> dict[str, Any]:
    """The arguments both services take, from the form and the target."""
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "visibility": form.visibility.data or "",
        "space_id": target.space.id,
        "meeting_id": target.meeting.id if target.meeting is not None else None,
        "actor": user,
        "now": ctx.now(),
    }


@page
def new_document(ctx: RequestContext) -> Response:
    """Upload a document to a space or a meeting (its animators and admins)."""
    target = _target(ctx, required=True)
    assert target is not None
    user = ctx.require(target.permission, target.space.id)
    form = bind(ctx, DocumentForm)
    if ctx.form is None:
        return _form_page(ctx, "resources/new_document.html", form, target)
    valid = form.validate()
    upload = ctx.form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        form.file.errors = [ctx._("Choisissez un fichier à envoyer.")]
        valid = False
    if not valid:
        return _form_page(ctx, "resources/new_document.html", form, target, status_code=400)
    assert isinstance(upload, UploadFile)
    upload.file.seek(0)
    try:
        resource = services.add_document(
            ctx.db,
            ctx.state.settings.data_dir,
            data=upload.file,
            filename=upload.filename or "",
            max_size=ctx.state.settings.max_upload_size,
            **_fields(ctx, form, target, user),
        )
    except services.ResourceError as exc:
        _apply_error(form, exc)
        return _form_page(ctx, "resources/new_document.html", form, target, status_code=exc.status_code)
    except StorageError as exc:
        raise HTTPException(
            503, detail=ctx._("Le fichier n'a pas pu être enregistré sur le serveur. Réessayez plus tard.")
        ) from exc
    return ctx.redirect(
        ctx.url_for("resources:list", query=target.query),
        flash=ctx._("Le document « %(title)s » a été ajouté.", title=resource.title),
    )


@page
def new_link(ctx: RequestContext) -> Response:
    """Add a link to a space or a meeting (its animators and admins)."""
    target = _target(ctx, required=True)
    assert target is not None
    user = ctx.require(target.permission, target.space.id)
    form = bind(ctx, LinkForm)
    if ctx.form is None:
        return _form_page(ctx, "resources/new_link.html", form, target)
    if not form.validate():
        return _form_page(ctx, "resources/new_link.html", form, target, status_code=400)
    try:
        resource = services.add_link(
            ctx.db,
            url=form.url.data or "",
            **_fields(ctx, form, target, user),
        )
    except services.ResourceError as exc:
        _apply_error(form, exc)
        return _form_page(ctx, "resources/new_link.html", form, target, status_code=exc.status_code)
    return ctx.redirect(
        ctx.url_for("resources:list", query=target.query),
        flash=ctx._("Le lien « %(title)s » a été ajouté.", title=resource.title),
    )


def _visible_or_404(ctx: RequestContext, resource_id: int) -> Resource:
    resource = services.get_resource(ctx.db, resource_id)
    if resource is None:
        raise HTTPException(404)
    if not services.can_see(ctx.db, ctx.user, resource):
        if ctx.user is None:
            raise LoginRequired()
        raise HTTPException(404)
    return resource


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in RFC 5987 form."""
    name = filetypes.clean_filename(filename) or "document"
    decomposed = unicodedata.normalize("NFKD", name)
    fallback = "".join(c if c.isascii() else "" if unicodedata.combining(c) else "_" for c in decomposed)
    fallback = re.sub(r"[^A-Za-z0-9._ ()-]", "_", fallback).strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@page
def download(ctx: RequestContext) -> Response:
    """Send a document as an attachment, never rendered inside the site."""
    resource = _visible_or_404(ctx, int(ctx.request.path_params["resource_id"]))
    path = services.document_path(ctx.state.settings.data_dir, resource)
    if path is None:
        raise HTTPException(404)
    headers = {
        "Content-Disposition": content_disposition(resource.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_CSP,
        "Cache-Control": "public, max-age=300" if resource.visibility == PUBLIC else "private, no-store",
    }
    return FileResponse(path, media_type=resource.content_type or "application/octet-stream", headers=headers)


@page
def delete(ctx: RequestContext) -> Response:
    """Confirm, then remove a resource (hidden everywhere; its row and file are kept)."""
    user = ctx.require_user()
    resource = _visible_or_404(ctx, int(ctx.request.path_params["resource_id"]))
    if not _can_manage(ctx, resource):
        raise HTTPException(403)
    query = {"reunion": resource.meeting_id} if resource.meeting_id else {"espace": resource.space_id}
    if ctx.form is None:
        return ctx.render(
            "resources/delete.html", resource=resource, back=ctx.url_for("resources:list", query=query)
        )
    services.remove_resource(ctx.db, resource, user, now=ctx.now())
    return ctx.redirect(
        ctx.url_for("resources:list", query=query),
        flash=ctx._("La ressource « %(title)s » a été retirée.", title=resource.title),
    )


PANEL_SIZE = 10


def space_panel_html(ctx: RequestContext, space: Space) -> Any:
    """The "Ressources" panel of a space's page: the latest resources the viewer may see."""
    items = services.visible_resources(ctx.db, ctx.user, space_id=space.id, limit=PANEL_SIZE + 1)
    total = len(items)
    if total > PANEL_SIZE:
        total = (
            ctx.db.scalar(
                select(func.count())
                .select_from(Resource)
                .where(services.visible_clause(ctx.db, ctx.user), Resource.space_id == space.id)
            )
            or 0
        )
    items = items[:PANEL_SIZE]
    meetings = services.meeting_titles(ctx.db, items)
    return ctx.render_string(
        "resources/_panel.html",
        space=space,
        resources=items,
        total=total,
        meetings=meetings,
        meeting_links={m: meeting_url(ctx, m) for m in meetings},
        manageable={r.id for r in items if _can_manage(ctx, r)} if ctx.user is not None else set(),
        can_add=ctx.can(SPACE_MANAGE, space.id),
    )


routes = [
    Route("/", resource_list, name="list"),
    Route("/nouveau-document", new_document, methods=["GET", "POST"], name="new_document"),
    Route("/nouveau-lien", new_link, methods=["GET", "POST"], name="new_link"),
    Route("/{resource_id:int}/telecharger", download, name="download"),
    Route("/{resource_id:int}/retirer", delete, methods=["GET", "POST"], name="delete"),
]
