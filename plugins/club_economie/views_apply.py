"""Public pages: the application form, its thank-you page, the answer page of the signed link."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response

from core.i18n import gettext as _
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.club_economie import access, emails, links, services
from plugins.club_economie.forms import AnswerForm, ApplicationForm
from plugins.club_economie.models import Application
from plugins.club_economie.vocab import DECLINED_RETENTION, INFO_REQUESTED


def _wake_sender(ctx: RequestContext) -> None:
    from core.reminders.runtime import send_soon

    ctx.after_commit(lambda: send_soon(ctx.state))


def answer_url(ctx: RequestContext, application: Application) -> str:
    """The absolute signed link through which the applicant answers the latest question."""
    token = links.make_token(
        ctx.state.settings.secret_key, application.id, application.info_requests, now=ctx.now()
    )
    return ctx.absolute_url("club_economie:answer", token=token)


@page
def apply(ctx: RequestContext) -> Response:
    """The public application form (no account needed)."""
    space = access.club(ctx)
    form = bind(ctx, ApplicationForm)
    status = 200
    if ctx.form is not None:
        if form.website.data:
            # a robot filled the hidden field: it sees the same thanks, nothing is stored
            return ctx.redirect(ctx.url_for("club_economie:thanks"))
        if form.validate():
            client = ctx.request.client.host if ctx.request.client else None
            try:
                services.submit(
                    ctx.db,
                    space,
                    form.values(),
                    now=ctx.now(),
                    address_hash=services.ip_hash(ctx.state.settings.secret_key, client),
                    received=lambda a: emails.received(a, now=ctx.now()),
                )
            except services.ApplicationError as exc:
                status = exc.status
                if exc.field:
                    form[exc.field].errors = [*form[exc.field].errors, exc.message]
                else:
                    form.form_errors.append(exc.message)
            else:
                _wake_sender(ctx)
                return ctx.redirect(ctx.url_for("club_economie:thanks"))
        else:
            status = 400
    return ctx.render(
        "club_economie/apply.html",
        status_code=status,
        form=form,
        space=space,
        retention_days=DECLINED_RETENTION.days,
    )


@page
def thanks(ctx: RequestContext) -> Response:
    """After sending: what happens next."""
    return ctx.render("club_economie/thanks.html")


@page
def answer(ctx: RequestContext) -> Response:
    """The applicant answers the animators' question through the signed link."""
    token = ctx.request.path_params["token"]
    try:
        link = links.read_token(ctx.state.settings.secret_key, token, now=ctx.now())
    except links.LinkError as exc:
        message = (
            _("Ce lien a expiré. Écrivez aux animateurs du club en répondant à leur courriel.")
            if exc.status == 410
            else _(
                "Ce lien n'est pas valide : il a peut-être été coupé. "
                "Utilisez le lien complet reçu par courriel."
            )
        )
        raise HTTPException(exc.status, detail=message) from exc
    application = services.get_application(ctx.db, link.application_id)
    if application is None or application.anonymised_at is not None:
        raise HTTPException(410, detail=_("Cette candidature n'existe plus."))
    open_request = application.status == INFO_REQUESTED and application.info_requests == link.request_number
    form = bind(ctx, AnswerForm)
    status = 200
    if ctx.form is not None and open_request:
        if form.validate():
            try:
                services.record_answer(
                    ctx.db, application, link.request_number, form.answer.data, now=ctx.now()
                )
            except services.ApplicationError as exc:
                form.answer.errors = [exc.message]
                status = 400
            else:
                ctx.flash(_("Merci : votre réponse est transmise aux animateurs du club."))
                return ctx.redirect(ctx.url_for("club_economie:answer", token=token))
        else:
            status = 400
    return ctx.render(
        "club_economie/answer.html",
        status_code=status,
        form=form,
        application=application,
        open_request=open_request,
    )
