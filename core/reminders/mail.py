"""Rendering emails from Jinja templates and building RFC 5322 messages.

Templates come in three files: ``<name>.subject.txt``, ``<name>.txt`` and (optional)
``<name>.html``. They are rendered with a sibling of the app's environment (same loaders,
filters and translations; autoescape on for ``.html`` only, so the text version is not
HTML-escaped) in the recipient's language. Headers are built with :mod:`email.headerregistry`
from cleaned single-line values: no user text can add a header or a recipient.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from typing import Any

from jinja2 import Environment, TemplateNotFound, select_autoescape

from core import i18n
from core.config import Settings
from core.reminders.rules import Attachment

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class _CachedRegistry(HeaderRegistry):
    """The standard header registry, without building a new header class for every header
    (CPython creates one per call: a large share of a message's build time)."""

    @lru_cache(maxsize=256)  # noqa: B019 - one registry for the process
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)


#: RFC 5322 with CRLF and the cached registry; what messages are built and serialised with
POLICY = SMTP.clone(header_factory=_CachedRegistry())
#: the same, for a recipient whose address has accents (sent with SMTPUTF8)
_UTF8_POLICY = POLICY.clone(utf8=True)


class _WirePolicy(Compat32):
    """The legacy API's policy with CRLF and no folding of its own (URLs stay on one line;
    encoded words are folded by :func:`_header`).

    Compat32 passes every header, plain ASCII ones included, through an ``email.header.Header``
    that finds nothing to fold or encode in a one-line ASCII value: half of a message's build
    time. Such values are written as they are; anything else goes the standard way.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and value.isascii() and "\r" not in value and "\n" not in value:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_FAST_POLICY = _WirePolicy(linesep="\r\n", max_line_length=None)
_overlays: dict[int, tuple[Environment, Environment]] = {}


@dataclass(frozen=True)
class Rendered:
    """A rendered email: one-line subject, text body and HTML body (``""`` when none)."""

    subject: str
    text: str
    html: str


def email_environment(templates: Environment) -> Environment:
    """The app environment's sibling for emails (autoescape only for ``.html``)."""
    cached = _overlays.get(id(templates))
    if cached is None or cached[0] is not templates:
        overlay = templates.overlay(
            autoescape=select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            )
        )
        cached = (templates, overlay)
        _overlays[id(templates)] = cached
    return cached[1]


