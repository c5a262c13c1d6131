"""After the sessions: attendance sheets, attestations (trainer and signed link), the
questionnaire (signed link) and its results, the platform's statistics and their CSV."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from core.i18n import gettext as _
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.unite_formation import attendance, evaluations, stats
from plugins.unite_formation import links as signed
from plugins.unite_formation import services as svc
from plugins.unite_formation.forms import EvaluationForm
from plugins.unite_formation.links import LinkError
from plugins.unite_formation.models import Cycle, Registration
from plugins.unite_formation.pdf import attestation_pdf
from plugins.unite_formation.vocab import QUESTIONS, SCALE
from plugins.unite_formation.web import access, editable_cycle, field_error, found, int_param, vocab


@page
def attendance_sheet(ctx: RequestContext) -> Response:
    """A session's sign-in sheet: tick who came (POST records it as the core's attendance)."""
    cycle, rights = editable_cycle(ctx)
    try:
        session = attendance.session_of(cycle, int_param(ctx, "session_id"))
    except svc.ServiceError as exc:
        raise HTTPException(404) from exc
    error = None
    if ctx.form is not None:
        ticked = set()
        for value in ctx.form.getlist("present"):
            if isinstance(value, str) and value.isdigit():
                ticked.add(int(value))
        try:
            attendance.record(ctx.db, rights, cycle, session.id, ticked, now=ctx.now())
        except svc.ServiceError as exc:
            error = exc.message
            ctx.db.rollback()
        else:
            return ctx.redirect(
                ctx.url_for("unite_formation:cycle_admin", cycle_id=cycle.id),
                flash=_("Émargement enregistré."),
            )
    return ctx.render(
        "unite_formation/attendance.html",
        status_code=400 if error else 200,
        cycle=cycle,
        meeting=session.meeting,
        session=session,
        rows=attendance.sheet(ctx.db, cycle, session.meeting),
        error=error,
        **vocab(),
    )


def _attestation(ctx: RequestContext, cycle: Cycle, registration: Registration) -> Response:
    rate = attendance.rates(ctx.db, cycle, [registration])[registration.id]
    if registration.status != "confirmed" or not rate.reaches(cycle.attendance_threshold):
        raise HTTPException(
            403,
            detail=_(
                "Pas d'attestation : la présence enregistrée (%(percent)s %%) est sous le seuil de "
                "%(threshold)s %% fixé pour ce cycle.",
                percent=rate.percent,
                threshold=cycle.attendance_threshold,
            ),
        )
    body = attestation_pdf(
        cycle, registration, rate, svc.meetings_of(cycle), svc.trainer_names(cycle), issued_at=ctx.now()
    )
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="attestation-{cycle.id}-{registration.id}.pdf"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@page
def attestation(ctx: RequestContext) -> Response:
    """A participant's attestation, for the trainers of the cycle (and animators, admins)."""
    cycle, _rights = editable_cycle(ctx)
    registration = found(ctx.db.get(Registration, int_param(ctx, "registration_id")))
    if registration.cycle_id != cycle.id:
        raise HTTPException(404)
    return _attestation(ctx, cycle, registration)


def _linked(ctx: RequestContext, purpose: str) -> tuple[Registration, Cycle]:
    try:
        registration_id = signed.read(
            ctx.state.settings.secret_key, purpose, ctx.request.path_params["token"], now=ctx.now()
        )
    except LinkError as exc:
        raise HTTPException(exc.status, detail=exc.message) from exc
    registration = found(ctx.db.get(Registration, registration_id))
    return registration, found(svc.get_cycle(ctx.db, registration.cycle_id))


@page
def attestation_link(ctx: RequestContext) -> Response:
    """The participant's own attestation, through the signed link of their email."""
    registration, cycle = _linked(ctx, signed.ATTESTATION)
    return _attestation(ctx, cycle, registration)


@page
def evaluation_link(ctx: RequestContext) -> Response:
    """The satisfaction questionnaire (signed link): the form, then thanks."""
    registration, cycle = _linked(ctx, signed.EVALUATION)
    form = bind(ctx, EvaluationForm)
    done = evaluations.answered(ctx.db, registration.id)
    closed = evaluations.open_error(cycle, registration, ctx.now())
    status = 200
    if ctx.form is not None and not done:
        if form.validate():
            answers = {name: form[name].data for name in QUESTIONS}
            try:
                evaluations.submit(
                    ctx.db, cycle, registration, answers, form.comment.data or "", now=ctx.now()
                )
            except svc.ServiceError as exc:
                field_error(form, exc)
            else:
                return ctx.redirect(ctx.request.url.path, flash=_("Merci pour vos réponses !"))
        status = 400
    return ctx.render(
        "unite_formation/evaluation.html",
        status_code=status,
        form=form,
        cycle=cycle,
        done=done,
        closed=closed,
        **vocab(),
    )


@page
def results(ctx: RequestContext) -> Response:
    """The questionnaire's aggregated results for the cycle's trainers and the animators."""
    cycle, _rights = editable_cycle(ctx)
    return ctx.render(
        "unite_formation/results.html",
        cycle=cycle,
        results=evaluations.results(ctx.db, cycle),
        QUESTIONS=QUESTIONS,
        SCALE=SCALE,
        **vocab(),
    )


def _require_statistics(ctx: RequestContext) -> None:
    ctx.require_user()
    if not access(ctx).can_see_statistics:
        raise HTTPException(403)


@page
def statistics(ctx: RequestContext) -> Response:
    """The platform's figures, per year and public category."""
    _require_statistics(ctx)
    return ctx.render("unite_formation/statistics.html", stats=stats.compute(ctx.db), **vocab())


@page
def statistics_csv(ctx: RequestContext) -> Response:
    """The same figures as a CSV file."""
    _require_statistics(ctx)
    return Response(
        stats.csv_export(stats.compute(ctx.db)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="unite-formation-statistiques.csv"'},
    )


routes = [
    Route(
        "/gestion/{cycle_id:int}/seances/{session_id:int}/emargement",
        attendance_sheet,
        methods=["GET", "POST"],
        name="attendance",
    ),
    Route("/gestion/{cycle_id:int}/attestations/{registration_id:int}.pdf", attestation, name="attestation"),
    Route("/gestion/{cycle_id:int}/questionnaire", results, name="results"),
    Route("/attestation/{token}", attestation_link, name="attestation_link"),
    Route("/questionnaire/{token}", evaluation_link, methods=["GET", "POST"], name="evaluation_link"),
    Route("/statistiques", statistics, name="statistics"),
    Route("/statistiques.csv", statistics_csv, name="statistics_csv"),
]
