"""Pages of the platform, mounted at ``/acces_services`` (route names ``acces_services:<name>``).

Every view parses the request, checks the user's rights on the server, calls a service and
renders. Public: the catalogue, a service's page, the printable guide and the public
proposals. Members of the platform: indicators, dashboard, all proposals. Providers: their
organisations' services and figures. Animators and admins: everything, and the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, NoMatchFound, Route
from wtforms.fields.choices import SelectChoice

from core.audit import services as audit
from core.calendar.visibility import can_see as can_see_meeting
from core.declarations import NavItem, Panel
from core.directory.models import Organisation
from core.i18n import format_date
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.resources.services import visible_resources
from core.spaces.models import Space
from core.web.context import RequestContext, page
from core.web.forms import bind
from plugins.acces_services import charts, csvio, periods
from plugins.acces_services import indicators as ind
from plugins.acces_services import services as svc
from plugins.acces_services.forms import (
    FigureCorrectionForm,
    FigureForm,
    ImportForm,
    ProposalForm,
    ServiceForm,
    SettingsForm,
    StatusForm,
    options,
)
from plugins.acces_services.models import Figure, PlatformSettings, Proposal, Service
from plugins.acces_services.vocab import (
    ACCESSIBILITY,
    CATEGORIES,
    DISTANCE_BANDS,
    PRICE_FILTERS,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
    PUBLICS,
    SPACE_KIND,
    STATUS_TRANSITIONS,
    label,
)

T = TypeVar("T")
PER_PAGE = 20
CSV_TYPE = "text/csv; charset=utf-8"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _platform(ctx: RequestContext) -> Space | None:
    return svc.platform_space(ctx.db)


def _require_platform(ctx: RequestContext) -> Space:
    space = _platform(ctx)
    if space is None:
        raise HTTPException(404, detail=_("La plateforme d'accès aux services n'a pas encore été créée."))
    return space


def _found(value: T | None) -> T:
    """The value, or a 404 page."""
    if value is None:
        raise HTTPException(404)
    return value


def _access(ctx: RequestContext, space: Space | None) -> svc.Access:
    return svc.access_for(ctx.db, ctx.state.registry, ctx.user, space)


def _today(ctx: RequestContext) -> date:
    return svc.paris_today(ctx.now())


def _int_param(ctx: RequestContext, name: str) -> int:
    value = ctx.request.path_params.get(name, ctx.request.query_params.get(name, ""))
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _form_value(ctx: RequestContext, name: str) -> str:
    value = ctx.form.get(name) if ctx.form is not None else None
    return value if isinstance(value, str) else ""


def _form_int(ctx: RequestContext, name: str) -> int:
    try:
        return int(_form_value(ctx, name))
    except ValueError:
        return 0


def _field_error(form: Any, error: svc.ServiceError) -> None:
    """Show a service's refusal next to its field (or at the top of the form)."""
    if error.field and error.field in form._fields:
        field = form[error.field]
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _submit(ctx: RequestContext, form: Any, save: Callable[[], Response]) -> Response | int:
    """Handle a posted form: validate, then ``save()`` (which returns the redirect).

    Returns the response on success, else the status to render the form with: 200 for a GET,
    400 when the form or the service refused the input (the transaction is then rolled back by
    nothing having been written: services raise before writing).
    """
    if ctx.form is None:
        return 200
    if form.validate():
        try:
            return save()
        except svc.ServiceError as exc:
            _field_error(form, exc)
    return 400


def space_url(ctx: RequestContext, space: Space) -> str:
    """The core page of the platform's space (meetings, resources), or the list of spaces."""
    try:
        return ctx.url_for("spaces:detail", slug=space.slug)
    except NoMatchFound:
        return ctx.url_for("spaces:list")


#: French names of the fields shown in the history (audit log) of a figure or a proposal
FIELD_LABELS = {
    "users_total": _l("Usagers"),
    "users_neighbourhood": _l("Dont habitants du quartier"),
    "status": _l("Statut"),
    "answer": _l("Réponse"),
    "title": _l("Titre"),
    "body": _l("Contenu"),
    "kind": _l("Type"),
    "is_public": _l("Publique"),
    "meeting_id": _l("Réunion"),
    "services": _l("Services concernés"),
}


