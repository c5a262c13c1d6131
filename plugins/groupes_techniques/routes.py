"""Pages of the plugin, mounted at ``/groupes_techniques`` (route names ``groupes_techniques:<x>``).

Signed-in partners read the compliance table and each group's page; members of a group also
see its meetings' titles; admins create, close and delete groups and change obligations.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from core.calendar.timeparse import WallTimeError, wall_to_utc
from core.declarations import NavItem, Panel
from core.directory.models import Contact
from core.directory.vocab import PILLARS
from core.i18n import format_date
from core.i18n import gettext as _
from core.reminders.runtime import send_soon, sweep_soon
from core.spaces.models import Space
from core.spaces.services import SpaceError
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.groupes_techniques import compliance, csvout, polls, reminders, report, services
from plugins.groupes_techniques.forms import OPTION_ROWS, GroupForm, ObligationForm, PollForm, options
from plugins.groupes_techniques.models import Poll
from plugins.groupes_techniques.periods import Period, paris_day
from plugins.groupes_techniques.vocab import ANIMATE, ANSWERS, GROUP_KIND, KINDS, SEMESTER, VIEW, label

CSV_TYPE = "text/csv; charset=utf-8"


# ------------------------------------------------------------------------------------ helpers


def _group_or_404(ctx: RequestContext) -> Space:
    space = services.group(ctx.db, int(ctx.request.path_params["space_id"]))
    if space is None:
        raise HTTPException(404)
    return space


def _pillar_param(ctx: RequestContext) -> str | None:
    value = ctx.request.query_params.get("pilier") or None
    return value if value in PILLARS else None


def _years(ctx: RequestContext) -> list[int]:
    year = paris_day(ctx.now()).year
    return [year - 1, year]


def _columns(years: list[int]) -> list[Period]:
    return [Period(y, h) for y in years for h in (1, 2)]


def plan_url(ctx: RequestContext, space: Space) -> str:
    """The core's "new meeting" form, prefilled for the group."""
    return ctx.url_for(
        "calendar:meeting_new",
        query={"space": space.id, "title": _("Réunion – %(name)s", name=space.name), "kind": "core.reunion"},
    )


def _table(ctx: RequestContext) -> tuple[list[compliance.GroupRow], list[int], str | None]:
    pillar = _pillar_param(ctx)
    years = _years(ctx)
    groups = services.tracked_groups(ctx.db, pillar=pillar)
    rows = compliance.rows(ctx.db, groups, years, now=ctx.now(), horizon_days=reminders.horizon_days(ctx.db))
    return rows, years, pillar


# ------------------------------------------------------------------------------ compliance view


@page
def index(ctx: RequestContext) -> Response:
    """The compliance table: groups × semesters of last year and this year, filter by pillar."""
    ctx.require_user()
    rows, years, pillar = _table(ctx)
    return ctx.render(
        "groupes_techniques/index.html",
        rows=rows,
        columns=_columns(years),
        pillars=PILLARS,
        pillar=pillar,
        today=paris_day(ctx.now()),
        describe=services.describe,
        can_create=bool(ctx.user and ctx.user.is_admin),
    )


@page
def compliance_print(ctx: RequestContext) -> Response:
    """The same table as a printable page for the comité de pilotage."""
    ctx.require_user()
    rows, years, pillar = _table(ctx)
    return ctx.render(
        "groupes_techniques/print.html",
        rows=rows,
        columns=_columns(years),
        pillar_label=label(PILLARS, pillar) if pillar else "",
        today=paris_day(ctx.now()),
        describe=services.describe,
    )


def _dates(facts: list[compliance.MeetingFact]) -> str:
    return ", ".join(format_date(f.day, "short") for f in facts)


@page
def compliance_csv(ctx: RequestContext) -> Response:
    """The table as CSV (``;``, UTF-8 with BOM: French Excel opens it as is), one line per cell."""
    ctx.require_user()
    rows, _years_shown, _pillar = _table(ctx)
    header = [
        _("Groupe"),
        _("Pilier"),
        _("Période"),
        _("Obligation"),
        _("Statut"),
        _("Réunions tenues"),
        _("Réunions prévues ou sans compte rendu"),
        _("Échéance"),
    ]
    lines = [
        [
            row.space.name,
            label(PILLARS, row.space.pillar) if row.space.pillar else "",
            cell.period.label,
            services.describe(cell.rule),
            cell.label,
            _dates(cell.held),
            _dates([*cell.planned, *cell.unconfirmed]),
            format_date(cell.deadline, "short") if cell.deadline else "",
        ]
        for row in rows
        for cell in row.cells
    ]
    headers = {"Content-Disposition": 'attachment; filename="obligations-reunions.csv"'}
    return Response(csvout.write(header, lines), media_type=CSV_TYPE, headers=headers)


