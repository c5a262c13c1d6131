"""Sign in, sign out, profile, password change and language choice."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route
from wtforms import Form

from core.accounts import services
from core.accounts.forms import LoginForm, PasswordChangeForm, ProfileForm
from core.i18n import LANGUAGES
from core.web.context import RequestContext, page
from core.web.forms import bind
from core.web.redirects import safe_next


def client_ip(ctx: RequestContext) -> str | None:
    """The client address: the TCP peer, or what a configured proxy (``RESEAU_PROXY_IPS``) says.

    uvicorn's ``ProxyHeadersMiddleware`` rewrites ``scope["client"]`` only for requests coming
    from a listed proxy, so a visitor's own ``X-Forwarded-For`` is never believed.
    """
    return ctx.request.client.host if ctx.request.client else None


def attach_error(form: Form, exc: services.AccountError) -> None:
    """Show a service's refusal next to its field (or at the top of the form)."""
    if exc.field and exc.field in form._fields:
        field = form[exc.field]
        field.errors = [*field.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def _throttle(ctx: RequestContext) -> services.Throttle:
    settings = ctx.state.settings
    return services.Throttle(ctx.now(), settings.login_max_failures, settings.login_window_seconds)


def _refused(form: Form, exc: services.AccountError) -> int:
    """Show a refusal on the form; the status to answer with (429 when throttled)."""
    attach_error(form, exc)
    return 429 if isinstance(exc, services.Throttled) else 400


def _form_page(ctx: RequestContext, template: str, form: Form, status: int) -> Response:
    """The form's page, telling a throttled client when to come back."""
    response = ctx.render(template, form=form, status_code=status)
    if status == 429:
        response.headers["Retry-After"] = str(ctx.state.settings.login_window_seconds)
    return response


@page
def login(ctx: RequestContext) -> Response:
    """Show the sign-in form; on POST check credentials (throttled) and open a session."""
    form = bind(ctx, LoginForm, next=safe_next(ctx.request.query_params.get("next"), default=""))
    status = 200
    if ctx.form is not None:
        status = 400
        if form.validate():
            try:
                user = services.authenticate(
                    ctx.db,
                    form.email.data or "",
                    form.password.data or "",
                    ip=client_ip(ctx),
                    throttle=_throttle(ctx),
                )
            except services.AccountError as exc:
                # the view returns normally, so the failure just counted is committed
                status = _refused(form, exc)
            else:
                services.start_session(ctx.request.session, user)
                return ctx.redirect(safe_next(form.next.data), flash=ctx._("Vous êtes connecté·e."))
    form.password.data = ""
    return _form_page(ctx, "accounts/login.html", form, status)


@page
def logout(ctx: RequestContext) -> Response:
    """End the session everywhere (the session version is bumped)."""
    services.end_session(ctx.db, ctx.request.session, ctx.user)
    return ctx.redirect("/", flash=ctx._("Vous êtes déconnecté·e."))


@page
def profile(ctx: RequestContext) -> Response:
    """The signed-in user's account: name and language (POST saves them)."""
    user = ctx.require_user()
    form = bind(ctx, ProfileForm, obj=user)
    if ctx.form is None:
        return ctx.render("accounts/profile.html", account=user, form=form)
    if form.validate():
        try:
            services.update_profile(
                ctx.db, user, display_name=form.display_name.data or "", language=form.language.data or ""
            )
        except services.AccountError as exc:
            attach_error(form, exc)
        else:
            ctx.request.session[services.SESSION_LANGUAGE] = user.language
            message = ctx._("Vos préférences sont enregistrées.")
            return ctx.redirect(ctx.url_for("accounts:profile"), flash=message)
    return ctx.render("accounts/profile.html", account=user, form=form, status_code=400)


@page
def change_password(ctx: RequestContext) -> Response:
    """Change one's password: this session continues, every other one ends."""
    user = ctx.require_user()
    form = bind(ctx, PasswordChangeForm)
    status = 200
    if ctx.form is not None:
        status = 400
        if form.validate():
            try:
                services.change_own_password(
                    ctx.db,
                    user,
                    form.current_password.data or "",
                    form.password.data or "",
                    form.confirm.data or "",
                    throttle=_throttle(ctx),
                )
            except services.AccountError as exc:
                status = _refused(form, exc)
            else:
                services.keep_session(ctx.request.session, user)
                message = ctx._("Votre mot de passe est changé. Vos autres sessions sont fermées.")
                return ctx.redirect(ctx.url_for("accounts:profile"), flash=message)
    for field in (form.current_password, form.password, form.confirm):
        field.data = ""  # never sent back
    return _form_page(ctx, "accounts/password.html", form, status)


@page
def choose_language(ctx: RequestContext) -> Response:
    """Switch the interface between French and English (saved on the account when signed in)."""
    assert ctx.form is not None
    language = str(ctx.form.get("language", "fr"))
    if language not in LANGUAGES:
        language = "fr"
    ctx.request.session[services.SESSION_LANGUAGE] = language
    if ctx.user is not None:
        ctx.user.language = language
    return ctx.redirect(safe_next(str(ctx.form.get("next", "/"))))


routes = [
    Route("/connexion", login, methods=["GET", "POST"], name="login"),
    Route("/deconnexion", logout, methods=["POST"], name="logout"),
    Route("/profil", profile, methods=["GET", "POST"], name="profile"),
    Route("/mot-de-passe", change_password, methods=["GET", "POST"], name="password"),
    Route("/langue", choose_language, methods=["POST"], name="language"),
]
