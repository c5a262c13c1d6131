"""The platform's reminders, by time travel to the real SMTP sink: providers are reminded once
after the quarter, again 14 days later if figures are still missing, then the animators get who
is missing; a proposal without an answer after three months goes to the animators. Each email
exactly once, whatever the number of sweeps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core import demo as demo_data
from core.db import transaction
from core.reminders.models import OutboxMessage
from core.reminders.testing import collect, run_at, walk
from plugins.acces_services import services as svc
from plugins.acces_services.models import PlatformSettings, Proposal, Service
from plugins.acces_services.reminders import FIGURES_DUE, FIGURES_MISSING, PROPOSALS_UNANSWERED
from plugins.acces_services.vocab import ANSWERED, SEMESTER, SUBMITTED
from tests.core.reminders.conftest import paris
from tests.helpers import FrozenClock, login, logout, post_form
from tests.plugins.acces_services.conftest import CULTURE_PROVIDER, ESCALE_PROVIDER, fresh, service_id
from tests.smtp import SmtpSink

ANIMATORS = ("camille.martin@example.org", "isabelle.moreau@example.org")
MISSION_LOCALE_PROVIDER = "lea.nguyen@example.org"
SIX_HOURS = timedelta(hours=6)
OURS = (FIGURES_DUE, FIGURES_MISSING, PROPOSALS_UNANSWERED)


@pytest.fixture
def mail_app(make_app: object, smtp_sink: SmtpSink) -> Iterator[Starlette]:
    """Every plugin, the demo data, mail to the SMTP sink."""
    app: Starlette = make_app(smtp_url=smtp_sink.url)  # type: ignore[operator]
    state = app.state.reseau
    with transaction(state.session_factory) as session:
        demo_data.load(session, state.hooks)
    yield app


def ours(sink: SmtpSink, start: int = 0) -> list[tuple[str, str]]:
    """(recipient, subject) of the platform's emails received since message ``start``."""
    found = []
    for received in sink.messages[start:]:
        subject = str(received.message["Subject"])
        if "fréquentation" in subject or "Sans réponse des élus" in subject:
            found.append((received.rcpt_tos[0], subject))
    return sorted(found)


def body(sink: SmtpSink, to: str, subject_part: str) -> tuple[str, str]:
    """(text, html) of the one email to ``to`` whose subject contains ``subject_part``."""
    [message] = [
        m.message for m in sink.messages if m.rcpt_tos == (to,) and subject_part in str(m.message["Subject"])
    ]
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def enter(client: TestClient, db: Session, email: str, names: list[str], clock: FrozenClock) -> None:
    """A provider enters the 2026-T1 figures of these services through the form."""
    clock.set(paris(2026, 4, 3, 10))
    login(client, email)
    for name in names:
        response = post_form(
            client,
            "/acces_services/frequentation/saisie",
            {
                "service_id": service_id(db, name),
                "period": "2026-T1",
                "users_total": 50,
                "users_neighbourhood": 9,
            },
        )
        assert response.status_code == 200 and "Chiffres de 2026-T1 enregistrés" in response.text
    logout(client)


