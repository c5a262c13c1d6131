"""Journey: a trainer publishes a cycle of three sessions with two places; three people register
through the public form, the third is waitlisted; the first cancels through the link of their
confirmation email; the third is offered the freed place by email, takes it and is confirmed
(email at the sink, status on the trainer's page).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from tests.e2e.conftest import OpenPage, Shots, sign_in
from tests.e2e.server import LiveServer
from tests.e2e.support import PARIS, next_weekday, subject_contains, text_body, wait_for_mail
from tests.smtp import Received, SmtpSink

TRAINER = "karim.haddad@example.org"  # plugins/unite_formation/demo.py TRAINERS
_LINK = r"https?://[^\s<>\"]+/unite_formation/inscription/{kind}/[A-Za-z0-9._~-]+"


def _link(received: Received, kind: str) -> str:
    """The signed ``annuler`` (cancel) or ``place`` (offer) link of a registration email."""
    links = re.findall(_LINK.format(kind=kind), text_body(received))
    assert links, f"no {kind} link in {received.message['Subject']}"
    return str(links[0])


def test_trainer_publishes_a_cycle_and_the_waiting_list_moves_up(
    open_page: OpenPage, live_server: LiveServer, e2e_sink: SmtpSink, shots: Shots
) -> None:
    suffix = uuid.uuid4().hex[:6]
    title = f"Parcours numérique pour l'emploi {suffix}"
    people = [
        ("Amina", "Diallo", f"amina.diallo.{suffix}@example.org"),
        ("Bruno", "Lefort", f"bruno.lefort.{suffix}@example.org"),
        ("Chloé", "Nguyen", f"chloe.nguyen.{suffix}@example.org"),
    ]
    first_day = next_weekday(21)
    now = datetime.now(PARIS)

    # 1. the trainer describes the cycle: two places, registrations open now
    trainer = open_page()
    sign_in(trainer, live_server, TRAINER)
    trainer.goto(live_server.url("/unite_formation/gestion/nouveau"))
    trainer.locator("#title").fill(title)
    trainer.locator("#theme").select_option(index=1)
    trainer.locator("#public").select_option(index=1)
    trainer.locator("#objectives").fill("Chercher un emploi en ligne et préparer son CV.")
    trainer.locator("#capacity").fill("2")
    trainer.locator("#registration_opens_at").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    closes = datetime.combine(first_day - timedelta(days=2), datetime.min.time())
    trainer.locator("#registration_closes_at").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    shots(trainer, "cycle-form")
    trainer.get_by_role("button", name="Enregistrer", exact=True).click()
    trainer.wait_for_url(re.compile(r"/unite_formation/gestion/\d+$"))
    cycle_id = int(trainer.url.rsplit("/", 1)[1])

    # 2. three sessions, a week apart, then publication
    for week in range(3):
        trainer.locator("#day").fill((first_day + timedelta(weeks=week)).isoformat())
        trainer.locator("#starts").fill("09:30")
        trainer.locator("#ends").fill("12:00")
        trainer.locator("#location").fill("Médiathèque Jules Verne, salle numérique")
        trainer.get_by_role("button", name="Ajouter la séance").click()
        trainer.get_by_text("Séance ajoutée.").wait_for()
    assert trainer.get_by_role("table", name="Séances").locator("tbody tr").count() == 3
    trainer.get_by_role("button", name="Publier le cycle").click()
    trainer.wait_for_load_state()
    shots(trainer, "cycle-published")

    # 3. three people register through the public form; the third is waitlisted
    headings = []
    for first, last, email in people:
        person = open_page()
        person.goto(live_server.url(f"/unite_formation/cycles/{cycle_id}"))
        person.locator("#first_name").fill(first)
        person.locator("#last_name").fill(last)
        person.locator("#email").fill(email)
        person.locator("input[name=public_category]").first.check()
        person.get_by_role("button", name="M'inscrire au cycle").click()
        heading = person.get_by_role("heading", level=1)
        heading.wait_for()
        headings.append(heading.inner_text())
        shots(person, f"registered-{first}")
    assert headings == [
        "Votre inscription est confirmée",
        "Votre inscription est confirmée",
        "Vous êtes sur la liste d'attente",
    ]
    wait_for_mail(e2e_sink, people[2][2], subject_contains(f"Liste d'attente : {title}"))

    # 4. the first person cancels through the link of their confirmation email
    confirmation = wait_for_mail(e2e_sink, people[0][2], subject_contains(f"Inscription confirmée : {title}"))
    leaving = open_page()
    leaving.goto(_link(confirmation, "annuler"))
    shots(leaving, "cancel-page")
    leaving.get_by_role("button", name="Annuler mon inscription").click()
    leaving.get_by_text("Votre inscription est annulée.").wait_for()
    shots(leaving, "cancelled")

    # 5. the third is offered the place by email, takes it and is confirmed
    offer = wait_for_mail(e2e_sink, people[2][2], subject_contains(f"Une place se libère : {title}"))
    promoted = open_page()
    promoted.goto(_link(offer, "place"))
    shots(promoted, "offer-page")
    promoted.get_by_role("button", name="Je prends la place").click()
    promoted.get_by_text("Votre inscription est confirmée. À bientôt !").wait_for()
    shots(promoted, "place-taken")
    wait_for_mail(e2e_sink, people[2][2], subject_contains(f"Inscription confirmée : {title}"))

    # the trainer's page shows who is in
    trainer.reload()
    rows = trainer.get_by_role("table", name="Inscriptions").get_by_role("row")
    statuses = {name: rows.filter(has_text=f"{first} {last}").inner_text() for first, last, name in people}
    shots(trainer, "participants")
    assert "Inscription confirmée" in statuses[people[1][2]], statuses
    assert "Inscription confirmée" in statuses[people[2][2]], statuses
    assert "Inscription annulée" in statuses[people[0][2]], statuses
