"""Validation of ``next=`` targets: only local paths, never another site."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000


def _is_local_path(value: str) -> bool:
    """One leading ``/`` then not ``/`` or ``\\``; no backslash, control or invisible character."""
    if not value.startswith("/") or value[1:2] in ("/", "\\"):
        return False
    if "\\" in value:
        return False
    # C* covers control (tab, newline…), format (zero-width…), surrogate and private characters;
    # browsers strip tabs and newlines, so "/\t/evil" would become "//evil"
    if any(unicodedata.category(ch).startswith("C") or ch in "\u2028\u2029" for ch in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a local path of this site, else ``default``.

    The value and each of its percent-decodings must pass :func:`_is_local_path`, so
    ``//evil``, ``/\\evil``, ``https://evil``, ``javascript:``, ``%2F%2Fevil``, ``/%2F/evil``,
    ``/%09/evil`` and the like all give ``default``.
    """
    if not value or not isinstance(value, str) or len(value) > MAX_LENGTH:
        return default
    candidate = value
    for _ in range(3):  # double and triple encodings too
        if not _is_local_path(candidate):
            return default
        decoded = unquote(candidate)
        if decoded == candidate:
            return value
        candidate = decoded
    return default  # still encoded after three rounds: not a path anyone types
