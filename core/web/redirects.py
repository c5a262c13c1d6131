"""Validation of ``next=`` targets: only local paths, never another site."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a local path (one leading ``/``, no ``//``, ``\\`` or control chars).

    Anything else – absolute URLs, scheme-relative ``//evil``, ``/\\evil``, encoded tricks –
    gives ``default``.
    """
    if not value or not isinstance(value, str) or len(value) > 2000:
        return default
    if not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or _CONTROL.search(value):
        return default
    lowered = value.lower()
    if "%2f%2f" in lowered[:6] or "%5c" in lowered or lowered.startswith("/%2f") or lowered.startswith("/%09"):
        return default
    return value
