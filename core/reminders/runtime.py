"""What the web process runs beside the app: the in-process scheduler (filled by the reminders work)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.app import AppState


@asynccontextmanager
async def lifespan(state: AppState) -> AsyncIterator[None]:
    """Start the reminder jobs when ``state.settings.run_scheduler``; stop them on shutdown."""
    yield
