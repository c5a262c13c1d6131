"""Invitations (animators) and the RSVP page reached from the signed link (anyone holding it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from core.calendar import invitations, rsvp
from core.calendar.access import int_param, load_meeting, wake_reminders
from core.calendar.forms import AnswerForm, RsvpForm
from core.calendar.invitations import InvitationError, InviteReport
from core.calendar.models import CANCELLED, Invitation, Meeting
from core.directory.models import Affiliation, Contact, Organisation
from core.directory.normalise import fold
from core.spaces.models import SpaceMembership
from core.web.context import RequestContext, page
from core.web.forms import bind

SEARCH_LIMIT = 50
NAMES_IN_MESSAGE = 8


def _names(contacts: list[Contact]) -> str:
    names = [c.full_name for c in contacts[:NAMES_IN_MESSAGE]]
    more = len(contacts) - len(names)
    text = ", ".join(names)
    return text + (f" (+{more})" if more > 0 else "")


def _flash_report(ctx: RequestContext, report: InviteReport) -> None:
    """Tell the animator who was invited, who already was, and who could not be (no email)."""
    if report.invited:
        ctx.flash(
            ctx._(
                "%(n)s invitation(s) ajoutée(s) : %(names)s.",
                n=len(report.invited),
                names=_names(report.invited),
            )
        )
    if report.already:
        ctx.flash(ctx._("Déjà invitée(s) : %(names)s.", names=_names(report.already)), "warning")
    if report.without_email:
        ctx.flash(
            ctx._(
                "Non invitée(s), faute d'adresse électronique : %(names)s. Complétez leur fiche dans "
                "l'annuaire, puis invitez-les de nouveau.",
                names=_names(report.without_email),
            ),
            "error",
        )
    if not (report.invited or report.already or report.without_email):
        ctx.flash(ctx._("Personne à inviter."), "warning")


def _candidates(ctx: RequestContext, meeting: Meeting, q: str) -> dict[str, Any]:
    """Organisations and contacts to offer: those matching ``q``, else the space's members and
    the signatories."""
    key = fold(q)
    if key:
        like = f"%{key}%"
        org_stmt = select(Organisation).where(
            or_(Organisation.name_key.like(like), Organisation.search_doc.like(like))
        )
        contact_stmt = select(Contact).where(Contact.search_doc.like(like))
    else:
        member_orgs = select(SpaceMembership.organisation_id).where(
            SpaceMembership.space_id == meeting.space_id, SpaceMembership.organisation_id.is_not(None)
        )
        member_contacts = select(SpaceMembership.contact_id).where(
            SpaceMembership.space_id == meeting.space_id, SpaceMembership.contact_id.is_not(None)
        )
        org_stmt = select(Organisation).where(
            or_(Organisation.id.in_(member_orgs), Organisation.is_signatory.is_(True))
        )
        contact_stmt = select(Contact).where(Contact.id.in_(member_contacts))
    organisations = ctx.db.scalars(org_stmt.order_by(Organisation.name_key).limit(SEARCH_LIMIT)).all()
    contacts = ctx.db.scalars(
        contact_stmt.where(Contact.anonymised_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
        .limit(SEARCH_LIMIT)
    ).all()
    org_of: dict[int, str] = {}
    if contacts:
        for contact_id, name in ctx.db.execute(
            select(Affiliation.contact_id, Organisation.name)
            .join(Organisation, Organisation.id == Affiliation.organisation_id)
            .where(Affiliation.contact_id.in_([c.id for c in contacts]))
            .order_by(Affiliation.contact_id, Affiliation.is_primary.desc(), Affiliation.id)
        ).all():
            org_of.setdefault(contact_id, name)
    invited = set(ctx.db.scalars(select(Invitation.contact_id).where(Invitation.meeting_id == meeting.id)))
    return {"organisations": organisations, "contacts": contacts, "org_of": org_of, "invited_ids": invited}


def _ids(ctx: RequestContext, name: str) -> list[int]:
    assert ctx.form is not None
    return [i for i in (int_param(v) for v in ctx.form.getlist(name)) if i is not None]


@page
def invitations_page(ctx: RequestContext) -> Response:
    """Who is invited and what they answered (per person, per organisation, signatories
    represented or not); invite contacts, organisations or the whole space; withdraw an
    invitation; record an answer received another way."""
    meeting = load_meeting(ctx, int(ctx.request.path_params["meeting_id"]), manage=True)
    back = ctx.url_for("calendar:invitations", meeting_id=meeting.id)
    now = ctx.now()
    if ctx.form is not None:
        action = str(ctx.form.get("action", ""))
        wake_reminders(ctx)
        try:
            with ctx.db.begin_nested():
                if action == "contacts":
                    _flash_report(
                        ctx,
                        invitations.invite_contacts(
                            ctx.db, ctx.user, meeting, _ids(ctx, "contact_id"), now=now
                        ),
                    )
                elif action == "organisations":
                    _flash_report(
                        ctx,
                        invitations.invite_organisations(
                            ctx.db, ctx.user, meeting, _ids(ctx, "organisation_id"), now=now
                        ),
                    )
                elif action == "members":
                    _flash_report(ctx, invitations.invite_space_members(ctx.db, ctx.user, meeting, now=now))
                elif action in ("remove", "answer"):
                    invitation = ctx.db.get(Invitation, int_param(ctx.form.get("invitation_id")) or 0)
                    if invitation is None or invitation.meeting_id != meeting.id:
                        raise HTTPException(404)
                    if action == "remove":
                        invitations.remove_invitation(ctx.db, ctx.user, invitation)
                        ctx.flash(ctx._("L'invitation a été retirée."))
                    else:
                        form = bind(ctx, AnswerForm)
                        if not form.validate():
                            raise InvitationError(ctx._("Cette réponse n'est pas possible."))
                        invitations.record_answer(
                            ctx.db, ctx.user, invitation, form.response.data, now=now, via="animator"
                        )
                        ctx.flash(ctx._("La réponse est enregistrée."))
                else:
                    raise HTTPException(400)
        except InvitationError as exc:
            ctx.flash(str(exc), "error")
        return ctx.redirect(back)
    q = (ctx.request.query_params.get("q") or "")[:100]
    summary = invitations.invitation_summary(ctx.db, meeting.id)
    return ctx.render(
        "calendar/invitations.html",
        meeting=meeting,
        summary=summary,
        q=q,
        response_label=invitations.response_label,
        responses=invitations.RESPONSES,
        answer_form=AnswerForm(),
        **_candidates(ctx, meeting, q),
    )


# ------------------------------------------------------------------------------------ RSVP


def _rsvp_error(ctx: RequestContext, exc: rsvp.RsvpLinkError) -> Response:
    response = ctx.render("calendar/rsvp_invalid.html", status_code=exc.status, message=exc.message)
    response.headers["Cache-Control"] = "no-store"
    return response


@page
def rsvp_page(ctx: RequestContext) -> Response:
    """The page of a signed RSVP link: GET shows the invitation and three buttons (nothing
    changes: mail scanners open links), POST records the answer."""
    token = str(ctx.request.path_params["token"])
    now = ctx.now()
    try:
        link = rsvp.read_token(ctx.db, ctx.state.settings.secret_key, token, now=now)
    except rsvp.RsvpLinkError as exc:
        return _rsvp_error(ctx, exc)
    invitation = link.invitation
    meeting = link.meeting
    form = bind(ctx, RsvpForm, answer=link.suggested or None, comment=invitation.comment)
    status = 200
    if ctx.form is not None:
        if meeting.status == CANCELLED:
            status = 409
            form.answer.errors = [ctx._("Cette réunion est annulée : il n'y a plus de réponse à donner.")]
        elif form.validate():
            changed = invitations.record_answer(
                ctx.db,
                None,
                invitation,
                form.answer.data,
                now=now,
                comment=form.comment.data or "",
                via="link",
            )
            message = (
                ctx._(
                    "Merci, votre réponse est enregistrée : %(answer)s.",
                    answer=invitations.response_label(invitation.response),
                )
                if changed
                else ctx._(
                    "Votre réponse était déjà enregistrée : %(answer)s.",
                    answer=invitations.response_label(invitation.response),
                )
            )
            return ctx.redirect(ctx.url_for("calendar:rsvp", token=token), flash=message)
        else:
            status = 400
    response = ctx.render(
        "calendar/rsvp.html",
        status_code=status,
        form=form,
        invitation=invitation,
        meeting=meeting,
        suggested=link.suggested,
        response_label=invitations.response_label,
        answers=invitations.ANSWERS,
        token=token,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


routes = [
    Route(
        "/reunions/{meeting_id:int}/invitations",
        invitations_page,
        methods=["GET", "POST"],
        name="invitations",
    ),
    Route("/reponse/{token}", rsvp_page, methods=["GET", "POST"], name="rsvp"),
]
