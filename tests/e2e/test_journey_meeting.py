"""Journey: an animator plans a meeting, invites two organisations; an invitee answers from the
email; the animator sees the answer, records attendance, writes minutes and an action item.

The meeting is planned in a groupe technique the animator leads when that plugin is installed,
else in the core's project-team space (:func:`tests.e2e.support.space_for_meeting`). The server
runs on the real clock, so the meeting starts in a few minutes, today: invitations are only
emailed before a meeting starts, and attendance is only recorded from its day on.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar.models import ActionItem, Attendance, Invitation
from core.directory.models import Contact
from tests.e2e.conftest import ACCOUNTS, OpenPage, Shots, sign_in
from tests.e2e.server import LiveServer
from tests.e2e.support import (
    meeting_later_today,
    rsvp_link,
    space_for_meeting,
    subject_contains,
    wait_for_mail,
)
from tests.smtp import SmtpSink

INVITED_ORGANISATIONS = {
    # search words → the label of the organisation's checkbox, and a person listed in it
    "Pôle E.S.C.A.L.E.": ("Pôle E.S.C.A.L.E.", "sophie.lefevre@example.org"),
    "caisse d'allocations familiales": (
        "Caisse d'Allocations Familiales du Val-de-Marne",
        "claire.dubois@example.org",
    ),
}
INVITEE = "claire.dubois@example.org"


def test_animator_plans_invites_and_follows_up_a_meeting(
    open_page: OpenPage, live_server: LiveServer, e2e_sink: SmtpSink, e2e_db: Session, shots: Shots
) -> None:
    space = space_for_meeting(e2e_db, ACCOUNTS["animator"])
    e2e_db.rollback()
    title = f"Groupe technique – point d'étape {uuid.uuid4().hex[:6]}"
    starts, ends = meeting_later_today()

    # 1. the animator signs in and plans the meeting
    animator = open_page()
    sign_in(animator, live_server, ACCOUNTS["animator"])
    shots(animator, "signed-in")
    animator.goto(live_server.url("/agenda/"))
    animator.get_by_role("link", name="Planifier une réunion").first.click()
    animator.locator("#space_id").select_option(label=space.name)
    animator.locator("#title").fill(title)
    animator.locator("#start_date").fill(starts.date().isoformat())
    animator.locator("#start_time").fill(starts.strftime("%H:%M"))
    animator.locator("#end_time").fill(ends.strftime("%H:%M"))
    if ends.date() != starts.date():
        animator.locator("#end_date").fill(ends.date().isoformat())
    animator.locator("#location").fill("Maison de quartier des Hautes-Noues, Villiers-sur-Marne")
    animator.locator("#room").fill("Salle polyvalente")
    shots(animator, "meeting-form")
    animator.get_by_role("button", name="Planifier la réunion").click()
    animator.get_by_text(f"La réunion « {title} » est planifiée.").wait_for()
    match = re.search(r"/agenda/reunions/(\d+)", animator.url)
    assert match, animator.url
    meeting_id = int(match.group(1))
    shots(animator, "meeting-planned")

    # 2. it invites two organisations (everyone listed in them)
    animator.get_by_role("link", name="Invitations", exact=True).click()
    for words, (label, _email) in INVITED_ORGANISATIONS.items():
        animator.get_by_label("Chercher une organisation ou une personne").fill(words)
        animator.get_by_role("button", name="Chercher", exact=True).click()
        shots(animator, f"search-{words}")
        organisations = animator.get_by_role("group", name=re.compile("^Organisations"))
        organisations.get_by_role("checkbox", name=label).check()
        animator.get_by_role("button", name="Inviter les organisations cochées").click()
        animator.wait_for_load_state()
    shots(animator, "organisations-invited")
    for _label, email in INVITED_ORGANISATIONS.values():
        invited = select(Invitation.id).join(Contact).where(Invitation.meeting_id == meeting_id)
        assert e2e_db.scalar(invited.where(Contact.email == email)), f"{email} was not invited"
    e2e_db.rollback()

    # 3. the invitee receives the email (with the .ics) and answers through its link
    mail = wait_for_mail(e2e_sink, INVITEE, subject_contains(title))
    assert any(part.get_content_type() == "text/calendar" for part in mail.message.walk())
    invitee = open_page()
    invitee.goto(rsvp_link(mail))
    shots(invitee, "rsvp-page")
    invitee.locator("#comment").fill("Je viendrai avec une collègue.")
    invitee.get_by_role("button", name="Je participe", exact=True).click()
    invitee.get_by_text("Participe", exact=True).first.wait_for()
    shots(invitee, "rsvp-accepted")

    # 4. the animator sees the answer
    animator.reload()
    signatories = animator.get_by_role("table", name="Signataires invités : sont-ils représentés ?")
    assert "oui" in signatories.get_by_role("row").filter(has_text="Allocations Familiales").inner_text()
    row = animator.get_by_role("table", name="Réponses par personne").get_by_role("row").filter(
        has_text="Claire Dubois"
    )
    assert "Participe" in row.inner_text()
    assert "Je viendrai avec une collègue." in row.inner_text()
    shots(animator, "answer-seen")

    # 5. attendance
    animator.goto(live_server.url(f"/agenda/reunions/{meeting_id}/presences"))
    animator.get_by_role("checkbox", name=re.compile("Claire Dubois")).check()
    animator.get_by_role("checkbox", name=re.compile("Sophie Lefèvre")).check()
    animator.get_by_role("button", name="Enregistrer les présences").click()
    animator.get_by_text("2 présent·e(s)", exact=False).wait_for()
    shots(animator, "attendance-recorded")

    # 6. minutes, then an action item
    animator.get_by_role("link", name="Compte rendu", exact=True).click()
    animator.goto(live_server.url(f"/agenda/reunions/{meeting_id}/compte-rendu/modifier"))
    animator.get_by_label("Compte rendu", exact=False).first.fill(
        "## Points abordés\n\n- Bilan des permanences d'accès aux droits\n"
        "- **Prochaine étape** : atelier commun"
    )
    animator.get_by_role("button", name="Enregistrer", exact=True).click()
    animator.goto(live_server.url(f"/agenda/reunions/{meeting_id}/compte-rendu"))
    assert animator.get_by_role("heading", name="Points abordés").count() == 1
    shots(animator, "minutes-written")
    animator.get_by_role("link", name="Actions", exact=True).click()
    animator.get_by_label("Action à mener", exact=False).fill("Préparer l'atelier commun")
    owner = animator.get_by_label("Responsable", exact=False)
    owner.select_option(owner.locator("option", has_text="Claire Dubois").get_attribute("value"))
    animator.get_by_role("button", name="Enregistrer l'action").click()
    animator.get_by_role("row").filter(has_text="Préparer l'atelier commun").wait_for()
    shots(animator, "action-item-added")

    # what the browser did is in the database
    attended = e2e_db.scalars(
        select(Contact.email).join(Attendance, Attendance.contact_id == Contact.id).where(
            Attendance.meeting_id == meeting_id
        )
    ).all()
    assert set(attended) == {"claire.dubois@example.org", "sophie.lefevre@example.org"}
    item = e2e_db.scalar(select(ActionItem).where(ActionItem.meeting_id == meeting_id))
    assert item is not None and item.title == "Préparer l'atelier commun"
    assert item.owner_contact_id == e2e_db.scalar(select(Contact.id).where(Contact.email == INVITEE))
