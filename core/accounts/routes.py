"""Sign in, sign out, profile and language choice."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from core.accounts import services
from core.accounts.forms import LoginForm
from core.i18n import LANGUAGES
from core.web.context import RequestContext, page
from core.web.forms import bind
from core.web.redirects import safe_next


def client_ip(ctx: RequestContext) -> str | None:
    """The client address (behind a configured proxy, uvicorn's proxy middleware set it)."""
    return ctx.request.client.host if ctx.request.client else None


@page
def login(ctx: RequestContext) -> Response:
    """Show the sign-in form; on POST check credentials (throttled) and open a session."""
    form = bind(ctx, LoginForm, next=ctx.request.query_params.get("next", ""))
    error = None
    if ctx.form is not None and form.validate():
        settings = ctx.state.settings
        try:
            user = services.authenticate(
                ctx.db,
                form.email.data or "",
                form.password.data or "",
                ip=client_ip(ctx),
                now=ctx.now(),
                max_failures=settings.login_max_failures,
                window=settings.login_window_seconds,
            )
        except services.AccountError as exc:
            error = str(exc)
        else:
            services.start_session(ctx.request.session, user)
            return ctx.redirect(safe_next(form.next.data), flash=ctx._("Vous êtes connecté·e."))
    status = 400 if ctx.form is not None else 200
    form.password.data = ""
    return ctx.render("accounts/login.html", form=form, error=error, status_code=status)


@page
def logout(ctx: RequestContext) -> Response:
    """End the session everywhere (the session version is bumped)."""
    services.end_session(ctx.db, ctx.request.session, ctx.user)
    return ctx.redirect("/", flash=ctx._("Vous êtes déconnecté·e."))


@page
def profile(ctx: RequestContext) -> Response:
    """The signed-in user's account page."""
    user = ctx.require_user()
    return ctx.render("accounts/profile.html", account=user)


@page
def choose_language(ctx: RequestContext) -> Response:
    """Switch the interface between French and English (saved on the account when signed in)."""
    assert ctx.form is not None
    language = str(ctx.form.get("language", "fr"))
    if language not in LANGUAGES:
        language = "fr"
    ctx.request.session["lang"] = language
    if ctx.user is not None:
        ctx.user.language = language
    return ctx.redirect(safe_next(str(ctx.form.get("next", "/"))))


routes = [
    Route("/connexion", login, methods=["GET", "POST"], name="login"),
    Route("/deconnexion", logout, methods=["POST"], name="logout"),
    Route("/profil", profile, name="profile"),
    Route("/langue", choose_language, methods=["POST"], name="language"),
]
