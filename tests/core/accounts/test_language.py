"""Choosing the language: ``?lang=``, the header's switch (no JavaScript), the account's choice.

French is the default; English is an explicit choice, and pages, dates and error pages follow it.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from tests.core.accounts.factories import PASSWORD, make_user, refresh
from tests.helpers import login, post_form

# the clock is frozen on Monday 2 March 2026: the month grid names that day in full
MARCH = "/agenda/?month=2026-03"
ENGLISH_DAY = "Monday 2 March 2026"
FRENCH_DAY = "lundi 2 mars 2026"


def _is_english(html: str) -> bool:
    return '<html lang="en">' in html and "Skip to main content" in html and "Aller au contenu" not in html


def _is_french(html: str) -> bool:
    return '<html lang="fr">' in html and "Aller au contenu principal" in html and "Skip to main" not in html


def test_lang_in_the_address_renders_that_page_in_english(client: TestClient) -> None:
    page = client.get(MARCH + "&lang=en")
    assert page.status_code == 200 and _is_english(page.text)
    assert ENGLISH_DAY in page.text and "March 2026" in page.text and FRENCH_DAY not in page.text
    assert ">Calendar<" in page.text and ">Directory<" in page.text  # the navigation too
    # nothing is remembered: a GET has no side effect
    again = client.get(MARCH)
    assert _is_french(again.text) and FRENCH_DAY in again.text and "Mars 2026" in again.text


def test_an_unknown_lang_is_ignored(client: TestClient) -> None:
    page = client.get(MARCH + "&lang=de")
    assert page.status_code == 200 and _is_french(page.text)


def test_the_switch_is_a_form_that_works_without_javascript(client: TestClient) -> None:
    page = client.get(MARCH + "&lang=fr").text
    form = re.search(r'<form method="post" action="/compte/langue".*?</form>', page, re.S)
    assert form is not None
    assert 'name="csrf_token"' in form.group(0)
    # it comes back to this very page, query included, without the one-off ?lang=
    assert 'name="next" value="/agenda/?month=2026-03"' in form.group(0)
    assert '<button type="submit" name="language" value="en"' in form.group(0)


def test_the_switch_keeps_english_for_the_visit(client: TestClient) -> None:
    response = post_form(client, "/compte/langue", {"language": "en", "next": MARCH}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == MARCH
    page = client.get(MARCH).text
    assert _is_english(page) and ENGLISH_DAY in page
    assert '<button type="submit" name="language" value="fr"' in page  # and back again
    assert _is_english(client.get("/annuaire/").text)
    post_form(client, "/compte/langue", {"language": "fr", "next": "/"})
    assert _is_french(client.get(MARCH).text)


def test_a_saved_preference_follows_the_account(client: TestClient, db: Session) -> None:
    user = make_user(db, "ana@example.org")
    user.language = "en"
    db.commit()
    login(client, "ana@example.org", PASSWORD)
    page = client.get(MARCH).text
    assert _is_english(page) and ENGLISH_DAY in page
    assert _is_french(client.get(MARCH + "&lang=fr").text)  # ?lang= wins for that page only
    assert _is_english(client.get("/compte/profil").text)
    refresh(db)
    assert user.language == "en"


def test_error_pages_speak_the_chosen_language(client: TestClient) -> None:
    missing = client.get("/pas-de-page-ici?lang=en")
    assert missing.status_code == 404 and _is_english(missing.text) and "Page not found" in missing.text
    post_form(client, "/compte/langue", {"language": "en", "next": "/"})
    missing = client.get("/pas-de-page-ici")
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert "Page introuvable" not in missing.text
    # raised by a view (which runs in another thread): the page is English all the same
    unknown_space = client.get("/espaces/pas-un-espace")
    assert unknown_space.status_code == 404 and _is_english(unknown_space.text)
    assert "Page not found" in unknown_space.text


def test_error_pages_stay_french_by_default(client: TestClient) -> None:
    missing = client.get("/espaces/pas-un-espace")
    assert missing.status_code == 404 and _is_french(missing.text) and "Page introuvable" in missing.text


def test_the_browsers_language_is_not_followed(client: TestClient) -> None:
    """French first: an English-language browser still gets French until the visitor chooses."""
    page = client.get(MARCH, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert _is_french(page.text) and FRENCH_DAY in page.text


def test_the_sign_in_page_keeps_the_language_of_the_link(client: TestClient) -> None:
    response = client.get("/compte/profil?lang=en", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/compte/connexion?next=%2Fcompte%2Fprofil%3Flang%3Den&lang=en"
    assert _is_english(client.get(response.headers["location"]).text)
