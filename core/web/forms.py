"""Form handling on top of WTForms: French messages, request data, reusable validators.

Views build forms with :func:`bind`; templates render them with ``macros/forms.html``. The
CSRF token is checked before the view runs (see :mod:`core.web.context`), so forms here carry
no CSRF machinery of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from wtforms import Field, Form, ValidationError

from core.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from core.web.context import RequestContext

F = TypeVar("F", bound=Form)

REQUIRED = _l("Ce champ est obligatoire.")


class BaseForm(Form):
    """Base of every Réseau form: WTForms' own messages in the request's language."""

    class Meta:
        locales = ("fr_FR", "fr")
        cache_translations = True


def bind(ctx: RequestContext, form_class: type[F], obj: Any = None, **data: Any) -> F:
    """A form filled from the POSTed data (``ctx.form``) or, on GET, from ``obj``/``data``."""
    meta = {"locales": ("fr_FR", "fr") if ctx.language == "fr" else ("en",)}
    return form_class(formdata=ctx.form, obj=obj, meta=meta, **data)


def normalise_phone(value: str, region: str = "FR") -> str:
    """A phone number in E.164 (``+33149410000``); raises ``ValueError`` with a French message."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(_l("Numéro de téléphone illisible."))) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(str(_l("Ce numéro de téléphone n'existe pas.")))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email_address(value: str) -> str:
    """A syntactically valid address (no DNS lookup), lower-cased domain; ``ValueError`` otherwise."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(_l("Adresse électronique invalide."))) from exc


def normalise_url(value: str) -> str:
    """An http(s) URL (``https://`` added when the scheme is missing); ``ValueError`` otherwise."""
    value = (value or "").strip()
    if not value:
        return ""
    if "://" not in value and not value.lower().startswith(("javascript:", "data:", "vbscript:")):
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError(str(_l("Adresse web invalide : elle doit commencer par http:// ou https://.")))
    return value


class Phone:
    """Validator: a valid phone number; stores the E.164 form back in ``field.data``."""

    def __call__(self, form: Form, field: Field) -> None:
        try:
            field.data = normalise_phone(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class EmailAddress:
    """Validator: a syntactically valid email address, normalised."""

    def __call__(self, form: Form, field: Field) -> None:
        try:
            field.data = normalise_email_address(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class WebUrl:
    """Validator: an http(s) URL only (no ``javascript:``), normalised."""

    def __call__(self, form: Form, field: Field) -> None:
        try:
            field.data = normalise_url(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
