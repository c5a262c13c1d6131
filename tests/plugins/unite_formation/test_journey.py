"""The whole journey over HTTP, emails read at a real SMTP sink: a trainer publishes a cycle,
people register, the last ones wait, a cancellation promotes the first waiting, attendance is
recorded, attestations go to those above the threshold only (the PDF parsed back)."""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.reminders.testing import run_at, walk
from tests.helpers import FrozenClock, login, logout, post_form
from tests.plugins.unite_formation.conftest import TRAINER_EMAIL, text, utc
from tests.plugins.unite_formation.test_attendance_and_attestations import pdf_text
from tests.smtp import SmtpSink

LINK = re.compile(r"https?://\S+")


def ascii_name(name: str) -> str:
    return name.lower().replace("é", "e")


def mail_to(sink: SmtpSink, address: str, subject_start: str) -> str:
    """The plain-text body of the last message to ``address`` whose subject starts so."""
    for received in reversed(sink.messages):
        if received.rcpt_tos == (address,) and str(received.message["Subject"]).startswith(subject_start):
            return str(received.message.get_body(("plain",)).get_content())
    raise AssertionError(
        f"no message {subject_start!r} to {address}: "
        f"{[(m.rcpt_tos, m.message['Subject']) for m in sink.messages]}"
    )


def link_in(body: str, fragment: str, base: str) -> str:
    """The path of the link of ``body`` containing ``fragment``."""
    found = [u for u in LINK.findall(body) if fragment in u]
    assert found, (fragment, body)
    return found[0].removeprefix(base)


def test_the_journey(make_app: object, unit: int, clock: FrozenClock, smtp_sink: SmtpSink) -> None:
    app: Starlette = make_app(smtp_url=smtp_sink.url)  # type: ignore[operator]
    base = app.state.reseau.settings.base_url
    with TestClient(app, follow_redirects=True) as client:
        # the trainer publishes a cycle of two sessions with three places
        login(client, TRAINER_EMAIL)
        created = post_form(
            client,
            "/unite_formation/gestion/nouveau",
            {
                "space_id": str(unit),
                "title": "Premiers pas avec les démarches en ligne",
                "theme": "numerique",
                "public": "mediateurs",
                "objectives": "Accompagner sans faire à la place.",
                "capacity": "3",
                "price": "0",
                "registration_opens_at": "2026-03-02T09:00",
                "registration_closes_at": "2026-03-13T18:00",
                "attendance_threshold": "80",
                "offer_hours": "24",
            },
        )
        admin = str(created.url).removeprefix("http://testserver")
        cycle_id = admin.rstrip("/").split("/")[-1]
        for day in ("2026-03-17", "2026-03-24"):
            post_form(
                client,
                f"{admin}/seances",
                {"day": day, "starts": "09:00", "ends": "12:00", "location": "Espace E.S.C.A.L.E."},
            )
        assert "Le cycle est publié." in text(post_form(client, f"{admin}/publier"))
        logout(client)

        # four people register over HTTP: three places, the fourth waits
        register_url = f"/unite_formation/cycles/{cycle_id}/inscription"
        names = ["Amina", "Bruno", "Chloé", "David"]
        for name in names:
            page = text(
                post_form(
                    client,
                    register_url,
                    {
                        "first_name": name,
                        "last_name": "Test",
                        "email": f"{ascii_name(name)}@example.org",
                        "public_category": "mediateurs",
                        "priority_area": "y" if name in ("Amina", "David") else "",
                    },
                )
            )
            expected = (
                "Vous êtes sur la liste d'attente" if name == "David" else "Votre inscription est confirmée"
            )
            assert expected in page, name
        assert "0 sur 3 disponibles" in text(client.get(f"/unite_formation/cycles/{cycle_id}"))
        run_at(app, clock())
        confirmation = mail_to(smtp_sink, "bruno@example.org", "Inscription confirmée")
        assert "Premiers pas avec les démarches en ligne" in confirmation
        mail_to(smtp_sink, "david@example.org", "Liste d'attente")

        # Bruno cancels with the link of his email: David is offered the place, and takes it
        clock.advance(days=1)
        cancel = link_in(confirmation, "/inscription/annuler/", base)
        assert "Votre inscription est annulée." in text(post_form(client, cancel))
        run_at(app, clock())
        offer = mail_to(smtp_sink, "david@example.org", "Une place se libère")
        accept = link_in(offer, "/inscription/place/", base)
        assert "la place est à vous" in text(post_form(client, accept))
        run_at(app, clock())
        mail_to(smtp_sink, "david@example.org", "Inscription confirmée")

        # the sessions happen; the trainer records who came
        walk(app, clock(), utc(2026, 3, 24, 12), timedelta(hours=12))
        clock.set(utc(2026, 3, 24, 12))
        login(client, TRAINER_EMAIL)
        page = client.get(admin).text
        sheets = re.findall(r'href="(/unite_formation/gestion/\d+/seances/\d+/emargement)"', page)
        assert len(sheets) == 2
        ids = dict(
            re.findall(r'id="p-(\d+)"[^>]*> <label for="p-\d+">(\w+) Test', client.get(sheets[0]).text)
        )
        by_name = {name: number for number, name in ids.items()}
        assert set(by_name) == {"Amina", "Chloé", "David"}
        post_form(client, sheets[0], {"present": [by_name["Amina"], by_name["Chloé"], by_name["David"]]})
        post_form(client, sheets[1], {"present": [by_name["Amina"], by_name["David"]]})
        admin_page = text(client.get(admin))
        assert "2/2 (100 %)" in admin_page and "1/2 (50 %)" in admin_page
        trainer_pdf = client.get(f"{admin}/attestations/{by_name['Amina']}.pdf")
        assert "Amina Test" in pdf_text(trainer_pdf.content)
        refused = client.get(f"{admin}/attestations/{by_name['Chloé']}.pdf")
        assert refused.status_code == 403 and "sous le seuil de 80 %" in text(refused)
        logout(client)

        # after the last session: the questionnaire and the attestation link, for those above 80 %
        walk(app, clock(), utc(2026, 3, 27, 12), timedelta(hours=12))
        for name in ("Amina", "David"):
            body = mail_to(smtp_sink, f"{name.lower()}@example.org", "Votre avis sur la formation")
            pdf = client.get(link_in(body, "/attestation/", base))
            assert pdf.status_code == 200
            content = pdf_text(pdf.content)
            assert f"{name} Test a suivi la formation « Premiers pas avec les démarches en ligne »" in content
            assert "mardi 17 mars 2026, de 09 h 00 à 12 h 00" in content and "mardi 24 mars 2026" in content
            assert "Karim Haddad" in content
        chloe = mail_to(smtp_sink, "chloe@example.org", "Votre avis sur la formation")
        assert "/attestation/" not in chloe
        survey = link_in(chloe, "/questionnaire/", base)
        answers = {"overall": "4", "content": "4", "trainer": "5", "useful": "4", "organisation": "3"}
        assert "Merci pour vos réponses" in text(post_form(client, survey, answers))
        login(client, TRAINER_EMAIL)
        assert "1 réponse(s) pour 3 participant(s)." in text(client.get(f"{admin}/questionnaire"))
