"""Privacy pages: the public statement, one's own data, an administrator's page per person."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core.privacy import services
from core.privacy.forms import EraseForm
from core.web.context import RequestContext, page
from core.web.forms import bind


@page
def statement(ctx: RequestContext) -> Response:
    """Purposes, retention periods (from the settings) and the data controller."""
    periods = services.periods(ctx.db, ctx.state.settings)
    return ctx.render("privacy/statement.html", periods=periods, settings=ctx.state.settings)


async def old_statement(_request: object) -> Response:
    """The former address of the privacy page."""
    return RedirectResponse("/confidentialite", status_code=301)


def _download(ctx: RequestContext, subject: services.Subject, fmt: str, stem: str) -> Response:
    now = ctx.now()
    stamp = now.strftime("%Y%m%d")
    if fmt == "json":
        body, media = services.export_json(ctx.db, subject, now), "application/json"
    else:
        body, media = services.export_zip(ctx.db, subject, now), "application/zip"
    headers = {
        "Content-Disposition": f'attachment; filename="{stem}-{stamp}.{fmt}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=media, headers=headers)


# ----------------------------------------------------------------------------- one's own data


@page
def my_data(ctx: RequestContext) -> Response:
    """What the hub holds about the signed-in person, with the two downloads."""
    user = ctx.require_user()
    subject = services.resolve(ctx.db, user_id=user.id)
    tables = services.collect(ctx.db, subject)
    return ctx.render("privacy/my_data.html", tables=tables)


def _my_export(fmt: str) -> Callable[[RequestContext], Response]:
    def view(ctx: RequestContext) -> Response:
        user = ctx.require_user()
        return _download(ctx, services.resolve(ctx.db, user_id=user.id), fmt, "mes-donnees")

    view.__name__ = view.__qualname__ = f"my_data_{fmt}"
    view.__doc__ = f"Download one's own data ({fmt.upper()})."
    return view


# ------------------------------------------------------------------------- administrators


def _subject(ctx: RequestContext) -> tuple[services.Subject, str, int]:
    ctx.require_admin()
    kind = ctx.request.path_params["kind"]
    ident = int(ctx.request.path_params["ident"])
    try:
        if kind == "contacts":
            return services.resolve(ctx.db, contact_id=ident), kind, ident
        if kind == "comptes":
            return services.resolve(ctx.db, user_id=ident), kind, ident
    except services.SubjectNotFound:
        pass
    raise HTTPException(404)


@page
def person(ctx: RequestContext) -> Response:
    """An administrator's page about one person: where their data is, export, erase."""
    subject, kind, ident = _subject(ctx)
    form = bind(ctx, EraseForm)
    status = 200
    if ctx.form is not None:
        status = 400
        if form.validate():
            report = services.erase(ctx.db, subject, actor=ctx.user, now=ctx.now())
            message = ctx._(
                "Les données de la personne sont effacées (%(rows)s ligne(s) modifiée(s)).", rows=report.total
            )
            return ctx.redirect(ctx.url_for("admin:privacy_person", kind=kind, ident=ident), flash=message)
    tables = services.collect(ctx.db, subject)
    return ctx.render(
        "privacy/person.html", subject=subject, tables=tables, kind=kind, ident=ident, form=form,
        status_code=status,
    )


def _admin_export(fmt: str) -> Callable[[RequestContext], Response]:
    def view(ctx: RequestContext) -> Response:
        subject, kind, ident = _subject(ctx)
        return _download(ctx, subject, fmt, f"donnees-{kind}-{ident}")

    view.__name__ = view.__qualname__ = f"person_{fmt}"
    view.__doc__ = f"Download a person's data ({fmt.upper()}), for administrators."
    return view


public_routes = [
    Route("/confidentialite", statement, name="privacy"),
    Route("/donnees-personnelles", old_statement, name="privacy_old"),
]
account_routes = [
    Route("/mes-donnees", my_data, name="my_data"),
    Route("/mes-donnees.json", page(_my_export("json")), name="my_data_json"),
    Route("/mes-donnees.zip", page(_my_export("zip")), name="my_data_zip"),
]
_PERSON = "/donnees-personnelles/{kind:str}/{ident:int}"
admin_routes = [
    Route(_PERSON, person, methods=["GET", "POST"], name="privacy_person"),
    Route(_PERSON + "/export.json", page(_admin_export("json")), name="privacy_person_json"),
    Route(_PERSON + "/export.zip", page(_admin_export("zip")), name="privacy_person_zip"),
]
