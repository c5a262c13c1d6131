"""Calendar pages: month, week and list views, and the page of each meeting.

The management pages (create, edit, cancel, series, agenda) live in
:mod:`core.calendar.meeting_routes`, invitations and answers in
:mod:`core.calendar.invitation_routes`; every route of the calendar is listed in ``routes``
at the end of this module (mounted at ``/agenda`` as ``calendar:*``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from core.calendar import agenda, invitations, rsvp, services, views
from core.calendar.access import can_manage_meeting, int_param, load_meeting
from core.calendar.conflicts import find_conflicts, mark_visible
from core.calendar.followup import meeting_followup
from core.calendar.fragments import FragmentCache
from core.calendar.models import SCHEDULED
from core.calendar.timeparse import paris_today
from core.calendar.views import CalendarFilters
from core.i18n import format_date
from core.spaces.models import Space
from core.web.context import RequestContext, page


def _filters(ctx: RequestContext) -> CalendarFilters:
    params = ctx.request.query_params
    kind = params.get("kind") or None
    return CalendarFilters(
        space_id=int_param(params.get("space")),
        kind=kind if kind in ctx.state.registry.meeting_kinds else None,
        mine=params.get("mine") == "1" and ctx.user is not None,
    )


def _filter_context(ctx: RequestContext, filters: CalendarFilters, view: str, **keep: Any) -> dict[str, Any]:
    """What the filter form and the view switch need."""
    spaces = ctx.db.execute(
        select(Space.id, Space.name).where(Space.closed_at.is_(None)).order_by(Space.name)
    ).all()
    kinds = [(k.name, str(k.label)) for k in ctx.state.registry.meeting_kinds.values()]
    query = {**filters.query(), **keep}
    return {
        "filters": filters,
        "filter_spaces": spaces,
        "filter_kinds": kinds,
        "view": view,
        "view_links": {
            "month": ctx.url_for("calendar:month", query=query),
            "week": ctx.url_for("calendar:week", query=query),
            "list": ctx.url_for("calendar:list", query=query),
        },
        "keep": keep,
        "can_plan": bool(services.manageable_spaces(ctx.db, ctx.state.registry, ctx.user))
        if ctx.user
        else False,
        "subscribe_url": ctx.url_for("feeds:subscribe"),
        # "/agenda/reunions/": built once, not once per meeting (url_for is costly on big months)
        "meeting_path_prefix": ctx.url_for("calendar:meeting", meeting_id=0).removesuffix("0"),
    }


def _grid_cache(ctx: RequestContext) -> FragmentCache:
    """This app's cache of rendered month grids (one per process)."""
    cache = ctx.state.extras.get("calendar.grids")
    if cache is None:
        cache = ctx.state.extras.setdefault("calendar.grids", FragmentCache())
    return cache


@page
def month(ctx: RequestContext) -> Response:
    """The month grid (``?month=2026-03``), over every space the viewer may see."""
    today = paris_today(ctx.now())
    year, month_number = views.parse_month(ctx.request.query_params.get("month"), today)
    filters = _filters(ctx)
    first, end = views.month_bounds(year, month_number)
    start_utc, end_utc = views.utc_range(first, end)
    entries = views.meetings_between(ctx.db, ctx.state.registry, ctx.user, start_utc, end_utc, filters)
    weeks = views.month_grid(year, month_number, entries, today)
    prev_y, prev_m = views.shift_month(year, month_number, -1)
    next_y, next_m = views.shift_month(year, month_number, 1)
    month_param = f"{year:04d}-{month_number:02d}"
    filter_context = _filter_context(ctx, filters, "month", month=month_param)
    grid_context = {
        "weeks": weeks,
        "month_start": date(year, month_number, 1),
        "count": len(entries),
        "filters": filters,
        "meeting_path_prefix": filter_context["meeting_path_prefix"],
    }
    # the key is what the grid shows: the meetings' rows themselves, so a change is a new key
    key = ("month", ctx.language, year, month_number, today, tuple(filters.query().items()), tuple(entries))
    grid = _grid_cache(ctx).get_or_render(
        key, lambda: ctx.render_string("calendar/_month_grid.html", **grid_context)
    )
    return ctx.render(
        "calendar/month.html",
        grid=grid,
        month_start=grid_context["month_start"],
        today=today,
        count=len(entries),
        prev_url=ctx.url_for(
            "calendar:month", query={**filters.query(), "month": f"{prev_y:04d}-{prev_m:02d}"}
        ),
        next_url=ctx.url_for(
            "calendar:month", query={**filters.query(), "month": f"{next_y:04d}-{next_m:02d}"}
        ),
        today_url=ctx.url_for("calendar:month", query=filters.query()),
        prev_label=format_date(date(prev_y, prev_m, 1), "MMMM y"),
        next_label=format_date(date(next_y, next_m, 1), "MMMM y"),
        **filter_context,
    )


