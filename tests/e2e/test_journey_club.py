"""Journey: an entrepreneur applies to the club from its public page; an animator of the club
accepts the application in the review queue; the company appears in the members' directory and
its contact receives the welcome email at the SMTP sink.
"""

from __future__ import annotations

import re
import uuid

from tests.e2e.conftest import OpenPage, Shots, sign_in
from tests.e2e.server import LiveServer
from tests.e2e.support import subject_contains, text_body, wait_for_mail
from tests.smtp import SmtpSink

CLUB_ANIMATOR = "julien.roux@example.org"  # plugins/club_economie/demo.py ANIMATOR_EMAIL


def test_entrepreneur_applies_and_is_welcomed_into_the_club(
    open_page: OpenPage, live_server: LiveServer, e2e_sink: SmtpSink, shots: Shots
) -> None:
    suffix = uuid.uuid4().hex[:6]
    company = f"Épicerie fine des Portes {suffix}"
    email = f"lea.fontaine.{suffix}@example.org"

    # 1. the entrepreneur fills in the public form, without an account
    applicant = open_page()
    applicant.goto(live_server.url("/club_economie/"))
    shots(applicant, "club-page")
    applicant.goto(live_server.url("/club_economie/candidater"))
    applicant.locator("#name").fill(company)
    applicant.locator("#legal_form").select_option("sas")
    applicant.get_by_label("Activité", exact=True).fill("Épicerie fine")
    applicant.locator("#size_band").select_option("1-9")
    applicant.get_by_label("Adresse", exact=True).fill("3 rue des Portes de Paris")
    applicant.get_by_label("Code postal").fill("94350")
    applicant.get_by_label("Commune").fill("Villiers-sur-Marne")
    applicant.get_by_label("L'adresse est dans le quartier prioritaire", exact=False).check()
    applicant.get_by_label("Prénom").fill("Léa")
    applicant.locator("#last_name").fill("Fontaine")
    applicant.locator("#email").fill(email)
    applicant.get_by_label("Ce que vous apportez au club").fill("Des stages de découverte pour les jeunes.")
    applicant.get_by_label("Ce que vous attendez du club").fill("Rencontrer les acteurs de l'emploi.")
    applicant.locator("#consent").check()
    shots(applicant, "application-form")
    applicant.get_by_role("button", name="Envoyer ma candidature").click()
    applicant.wait_for_url(re.compile(r"/club_economie/candidater/merci$"))
    shots(applicant, "application-sent")

    # 2. an animator of the club finds it in the queue and accepts it
    animator = open_page()
    sign_in(animator, live_server, CLUB_ANIMATOR)
    animator.goto(live_server.url("/club_economie/candidatures"))
    animator.get_by_role("link", name=company).click()
    animator.get_by_role("heading", level=1, name=re.compile(re.escape(company))).wait_for()
    shots(animator, "application-under-review")
    animator.get_by_role("button", name="Accepter la candidature").click()
    accepted = "La candidature est acceptée : l'entreprise est membre du club."
    animator.get_by_text(accepted, exact=False).wait_for()
    shots(animator, "application-accepted")

    # 3. the new member is in the club's members' directory
    animator.goto(live_server.url("/club_economie/annuaire"))
    card = animator.locator(".club-cards li").filter(has=animator.get_by_role("heading", name=company))
    card.wait_for()
    assert "Épicerie fine" in card.inner_text()
    shots(animator, "members-directory")

    # 4. and the welcome email reached the applicant
    welcome = wait_for_mail(e2e_sink, email, subject_contains("Bienvenue au Club des acteurs de l'économie"))
    assert company in str(welcome.message["Subject"])
    assert f"« {company} » est acceptée" in text_body(welcome)
