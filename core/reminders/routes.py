"""Reminder pages, mounted at ``/courriels``: the admins' "Courriels" page (outbox, message,
retry, rule timings), each user's email preferences, and the unsubscribe links."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from core.db import transaction
from core.directory.models import Contact
from core.reminders import preferences as prefs
from core.reminders import services
from core.reminders.models import (
    ALL_RULES,
    DIGEST_MODES,
    STATUSES,
    OutboxMessage,
)
from core.reminders.outbox import decode_attachments, message_id_for
from core.reminders.rules import ReminderRule, format_offsets
from core.reminders.sender import SmtpConfig
from core.web.context import RequestContext, page

#: the HTML version of a message is shown in isolation: no script, no request, no form
MESSAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _rules(ctx: RequestContext) -> dict[str, ReminderRule]:
    return ctx.state.registry.reminder_rules


def _date_param(ctx: RequestContext, name: str) -> tuple[date | None, str]:
    raw = ctx.request.query_params.get(name, "").strip()
    if not raw:
        return None, ""
    try:
        return date.fromisoformat(raw), ""
    except ValueError:
        return None, ctx._("Date invalide : utilisez le format AAAA-MM-JJ.")


@page
def outbox(ctx: RequestContext) -> Response:
    """The outbox: counts per status, filters (status, rule, recipient, dates), newest first."""
    ctx.require_admin()
    query = ctx.request.query_params
    since, since_error = _date_param(ctx, "du")
    until, until_error = _date_param(ctx, "au")
    filters = services.OutboxFilters(
        status=query.get("statut", "") if query.get("statut", "") in STATUSES else "",
        rule=query.get("regle", "")
        if query.get("regle", "") in _rules(ctx) or query.get("regle") == "core.transactional"
        else "",
        recipient=query.get("destinataire", "")[:254],
        since=since,
        until=until,
    )
    try:
        number = int(query.get("page", "1"))
    except ValueError:
        number = 1
    result = services.outbox_page(ctx.db, filters, number)
    try:
        config = SmtpConfig.from_settings(ctx.state.settings)
        transport = (
            config.describe()
            if config
            else ctx._("fichiers .eml dans %(dir)s", dir=str(ctx.state.settings.data_dir / "mail"))
        )
    except ValueError as exc:
        transport = str(exc)
    errors = {"du": since_error, "au": until_error}
    raw_filters = {
        "statut": filters.status,
        "regle": filters.rule,
        "destinataire": filters.recipient,
        "du": query.get("du", ""),
        "au": query.get("au", ""),
    }

    def url_for_page(n: int) -> str:
        return ctx.url_for("reminders:outbox", query={**raw_filters, "page": n})

    return ctx.render(
        "reminders/outbox.html",
        status_code=400 if any(errors.values()) else 200,
        page=result,
        counts=services.status_counts(ctx.db),
        statuses=STATUSES,
        rules=_rules(ctx),
        filters=raw_filters,
        errors=errors,
        transport=transport,
        url_for_page=url_for_page,
    )


def _message(ctx: RequestContext) -> OutboxMessage:
    message = ctx.db.get(OutboxMessage, ctx.request.path_params["message_id"])
    if message is None:
        raise HTTPException(404)
    return message


@page
def message(ctx: RequestContext) -> Response:
    """One message: envelope, status, attempts, error, content and attachments."""
    ctx.require_admin()
    row = _message(ctx)
    attachments = []
    for item in decode_attachments(row.attachments or []):
        text = item.content.decode("utf-8", "replace") if item.mime_type.startswith("text/") else ""
        attachments.append(
            {"filename": item.filename, "mime_type": item.mime_type, "size": len(item.content), "text": text}
        )
    rule = _rules(ctx).get(row.rule)
    return ctx.render(
        "reminders/message.html",
        message=row,
        rule=rule,
        message_id=row.message_id or message_id_for(row.key, ctx.state.settings.mail_from),
        attachments=attachments,
    )


@page
def message_html(ctx: RequestContext) -> Response:
    """The HTML version of a message, alone, under a CSP that forbids everything active."""
    ctx.require_admin()
    row = _message(ctx)
    if not row.body_html:
        raise HTTPException(404)
    response = Response(row.body_html, media_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = MESSAGE_CSP
    return response


@page
def retry(ctx: RequestContext) -> Response:
    """Send a failed message again."""
    admin = ctx.require_admin()
    row = _message(ctx)
    try:
        services.retry(ctx.db, row, admin, ctx.now())
    except ValueError:
        return ctx.redirect(
            ctx.url_for("reminders:message", message_id=row.id),
            flash=ctx._("Seul un message en échec peut être renvoyé."),
            category="error",
        )
    from core.reminders.runtime import send_soon

    ctx.after_commit(lambda: send_soon(ctx.state))
    return ctx.redirect(
        ctx.url_for("reminders:message", message_id=row.id),
        flash=ctx._("Le message sera renvoyé dans quelques instants."),
    )


def _rule_rows(
    ctx: RequestContext, errors: dict[str, dict[str, str]], typed: dict[str, dict[str, str]]
) -> list[dict[str, object]]:
    rows = []
    for name, rule in _rules(ctx).items():
        timing = services.rule_timing(ctx.db, rule)
        rows.append(
            {
                "rule": rule,
                "slug": name.replace(".", "-"),
                "timing": timing,
                "offsets": typed.get(name, {}).get("offsets", format_offsets(timing.offsets)),
                "send_time": typed.get(name, {}).get("send_time", timing.send_time.strftime("%H:%M")),
                "enabled": typed.get(name, {}).get("enabled", "1" if timing.enabled else "") == "1",
                "default": format_offsets(rule.default_timing.offsets),
                "default_time": rule.default_timing.send_time.strftime("%H:%M"),
                "errors": {"offsets": "", "send_time": "", **errors.get(name, {})},
            }
        )
    return rows


@page
def rules(ctx: RequestContext) -> Response:
    """Every rule with its timing; one form per rule."""
    ctx.require_admin()
    return ctx.render("reminders/rules.html", rows=_rule_rows(ctx, {}, {}))


@page
def rule(ctx: RequestContext) -> Response:
    """Save one rule's timing: on/off, offsets (``J-7, J-1``), send time."""
    admin = ctx.require_admin()
    assert ctx.form is not None
    name = ctx.request.path_params["name"]
    declared = _rules(ctx).get(name)
    if declared is None:
        raise HTTPException(404)
    typed = {
        "enabled": "1" if ctx.form.get("enabled") else "",
        "offsets": str(ctx.form.get("offsets", ""))[:200],
        "send_time": str(ctx.form.get("send_time", ""))[:10],
    }
    errors = services.save_rule_timing(
        ctx.db,
        declared,
        enabled=bool(typed["enabled"]),
        offsets_text=typed["offsets"],
        send_time_text=typed["send_time"],
        actor=admin,
        now=ctx.now(),
    )
    if errors:
        ctx.db.rollback()
        return ctx.render(
            "reminders/rules.html", status_code=400, rows=_rule_rows(ctx, {name: errors}, {name: typed})
        )
    return ctx.redirect(
        ctx.url_for("reminders:rules") + f"#regle-{name.replace('.', '-')}",
        flash=ctx._("Règle « %(label)s » enregistrée.", label=str(declared.label)),
    )


