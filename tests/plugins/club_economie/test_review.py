"""The animators' review: duplicates, decisions, the signed link, rights, retention."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.audit.models import AuditEntry
from core.demo import organisation_by_name
from core.directory.models import Organisation
from core.reminders.testing import run_at
from plugins.club_economie import links
from plugins.club_economie.models import Application, Member
from plugins.club_economie.vocab import ACCEPTED, DECLINED, INFO_REQUESTED
from tests.helpers import FrozenClock, login, logout, post_form
from tests.plugins.club_economie.conftest import (
    ADMIN,
    ANIMATOR,
    MEMBER_SIRET,
    OUTSIDER,
    application_by_email,
    body,
    form_data,
    fresh,
    mails_to,
    text,
)
from tests.smtp import SmtpSink

APPLICANT = "mariam.kone@example.org"


def _apply(web: TestClient, **changes: str) -> Application:
    response = post_form(web, "/club_economie/candidater", form_data(**changes))
    assert response.status_code == 200, text(response)[:2000]
    return response  # type: ignore[return-value]


def test_duplicates_against_pending_applications_members_and_the_directory(
    club: Starlette, web: TestClient, db: Session
) -> None:
    # same email as a demo pending application, a name close to a directory organisation,
    # and the SIRET of a member (the demo bakery, whose own application is accepted)
    _apply(
        web,
        name="Association des commercants de Villier",
        siret=MEMBER_SIRET,
        email="fatou.diallo@example.org",
    )
    fresh(db)
    application = db.scalars(
        select(Application).where(Application.name.like("Association des commer%"))
    ).one()
    login(web, ANIMATOR)
    page = text(web.get(f"/club_economie/candidatures/{application.id}"))
    assert "Traiteur Saveurs du Monde" in page and "même adresse électronique" in page
    assert "Déjà membre du club" in page and "même SIRET" in page
    assert "Association des commerçants de Villiers" in page and "nom semblable" in page
    # linking to the existing organisation instead of creating a second one
    existing = organisation_by_name(db, "Association des commerçants de Villiers")
    assert existing is not None
    before = fresh(db).scalar(select(func.count(Organisation.id)))
    accepted = post_form(
        web,
        f"/club_economie/candidatures/{application.id}/accepter",
        {"organisation_id": str(existing.id), "contact_id": "new"},
    )
    assert "La candidature est acceptée" in text(accepted)
    assert fresh(db).scalar(select(func.count(Organisation.id))) == before
    assert db.get(Application, application.id).organisation_id == existing.id  # type: ignore[union-attr]


def test_accept_refuses_an_unknown_choice_and_keeps_everything(
    club: Starlette, web: TestClient, db: Session
) -> None:
    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    before = fresh(db).scalar(select(func.count(Organisation.id)))
    response = post_form(
        web,
        f"/club_economie/candidatures/{application.id}/accepter",
        {"organisation_id": "424242", "contact_id": "new"},
    )
    assert response.status_code == 400
    assert fresh(db).scalar(select(func.count(Organisation.id))) == before
    assert application_by_email(db, APPLICANT).status == "new"
    assert not db.scalar(select(Member.id).where(Member.application_id == application.id))


def test_decline_with_a_message_then_anonymise_after_retention(
    club: Starlette, web: TestClient, db: Session, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    empty = post_form(web, f"/club_economie/candidatures/{application.id}/refuser", {"message": "  "})
    assert empty.status_code == 400 and "Ce champ est obligatoire" in text(empty)
    declined = post_form(
        web,
        f"/club_economie/candidatures/{application.id}/refuser",
        {"message": "Activité hors du territoire."},
    )
    assert "La candidature est refusée" in text(declined)
    again = post_form(
        web,
        f"/club_economie/candidatures/{application.id}/accepter",
        {"organisation_id": "new", "contact_id": "new"},
    )
    assert again.status_code == 400 and "déjà été traitée" in text(again)
    run_at(club, clock())
    refusal = [
        m for m in mails_to(smtp_sink, APPLICANT) if "Votre candidature au Club" in str(m.message["Subject"])
    ]
    assert len(refusal) == 1 and "Activité hors du territoire." in body(refusal[0])
    # kept with its reason during the retention period…
    clock.advance(days=300)
    post_form(web, "/club_economie/candidatures/anonymiser")
    kept = application_by_email(db, APPLICANT)
    assert kept.status == DECLINED and kept.decision_message == "Activité hors du territoire."
    # …then anonymised
    clock.advance(days=70)
    purged = post_form(web, "/club_economie/candidatures/anonymiser")
    assert "1 candidature(s) refusée(s) anonymisée(s)" in text(purged)
    fresh(db)
    row = db.get(Application, application.id)
    assert row is not None and row.anonymised_at is not None
    assert (row.email, row.name, row.phone, row.decision_message, row.siret, row.ip_hash) == (
        "",
        "",
        "",
        "",
        "",
        "",
    )
    assert row.status == DECLINED and row.activity  # the figures stay
    assert db.scalar(
        select(AuditEntry.id).where(
            AuditEntry.action == "club_economie.application.anonymised",
            AuditEntry.object_id == str(application.id),
        )
    )
    logs = " ".join(
        db.scalars(select(AuditEntry.summary).where(AuditEntry.object_type == "club_economie_applications"))
    )
    assert "Koné" not in logs and APPLICANT not in logs  # the log never holds the person's data


def test_the_cli_anonymises_too(club: Starlette, db: Session, clock: FrozenClock) -> None:
    from core.cli import CliState
    from plugins.club_economie.cli import cli

    fresh(db)
    demo_declined = db.scalar(select(Application).where(Application.status == DECLINED))
    assert demo_declined is not None and demo_declined.decided_at is not None
    demo_declined.decided_at = demo_declined.decided_at - timedelta(days=800)
    db.commit()
    state = CliState(club.state.reseau.settings)
    try:
        result = CliRunner().invoke(cli, ["anonymiser"], obj=state)
    finally:
        state.close()
    assert result.exit_code == 0, result.output
    assert "1 candidature(s) refusée(s) anonymisée(s)." in result.output
    fresh(db)
    assert db.get(Application, demo_declined.id).anonymised_at is not None  # type: ignore[union-attr]


def test_the_answer_link_refuses_forged_and_expired_tokens(
    club: Starlette, web: TestClient, db: Session, clock: FrozenClock
) -> None:
    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    post_form(
        web, f"/club_economie/candidatures/{application.id}/question", {"question": "Votre <b>Kbis</b> ?"}
    )
    logout(web)
    secret = club.state.reseau.settings.secret_key
    token = links.make_token(secret, application.id, 1, now=clock())
    assert "Votre &lt;b&gt;Kbis&lt;/b&gt; ?" in web.get(f"/club_economie/candidater/reponse/{token}").text
    forged = links.make_token("another-secret", application.id, 1, now=clock())
    assert web.get(f"/club_economie/candidater/reponse/{forged}").status_code == 400
    assert web.get(f"/club_economie/candidater/reponse/{token[:-3]}").status_code == 400
    assert web.get("/club_economie/candidater/reponse/%3Cscript%3E").status_code == 400
    old = links.make_token(secret, application.id, 0, now=clock())
    page = web.get(f"/club_economie/candidater/reponse/{old}")
    assert "Il n'y a pas de question en attente" in text(page)  # a superseded request
    refused = post_form(web, f"/club_economie/candidater/reponse/{old}", {"answer": "trop tard"})
    assert refused.status_code == 200 and application_by_email(db, APPLICANT).status == INFO_REQUESTED
    clock.advance(days=61)
    assert web.get(f"/club_economie/candidater/reponse/{token}").status_code == 410
    clock.advance(days=-61)
    empty = post_form(web, f"/club_economie/candidater/reponse/{token}", {"answer": ""})
    assert empty.status_code == 400 and "Ce champ est obligatoire" in text(empty)


def test_only_animators_and_admins_review(club: Starlette, web: TestClient, db: Session) -> None:
    _apply(web)
    application = application_by_email(db, APPLICANT)
    anonymous = web.get("/club_economie/candidatures")
    assert "/compte/connexion" in str(anonymous.url)
    login(web, OUTSIDER)
    assert web.get(f"/club_economie/candidatures/{application.id}").status_code == 403
    for action, data in (
        ("question", {"question": "?"}),
        ("accepter", {"organisation_id": "new", "contact_id": "new"}),
        ("refuser", {"message": "non"}),
    ):
        assert (
            post_form(web, f"/club_economie/candidatures/{application.id}/{action}", data).status_code == 403
        )
    assert application_by_email(db, APPLICANT).status == "new"
    logout(web)
    login(web, ADMIN)
    assert web.get(f"/club_economie/candidatures/{application.id}").status_code == 200
    assert web.get("/club_economie/candidatures/999999").status_code == 404
    accepted = post_form(
        web,
        f"/club_economie/candidatures/{application.id}/accepter",
        {"organisation_id": "new", "contact_id": "new"},
    )
    assert accepted.status_code == 200 and application_by_email(db, APPLICANT).status == ACCEPTED


def test_hostile_review_input_is_escaped_in_pages_and_emails(
    club: Starlette, web: TestClient, db: Session, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    post_form(
        web,
        f"/club_economie/candidatures/{application.id}/question",
        {"question": '<img src=x onerror="alert(1)"> {{ hub_name }}'},
    )
    run_at(club, clock())
    mail = mails_to(smtp_sink, APPLICANT)[-1].message
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "{{ hub_name }}" in str(mail.get_body(preferencelist=("plain",)).get_content())
    page = web.get(f"/club_economie/candidatures/{application.id}")
    assert "<img src=x" not in page.text


def test_the_core_purge_job_anonymises_declined_applications_after_their_retention(
    club: Starlette, web: TestClient, db: Session, clock: FrozenClock
) -> None:
    from core.privacy.services import purge

    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    post_form(web, f"/club_economie/candidatures/{application.id}/refuser", {"message": "Hors territoire."})
    settings = club.state.reseau.settings
    fresh(db)
    lines = purge(db, settings, clock() + timedelta(days=300))
    db.commit()
    assert application_by_email(db, APPLICANT).decision_message == "Hors territoire."
    lines = purge(db, settings, clock() + timedelta(days=366))
    db.commit()
    assert {line.kind: line.rows for line in lines}["club_economie.declined_applications"] >= 1
    fresh(db)
    row = db.get(Application, application.id)
    assert row is not None and row.status == DECLINED
    assert (row.name, row.phone, row.decision_message, row.contribution) == ("", "", "", "")
    assert APPLICANT not in row.email


def test_each_decision_audits_the_status_it_leaves_and_the_one_it_takes(
    club: Starlette, web: TestClient, db: Session, clock: FrozenClock
) -> None:
    _apply(web)
    application = application_by_email(db, APPLICANT)
    login(web, ANIMATOR)
    base = f"/club_economie/candidatures/{application.id}"
    asked = post_form(web, f"{base}/question", {"question": "Votre Kbis ?"})
    assert "La question est envoyée au candidat." in text(asked)
    # a second question is audited as the first one was (from "new")
    post_form(web, f"{base}/question", {"question": "Et votre numéro de TVA ?"})
    token = links.make_token(club.state.reseau.settings.secret_key, application.id, 2, now=clock())
    post_form(web, f"/club_economie/candidater/reponse/{token}", {"answer": "Le voici."})
    refused = post_form(web, f"{base}/question", {"question": ""})
    assert refused.status_code == 400 and "Ce champ est obligatoire" in text(refused)
    accepted = post_form(web, f"{base}/accepter", {"organisation_id": "new", "contact_id": "new"})
    assert "La candidature est acceptée" in text(accepted)
    entries = fresh(db).scalars(
        select(AuditEntry)
        .where(
            AuditEntry.object_type == "club_economie_applications",
            AuditEntry.object_id == str(application.id),
            AuditEntry.action != "club_economie.application.submitted",
        )
        .order_by(AuditEntry.id)
    )
    decided = application_by_email(db, APPLICANT)
    assert [(e.action, e.changes) for e in entries] == [
        ("club_economie.application.info_requested", {"status": ["new", INFO_REQUESTED]}),
        ("club_economie.application.info_requested", {"status": ["new", INFO_REQUESTED]}),
        ("club_economie.application.answered", {"status": [INFO_REQUESTED, "new"]}),
        (
            "club_economie.application.accepted",
            {
                "status": ["new", ACCEPTED],
                "organisation_id": [None, decided.organisation_id],
                "contact_id": [None, decided.contact_id],
            },
        ),
    ]
