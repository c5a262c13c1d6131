"""Reminder pages: the admins' "Courriels" page, preferences, unsubscribe (filled by the reminders work)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