@page
def preferences(ctx: RequestContext) -> Response:
    """The signed-in user's choices: which optional reminders, single emails or a digest."""
    user = ctx.require_user()
    contact_email = None
    if user.contact_id is not None:
        contact_email = ctx.db.scalar(select(Contact.email).where(Contact.id == user.contact_id))
    optional = [r for r in _rules(ctx).values() if r.opt_out_allowed]
    refused = prefs.opted_out_rules(ctx.db, prefs.user_emails(user, contact_email))
    digest = prefs.digest_mode(ctx.db, user.id)
    error = ""
    if ctx.form is not None:
        chosen = {str(v) for v in ctx.form.getlist("rules")}
        digest = str(ctx.form.get("digest", "none"))
        if digest not in DIGEST_MODES:
            error = ctx._("Choisissez un rythme d'envoi dans la liste.")
        else:
            prefs.set_user_choices(
                ctx.db,
                user,
                refused={r.name for r in optional} - chosen,
                optional_rules=[r.name for r in optional],
                digest=digest,
                now=ctx.now(),
                contact_email=contact_email,
            )
            return ctx.redirect(
                ctx.url_for("reminders:preferences"), flash=ctx._("Vos préférences sont enregistrées.")
            )
    everything_refused = ALL_RULES in refused
    return ctx.render(
        "reminders/preferences.html",
        status_code=400 if error else 200,
        rules=[{"rule": r, "wanted": not everything_refused and r.name not in refused} for r in optional],
        digest=digest,
        error=error,
        everything_refused=everything_refused,
    )