def one_line(value: str, limit: int = 300) -> str:
    """Control characters (CR, LF, tabs…) become spaces, whitespace is collapsed, length capped."""
    text = " ".join(_CONTROL.sub(" ", value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render(env: Environment, template: str, context: Mapping[str, Any], language: str) -> Rendered:
    """Render ``template`` (``emails/<name>`` or ``<plugin>/emails/<name>``) in ``language``."""
    with i18n.language(language):
        subject = env.get_template(f"{template}.subject.txt").render(context)
        text = env.get_template(f"{template}.txt").render(context)
        try:
            html_template = env.get_template(f"{template}.html")
        except TemplateNotFound:
            html = ""
        else:
            html = html_template.render(context)
    return Rendered(one_line(subject), text.strip() + "\n", html)


def address(email: str, name: str = "") -> Address:
    """A header address from untrusted parts; ``ValueError`` for anything but one plain address."""
    email = (email or "").strip()
    if (
        not email
        or _CONTROL.search(email)
        or any(c in email for c in ' <>,;:"()[]\\')
        or email.count("@") != 1
    ):
        raise ValueError(f"adresse invalide : {email!r}")
    local, _, domain = email.rpartition("@")
    return Address(display_name=one_line(name, 120), username=local, domain=domain)


def sender_address(settings: Settings) -> Address:
    """``RESEAU_MAIL_FROM`` as an address (display name: the hub's name when it has none)."""
    name, email = parseaddr(settings.mail_from)
    return address(email, name or settings.hub_name)


def build_message(
    settings: Settings,
    *,
    to_email: str,
    to_name: str,
    rendered: Rendered,
    message_id: str,
    language: str,
    date: datetime,
    attachments: Sequence[Attachment] = (),
    unsubscribe_url: str = "",
) -> EmailMessage:
    """One message for one recipient: text, HTML and calendar alternatives, then attachments.

    ``unsubscribe_url`` (optional reminders) is the signed page; the ``List-Unsubscribe`` header
    points at its one-click address (``…/un-clic``, RFC 8058).
    """
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = one_line(rendered.subject)
    msg["From"] = sender_address(settings)
    msg["To"] = address(to_email, to_name)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    # RFC 3834: an automatic message; Outlook: no out-of-office replies to it
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if unsubscribe_url:
        # RFC 2369 and RFC 8058 (one click, by POST)
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}/un-clic>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    for item in attachments:
        if item.alternative:
            main, _, sub = item.mime_type.partition("/")
            msg.add_alternative(item.content, maintype=main, subtype=sub, params=dict(item.params))
    for item in attachments:
        main, _, sub = item.mime_type.partition("/")
        if item.alternative and item.mime_type == "text/calendar":
            # the same invitation as a file, for clients that ignore the inline part
            main, sub = "application", "ics"
        msg.add_attachment(item.content, maintype=main, subtype=sub, filename=item.filename)
    # after the body: making the message multipart moves Content-* headers into the first part
    msg["Content-Language"] = language
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    """The message as sent on the wire (CRLF line endings)."""
    return msg.as_bytes(policy=POLICY)


@lru_cache(maxsize=1024)  # the recipients of one meeting's reminder share its subject
def _header(value: str) -> str:
    """An unstructured header value (one line already): as is when ASCII, otherwise RFC 2047
    encoded words of at most 75 characters, folded with CRLF."""
    return value if value.isascii() else Header(value, "utf-8").encode(linesep="\r\n", maxlinelen=76)


def build_bytes(
    settings: Settings,
    *,
    to_email: str,
    to_name: str,
    rendered: Rendered,
    message_id: str,
    language: str,
    date: datetime,
    attachments: Sequence[Attachment] = (),
    unsubscribe_url: str = "",
) -> bytes:
    """The bytes of :func:`build_message`'s message, as sent.

    Messages without attachments (reminders: most of the mail) are built with the legacy
    :mod:`email.mime` classes, which need about a third of the time of the header registry;
    the headers are the same, from the same cleaned single-line values and validated
    addresses. Messages with attachments go through :func:`build_message`.
    """
    # an address with accents before the @ (RFC 6531) goes in the headers as UTF-8: the message
    # is sent with SMTPUTF8, and the legacy classes below would refuse to encode it
    international = not (to_email or "").strip().isascii()
    if attachments or international:
        full = build_message(
            settings,
            to_email=to_email,
            to_name=to_name,
            rendered=rendered,
            message_id=message_id,
            language=language,
            date=date,
            attachments=attachments,
            unsubscribe_url=unsubscribe_url,
        )
        return full.as_bytes(policy=_UTF8_POLICY) if international else as_bytes(full)
    sender = sender_address(settings)
    recipient = address(to_email, to_name)  # ValueError for anything but one plain address
    text = MIMEText(rendered.text, "plain", "utf-8")
    msg: Message = (
        MIMEMultipart(
            "alternative",
            # chosen here, not by the generator, which compiles a regex per message to check
            # that its random boundary is absent from the parts: "=_" can occur neither in
            # base64 (the parts' encoding) nor in quoted-printable
            boundary=f"=_{secrets.token_hex(16)}",
            _subparts=[text, MIMEText(rendered.html, "html", "utf-8")],
        )
        if rendered.html
        else text
    )
    msg["Subject"] = _header(one_line(rendered.subject))
    msg["From"] = formataddr((sender.display_name, sender.addr_spec), charset="utf-8")
    msg["To"] = formataddr((recipient.display_name, recipient.addr_spec), charset="utf-8")
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = one_line(message_id)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{one_line(unsubscribe_url, 900)}/un-clic>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Content-Language"] = one_line(language, 35)
    return msg.as_bytes(policy=_FAST_POLICY)