# ------------------------------------------------------------------------------------ a group


def _group_page(
    ctx: RequestContext, space: Space, form: ObligationForm | None = None, status: int = 200
) -> Response:
    horizon = reminders.horizon_days(ctx.db)
    now = ctx.now()
    today = paris_day(now)
    history = services.obligations(ctx.db, [space.id])[space.id]
    if form is None:
        form = bind(ctx, ObligationForm)
        current = services.rule_at(history, today)
        if current is not None:
            form.period.data = current.period
            form.min_meetings.data = current.min_meetings
    form.valid_from.choices = options(
        (d.isoformat(), format_date(d, "long")) for d in services.start_choices(today)
    )
    return ctx.render(
        "groupes_techniques/group.html",
        status_code=status,
        space=space,
        theme=services.theme_of(ctx.db, space.id),
        current=compliance.current_cell(ctx.db, space, now=now, horizon_days=horizon),
        history=compliance.history(ctx.db, space, now=now, horizon_days=horizon),
        rules=list(reversed(history)),
        animators=services.animators(ctx.db, [space.id])[space.id],
        describe=services.describe,
        form=form,
        can_view=ctx.can(VIEW, space.id),
        can_plan=ctx.can(ANIMATE, space.id) and space.closed_at is None,
        plan_url=plan_url(ctx, space),
        is_admin=bool(ctx.user and ctx.user.is_admin),
        today=today,
        polls=polls.polls_of(ctx.db, space.id) if ctx.can(ANIMATE, space.id) else [],
    )


@page
def group_detail(ctx: RequestContext) -> Response:
    """A group's obligation, its next deadline and its history, period by period."""
    ctx.require_user()
    return _group_page(ctx, _group_or_404(ctx))


@page
def obligation_change(ctx: RequestContext) -> Response:
    """Admins: a new obligation from the start of a period that has not ended."""
    actor = ctx.require_admin()
    space = _group_or_404(ctx)
    form = bind(ctx, ObligationForm)
    today = paris_day(ctx.now())
    form.valid_from.choices = options(
        (d.isoformat(), format_date(d, "long")) for d in services.start_choices(today)
    )
    if not form.validate():
        return _group_page(ctx, space, form, 400)
    try:
        services.set_obligation(
            ctx.db,
            actor,
            space,
            period=form.period.data,
            min_meetings=form.min_meetings.data,
            valid_from=date.fromisoformat(form.valid_from.data),
            today=today,
        )
    except services.GroupError as exc:
        getattr(form, exc.field or "valid_from").errors = [exc.message]
        return _group_page(ctx, space, form, 400)
    return ctx.redirect(
        ctx.url_for("groupes_techniques:group", space_id=space.id), flash=_("L'obligation est enregistrée.")
    )


@page
def group_close(ctx: RequestContext) -> Response:
    """Admins: close a group (its history stays; no more reminders)."""
    actor = ctx.require_admin()
    space = _group_or_404(ctx)
    services.close_group(ctx.db, actor, space, ctx.now())
    return ctx.redirect(
        ctx.url_for("groupes_techniques:group", space_id=space.id), flash=_("Le groupe est fermé.")
    )


@page
def group_delete(ctx: RequestContext) -> Response:
    """Admins: delete a group created by mistake; refused once it has meetings."""
    actor = ctx.require_admin()
    space = _group_or_404(ctx)
    try:
        services.delete_group(ctx.db, actor, space)
    except SpaceError as exc:
        ctx.flash(exc.message, "error")
        return ctx.redirect(ctx.url_for("groupes_techniques:group", space_id=space.id))
    return ctx.redirect(ctx.url_for("groupes_techniques:index"), flash=_("Le groupe est supprimé."))


def _new_form(ctx: RequestContext) -> tuple[GroupForm, list[Any]]:
    people = services.usual_animators(ctx.db)
    form = bind(ctx, GroupForm)
    form.animators.choices = options((c.id, c.full_name) for c in people)
    if ctx.form is None:
        form.animators.data = services.default_animator_ids(ctx.db)
    return form, people


