"""The single Jinja environment: core templates, one loader per plugin, filters, i18n.

Lookup order: ``core:<name>`` always means the core's template (for overrides that extend
it); otherwise plugin directories first, then the core. Plugins keep their templates under
``templates/<plugin>/`` so they never shadow a core template (a contract test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from markupsafe import Markup

from core import i18n

CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def safe_url(value: str | None) -> str:
    """The URL if it is http(s), else an empty string (no ``javascript:`` in an href)."""
    if not value:
        return ""
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return ""
    return value.strip() if scheme in ("http", "https") else ""


def format_phone(value: str | None) -> str:
    """An E.164 number in national French format (``01 49 41 00 00``), others international."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 33
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def _datetime(value: datetime | None, pattern: str | None = None) -> str:
    return i18n.format_datetime(value, pattern)


def _date(value: date | datetime | None, pattern: str = "full") -> str:
    return i18n.format_date(value, pattern)


@pass_context
def _url_for(context: Any, name: str, /, **params: Any) -> str:
    ctx = context.get("ctx")
    if ctx is not None:
        return str(ctx.url_for(name, **params))
    return str(context["request"].app.url_path_for(name, **params))


@pass_context
def _static(context: Any, path: str) -> str:
    return _url_for(context, "static", path=path)


def make_environment(plugin_template_dirs: Iterable[Path] = ()) -> Environment:
    """Build the Jinja environment for the core and the given plugin template directories."""
    core_loader = FileSystemLoader(str(CORE_TEMPLATES))
    loaders: list[Any] = [PrefixLoader({"core": core_loader}, delimiter=":")]
    loaders += [FileSystemLoader(str(p)) for p in plugin_template_dirs]
    loaders.append(core_loader)
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations_for(i18n.current_language()).gettext(message),
        lambda singular, plural, n: i18n.translations_for(i18n.current_language()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.filters.update(
        datetime=_datetime,
        date=_date,
        time=i18n.format_time,
        safe_url=safe_url,
        phone=format_phone,
    )
    env.globals.update(url_for=_url_for, static=_static, Markup=Markup)
    return env