def test_providers_are_reminded_twice_then_the_animators_see_who_is_missing_exactly_once(
    mail_app: Starlette, smtp_sink: SmtpSink, db: Session, clock: FrozenClock
) -> None:
    # 1. the quarter ends on 31 March: nothing before J+1 08:00 Paris, then one email per provider
    walk(mail_app, paris(2026, 3, 31, 9), paris(2026, 4, 1, 7, 55), SIX_HOURS)
    assert ours(smtp_sink) == []
    run_at(mail_app, paris(2026, 4, 1, 8))
    first = "Chiffres de fréquentation de 2026-T1 à saisir"
    assert ours(smtp_sink) == [
        (MISSION_LOCALE_PROVIDER, first),
        (ESCALE_PROVIDER, first),
        (CULTURE_PROVIDER, first),
    ]
    text, html = body(smtp_sink, CULTURE_PROVIDER, first)
    assert text.startswith("Bonjour Thomas Petit,")
    assert "La période 2026-T1 (du 1 janvier 2026 au 31 mars 2026) est terminée." in text
    assert "Médiathèque municipale (Pôle Culture)" in text and "Espace emploi" not in text
    links = re.findall(
        r"http://testserver/acces_services/frequentation/saisie\?service=(\d+)&period=2026-T1", text
    )
    culture = [
        "Conservatoire municipal de musique, danse et théâtre",
        "Médiathèque municipale",
        "Saison culturelle : spectacles et concerts",
        "Ateliers d'arts plastiques",
    ]
    assert sorted(map(int, links)) == sorted(service_id(db, name) for name in culture)
    assert "http://testserver/acces_services/frequentation/import" in text
    assert 'href="http://testserver/acces_services/frequentation/saisie?service=' in html.replace(
        "&amp;", "&"
    )

    # the link opens the form on that service and that quarter
    client = TestClient(mail_app, follow_redirects=True)
    clock.set(paris(2026, 4, 1, 9))
    login(client, CULTURE_PROVIDER)
    mediatheque = service_id(db, "Médiathèque municipale")
    form = client.get(f"/acces_services/frequentation/saisie?service={mediatheque}&period=2026-T1")
    assert form.status_code == 200
    assert f'<option selected value="{mediatheque}">' in form.text or re.search(
        rf'<option[^>]*value="{mediatheque}"[^>]*selected', form.text
    )
    assert 'value="2026-T1"' in form.text
    logout(client)

    # 2. E.S.C.A.L.E. enters everything, the Pôle Culture one service of four
    enter(client, db, ESCALE_PROVIDER, ["Espace emploi", "Point d'accès au droit"], clock)
    enter(client, db, CULTURE_PROVIDER, ["Médiathèque municipale"], clock)

    # 3. 14 days later: a second reminder, only to those still missing figures, and only theirs
    before = len(smtp_sink.messages)
    walk(mail_app, paris(2026, 4, 1, 14), paris(2026, 4, 15, 14), timedelta(hours=12))
    followup = "Relance : chiffres de fréquentation de 2026-T1 à saisir"
    assert ours(smtp_sink, before) == [(MISSION_LOCALE_PROVIDER, followup), (CULTURE_PROVIDER, followup)]
    text, _html = body(smtp_sink, CULTURE_PROVIDER, "Relance")
    assert "n'est toujours pas saisie" in text
    assert "Conservatoire municipal" in text and "Médiathèque municipale" not in text

    # 4. the proposal submitted on 20 January is still unanswered on 20 April; on 22 April the
    # animators get the services still missing, with who to call
    before = len(smtp_sink.messages)
    walk(mail_app, paris(2026, 4, 15, 14), paris(2026, 4, 24, 8), timedelta(hours=12))
    unanswered = "Sans réponse des élus : Rapprocher le conservatoire du quartier"
    missing = "Chiffres de 2026-T1 : 9 services sans fréquentation"
    assert ours(smtp_sink, before) == sorted(
        [(a, unanswered) for a in ANIMATORS] + [(a, missing) for a in ANIMATORS]
    )
    text, html = body(smtp_sink, "isabelle.moreau@example.org", "sans fréquentation")
    assert "Malgré deux rappels à leurs référents" in text
    assert "Référent·e : Thomas Petit, thomas.petit@example.org" in text
    assert "École municipale des sports (Pôle Enfance – Sport – Loisirs)" in text
    assert "Aucun référent de cette organisation n'est inscrit sur la plateforme." in text
    assert "Espace emploi" not in text and "Médiathèque municipale" not in text
    assert "http://testserver/acces_services/plateforme" in text
    text, _html = body(smtp_sink, "camille.martin@example.org", "Sans réponse")
    assert (
        "a été transmise aux élus le 20 janvier 2026 et n'a toujours pas de réponse, 3 mois plus tard" in text
    )
    assert "Adoptée lors de la réunion « Plateforme d'accès aux services – analyse des chiffres »" in text
    proposal = fresh(db).scalar(select(Proposal.id).where(Proposal.title.startswith("Rapprocher")))
    assert f"http://testserver/acces_services/propositions/{proposal}" in text

    # 5. exactly once: the whole stretch again, daily and at the exact instants, sends nothing more
    before = len(smtp_sink.messages)
    walk(mail_app, paris(2026, 3, 31, 8), paris(2026, 4, 30, 8), timedelta(days=1))
    for at in (paris(2026, 4, 1, 8), paris(2026, 4, 15, 8), paris(2026, 4, 20, 8), paris(2026, 4, 22, 8)):
        run_at(mail_app, at)
    assert ours(smtp_sink, before) == []
    rows = fresh(db).scalars(select(OutboxMessage).where(OutboxMessage.rule.in_(OURS))).all()
    assert len(rows) == 3 + 2 + 2 + 2 and {r.status for r in rows} == {"sent"}