@page
def group_new(ctx: RequestContext) -> Response:
    """Admins: create a groupe technique or a comité, permanent or ad hoc, with its obligation."""
    actor = ctx.require_admin()
    form, _people = _new_form(ctx)
    if ctx.form is None or not form.validate():
        status = 400 if ctx.form is not None else 200
        return ctx.render("groupes_techniques/group_new.html", status_code=status, form=form)
    values = services.GroupValues(
        name=form.name.data,
        kind=form.kind.data,
        description=form.description.data or "",
        theme=form.theme.data or "",
        is_permanent=form.permanence.data == "permanent",
        ends_on=form.ends_on.data,
        pillar=form.pillar.data or None,
        period=form.period.data or SEMESTER,
        min_meetings=form.min_meetings.data,
        animator_ids=tuple(form.animators.data or ()),
    )
    try:
        space = services.create_group(ctx.db, actor, values, today=paris_day(ctx.now()))
    except (services.GroupError, SpaceError) as exc:
        field = {"is_permanent": "permanence"}.get(exc.field or "", exc.field or "name")
        target = getattr(form, field, form.name)
        target.errors = [exc.message]
        ctx.db.rollback()
        return ctx.render("groupes_techniques/group_new.html", status_code=400, form=form)
    return ctx.redirect(
        ctx.url_for("groupes_techniques:group", space_id=space.id), flash=_("Le groupe est créé.")
    )


# ------------------------------------------------------------------------------- date polls


def _parse_time(text: str) -> time | None:
    match = re.fullmatch(r"([01]?[0-9]|2[0-3])\s*[:hH]\s*([0-5][0-9])?", (text or "").strip())
    if match is None:
        return None
    return time(int(match.group(1)), int(match.group(2) or 0))


def _poll_starts(form: PollForm) -> list[datetime]:
    """The proposed instants of the form; errors are put on the fields."""
    starts: list[datetime] = []
    for i in range(1, OPTION_ROWS + 1):
        day_field, time_field = getattr(form, f"day_{i}"), getattr(form, f"time_{i}")
        if day_field.data is None:
            if time_field.data:
                day_field.errors = [_("Indiquez le jour de cette proposition.")]
            continue
        at = _parse_time(time_field.data or "")
        if at is None:
            time_field.errors = [_("Heure invalide : écrivez par exemple 14:00.")]
            continue
        try:
            starts.append(wall_to_utc(day_field.data, at, fold=0))
        except WallTimeError as exc:
            time_field.errors = [str(exc)]
    return starts


def _poll_rows(form: PollForm) -> list[tuple[int, Any, Any]]:
    return [(i, getattr(form, f"day_{i}"), getattr(form, f"time_{i}")) for i in range(1, OPTION_ROWS + 1)]


@page
def poll_new(ctx: RequestContext) -> Response:
    """Animators: propose several dates to the members of the group."""
    space = _group_or_404(ctx)
    actor = ctx.require(ANIMATE, space.id)
    form = bind(ctx, PollForm)
    if ctx.form is None:
        form.title.data = _("Réunion – %(name)s", name=space.name)
        return ctx.render("groupes_techniques/poll_new.html", space=space, form=form, rows=_poll_rows(form))
    valid = form.validate()
    starts = _poll_starts(form)
    if valid and not any(f.errors for _i, d, t in _poll_rows(form) for f in (d, t)):
        values = polls.PollValues(
            title=form.title.data,
            starts=tuple(starts),
            duration_minutes=form.duration_minutes.data,
            location=form.location.data or "",
            message=form.message.data or "",
        )
        # the answer page's URL without its token (each participant's is appended)
        answer_url = ctx.absolute_url("groupes_techniques:poll_answer", token="x")[:-1]  # noqa: S106
        try:
            poll, without_email = polls.create_poll(
                ctx.db,
                actor,
                space,
                values,
                now=ctx.now(),
                secret=ctx.state.settings.secret_key,
                answer_url=answer_url,
            )
        except polls.PollError as exc:
            ctx.db.rollback()
            form.form_errors.append(exc.message)
        else:
            ctx.after_commit(lambda: send_soon(ctx.state))
            message = _("Le sondage est envoyé aux membres du groupe.")
            if without_email:
                message += " " + _(
                    "%(n)s membre(s) sans adresse électronique n'ont pas pu être sollicités.", n=without_email
                )
            return ctx.redirect(ctx.url_for("groupes_techniques:poll", poll_id=poll.id), flash=message)
    return ctx.render(
        "groupes_techniques/poll_new.html", status_code=400, space=space, form=form, rows=_poll_rows(form)
    )


