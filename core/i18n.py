"""Translations (Babel catalogues, French first) and French date formatting.

Message ids are written in French. Each catalogue sits next to the code it translates:
``core/translations/en`` for the core, ``plugins/<name>/translations/en`` for each plugin. At
start-up ``create_app`` hands the enabled plugins' translation folders to
:func:`use_plugin_catalogues`; the core's catalogue is merged last, so a plugin can add
translations but never change how a core text reads. The current language lives in a context
variable set per request (and per email), so the shared Jinja environment and the services
translate for whoever is being served.
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
CORE_TRANSLATIONS = Path(__file__).parent / "translations"
# folders given by the running app (its enabled plugins) and by add_translation_dir, in order
_plugin_dirs: list[Path] = []
_extra_dirs: list[Path] = []

_language: ContextVar[str] = ContextVar("reseau_language", default=DEFAULT_LANGUAGE)


def use_plugin_catalogues(directories: list[Path]) -> None:
    """Load these plugins' ``translations`` folders (the enabled plugins of the app being built).

    Replaces the previous app's list, so a plugin that is not enabled brings no catalogue.
    Folders that do not exist are skipped (a plugin without translations is fine).
    """
    wanted = [d for d in directories if d.is_dir()]
    if wanted != _plugin_dirs:
        _plugin_dirs[:] = wanted
        translations_for.cache_clear()


def add_translation_dir(path: Path) -> None:
    """Add one more catalogue folder (kept across apps; merged under the core's)."""
    if path not in _extra_dirs:
        _extra_dirs.append(path)
        translations_for.cache_clear()


def translation_dirs() -> list[Path]:
    """The catalogue folders in merge order: plugins and extras first, the core last (it wins)."""
    return [*_plugin_dirs, *(d for d in _extra_dirs if d not in _plugin_dirs), CORE_TRANSLATIONS]


@cache
def translations_for(language: str) -> NullTranslations:
    """The merged catalogue for ``language``, read from the ``.po`` files (no build step)."""
    merged: NullTranslations | None = None
    for directory in translation_dirs():
        po_path = directory / language / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        for message in list(catalog):
            # an untranslated plural reads ("", "") and would print as nothing: fall back to French
            if message.id and isinstance(message.string, tuple) and not all(message.string):
                catalog.delete(message.id, context=message.context)
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


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (it is translated when shown)."""
    return message


def lazy_gettext(message: str) -> LazyProxy:
    """A translation evaluated when shown (for labels defined at import time)."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext

_DATETIME_PATTERNS = {"fr": "EEEE d MMMM y, HH 'h' mm", "en": "EEEE d MMMM y, HH:mm"}
_TIME_PATTERNS = {"fr": "HH 'h' mm", "en": "HH:mm"}
# the catalogue is British English, so are the dates ("Monday 2 March 2026", 02/03/2026)
_FORMAT_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
# "full" without CLDR's comma after the weekday, like the date-and-time pattern above
_FULL_DATE_PATTERNS = {"en": "EEEE d MMMM y"}


def to_paris(value: datetime) -> datetime:
    """An aware datetime expressed in Europe/Paris."""
    return value.astimezone(PARIS)


def _format_locale(lang: str) -> Locale:
    return Locale.parse(_FORMAT_LOCALES.get(lang, lang))


def format_datetime(value: datetime | None, pattern: str | None = None) -> str:
    """``mardi 3 mars 2026, 14 h 00`` (French) for an aware UTC datetime, shown in Paris time."""
    if value is None:
        return ""
    lang = current_language()
    return _babel_format_datetime(
        value, pattern or _DATETIME_PATTERNS[lang], tzinfo=PARIS, locale=_format_locale(lang)
    )


def format_time(value: datetime | None) -> str:
    """``14 h 00`` in Paris time."""
    if value is None:
        return ""
    lang = current_language()
    return _babel_format_datetime(value, _TIME_PATTERNS[lang], tzinfo=PARIS, locale=_format_locale(lang))


def format_date(value: date | datetime | None, pattern: str = "full") -> str:
    """``mardi 3 mars 2026`` (``full``), or another Babel pattern/format name."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_paris(value).date()
    lang = current_language()
    if pattern == "full":
        pattern = _FULL_DATE_PATTERNS.get(lang, pattern)
    return _babel_format_date(value, pattern, locale=_format_locale(lang))
