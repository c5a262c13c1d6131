"""iCalendar routes (mounted at ``/ical``, names ``feeds:…``): per-meeting ``.ics``, public and
private feeds, and the subscription page where a user gets, renews or revokes their private link.

What a feed holds, the window and the caching are described in :mod:`core.calendar.feeds`.
Feeds answer conditional GETs: ``ETag`` (a hash of the feed's meetings, their SEQUENCE and last
change) and ``Last-Modified`` (the latest change). Only ``If-None-Match`` decides a 304: a
meeting leaving a feed (made members-only, a user leaving a space) changes the ETag but not
the latest change date, so ``If-Modified-Since`` alone could keep a removed meeting alive.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import NoMatchFound, Route

from core.calendar import feeds
from core.calendar.models import Meeting
from core.calendar.visibility import can_see
from core.db import transaction
from core.i18n import PARIS
from core.spaces.models import Space
from core.web.context import RequestContext, page

if TYPE_CHECKING:
    from core.app import AppState

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
#: the meeting page's documented path, used until the calendar mounts ``calendar:meeting``
MEETING_PATH = "/agenda/reunions/{meeting_id}"


# -------------------------------------------------------------------------------------- links


def meeting_path(app: Starlette, meeting_id: int) -> str:
    """The path of a meeting's page (``calendar:meeting``), the one place it is built."""
    try:
        return str(app.url_path_for("calendar:meeting", meeting_id=meeting_id))
    except NoMatchFound:
        return MEETING_PATH.format(meeting_id=meeting_id)


def meeting_url(app: Starlette, meeting_id: int) -> str:
    """The absolute URL of a meeting's page, from ``RESEAU_BASE_URL``."""
    state: AppState = app.state.reseau
    return state.settings.base_url + meeting_path(app, meeting_id)


def webcal(url: str) -> str:
    """The ``webcal://`` form of an http(s) feed URL (calendar apps subscribe on a click)."""
    return "webcal://" + url.split("://", 1)[1]


def feed_runtime(request: Request) -> feeds.FeedRuntime:
    """This app's feed state (event cache, meeting links), created on first use."""
    state: AppState = request.app.state.reseau
    runtime = state.extras.get("feeds")
    if runtime is None:
        runtime = feeds.FeedRuntime(
            meeting_url=partial(meeting_url, request.app),
            base_url=state.settings.base_url,
            language=state.settings.default_language,
        )
        runtime = state.extras.setdefault("feeds", runtime)
    return runtime  # type: ignore[no-any-return]


# -------------------------------------------------------------------------------------- HTTP


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, ``*`` included)."""
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def _feed_headers(spec: feeds.FeedSpec, etag: str, last_modified: datetime | None) -> dict[str, str]:
    headers = {
        "ETag": etag,
        # clients and proxies may keep it but must ask again (cheap: usually a 304)
        "Cache-Control": "private, no-cache" if spec.private else "public, no-cache",
    }
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified, usegmt=True)
    if spec.private:
        headers["X-Robots-Tag"] = "noindex"
    return headers


def _serve_feed(ctx: RequestContext, spec: feeds.FeedSpec) -> Response:
    if_none_match = ctx.request.headers.get("if-none-match")
    answer = feeds.answer_feed(
        ctx.db,
        spec,
        now=ctx.now(),
        runtime=feed_runtime(ctx.request),
        not_modified=lambda etag: etag_matches(if_none_match, etag),
    )
    headers = _feed_headers(spec, answer.etag, answer.last_modified)
    if answer.body is None:
        return Response(status_code=304, headers=headers)
    if answer.fresh:
        ctx.after_commit(partial(_store_events, ctx.state, answer.fresh, ctx.now()))
    return Response(answer.body, media_type=ICS_MEDIA_TYPE, headers=headers)


def _store_events(state: AppState, events: list[feeds.StoredEvent], now: datetime) -> None:
    """Share freshly serialised events with the other workers; a failure only costs speed."""
    try:
        with transaction(state.session_factory) as db:
            feeds.store_events(db, events, now)
    except SQLAlchemyError:
        feeds.log.warning("could not store %d feed events in the shared cache", len(events), exc_info=True)


def _touch_token(state: AppState, token_id: int, now: datetime) -> None:
    try:
        with transaction(state.session_factory) as db:
            feeds.touch_token(db, token_id, now)
    except SQLAlchemyError:
        feeds.log.warning("could not record the use of feed token %s", token_id, exc_info=True)


# ------------------------------------------------------------------------------------- routes


@page
def meeting_ics(ctx: RequestContext) -> Response:
    """One meeting as an ``.ics`` file, for whoever may see the meeting."""
    meeting_id = int(ctx.request.path_params["meeting_id"])
    row = ctx.db.execute(
        select(Meeting, Space.name).join(Space, Space.id == Meeting.space_id).where(Meeting.id == meeting_id)
    ).first()
    if row is None:
        raise HTTPException(404)
    meeting, space_name = row
    if not can_see(ctx.db, ctx.user, meeting):
        if ctx.user is None:
            ctx.require_user()  # a members-only meeting: sign in, then come back
        raise HTTPException(404)
    body = feeds.meeting_file(meeting, space_name, runtime=feed_runtime(ctx.request))
    filename = f"reunion-{meeting.starts_at.astimezone(PARIS):%Y-%m-%d}-{meeting.id}.ics"
    return Response(
        body,
        media_type=ICS_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-cache",
        },
    )


@page
def public_feed(ctx: RequestContext) -> Response:
    """Every public meeting."""
    return _serve_feed(ctx, feeds.public_feed())


@page
def space_feed(ctx: RequestContext) -> Response:
    """The public meetings of one space."""
    space = ctx.db.scalar(select(Space).where(Space.slug == ctx.request.path_params["slug"]))
    if space is None:
        raise HTTPException(404)
    return _serve_feed(ctx, feeds.space_feed(space))


@page
def private_feed(ctx: RequestContext) -> Response:
    """A user's private feed, reached by its secret token (no session: calendar apps poll it)."""
    owner = feeds.token_owner(ctx.db, ctx.request.path_params["token"])
    if owner is None:
        raise HTTPException(404)
    token, user = owner
    response = _serve_feed(ctx, feeds.private_feed(ctx.db, user))
    if feeds.token_needs_touch(token, ctx.now()):
        ctx.after_commit(partial(_touch_token, ctx.state, token.id, ctx.now()))
    return response


