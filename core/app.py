"""``create_app(settings)``: the only place the Starlette application is built."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import Any

import pluggy
from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

import core.models  # noqa: F401 - every core table in Base.metadata
from core import i18n
from core.config import Settings, load_settings
from core.db import make_engine, make_session_factory, utcnow
from core.declarations import Registry
from core.plugins import Hooks, PluginError, make_plugin_manager
from core.web import errors
from core.web.context import LoginRequired
from core.web.middleware import (
    OriginCheckMiddleware,
    RequestBodyLimitMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
    origin_of,
)
from core.web.templating import make_environment

CORE_DIR = Path(__file__).resolve().parent
Clock = Callable[[], datetime]


@dataclass
class AppState:
    """Shared by every request of one app: settings, database, plugins, templates, clock."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    hooks: Hooks
    registry: Registry
    templates: Environment
    clock: Clock = utcnow
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        """The current instant according to the app's clock."""
        return self.clock()

    def path_for(self, name: str, /, **params: Any) -> str:
        """The path of a named route, remembered: Starlette walks the routes (and raises and
        catches an exception per mount) on every lookup, and a page asks for dozens of paths."""
        resolve = self.extras.get("path_for")
        if resolve is None:
            router = self.extras["router"]

            def lookup(route: str, items: tuple[tuple[str, Any], ...]) -> str:
                return str(router.url_path_for(route, **dict(items)))

            resolve = self.extras.setdefault("path_for", lru_cache(maxsize=4096)(lookup))
        try:
            return str(resolve(name, tuple(sorted(params.items()))))
        except TypeError:  # an unhashable parameter: not remembered
            return str(self.extras["router"].url_path_for(name, **params))


def plugin_dir(hooks: Hooks, name: str) -> Path | None:
    """The package directory of an enabled plugin (``None`` for a plugin that is not a package)."""
    return hooks.plugin_dir(name)


def reserved_prefixes(routes: list[BaseRoute]) -> set[str]:
    """First path segments the core owns (``compte``, ``api``, ``static``…): no plugin may take them."""
    prefixes = {"static"}
    for route in routes:
        segment = getattr(route, "path", "").strip("/").split("/")[0]
        if segment:
            prefixes.add(segment)
    return prefixes


def core_routes() -> list[BaseRoute]:
    """The core's own routes, mounted by area."""
    from core.accounts.routes import routes as account_routes
    from core.admin.routes import routes as admin_routes
    from core.api.routes import routes as api_routes
    from core.calendar.feed_routes import routes as feed_routes
    from core.calendar.followup_routes import routes as followup_routes
    from core.calendar.routes import routes as calendar_routes
    from core.directory.routes import routes as directory_routes
    from core.home import routes as home_routes
    from core.privacy import routes as privacy
    from core.reminders.routes import routes as reminder_routes
    from core.resources.routes import routes as resource_routes
    from core.spaces.routes import routes as space_routes

    return [
        *home_routes,
        *privacy.public_routes,
        Mount("/compte", routes=[*account_routes, *privacy.account_routes], name="accounts"),
        Mount("/annuaire", routes=directory_routes, name="directory"),
        Mount("/espaces", routes=space_routes, name="spaces"),
        Mount("/agenda", routes=[*calendar_routes, *followup_routes], name="calendar"),
        Mount("/ical", routes=feed_routes, name="feeds"),
        Mount("/ressources", routes=resource_routes, name="resources"),
        Mount("/courriels", routes=reminder_routes, name="reminders"),
        Mount("/api/v1", routes=api_routes, name="api"),
        Mount("/admin", routes=[*admin_routes, *privacy.admin_routes], name="admin"),
    ]


def create_app(
    settings: Settings | None = None,
    *,
    plugin_manager: pluggy.PluginManager | None = None,
    clock: Clock | None = None,
    engine: Engine | None = None,
) -> Starlette:
    """Build the application for ``settings`` (read from the environment when omitted)."""
    settings = settings or load_settings()
    pm = plugin_manager or make_plugin_manager(settings.plugins, entrypoints=settings.load_entrypoints)
    hooks = Hooks(pm)
    registry = Registry.from_hooks(hooks)
    engine = engine or make_engine(
        settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )
    plugin_names = hooks.plugin_names()
    plugin_dirs = {name: d for name in plugin_names if (d := plugin_dir(hooks, name)) is not None}
    templates = make_environment(
        [d / "templates" for d in plugin_dirs.values() if (d / "templates").is_dir()]
    )
    i18n.use_plugin_catalogues([d / "translations" for d in plugin_dirs.values()])
    state = AppState(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        hooks=hooks,
        registry=registry,
        templates=templates,
        clock=clock or utcnow,
    )

    routes: list[BaseRoute] = core_routes()
    reserved = reserved_prefixes(routes)
    for name, plugin_routes in hooks.routes().items():
        if name in reserved:
            raise PluginError(f"plugin {name!r} cannot replace the core route /{name}")
        routes.append(Mount(f"/{name}", routes=plugin_routes, name=name))
    for name, directory in plugin_dirs.items():
        if (directory / "static").is_dir():
            static = StaticFiles(directory=directory / "static")
            routes.append(Mount(f"/static/{name}", static, name=f"static-{name}"))
    routes.append(Mount("/static", StaticFiles(directory=CORE_DIR / "static"), name="static"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from core.reminders.runtime import lifespan as reminders_lifespan

        try:
            async with reminders_lifespan(state):
                yield
        finally:
            engine.dispose()

    # outermost first: security headers wrap every answer (refusals included); the body limit is
    # Starlette's, enforced while reading (routes may set their own ``max_body_size``)
    middleware = [
        Middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies),
        Middleware(
            TrustedHostMiddleware, allowed_hosts=list(settings.trusted_hosts), error_page=errors.error_page
        ),
        Middleware(
            RequestBodyLimitMiddleware, max_body_size=settings.max_body_size, error_page=errors.error_page
        ),
        Middleware(
            OriginCheckMiddleware,
            allowed_origins=(origin_of(settings.base_url),),
            error_page=errors.error_page,
        ),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=settings.session_cookie,
            max_age=settings.session_max_age,
            same_site="lax",
            https_only=settings.secure_cookies,
        ),
    ]
    if settings.proxy_ips:
        # the client address and scheme come from X-Forwarded-* only when the peer is a listed proxy
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.proxy_ips)))

    exception_handlers: dict[Any, Callable[[Request, Exception], Response]] = {
        HTTPException: errors.http_error,
        LoginRequired: errors.login_required,
        Exception: errors.server_error,
    }
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.reseau = state
    # URLs outside a request (emails built by the reminders worker) come from the router
    state.extras["router"] = app.router
    return app