@page
def week(ctx: RequestContext) -> Response:
    """The week (Monday to Sunday) containing ``?date=2026-03-04``."""
    today = paris_today(ctx.now())
    day = views.parse_day(ctx.request.query_params.get("date"), today)
    monday = day - timedelta(days=day.weekday())
    filters = _filters(ctx)
    start_utc, end_utc = views.utc_range(monday, monday + timedelta(days=7))
    entries = views.meetings_between(ctx.db, ctx.state.registry, ctx.user, start_utc, end_utc, filters)
    return ctx.render(
        "calendar/week.html",
        days=views.week_days(monday, entries, today),
        monday=monday,
        sunday=monday + timedelta(days=6),
        today=today,
        count=len(entries),
        prev_url=ctx.url_for(
            "calendar:week", query={**filters.query(), "date": (monday - timedelta(days=7)).isoformat()}
        ),
        next_url=ctx.url_for(
            "calendar:week", query={**filters.query(), "date": (monday + timedelta(days=7)).isoformat()}
        ),
        today_url=ctx.url_for("calendar:week", query=filters.query()),
        **_filter_context(ctx, filters, "week", date=monday.isoformat()),
    )


@page
def agenda_list(ctx: RequestContext) -> Response:
    """The list (agenda) view between ``?start=`` and ``?end=`` (inclusive), paginated."""
    today = paris_today(ctx.now())
    params = ctx.request.query_params
    start = views.parse_day(params.get("start"), today)
    end = views.parse_day(params.get("end"), start + timedelta(days=90))
    notice = None
    if end < start:
        start, end = end, start
    if (end - start).days > views.MAX_LIST_DAYS:
        end = start + timedelta(days=views.MAX_LIST_DAYS)
        notice = ctx._("La période affichée est limitée à un an.")
    page_number = int_param(params.get("page")) or 1
    filters = _filters(ctx)
    start_utc, end_utc = views.utc_range(start, end + timedelta(days=1))
    total = views.count_between(ctx.db, ctx.state.registry, ctx.user, start_utc, end_utc, filters)
    pages = max(1, -(-total // views.LIST_PAGE_SIZE))
    page_number = min(page_number, pages)
    entries = views.meetings_between(
        ctx.db,
        ctx.state.registry,
        ctx.user,
        start_utc,
        end_utc,
        filters,
        limit=views.LIST_PAGE_SIZE,
        offset=(page_number - 1) * views.LIST_PAGE_SIZE,
    )
    range_query = {"start": start.isoformat(), "end": end.isoformat()}

    def url_for_page(n: int) -> str:
        return ctx.url_for("calendar:list", query={**filters.query(), **range_query, "page": n})

    return ctx.render(
        "calendar/list.html",
        groups=views.group_by_start_day(entries),
        start=start,
        end=end,
        total=total,
        notice=notice,
        pagination={"number": page_number, "pages": pages},
        url_for_page=url_for_page,
        today=today,
        **_filter_context(ctx, filters, "list", **range_query),
    )


@page
def meeting_detail(ctx: RequestContext) -> Response:
    """A meeting's page: details, place, online link, agenda, invitations, then its follow-up."""
    meeting = load_meeting(ctx, int(ctx.request.path_params["meeting_id"]))
    manage = can_manage_meeting(ctx, meeting)
    now = ctx.now()
    agenda_data = agenda.agenda_view(ctx.db, meeting, now=now)
    summary = invitations.invitation_summary(ctx.db, meeting.id) if manage else None
    mine = None
    my_rsvp_url = None
    if ctx.user is not None and ctx.user.contact_id is not None:
        mine = invitations.invitation_for_contact(ctx.db, meeting.id, ctx.user.contact_id)
        if mine is not None and meeting.status == SCHEDULED and meeting.ends_at > now:
            my_rsvp_url = ctx.url_for(
                "calendar:rsvp", token=rsvp.make_token(ctx.state.settings.secret_key, mine.id, now=now)
            )
    conflicts = []
    if manage and meeting.status == SCHEDULED and meeting.ends_at > now:
        conflicts = find_conflicts(
            ctx.db,
            space_id=meeting.space_id,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            room=meeting.room,
            exclude_meeting_id=meeting.id,
        )
        mark_visible(ctx.db, ctx.user, conflicts)
    followup = meeting_followup(ctx.db, meeting, ctx.user, can_manage=manage)
    return ctx.render(
        "calendar/meeting.html",
        meeting=meeting,
        kind_label=views.kind_label(ctx.state.registry, meeting.kind),
        can_manage=manage,
        agenda=agenda_data,
        summary=summary,
        my_invitation=mine,
        my_rsvp_url=my_rsvp_url,
        response_label=invitations.response_label,
        conflicts=conflicts,
        followup=followup,
        ics_url=ctx.url_for("feeds:meeting_ics", meeting_id=meeting.id),
        is_past=meeting.ends_at <= now,
    )


def _all_routes() -> list[BaseRoute]:
    from core.calendar.invitation_routes import routes as invitation_routes
    from core.calendar.meeting_routes import routes as meeting_routes

    return [
        Route("/", month, name="month"),
        Route("/semaine", week, name="week"),
        Route("/liste", agenda_list, name="list"),
        Route("/reunions/{meeting_id:int}", meeting_detail, name="meeting"),
        *meeting_routes,
        *invitation_routes,
    ]


routes: list[BaseRoute] = _all_routes()