def _base(access: svc.Access, current: str, **context: Any) -> dict[str, Any]:
    """What every page of the plugin shows: the rights (for the sub-navigation) and the vocabularies."""
    return {
        "access": access,
        "current": current,
        "label": label,
        "fmt": ind,
        "FIELD_LABELS": FIELD_LABELS,
        "CATEGORIES": CATEGORIES,
        "PUBLICS": PUBLICS,
        "ACCESSIBILITY": ACCESSIBILITY,
        "DISTANCE_BANDS": DISTANCE_BANDS,
        "KINDS": PROPOSAL_KINDS,
        "STATUSES": PROPOSAL_STATUSES,
        **context,
    }


def _csv_response(content: bytes, filename: str) -> Response:
    return Response(
        content, media_type=CSV_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# ---------------------------------------------------------------------------------------------
# catalogue (public)
# ---------------------------------------------------------------------------------------------


@page
def catalogue(ctx: RequestContext) -> Response:
    """The public catalogue: search (accents ignored) and filters."""
    space = _platform(ctx)
    access = _access(ctx, space)
    filters = svc.parse_filters(ctx.request.query_params)
    found = svc.search_catalogue(ctx.db, filters)
    current_page = svc.paginate(found, _int_param(ctx, "page") or 1, PER_PAGE)
    query = filters.as_query()

    def url_for_page(number: int) -> str:
        return ctx.url_for("acces_services:catalogue", query={**query, "page": number})

    return ctx.render(
        "acces_services/catalogue.html",
        **_base(
            access,
            "catalogue",
            filters=filters,
            page=current_page,
            url_for_page=url_for_page,
            PRICE_FILTERS=PRICE_FILTERS,
            guide_url=ctx.url_for("acces_services:guide", query=query),
        ),
    )


@page
def guide(ctx: RequestContext) -> Response:
    """The printable guide for mediators: the (filtered) catalogue grouped by category."""
    access = _access(ctx, _platform(ctx))
    filters = svc.parse_filters(ctx.request.query_params)
    groups = svc.group_by_category(svc.search_catalogue(ctx.db, filters))
    return ctx.render(
        "acces_services/guide.html",
        **_base(
            access,
            "guide",
            filters=filters,
            groups=groups,
            today=_today(ctx),
            catalogue_url=ctx.url_for("acces_services:catalogue", query=filters.as_query()),
        ),
    )


@page
def service_detail(ctx: RequestContext) -> Response:
    """A service's page; its latest figures for the platform's members and its editors."""
    service = svc.get_service(ctx.db, _int_param(ctx, "service_id"))
    space = _platform(ctx)
    access = _access(ctx, space)
    if service is None or not svc.visible_to(service, access):
        raise HTTPException(404)
    show_figures = access.view_indicators or access.can_enter_figures(service)
    figures = svc.figures_of_services(ctx.db, [service.id], limit=8) if show_figures else []
    members = access.view_indicators and service.space_id == access.space_id
    concerning = svc.proposals_for_service(ctx.db, service.id, public_only=not (members or access.is_admin))
    return ctx.render(
        "acces_services/service.html",
        **_base(
            access,
            "catalogue",
            service=service,
            figures=figures,
            show_figures=show_figures,
            proposals=concerning,
        ),
    )


def _service_form(ctx: RequestContext, access: svc.Access, form: ServiceForm) -> None:
    organisations = svc.organisations_for(ctx.db, access.service_orgs())
    form.organisation_id.choices = options([(0, _("Choisir…")), *((o.id, o.name) for o in organisations)])


def _edit_service(ctx: RequestContext, service: Service | None) -> Response:
    space = _require_platform(ctx)
    user = ctx.require_user()
    access = _access(ctx, space)
    if not (access.can_edit_service(service) if service is not None else access.can_create_services):
        raise HTTPException(403)
    settings = svc.get_settings(ctx.db, space.id)
    form = bind(ctx, ServiceForm, obj=service)
    _service_form(ctx, access, form)

    def save() -> Response:
        saved = svc.save_service(ctx.db, access, user, settings, form.values(), service, now=ctx.now())
        message = _("Service enregistré.") if service is None else _("Modifications enregistrées.")
        return ctx.redirect(ctx.url_for("acces_services:service", service_id=saved.id), flash=message)

    outcome = _submit(ctx, form, save)
    if isinstance(outcome, Response):
        return outcome
    return ctx.render(
        "acces_services/service_form.html",
        status_code=outcome,
        **_base(access, "catalogue", form=form, service=service, settings=settings),
    )


@page
def service_new(ctx: RequestContext) -> Response:
    """Add a service (animators: any organisation; providers: their own)."""
    return _edit_service(ctx, None)


@page
def service_edit(ctx: RequestContext) -> Response:
    """Edit a service (animators: any; providers: their organisations' only, 403 otherwise)."""
    service = _found(svc.get_service(ctx.db, _int_param(ctx, "service_id")))
    return _edit_service(ctx, service)


@page
def service_archive(ctx: RequestContext) -> Response:
    """Take a service out of the catalogue, or bring it back (POST)."""
    service = _found(svc.get_service(ctx.db, _int_param(ctx, "service_id")))
    user = ctx.require_user()
    access = _access(ctx, _platform(ctx))
    if not access.can_edit_service(service):
        raise HTTPException(403)
    archive = _form_value(ctx, "action") == "archive"
    svc.set_archived(ctx.db, access, user, service, archive, ctx.now())
    message = (
        _("Le service est retiré du catalogue.") if archive else _("Le service est de nouveau au catalogue.")
    )
    return ctx.redirect(ctx.url_for("acces_services:service", service_id=service.id), flash=message)


# ---------------------------------------------------------------------------------------------
# attendance figures (providers, animators)
# ---------------------------------------------------------------------------------------------


def _figures_access(ctx: RequestContext) -> tuple[Space, svc.Access]:
    space = _require_platform(ctx)
    ctx.require_user()
    access = _access(ctx, space)
    if not access.enters_figures:
        raise HTTPException(403)
    return space, access


@page
def figures(ctx: RequestContext) -> Response:
    """The figures the user may enter: what is missing for the last period, what was entered."""
    space, access = _figures_access(ctx)
    settings = svc.get_settings(ctx.db, space.id)
    last = periods.last_ended(_today(ctx), settings.period_kind)
    services = svc.editable_services(ctx.db, access, for_figures=True)
    entered = svc.figures_of_services(ctx.db, [s.id for s in services], limit=200)
    done = {f.service_id for f in entered if f.period == last.code}
    missing = [s for s in services if s.archived_at is None and s.id not in done]
    names = {s.id: s.name for s in services}
    return ctx.render(
        "acces_services/figures.html",
        **_base(
            access, "figures", services=services, figures=entered, missing=missing, last=last, names=names
        ),
    )


def _figure_service_choices(ctx: RequestContext, access: svc.Access) -> list[SelectChoice]:
    services = svc.editable_services(ctx.db, access, for_figures=True)
    return options([(0, _("Choisir…")), *((s.id, f"{s.name} – {s.organisation.name}") for s in services)])


@page
def figure_new(ctx: RequestContext) -> Response:
    """Enter a service's figures for one period by hand."""
    space, access = _figures_access(ctx)
    user = ctx.require_user()
    settings = svc.get_settings(ctx.db, space.id)
    today = _today(ctx)
    last = periods.last_ended(today, settings.period_kind)
    form = bind(
        ctx,
        FigureForm,
        service_id=_int_param(ctx, "service"),
        period=ctx.request.query_params.get("period", "")[:20] or last.code,
    )
    form.service_id.choices = _figure_service_choices(ctx, access)
    if ctx.form is not None:
        posted = svc.get_service(ctx.db, _form_int(ctx, "service_id"))
        if posted is not None and not access.can_enter_figures(posted):
            raise HTTPException(403)

    def save() -> Response:
        service = svc.get_service(ctx.db, form.service_id.data)
        if service is None:
            raise svc.ServiceError(_("Choisissez un service."), "service_id")
        period = svc.check_period(form.period.data, settings.period_kind, today)
        total, local = form.users_total.data, form.users_neighbourhood.data
        svc.add_figure(ctx.db, access, user, service, period, total, local, "form")
        message = _(
            "Chiffres de %(period)s enregistrés pour « %(name)s ».", period=period.code, name=service.name
        )
        return ctx.redirect(ctx.url_for("acces_services:figures"), flash=message)

    outcome = _submit(ctx, form, save)
    if isinstance(outcome, Response):
        return outcome
    existing = None
    if form.errors and form.service_id.data and form.period.data:
        try:
            code = periods.parse_period(form.period.data, settings.period_kind).code
        except periods.PeriodError:
            code = ""
        existing = svc.find_figure(ctx.db, form.service_id.data, code) if code else None
    return ctx.render(
        "acces_services/figure_form.html",
        status_code=outcome,
        **_base(
            access,
            "figures",
            form=form,
            last=last,
            existing=existing,
            example=periods.example(settings.period_kind),
        ),
    )


@page
def figure_edit(ctx: RequestContext) -> Response:
    """Correct a figure; the previous values stay in the audit log (shown here)."""
    figure = _found(svc.get_figure(ctx.db, _int_param(ctx, "figure_id")))
    _space, access = _figures_access(ctx)
    user = ctx.require_user()
    if not access.can_enter_figures(figure.service):
        raise HTTPException(403)
    form = bind(ctx, FigureCorrectionForm, obj=figure)

    def save() -> Response:
        total, local = form.users_total.data, form.users_neighbourhood.data
        svc.correct_figure(ctx.db, access, user, figure.service, figure, total, local, "form")
        return ctx.redirect(ctx.url_for("acces_services:figures"), flash=_("Chiffres corrigés."))

    outcome = _submit(ctx, form, save)
    if isinstance(outcome, Response):
        return outcome
    history = audit.entries_for(ctx.db, Figure.__tablename__, figure.id, limit=20)
    return ctx.render(
        "acces_services/figure_edit.html",
        status_code=outcome,
        **_base(access, "figures", form=form, figure=figure, history=history),
    )


@page
def figures_import(ctx: RequestContext) -> Response:
    """Import figures from a CSV file: everything is written, or nothing (each bad line listed)."""
    space, access = _figures_access(ctx)
    user = ctx.require_user()
    settings = svc.get_settings(ctx.db, space.id)
    form = bind(ctx, ImportForm)
    errors: list[str] = []
    if ctx.form is not None:
        upload = ctx.form.get("file")
        data = upload.file.read(csvio.MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
        if not data:
            errors.append(_("Choisissez un fichier CSV."))
        else:
            read = csvio.read_figures(data)
            errors = read.errors
            if not errors:
                report = svc.import_figures(
                    ctx.db,
                    access,
                    user,
                    read.lines,
                    _today(ctx),
                    settings.period_kind,
                    replace=bool(form.replace.data),
                )
                errors = report.errors
                if report.ok:
                    return ctx.redirect(
                        ctx.url_for("acces_services:figures"),
                        flash=_(
                            "Import terminé : %(created)s ligne(s) ajoutée(s), %(corrected)s corrigée(s), "
                            "%(unchanged)s inchangée(s).",
                            created=report.created,
                            corrected=report.corrected,
                            unchanged=report.unchanged,
                        ),
                    )
    return ctx.render(
        "acces_services/figures_import.html",
        status_code=400 if errors else 200,
        **_base(access, "figures", form=form, errors=errors, example=periods.example(settings.period_kind)),
    )


@page
def figures_template(ctx: RequestContext) -> Response:
    """A CSV to fill in: one line per service the user reports on, for the last ended period."""
    space, access = _figures_access(ctx)
    settings = svc.get_settings(ctx.db, space.id)
    last = periods.last_ended(_today(ctx), settings.period_kind)
    rows = [
        [s.id, s.name, last.code, "", ""]
        for s in svc.editable_services(ctx.db, access, for_figures=True)
        if s.archived_at is None
    ]
    content = csvio.write_csv(csvio.TEMPLATE_HEADER, rows, numeric=(0,))
    return _csv_response(content, f"frequentation-{last.code}.csv")


# ---------------------------------------------------------------------------------------------
# indicators (members of the platform)
# ---------------------------------------------------------------------------------------------


def _indicators_access(ctx: RequestContext) -> tuple[Space, svc.Access, PlatformSettings]:
    space = _require_platform(ctx)
    ctx.require_user()
    access = _access(ctx, space)
    if not access.view_indicators:
        raise HTTPException(403)
    return space, access, svc.get_settings(ctx.db, space.id)


@page
def indicators(ctx: RequestContext) -> Response:
    """Shares of neighbourhood users by category and by service, against the population's share."""
    space, access, settings = _indicators_access(ctx)
    category = ctx.request.query_params.get("categorie", "")
    category = category if category in CATEGORIES else ""
    reference = ind.reference_of(settings.neighbourhood_share)
    facts = svc.indicator_facts(ctx.db, space.id, category=category or None)
    overall = ind.overall(facts, reference)
    by_category = ind.by_category(facts, reference)
    by_service = ind.by_service(facts, reference)
    name = settings.neighbourhood_name
    overall_chart = charts.trend_chart(
        overall,
        "chart-overall",
        _("Part des usagers habitant %(name)s, par période", name=name),
    )
    category_chart = charts.share_bars(
        by_category,
        "chart-categories",
        _("Part des usagers du quartier par catégorie (dernière période)"),
        charts.bars_description(reference, _("catégorie")),
    )
    service_chart = charts.share_bars(
        by_service,
        "chart-services",
        _("Part des usagers du quartier par service (dernière période)"),
        charts.bars_description(reference, _("service")),
    )
    return ctx.render(
        "acces_services/indicators.html",
        **_base(
            access,
            "indicators",
            settings=settings,
            category=category,
            overall=overall,
            by_category=by_category,
            by_service=by_service,
            overall_chart=overall_chart,
            category_chart=category_chart,
            service_chart=service_chart,
            gaps=ind.largest_gaps(by_service),
            csv_url=ctx.url_for("acces_services:indicators_csv", query={"categorie": category}),
        ),
    )


@page
def service_indicators(ctx: RequestContext) -> Response:
    """One service's trend over the periods, against the population's share."""
    space, access, settings = _indicators_access(ctx)
    service = svc.get_service(ctx.db, _int_param(ctx, "service_id"))
    if service is None or service.space_id != space.id:
        raise HTTPException(404)
    reference = ind.reference_of(settings.neighbourhood_share)
    facts = svc.indicator_facts(ctx.db, space.id, service_id=service.id)
    series = ind.by_service(facts, reference)
    one = (
        series[0]
        if series
        else ind.Series(
            key=f"service-{service.id}",
            label=service.name,
            points=(),
            reference=reference,
            service_id=service.id,
        )
    )
    chart = charts.trend_chart(
        one,
        f"chart-service-{service.id}",
        _(
            "« %(service)s » : part des usagers habitant %(name)s",
            service=service.name,
            name=settings.neighbourhood_name,
        ),
    )
    return ctx.render(
        "acces_services/service_indicators.html",
        **_base(access, "indicators", service=service, series=one, chart=chart, settings=settings),
    )


@page
def indicators_csv(ctx: RequestContext) -> Response:
    """The indicators as CSV (French spreadsheet format)."""
    space, _access, settings = _indicators_access(ctx)
    category = ctx.request.query_params.get("categorie", "")
    category = category if category in CATEGORIES else ""
    reference = ind.reference_of(settings.neighbourhood_share)
    facts = svc.indicator_facts(ctx.db, space.id, category=category or None)
    rows = ind.csv_rows(
        ind.overall(facts, reference), ind.by_category(facts, reference), ind.by_service(facts, reference)
    )
    content = csvio.write_csv(ind.CSV_HEADER, rows, numeric=(5, 6, 7, 8, 9))
    return _csv_response(content, "indicateurs-acces-services.csv")


# ---------------------------------------------------------------------------------------------
# the platform's dashboard
# ---------------------------------------------------------------------------------------------


def _largest_gaps(
    ctx: RequestContext, space: Space, settings: PlatformSettings, limit: int
) -> list[ind.Series]:
    reference = ind.reference_of(settings.neighbourhood_share)
    return ind.largest_gaps(ind.by_service(svc.indicator_facts(ctx.db, space.id), reference), limit)


#: how many of the platform's latest documents the dashboard lists
RECENT_RESOURCES = 5


def _calendar_url(ctx: RequestContext) -> Callable[[int], str]:
    """A meeting's page in the core calendar (``""`` when the calendar is not mounted)."""

    def url(meeting_id: int) -> str:
        try:
            return ctx.url_for("calendar:meeting", meeting_id=meeting_id)
        except NoMatchFound:
            return ""

    return url


def _resources_url(ctx: RequestContext, space: Space, name: str) -> str:
    """A core resources page about the platform's space (``""`` when not mounted)."""
    try:
        return ctx.url_for(name, query={"espace": space.id})
    except NoMatchFound:
        return ""


@page
def dashboard(ctx: RequestContext) -> Response:
    """The platform's dashboard: largest gaps, missing figures, next meetings, proposals."""
    space, access, settings = _indicators_access(ctx)
    gaps = _largest_gaps(ctx, space, settings, 8)
    last = periods.last_ended(_today(ctx), settings.period_kind)
    missing = svc.services_missing_figures(ctx.db, space.id, last)
    providers = svc.providers_by_organisation(ctx.db, space.id, {s.organisation_id for s in missing})
    gap_chart = charts.share_bars(
        gaps,
        "chart-gaps",
        _("Services où les habitants du quartier sont le moins représentés"),
        charts.bars_description(ind.reference_of(settings.neighbourhood_share), _("service")),
    )
    return ctx.render(
        "acces_services/dashboard.html",
        **_base(
            access,
            "dashboard",
            space=space,
            settings=settings,
            gaps=gaps,
            gap_chart=gap_chart,
            last=last,
            missing=missing,
            providers=providers,
            meetings=svc.upcoming_meetings(ctx.db, space.id, ctx.now()),
            meeting_url=_calendar_url(ctx),
            proposals=svc.list_proposals(ctx.db, space.id, public_only=False)[:5],
            resources=visible_resources(ctx.db, ctx.user, space.id, limit=RECENT_RESOURCES),
            resources_url=_resources_url(ctx, space, "resources:list"),
            new_resource_url=_resources_url(ctx, space, "resources:new_document") if access.manage else "",
            space_url=space_url(ctx, space),
        ),
    )


# ---------------------------------------------------------------------------------------------
# proposals
# ---------------------------------------------------------------------------------------------


@page
def proposals(ctx: RequestContext) -> Response:
    """The platform's proposals: public ones for everybody, all of them for its members."""
    space = _platform(ctx)
    access = _access(ctx, space)
    items = svc.list_proposals(ctx.db, space.id, public_only=not access.view_indicators) if space else []
    return ctx.render(
        "acces_services/proposals.html",
        **_base(access, "proposals", proposals=items),
    )


@page
def proposal_detail(ctx: RequestContext) -> Response:
    """A proposal: its content, services, meeting, status and answer (and history for members)."""
    proposal = svc.get_proposal(ctx.db, _int_param(ctx, "proposal_id"))
    space = _platform(ctx)
    access = _access(ctx, space)
    if proposal is None or not (
        proposal.is_public
        or (access.view_indicators and proposal.space_id == access.space_id)
        or access.is_admin
    ):
        raise HTTPException(404)
    status_form = None
    if access.manage:
        status_form = bind(ctx, StatusForm, answer=proposal.answer)
        _status_choices(status_form, proposal)
    history = audit.entries_for(ctx.db, Proposal.__tablename__, proposal.id) if access.view_indicators else []
    return ctx.render(
        "acces_services/proposal.html",
        **_base(
            access,
            "proposals",
            proposal=proposal,
            status_form=status_form,
            history=history,
            meeting_url=_meeting_url(ctx, proposal),
        ),
    )


def _meeting_url(ctx: RequestContext, proposal: Proposal) -> str:
    """The page of the meeting where the proposal was adopted, when the viewer may see it."""
    meeting = proposal.meeting
    if meeting is None or not can_see_meeting(ctx.db, ctx.user, meeting):
        return ""
    try:
        return ctx.url_for("calendar:meeting", meeting_id=meeting.id)
    except NoMatchFound:
        return ""


def _status_choices(form: StatusForm, proposal: Proposal) -> None:
    allowed = STATUS_TRANSITIONS[proposal.status]
    form.status.choices = options(
        [("", _("Choisir…")), *((code, PROPOSAL_STATUSES[code]) for code in allowed)]
    )


def _edit_proposal(ctx: RequestContext, proposal: Proposal | None) -> Response:
    space = _require_platform(ctx)
    user = ctx.require_user()
    access = _access(ctx, space)
    if not access.manage or (proposal is not None and proposal.space_id != space.id):
        raise HTTPException(403)
    form = bind(
        ctx,
        ProposalForm,
        obj=proposal,
        service_ids=[s.id for s in proposal.services] if proposal is not None else [],
    )
    form.service_ids.choices = options((s.id, s.name) for s in svc.editable_services(ctx.db, access))
    meetings = svc.platform_meetings(ctx.db, space.id)
    form.meeting_id.choices = options(
        [
            ("", _("Aucune (pas encore adoptée)")),
            *((m.id, f"{m.title} – {format_date(m.starts_at, 'd MMMM y')}") for m in meetings),
        ]
    )

    def save() -> Response:
        services = form.service_ids.data or []
        saved = svc.save_proposal(ctx.db, space.id, user, form.values(), services, proposal)
        url = ctx.url_for("acces_services:proposal", proposal_id=saved.id)
        return ctx.redirect(url, flash=_("Proposition enregistrée."))

    outcome = _submit(ctx, form, save)
    if isinstance(outcome, Response):
        return outcome
    return ctx.render(
        "acces_services/proposal_form.html",
        status_code=outcome,
        **_base(access, "proposals", form=form, proposal=proposal),
    )


@page
def proposal_new(ctx: RequestContext) -> Response:
    """Write a new proposal (animators)."""
    return _edit_proposal(ctx, None)


@page
def proposal_edit(ctx: RequestContext) -> Response:
    """Edit a proposal (animators)."""
    proposal = _found(svc.get_proposal(ctx.db, _int_param(ctx, "proposal_id")))
    return _edit_proposal(ctx, proposal)


@page
def proposal_status(ctx: RequestContext) -> Response:
    """Change a proposal's status, with the officials' answer (POST, animators); audited."""
    proposal = _found(svc.get_proposal(ctx.db, _int_param(ctx, "proposal_id")))
    space = _require_platform(ctx)
    user = ctx.require_user()
    access = _access(ctx, space)
    if not access.manage or proposal.space_id != space.id:
        raise HTTPException(403)
    form = bind(ctx, StatusForm)
    _status_choices(form, proposal)
    if form.validate():
        try:
            svc.change_status(ctx.db, proposal, user, form.status.data, form.answer.data or "", ctx.now())
        except svc.ServiceError as exc:
            _field_error(form, exc)
        else:
            return ctx.redirect(
                ctx.url_for("acces_services:proposal", proposal_id=proposal.id), flash=_("Statut mis à jour.")
            )
    history = audit.entries_for(ctx.db, Proposal.__tablename__, proposal.id)
    return ctx.render(
        "acces_services/proposal.html",
        status_code=400,
        **_base(
            access,
            "proposals",
            proposal=proposal,
            status_form=form,
            history=history,
            meeting_url=_meeting_url(ctx, proposal),
        ),
    )


# ---------------------------------------------------------------------------------------------
# settings (animators, admins)
# ---------------------------------------------------------------------------------------------


@page
def settings_view(ctx: RequestContext) -> Response:
    """The platform's settings: reference share, period kind, neighbourhood centre and distances."""
    space = _require_platform(ctx)
    user = ctx.require_user()
    access = _access(ctx, space)
    if not access.manage:
        raise HTTPException(403)
    current = svc.get_settings(ctx.db, space.id)
    form = bind(ctx, SettingsForm, obj=current)

    def save() -> Response:
        svc.update_settings(ctx.db, space.id, user, form.values())
        return ctx.redirect(ctx.url_for("acces_services:settings"), flash=_("Paramètres enregistrés."))

    outcome = _submit(ctx, form, save)
    if isinstance(outcome, Response):
        return outcome
    return ctx.render(
        "acces_services/settings.html", status_code=outcome, **_base(access, "settings", form=form)
    )


# ---------------------------------------------------------------------------------------------
# contributions to core pages (called from hooks.py)
# ---------------------------------------------------------------------------------------------


def nav_items(ctx: RequestContext) -> list[NavItem]:
    """The catalogue is public: one entry for everybody."""
    return [
        NavItem(
            "acces_services.catalogue",
            _("Accès aux services"),
            ctx.url_for("acces_services:catalogue"),
            order=40,
        )
    ]


def space_panels(ctx: RequestContext, space: Space) -> list[Panel]:
    """On the platform's space page: links, counts and (for members) the largest gaps."""
    if space.kind != SPACE_KIND:
        return []
    access = _access(ctx, space)
    settings = svc.get_settings(ctx.db, space.id)
    count = (
        ctx.db.scalar(
            select(func.count(Service.id)).where(
                Service.space_id == space.id, Service.archived_at.is_(None), Service.is_published.is_(True)
            )
        )
        or 0
    )
    gaps = _largest_gaps(ctx, space, settings, 3) if access.view_indicators else []
    html = ctx.render_string(
        "acces_services/_space_panel.html", access=access, count=count, gaps=gaps, fmt=ind
    )
    return [Panel("acces_services.platform", _("Catalogue et indicateurs"), html, order=10)]


def dashboard_panels(ctx: RequestContext) -> list[Panel]:
    """On a provider's or animator's home page: the services whose figures are due."""
    if ctx.user is None:
        return []
    space = _platform(ctx)
    access = _access(ctx, space)
    if space is None or not access.enters_figures:
        return []
    settings = svc.get_settings(ctx.db, space.id)
    last = periods.last_ended(_today(ctx), settings.period_kind)
    orgs = access.figure_orgs()
    missing = [
        s
        for s in svc.services_missing_figures(ctx.db, space.id, last)
        if orgs is None or s.organisation_id in orgs
    ]
    if not missing:
        return []
    html = ctx.render_string(
        "acces_services/_dashboard_panel.html", missing=missing[:10], more=len(missing) - 10, last=last
    )
    return [Panel("acces_services.figures_due", _("Fréquentation à saisir"), html, order=30)]


def partner_panels(ctx: RequestContext, organisation: Organisation | None) -> list[Panel]:
    """On an organisation's directory page: the services it offers in the catalogue."""
    if organisation is None:
        return []
    offered = svc.services_of_organisation(ctx.db, organisation.id)
    if not offered:
        return []
    html = ctx.render_string("acces_services/_partner_panel.html", services=offered)
    return [
        Panel("acces_services.services", _("Services au catalogue de l'accès aux services"), html, order=50)
    ]


routes: list[BaseRoute] = [
    Route("/", catalogue, name="catalogue"),
    Route("/guide", guide, name="guide"),
    Route("/services/nouveau", service_new, methods=["GET", "POST"], name="service_new"),
    Route("/services/{service_id:int}", service_detail, name="service"),
    Route("/services/{service_id:int}/modifier", service_edit, methods=["GET", "POST"], name="service_edit"),
    Route("/services/{service_id:int}/archivage", service_archive, methods=["POST"], name="service_archive"),
    Route("/frequentation", figures, name="figures"),
    Route("/frequentation/saisie", figure_new, methods=["GET", "POST"], name="figure_new"),
    Route(
        "/frequentation/{figure_id:int}/correction", figure_edit, methods=["GET", "POST"], name="figure_edit"
    ),
    Route("/frequentation/import", figures_import, methods=["GET", "POST"], name="figures_import"),
    Route("/frequentation/modele.csv", figures_template, name="figures_template"),
    Route("/indicateurs", indicators, name="indicators"),
    Route("/indicateurs.csv", indicators_csv, name="indicators_csv"),
    Route("/indicateurs/services/{service_id:int}", service_indicators, name="service_indicators"),
    Route("/plateforme", dashboard, name="dashboard"),
    Route("/propositions", proposals, name="proposals"),
    Route("/propositions/nouvelle", proposal_new, methods=["GET", "POST"], name="proposal_new"),
    Route("/propositions/{proposal_id:int}", proposal_detail, name="proposal"),
    Route(
        "/propositions/{proposal_id:int}/modifier",
        proposal_edit,
        methods=["GET", "POST"],
        name="proposal_edit",
    ),
    Route(
        "/propositions/{proposal_id:int}/statut", proposal_status, methods=["POST"], name="proposal_status"
    ),
    Route("/parametres", settings_view, methods=["GET", "POST"], name="settings"),
]