def _poll_or_404(ctx: RequestContext) -> tuple[Poll, Space]:
    poll = ctx.db.get(Poll, int(ctx.request.path_params["poll_id"]))
    space = services.group(ctx.db, poll.space_id) if poll is not None else None
    if poll is None or space is None:
        raise HTTPException(404)
    return poll, space


@page
def poll_detail(ctx: RequestContext) -> Response:
    """Animators: the tally per person and per organisation; one click fixes the date."""
    poll, space = _poll_or_404(ctx)
    ctx.require(ANIMATE, space.id)
    return ctx.render(
        "groupes_techniques/poll.html",
        poll=poll,
        space=space,
        tally=polls.tally(ctx.db, poll),
        answers=ANSWERS,
    )


@page
def poll_choose(ctx: RequestContext) -> Response:
    """Animators: the chosen date becomes a meeting of the group; everyone asked is invited."""
    poll, space = _poll_or_404(ctx)
    actor = ctx.require(ANIMATE, space.id)
    raw = str(ctx.form.get("option", "")) if ctx.form is not None else ""
    option_id = int(raw) if raw.isdigit() and len(raw) < 12 else 0
    try:
        meeting = polls.choose(
            ctx.db, actor, poll, option_id, now=ctx.now(), kinds=list(ctx.state.registry.meeting_kinds)
        )
    except polls.PollError as exc:
        ctx.flash(exc.message, "error")
        return ctx.redirect(ctx.url_for("groupes_techniques:poll", poll_id=poll.id))
    state = ctx.state
    ctx.after_commit(lambda: sweep_soon(state))
    return ctx.redirect(
        ctx.url_for("calendar:meeting", meeting_id=meeting.id),
        flash=_("La réunion est créée et les invitations partent aux membres sollicités."),
    )


@page
def poll_answer(ctx: RequestContext) -> Response:
    """Anyone holding the signed link: answer yes / if need be / no for each date (GET shows the
    form, the button POSTs; answering again replaces the answers)."""
    token = ctx.request.path_params["token"]
    try:
        participant = polls.read_token(ctx.db, ctx.state.settings.secret_key, token, now=ctx.now())
    except polls.PollError as exc:
        return ctx.render(
            "groupes_techniques/poll_answer.html", status_code=exc.status, poll=None, error=exc.message
        )
    poll = ctx.db.get(Poll, participant.poll_id)
    assert poll is not None
    space = ctx.db.get(Space, poll.space_id)
    options = polls.options_of(ctx.db, poll.id)
    current = polls.answers_of(ctx.db, participant.id)
    error = None
    status = 200
    if ctx.form is not None:
        chosen = {o.id: str(ctx.form.get(f"option-{o.id}", "")) for o in options}
        try:
            polls.record_answers(ctx.db, participant, chosen, now=ctx.now())
        except polls.PollError as exc:
            error, status = exc.message, exc.status
            current = {k: v for k, v in chosen.items() if v}
        else:
            ctx.flash(_("Merci, vos réponses sont enregistrées. Vous pouvez les modifier avec le même lien."))
            return ctx.redirect(ctx.url_for("groupes_techniques:poll_answer", token=token))
    contact = ctx.db.get(Contact, participant.contact_id)
    return ctx.render(
        "groupes_techniques/poll_answer.html",
        status_code=status,
        poll=poll,
        space=space,
        options=options,
        current=current,
        answers=ANSWERS,
        person=contact.full_name if contact is not None else "",
        error=error,
        meeting_url=ctx.url_for("calendar:meeting", meeting_id=poll.meeting_id) if poll.meeting_id else None,
    )


# ------------------------------------------------------------------------------ annual report


def _report_year(ctx: RequestContext) -> int:
    raw = ctx.request.path_params.get("year")
    year = int(raw) if raw is not None else paris_day(ctx.now()).year
    if not 2000 <= year <= 2100:
        raise HTTPException(404)
    return year


def _reports(ctx: RequestContext, year: int) -> list[report.GroupReport]:
    """The year's report for the groups the reader may see (every group for admins)."""
    ctx.require_user()
    groups = [g for g in report.groups_of_year(ctx.db, year) if ctx.can(VIEW, g.id)]
    return report.build(ctx.db, groups, year, now=ctx.now(), horizon_days=reminders.horizon_days(ctx.db))


