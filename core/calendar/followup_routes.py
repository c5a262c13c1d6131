"""Routes of the follow-up of meetings: attendance, sign-in sheets, minutes, action items
(filled by the follow-up work; mounted under ``/agenda`` with the calendar routes)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
