"""ASGI entry point for uvicorn (``core.asgi:app``): the app built from the environment."""

from __future__ import annotations

from core.app import create_app

app = create_app()
