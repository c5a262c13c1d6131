"""A plugin for tests: declares a role and a permission, and routes that use them (and one that fails)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from core import hookimpl
from core.app import create_app
from core.config import Settings
from core.declarations import Permission, SpaceRole
from core.plugins import make_plugin_manager
from core.spaces.models import ANIMATOR
from core.web.context import RequestContext, page

NAME = "essai"
TREASURER = "essai.tresorier"
BUDGET = "essai.budget"


@page
def budget(ctx: RequestContext) -> Response:
    """Only the holders of ``essai.budget`` in the space see it."""
    space_id = ctx.request.path_params["space_id"]
    ctx.require(BUDGET, space_id)
    return PlainTextResponse(f"budget {space_id}")


@page
def broken(ctx: RequestContext) -> Response:
    """A bug: the 500 page must not show any of this."""
    raise RuntimeError("secret-detail: password=hunter2 at /srv/reseau/app.py")


@page
def refused(ctx: RequestContext) -> Response:
    """A view refusing with its own French message."""
    raise HTTPException(403, detail="Réservé aux trésorier·es de l'espace.")


@page
def fail_with(ctx: RequestContext) -> Response:
    """A view raising a bare ``HTTPException`` (Starlette's English phrase as its detail)."""
    raise HTTPException(ctx.request.path_params["status"])


@page
def upload(ctx: RequestContext) -> Response:
    """A route that accepts larger bodies than the app's limit (as an upload page would)."""
    assert ctx.form is not None
    return PlainTextResponse(str(len(str(ctx.form.get("contenu", "")))))


UPLOAD_LIMIT = 64 * 1024


@hookimpl
def reseau_register_space_roles() -> list[SpaceRole]:
    return [SpaceRole(TREASURER, "Trésorier·e")]


@hookimpl
def reseau_register_permissions() -> list[Permission]:
    return [Permission(BUDGET, "Voir le budget", (TREASURER, ANIMATOR))]


@hookimpl
def reseau_register_routes() -> list[BaseRoute]:
    return [
        Route("/budget/{space_id:int}", budget, name="budget"),
        Route("/panne", broken, methods=["GET", "POST"], name="broken"),
        Route("/refus", refused, name="refused"),
        Route("/erreur/{status:int}", fail_with, name="fail_with"),
        Route("/envoi", upload, methods=["POST"], name="upload", max_body_size=UPLOAD_LIMIT),
    ]


def build_app(settings: Settings, clock: object) -> Starlette:
    """The app with only this plugin (the caller disposes the engine)."""
    import sys

    pm = make_plugin_manager([])
    pm.register(sys.modules[__name__], name=NAME)
    return create_app(settings.with_(plugins=()), plugin_manager=pm, clock=clock)  # type: ignore[arg-type]
