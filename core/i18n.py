"""Translations (Babel catalogues, French first) and French date formatting.

Message ids are written in French; ``core/translations/en`` holds the English catalogue.
The current language lives in a context variable set per request (and per email), so the
shared Jinja environment and the services translate for whoever is being served.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
PARIS = ZoneInfo("Europe/Paris")
TRANSLATION_DIRS: list[Path] = [Path(__file__).parent / "translations"]

_language: ContextVar[str] = ContextVar("reseau_language", default=DEFAULT_LANGUAGE)


def add_translation_dir(path: Path) -> None:
    """Let a third-party plugin bring its own catalogues (merged over the core's)."""
    if path not in TRANSLATION_DIRS:
        TRANSLATION_DIRS.append(path)
        translations_for.cache_clear()


@cache
def translations_for(language: str) -> NullTranslations:
    """The merged catalogue for ``language``, read from the ``.po`` files (no build step)."""
    merged: NullTranslations | None = None
    for directory in TRANSLATION_DIRS:
        po_path = directory / language / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        loaded = Translations(buf)
        if isinstance(merged, Translations):
            merged.merge(loaded)
        else:
            merged = loaded
    return merged or NullTranslations()


def current_language() -> str:
    """The language of the request (or email) being handled."""
    return _language.get()


def set_language(language: str) -> None:
    """Switch the current context to ``language`` (falls back to French)."""
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def language(language: str) -> Iterator[None]:
    """Temporarily render in ``language`` (e.g. an email in the recipient's language)."""
    token = _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def gettext(message: str, **variables: object) -> str:
    """Translate ``message`` into the current language; ``%(name)s`` placeholders are filled."""
    text = translations_for(current_language()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    """Plural-aware translation; ``num`` is available as a placeholder."""
    text = translations_for(current_language()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def lazy_gettext(message: str) -> LazyProxy:
    """A translation evaluated when shown (for labels defined at import time)."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext

_DATETIME_PATTERNS = {"fr": "EEEE d MMMM y, HH 'h' mm", "en": "EEEE d MMMM y, HH:mm"}
_TIME_PATTERNS = {"fr": "HH 'h' mm", "en": "HH:mm"}


def to_paris(value: datetime) -> datetime:
    """An aware datetime expressed in Europe/Paris."""
    return value.astimezone(PARIS)


def format_datetime(value: datetime | None, pattern: str | None = None) -> str:
    """``mardi 3 mars 2026, 14 h 00`` (French) for an aware UTC datetime, shown in Paris time."""
    if value is None:
        return ""
    lang = current_language()
    return _babel_format_datetime(
        value, pattern or _DATETIME_PATTERNS[lang], tzinfo=PARIS, locale=Locale.parse(lang)
    )


def format_time(value: datetime | None) -> str:
    """``14 h 00`` in Paris time."""
    if value is None:
        return ""
    lang = current_language()
    return _babel_format_datetime(value, _TIME_PATTERNS[lang], tzinfo=PARIS, locale=Locale.parse(lang))


def format_date(value: date | datetime | None, pattern: str = "full") -> str:
    """``mardi 3 mars 2026`` (``full``), or another Babel pattern/format name."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_paris(value).date()
    return _babel_format_date(value, pattern, locale=Locale.parse(current_language()))