def test_an_answer_in_time_silences_the_proposal_reminder_and_a_new_submission_gets_its_own(
    mail_app: Starlette, db: Session
) -> None:
    proposal = fresh(db).scalar(select(Proposal).where(Proposal.title.startswith("Rapprocher")))
    assert proposal is not None and proposal.status == SUBMITTED
    due = paris(2026, 4, 20, 8)
    keys = [d.key for d in collect(mail_app, PROPOSALS_UNANSWERED, due)]
    assert len(keys) == 2 and all(
        k.startswith(f"{PROPOSALS_UNANSWERED}:{proposal.id}:20260120T1530Z:") for k in keys
    )
    assert collect(mail_app, PROPOSALS_UNANSWERED, due - timedelta(minutes=1)) == []
    # answered on 10 April: nothing on 20 April
    svc.change_status(db, proposal, None, ANSWERED, "Accord de principe.", paris(2026, 4, 10, 11))
    db.commit()
    assert collect(mail_app, PROPOSALS_UNANSWERED, due) == []
    # a proposal sent back to draft then submitted again on 5 May is followed from that day
    proposal.status = SUBMITTED
    proposal.submitted_at = paris(2026, 5, 5, 15)
    db.commit()
    again = [d.key for d in collect(mail_app, PROPOSALS_UNANSWERED, paris(2026, 8, 5, 8))]
    assert len(again) == 2 and all(":20260505T1300Z:" in k for k in again)


def test_the_reminders_follow_the_platforms_period_kind(mail_app: Starlette, db: Session) -> None:
    space = svc.platform_space(fresh(db))
    assert space is not None
    assert [d.recipient.email for d in collect(mail_app, FIGURES_DUE, paris(2026, 4, 1, 8))]
    db.add(PlatformSettings(space_id=space.id, period_kind=SEMESTER))
    db.commit()
    # 31 March ends no semester; 30 June ends 2026-S1
    assert collect(mail_app, FIGURES_DUE, paris(2026, 4, 1, 8)) == []
    dues = collect(mail_app, FIGURES_DUE, paris(2026, 7, 1, 8))
    assert {d.key.split(":")[2] for d in dues} == {"2026-S1"}
    assert {d.recipient.email for d in dues} == {CULTURE_PROVIDER, ESCALE_PROVIDER, MISSION_LOCALE_PROVIDER}


def test_the_rules_are_declared_for_the_admins(mail_app: Starlette) -> None:
    rules = mail_app.state.reseau.registry.reminder_rules
    assert [str(o) for o in rules[FIGURES_DUE].default_timing.offsets] == ["J+1", "J+15"]
    assert [str(o) for o in rules[FIGURES_MISSING].default_timing.offsets] == ["J+22"]
    assert [str(o) for o in rules[PROPOSALS_UNANSWERED].default_timing.offsets] == ["M+3"]
    assert str(rules[FIGURES_DUE].label) == "Fréquentation à saisir"


def test_archived_services_and_unreachable_people_are_left_out(mail_app: Starlette, db: Session) -> None:
    from core.demo import contact_by_email

    fresh(db)
    for name in ("Espace emploi", "Point d'accès au droit"):  # E.S.C.A.L.E. stops both services
        service = db.get(Service, service_id(db, name))
        assert service is not None
        service.archived_at = paris(2026, 3, 15, 12)
    mission_locale = contact_by_email(db, MISSION_LOCALE_PROVIDER)
    assert mission_locale is not None
    mission_locale.email = "pas une adresse"
    db.commit()
    dues = collect(mail_app, FIGURES_DUE, paris(2026, 4, 1, 8))
    assert [d.recipient.email for d in dues] == [CULTURE_PROVIDER]
    # the animators' list still names the service whose provider cannot be written to
    [first, *_] = collect(mail_app, FIGURES_MISSING, paris(2026, 4, 22, 8))
    names = [s["name"] for s in first.context["services"]]
    assert "Accompagnement des 16-25 ans vers l'emploi" in names and "Espace emploi" not in names