def _subscribe_page(ctx: RequestContext, *, new_token: str | None = None, status_code: int = 200) -> Response:
    spaces = ctx.db.scalars(select(Space).where(Space.closed_at.is_(None)).order_by(Space.name)).all()
    public_url = ctx.absolute_url("feeds:public")
    space_links = [(space, ctx.absolute_url("feeds:space", slug=space.slug)) for space in spaces]
    token = feeds.active_token(ctx.db, ctx.user) if ctx.user is not None else None
    private_url = ctx.absolute_url("feeds:private", token=new_token) if new_token else None
    return ctx.render(
        "feeds/subscribe.html",
        status_code=status_code,
        public_url=public_url,
        space_links=space_links,
        token=token,
        private_url=private_url,
        webcal=webcal,
        login_url=ctx.url_for("accounts:login", query={"next": ctx.url_for("feeds:subscribe")}),
        past_months=feeds.FEED_PAST.days * 12 // 365,
    )


@page
def subscribe(ctx: RequestContext) -> Response:
    """How to subscribe: public feeds for everyone, the private link for a signed-in user."""
    return _subscribe_page(ctx)


@page
def issue_token(ctx: RequestContext) -> Response:
    """Create (or renew, revoking the old one) the user's private feed link, shown this once."""
    user = ctx.require_user()
    token = feeds.issue_token(ctx.db, user, ctx.now())
    ctx.flash(
        ctx._("Votre nouveau lien d'abonnement est prêt. Copiez-le maintenant : il ne sera plus affiché.")
    )
    return _subscribe_page(ctx, new_token=token)


@page
def revoke_token(ctx: RequestContext) -> Response:
    """Revoke the user's private feed link: calendars subscribed with it stop updating."""
    user = ctx.require_user()
    if feeds.revoke_tokens(ctx.db, user, ctx.now()):
        message = ctx._("Votre lien d'abonnement privé est révoqué. Il ne donne plus accès à votre agenda.")
    else:
        message = ctx._("Vous n'aviez aucun lien d'abonnement privé actif.")
    return ctx.redirect(ctx.url_for("feeds:subscribe"), flash=message)


routes = [
    Route("/reunions/{meeting_id:int}.ics", meeting_ics, name="meeting_ics"),
    Route("/public.ics", public_feed, name="public"),
    Route("/espaces/{slug}.ics", space_feed, name="space"),
    Route("/prive/{token}.ics", private_feed, name="private"),
    Route("/abonnement", subscribe, name="subscribe"),
    Route("/abonnement/lien", issue_token, methods=["POST"], name="token_issue"),
    Route("/abonnement/revoquer", revoke_token, methods=["POST"], name="token_revoke"),
]