@page
def annual_report(ctx: RequestContext) -> Response:
    """The annual report: per group, meetings held, attendance by organisation, decisions and
    open action items (the groups the reader belongs to; all of them for admins)."""
    year = _report_year(ctx)
    reports = _reports(ctx, year)
    return ctx.render("groupes_techniques/report.html", year=year, reports=reports, printable=False)


@page
def annual_report_print(ctx: RequestContext) -> Response:
    """The annual report, printable."""
    year = _report_year(ctx)
    return ctx.render(
        "groupes_techniques/report_print.html", year=year, reports=_reports(ctx, year), printable=True
    )


@page
def annual_report_csv(ctx: RequestContext) -> Response:
    """The annual report as CSV, one line per group."""
    year = _report_year(ctx)
    headers = {"Content-Disposition": f'attachment; filename="bilan-instances-{year}.csv"'}
    return Response(report.to_csv(_reports(ctx, year)), media_type=CSV_TYPE, headers=headers)


# ------------------------------------------------------------------------- hooks' contributions


def nav_items(ctx: RequestContext) -> list[NavItem]:
    """ "Instances" in the main navigation, for signed-in partners."""
    if ctx.user is None:
        return []
    return [
        NavItem("groupes_techniques.index", _("Instances"), ctx.url_for("groupes_techniques:index"), order=30)
    ]


def space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    """On a group's space page: its obligation, the current period and the next deadline."""
    if space.kind not in KINDS or ctx.user is None:
        return []
    horizon = reminders.horizon_days(ctx.db)
    cell = compliance.current_cell(ctx.db, space, now=ctx.now(), horizon_days=horizon)
    html = ctx.render_string(
        "groupes_techniques/_space_panel.html",
        space=space,
        cell=cell,
        describe=services.describe,
        can_plan=ctx.can(ANIMATE, space.id) and space.closed_at is None,
        plan_url=plan_url(ctx, space),
        is_group=space.kind == GROUP_KIND,
    )
    return [Panel("groupes_techniques.obligation", _("Obligation de réunion"), html, order=10)]


def dashboard_panels(ctx: RequestContext) -> list[Panel]:
    """On an animator's home page: their groups whose current period still lacks a meeting."""
    if ctx.user is None or ctx.user.contact_id is None:
        return []
    mine = set(services.animated_by(ctx.db, ctx.user.contact_id))
    groups = [g for g in services.tracked_groups(ctx.db) if g.id in mine]
    if not groups:
        return []
    now = ctx.now()
    today = paris_day(now)
    rows = compliance.rows(ctx.db, groups, [today.year], now=now, horizon_days=reminders.horizon_days(ctx.db))
    due = [
        (row.space, cell, plan_url(ctx, row.space))
        for row in rows
        for cell in row.cells
        if cell.period.contains(today) and cell.needs_meeting
    ]
    if not due:
        return []
    html = ctx.render_string("groupes_techniques/_dashboard_panel.html", due=due)
    return [Panel("groupes_techniques.due", _("Réunions à prévoir dans vos groupes"), html, order=25)]


routes: list[BaseRoute] = [
    Route("/", index, name="index"),
    Route("/conformite.csv", compliance_csv, name="compliance_csv"),
    Route("/conformite/imprimer", compliance_print, name="compliance_print"),
    Route("/groupes/nouveau", group_new, methods=["GET", "POST"], name="group_new"),
    Route("/groupes/{space_id:int}", group_detail, name="group"),
    Route("/groupes/{space_id:int}/obligation", obligation_change, methods=["POST"], name="obligation"),
    Route("/groupes/{space_id:int}/fermer", group_close, methods=["POST"], name="close"),
    Route("/groupes/{space_id:int}/supprimer", group_delete, methods=["POST"], name="delete"),
    Route("/groupes/{space_id:int}/sondages/nouveau", poll_new, methods=["GET", "POST"], name="poll_new"),
    Route("/sondages/{poll_id:int}", poll_detail, name="poll"),
    Route("/sondages/{poll_id:int}/choisir", poll_choose, methods=["POST"], name="poll_choose"),
    Route("/sondage/{token}", poll_answer, methods=["GET", "POST"], name="poll_answer"),
    Route("/bilan", annual_report, name="report_current"),
    Route("/bilan/{year:int}", annual_report, name="report"),
    Route("/bilan/{year:int}/imprimer", annual_report_print, name="report_print"),
    Route("/bilan/{year:int}/bilan.csv", annual_report_csv, name="report_csv"),
]