def _token(ctx: RequestContext) -> tuple[str, str]:
    found = prefs.read_unsubscribe_token(ctx.state.settings, ctx.request.path_params["token"])
    if found is None:
        raise HTTPException(400, detail=ctx._("Ce lien de désabonnement est invalide ou trop ancien."))
    return found


@page
def unsubscribe(ctx: RequestContext) -> Response:
    """GET: what the link would do, with a button (mail scanners follow links). POST: do it."""
    email, rule_name = _token(ctx)
    declared = _rules(ctx).get(rule_name)
    label = str(declared.label) if declared is not None else ""
    done = False
    if ctx.form is not None:
        everything = ctx.form.get("scope") == "all"
        prefs.opt_out(ctx.db, email, ALL_RULES if everything else rule_name)
        done = True
        rule_name = ALL_RULES if everything else rule_name
    return ctx.render(
        "reminders/unsubscribe.html",
        email=email,
        rule_name=rule_name,
        label=label,
        done=done,
        token=ctx.request.path_params["token"],
    )


async def unsubscribe_one_click(request: Request) -> Response:
    """RFC 8058 one-click unsubscribe: a mail provider POSTs ``List-Unsubscribe=One-Click``
    (a GET, from a client that opens the header's link, goes to the page with its button).

    No session and no CSRF token here by design: the signed token is the credential and the only
    possible effect is to stop an optional reminder.
    """
    if request.method == "GET":
        return RedirectResponse(
            request.url_for("reminders:unsubscribe", token=request.path_params["token"]).path, status_code=303
        )
    state = request.app.state.reseau
    found = prefs.read_unsubscribe_token(state.settings, request.path_params["token"])
    if found is None:
        return PlainTextResponse("Lien invalide.", status_code=400)
    email, rule_name = found

    def work() -> None:
        with transaction(state.session_factory) as db:
            prefs.opt_out(db, email, rule_name)

    await run_in_threadpool(work)
    return PlainTextResponse("Désabonnement enregistré.")


routes = [
    Route("/", outbox, name="outbox"),
    Route("/messages/{message_id:int}", message, name="message"),
    Route("/messages/{message_id:int}/html", message_html, name="message_html"),
    Route("/messages/{message_id:int}/renvoyer", retry, methods=["POST"], name="retry"),
    Route("/regles", rules, name="rules"),
    Route("/regles/{name}", rule, methods=["POST"], name="rule"),
    Route("/preferences", preferences, methods=["GET", "POST"], name="preferences"),
    Route("/desabonnement/{token}", unsubscribe, methods=["GET", "POST"], name="unsubscribe"),
    Route(
        "/desabonnement/{token}/un-clic",
        unsubscribe_one_click,
        methods=["GET", "POST"],
        name="unsubscribe_one_click",
    ),
]
