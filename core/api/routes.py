"""JSON API routes (mounted at ``/api/v1``, names ``api:…``): public meetings for the city's website.

Every answer is JSON, errors included (``{"error": "…", "parameter": "…"}``), and carries
``Access-Control-Allow-Origin: *`` (Starlette's CORS middleware, GET only, no credentials) so
another site's pages can fetch it. The OpenAPI 3.1 document at ``/api/v1/openapi.json`` is made
by Starlette's ``SchemaGenerator`` from the YAML after ``---`` in each endpoint's docstring,
so the description lives next to the code it describes.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.schemas import SchemaGenerator

from core.api import services
from core.calendar.feed_routes import meeting_url
from core.web.context import RequestContext, page

#: public data: browsers and proxies may keep an answer for a minute
CACHE_CONTROL = "public, max-age=60"

_MEETING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "uid",
        "title",
        "description",
        "kind",
        "kind_label",
        "space",
        "starts_at",
        "ends_at",
        "timezone",
        "location",
        "room",
        "online_url",
        "status",
        "sequence",
        "url",
        "ics_url",
    ],
    "properties": {
        "id": {"type": "integer", "examples": [42]},
        "uid": {"type": "string", "description": "iCalendar UID, stable for the life of the meeting"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "kind": {"type": "string", "description": "declared meeting kind", "examples": ["core.pleniere"]},
        "kind_label": {"type": "string", "examples": ["Plénière"]},
        "space": {
            "type": "object",
            "required": ["slug", "name"],
            "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
        },
        "starts_at": {
            "type": "string",
            "format": "date-time",
            "description": "start, Europe/Paris time with its UTC offset",
            "examples": ["2026-03-10T14:00:00+01:00"],
        },
        "ends_at": {"type": "string", "format": "date-time"},
        "timezone": {"type": "string", "const": "Europe/Paris"},
        "location": {"type": "string", "description": "address or place name (may be empty)"},
        "room": {"type": "string", "description": "room (may be empty)"},
        "online_url": {"type": "string", "description": "video-conference link (may be empty)"},
        "status": {"type": "string", "enum": list(services.STATUSES)},
        "sequence": {
            "type": "integer",
            "description": "iCalendar SEQUENCE, raised on every significant change",
        },
        "url": {"type": "string", "format": "uri", "description": "the meeting's page"},
        "ics_url": {"type": "string", "format": "uri", "description": "the meeting as an .ics file"},
    },
}

BASE_SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Réseau – API publique",
        "version": "1.0.0",
        "description": (
            "Les réunions publiques du réseau des partenaires du Contrat de ville, pour le site de la "
            "ville. Lecture seule, sans authentification ; heures en Europe/Paris avec leur décalage."
        ),
    },
    "components": {
        "schemas": {
            "Meeting": _MEETING_SCHEMA,
            "MeetingPage": {
                "type": "object",
                "required": ["total", "limit", "offset", "next", "previous", "items"],
                "properties": {
                    "total": {"type": "integer", "description": "meetings matching the filters"},
                    "limit": {"type": "integer"},
                    "offset": {"type": "integer"},
                    "next": {"type": ["string", "null"], "format": "uri"},
                    "previous": {"type": ["string", "null"], "format": "uri"},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Meeting"}},
                },
            },
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string", "description": "the reason, in French"},
                    "parameter": {"type": "string", "description": "the query parameter at fault"},
                },
            },
        }
    },
}


def _error(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    body = {"error": message}
    if parameter is not None:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


def _json(ctx: RequestContext, meeting: Any, space: Any) -> dict[str, Any]:
    kind = ctx.state.registry.meeting_kinds.get(meeting.kind)
    return services.meeting_json(
        meeting,
        space,
        kind_label=str(kind.label) if kind is not None else meeting.kind,
        url=meeting_url(ctx.request.app, meeting.id),
        ics_url=ctx.absolute_url("feeds:meeting_ics", meeting_id=meeting.id),
    )


@page
def meetings(ctx: RequestContext) -> Response:
    """Public meetings, by start time, filtered and paginated.
    ---
    operationId: listMeetings
    summary: Réunions publiques
    description: >-
      Public meetings in start order. ``from`` and ``to`` are days in Europe/Paris, both
      included, compared with the start of the meeting. Cancelled meetings are listed with
      status ``cancelled`` unless ``status`` filters them out.
    parameters:
      - {name: space, in: query, schema: {type: string}, description: "space slug"}
      - {name: from, in: query, schema: {type: string, format: date}, description: "first day"}
      - {name: to, in: query, schema: {type: string, format: date}, description: "last day"}
      - {name: kind, in: query, schema: {type: string}, description: "meeting kind, e.g. core.pleniere"}
      - {name: status, in: query, schema: {type: string, enum: [scheduled, cancelled]}}
      - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
      - {name: offset, in: query, schema: {type: integer, minimum: 0, default: 0}}
    responses:
      "200":
        description: a page of meetings
        content:
          application/json:
            schema: {$ref: "#/components/schemas/MeetingPage"}
      "400":
        description: a parameter is invalid, or the space does not exist
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Error"}
    """
    params = ctx.request.query_params
    try:
        query = services.parse_query(params, ctx.state.registry.meeting_kinds)
        rows, total = services.public_meetings(ctx.db, query)
    except services.QueryError as exc:
        return _error(400, exc.message, exc.parameter)

    def link(offset: int) -> str:
        kept = {k: v for k, v in params.items() if k != "offset"}
        return ctx.state.settings.base_url + ctx.url_for("api:meetings", query={**kept, "offset": offset})

    following, previous = services.page_links(query, total, link)
    body = {
        "total": total,
        "limit": query.limit,
        "offset": query.offset,
        "next": following,
        "previous": previous,
        "items": [_json(ctx, meeting, space) for meeting, space in rows],
    }
    return JSONResponse(body, headers={"Cache-Control": CACHE_CONTROL})


@page
def meeting(ctx: RequestContext) -> Response:
    """One public meeting.
    ---
    operationId: getMeeting
    summary: Une réunion publique
    parameters:
      - {name: meeting_id, in: path, required: true, schema: {type: integer}}
    responses:
      "200":
        description: the meeting
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Meeting"}
      "404":
        description: no public meeting has this id
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Error"}
    """
    found = services.public_meeting(ctx.db, int(ctx.request.path_params["meeting_id"]))
    if found is None:
        return _error(404, ctx._("Aucune réunion publique ne porte ce numéro."))
    return JSONResponse(_json(ctx, *found), headers={"Cache-Control": CACHE_CONTROL})


@page
def openapi(ctx: RequestContext) -> Response:
    """The OpenAPI 3.1 description of this API."""
    schema = openapi_schema(ctx.state.settings.base_url)
    return JSONResponse(schema, headers={"Cache-Control": CACHE_CONTROL})


def openapi_schema(base_url: str) -> dict[str, Any]:
    """The OpenAPI document: :data:`BASE_SCHEMA` plus each endpoint's docstring YAML."""
    generator = SchemaGenerator({**BASE_SCHEMA, "servers": [{"url": base_url + "/api/v1"}]})
    schema = generator.get_schema(api_routes)
    schema["paths"] = dict(sorted(schema["paths"].items()))
    return schema


api_routes: list[BaseRoute] = [
    Route("/meetings", meetings, name="meetings"),
    Route("/meetings/{meeting_id:int}", meeting, name="meeting"),
    Route("/openapi.json", openapi, name="openapi", include_in_schema=False),
]

routes: list[BaseRoute] = [
    Mount(
        "",
        routes=api_routes,
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"], max_age=86400)],
    )
]
