"""The baselines of the web benchmarks: bare Starlette endpoints on the same database.

``/recherche?q=`` runs exactly the directory's full-text query (count and first page of 20,
tags loaded) and returns the names as plain HTML, without templates, sessions, middleware or
plugins; ``/constante`` returns a constant page. Served by ``uvicorn bench.bare:app`` with
``RESEAU_DATABASE_URL`` set.
"""

from __future__ import annotations

import html
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from core.db import make_engine, make_session_factory
from core.directory.search import OrganisationFilters, search_organisations

CONSTANT = (
    "<!doctype html><html lang=fr><title>Constante</title><main><h1>Réseau</h1>"
    + ("<p>Une page constante, sans base de données ni gabarit.</p>" * 40)
    + "</main></html>"
)

_engine = make_engine(os.environ["RESEAU_DATABASE_URL"])
_sessions = make_session_factory(_engine)


def search(request: Request) -> HTMLResponse:
    """The directory's search query alone (sync: Starlette runs it in a worker thread, as the real views)."""
    with _sessions() as db:
        results = search_organisations(db, OrganisationFilters(q=request.query_params.get("q", "")))
        names = "".join(f"<li>{html.escape(o.name)} ({len(o.tags)})</li>" for o in results.items)
    return HTMLResponse(f"<!doctype html><p>{results.total}</p><ol>{names}</ol>")


async def constant(request: Request) -> HTMLResponse:
    """A constant page: what the server and the protocol cost alone."""
    return HTMLResponse(CONSTANT)


app = Starlette(routes=[Route("/recherche", search), Route("/constante", constant)])
