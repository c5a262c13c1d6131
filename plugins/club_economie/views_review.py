"""The animators' pages: the applications queue, one application, and the decisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response

from core.accounts.models import User
from core.i18n import gettext as _
from core.reminders.runtime import send_soon, sweep_soon
from core.spaces.models import Space
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.club_economie import access, emails, members, services
from plugins.club_economie.forms import AcceptForm, DeclineForm, QuestionForm, options
from plugins.club_economie.models import Application
from plugins.club_economie.views_apply import answer_url
from plugins.club_economie.vocab import (
    LEGAL_FORMS,
    NEW,
    PENDING,
    SIZE_BANDS,
    STATUSES,
    label,
)

NEW_ENTRY = "new"


def _application(ctx: RequestContext, space: Space) -> Application:
    application = services.get_application(ctx.db, int(ctx.request.path_params["application_id"]))
    if application is None or application.space_id != space.id:
        raise HTTPException(404, detail=_("Cette candidature n'existe pas."))
    return application


@page
def queue(ctx: RequestContext) -> Response:
    """The applications, by status (new ones first)."""
    space = access.club(ctx)
    access.reviewer(ctx, space)
    status = ctx.request.query_params.get("etat", NEW)
    if status not in STATUSES:
        status = NEW
    return ctx.render(
        "club_economie/queue.html",
        space=space,
        status=status,
        statuses=STATUSES,
        counts=services.status_counts(ctx.db, space.id),
        applications=services.queue(ctx.db, space.id, status),
        label=label,
        size_bands=SIZE_BANDS,
    )


def _accept_form(
    ctx: RequestContext, application: Application, duplicates: services.Duplicates
) -> AcceptForm:
    form = bind(ctx, AcceptForm)
    org_choices: list[tuple[str, Any]] = [
        (NEW_ENTRY, _("Créer une nouvelle organisation « %(name)s »", name=application.name))
    ]
    org_choices += [
        (str(o.id), _("Rattacher à « %(name)s »", name=o.name)) for o, _r in duplicates.organisations
    ]
    contact_choices: list[tuple[str, Any]] = [
        (NEW_ENTRY, _("Nouvelle personne, ou celle de l'annuaire qui a la même adresse électronique"))
    ]
    contact_choices += [
        (str(c.id), _("Rattacher à %(name)s", name=c.full_name)) for c, _r in duplicates.contacts
    ]
    form.organisation_id.choices = options(org_choices)
    form.contact_id.choices = options(contact_choices)
    if ctx.form is None:
        form.organisation_id.data = NEW_ENTRY
        form.contact_id.data = str(duplicates.contacts[0][0].id) if duplicates.contacts else NEW_ENTRY
    return form


def _render_detail(
    ctx: RequestContext,
    space: Space,
    application: Application,
    *,
    status: int = 200,
    question: QuestionForm | None = None,
    accept: AcceptForm | None = None,
    decline: DeclineForm | None = None,
) -> Response:
    duplicates = services.find_duplicates(ctx.db, application)
    return ctx.render(
        "club_economie/application.html",
        status_code=status,
        space=space,
        application=application,
        duplicates=duplicates,
        pending=application.status in PENDING,
        question_form=question or QuestionForm(meta={"locales": ("fr",)}),
        accept_form=accept or _accept_form(ctx, application, duplicates),
        decline_form=decline or DeclineForm(meta={"locales": ("fr",)}),
        label=label,
        statuses=STATUSES,
        legal_forms=LEGAL_FORMS,
        size_bands=SIZE_BANDS,
    )


@page
def detail(ctx: RequestContext) -> Response:
    """One application, its possible duplicates, and the decision forms."""
    space, _actor, application = _reviewing(ctx)
    return _render_detail(ctx, space, application)


def _reviewing(ctx: RequestContext) -> tuple[Space, User, Application]:
    """The club, the reviewer (403 for anyone else) and the application of the URL (404)."""
    space = access.club(ctx)
    actor = access.reviewer(ctx, space)
    return space, actor, _application(ctx, space)


def _refused(ctx: RequestContext, exc: services.ApplicationError, form: Any) -> None:
    if exc.field and exc.field in form._fields:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _decide(
    ctx: RequestContext,
    space: Space,
    application: Application,
    slot: str,
    form: Any,
    act: Callable[[], str],
) -> Response:
    """A decision form posted: when ``form`` is valid, ``act()`` (the service call, returning the
    message to flash) and back to the application; otherwise, or when the service refuses, the
    application again with the form (in ``slot`` of the page) and its errors (400)."""
    if form.validate():
        try:
            message = act()
        except services.ApplicationError as exc:
            _refused(ctx, exc, form)
        else:
            return ctx.redirect(
                ctx.url_for("club_economie:application", application_id=application.id), flash=message
            )
    return _render_detail(ctx, space, application, status=400, **{slot: form})


@page
def ask(ctx: RequestContext) -> Response:
    """Ask the applicant for more information (email with a signed link)."""
    space, actor, application = _reviewing(ctx)
    form = bind(ctx, QuestionForm)

    def ask_question() -> str:
        services.ask_for_information(
            ctx.db,
            actor,
            application,
            form.question.data,
            now=ctx.now(),
            email=lambda a: emails.info_request(a, answer_url(ctx, a), now=ctx.now()),
        )
        ctx.after_commit(lambda: send_soon(ctx.state))
        return _("La question est envoyée au candidat.")

    return _decide(ctx, space, application, "question", form, ask_question)


@page
def accept(ctx: RequestContext) -> Response:
    """Accept: directory entries, club membership, welcome email, invitation to the next plenary."""
    space, actor, application = _reviewing(ctx)
    form = _accept_form(ctx, application, services.find_duplicates(ctx.db, application))

    def accept_application() -> str:
        org = form.organisation_id.data
        contact = form.contact_id.data
        member = services.accept(
            ctx.db,
            actor,
            application,
            now=ctx.now(),
            message=form.message.data or "",
            organisation_id=None if org == NEW_ENTRY else int(org),
            contact_id=None if contact == NEW_ENTRY else int(contact),
            email=lambda a: emails.welcome(a, ctx.absolute_url("club_economie:index"), now=ctx.now()),
        )
        invited = members.invite_to_next_plenary(ctx.db, actor, member, now=ctx.now())
        ctx.after_commit(lambda: sweep_soon(ctx.state))
        ctx.after_commit(lambda: send_soon(ctx.state))
        message = _("La candidature est acceptée : l'entreprise est membre du club.")
        if invited is not None:
            message += " " + _(
                "Son contact est invité à la prochaine plénière (%(title)s).", title=invited.title
            )
        return message

    return _decide(ctx, space, application, "accept", form, accept_application)


@page
def decline(ctx: RequestContext) -> Response:
    """Decline with a message to the applicant."""
    space, actor, application = _reviewing(ctx)
    form = bind(ctx, DeclineForm)

    def decline_application() -> str:
        services.decline(
            ctx.db,
            actor,
            application,
            form.message.data,
            now=ctx.now(),
            email=lambda a: emails.declined(a, now=ctx.now()),
        )
        ctx.after_commit(lambda: send_soon(ctx.state))
        return _("La candidature est refusée ; le candidat reçoit votre message.")

    return _decide(ctx, space, application, "decline", form, decline_application)


@page
def purge(ctx: RequestContext) -> Response:
    """Anonymise the declined applications past their retention period."""
    space = access.club(ctx)
    access.reviewer(ctx, space)
    count = services.anonymise_expired(ctx.db, ctx.now())
    return ctx.redirect(
        ctx.url_for("club_economie:queue", query={"etat": "declined"}),
        flash=_("%(n)s candidature(s) refusée(s) anonymisée(s).", n=count),
    )
