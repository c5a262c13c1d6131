"""Invitations by contact, organisation or space; answers per person and organisation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.calendar import invitations
from core.calendar.invitations import InvitationError, invitation_summary
from core.calendar.models import ACCEPTED, DECLINED, Invitation
from core.directory.models import Contact
from tests.core.calendar.conftest import World, fresh
from tests.helpers import login, post_form

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_invite_contacts_reports_no_email_and_ignores_duplicates(world: World, db: Session) -> None:
    meeting = world.meeting()
    report = invitations.invite_contacts(db, None, meeting, [world.marc, world.prefet_2, world.marc], now=NOW)
    assert [c.id for c in report.invited] == [world.marc]
    assert [c.id for c in report.without_email] == [world.prefet_2]
    again = invitations.invite_contacts(db, None, meeting, [world.marc, world.prefet_1], now=NOW)
    assert [c.id for c in again.already] == [world.marc] and [c.id for c in again.invited] == [world.prefet_1]
    db.commit()
    rows = dict(db.execute(select(Invitation.contact_id, Invitation.organisation_id)).all())
    # a contact invited directly represents their main organisation
    assert rows == {world.marc: None, world.prefet_1: world.prefecture}


def test_invite_organisations_sets_the_organisation(world: World, db: Session) -> None:
    meeting = world.meeting()
    report = invitations.invite_organisations(db, None, meeting, [world.prefecture, world.alpha], now=NOW)
    assert sorted(c.id for c in report.invited) == sorted([world.prefet_1, world.alpha_1])
    assert [c.id for c in report.without_email] == [world.prefet_2]
    db.commit()
    rows = dict(db.execute(select(Invitation.contact_id, Invitation.organisation_id)).all())
    assert rows == {world.prefet_1: world.prefecture, world.alpha_1: world.alpha}


def test_invite_space_members_covers_contacts_and_member_organisations(world: World, db: Session) -> None:
    meeting = world.meeting()
    report = invitations.invite_space_members(db, None, meeting, now=NOW)
    assert sorted(c.id for c in report.invited) == sorted([world.anne, world.marc, world.alpha_1])
    db.commit()
    assert (
        db.scalar(select(Invitation.organisation_id).where(Invitation.contact_id == world.alpha_1))
        == world.alpha
    )


def test_anonymised_contacts_are_never_invited(world: World, db: Session) -> None:
    meeting = world.meeting()
    db.get(Contact, world.prefet_1).anonymised_at = NOW
    db.commit()
    report = invitations.invite_organisations(db, None, meeting, [world.prefecture], now=NOW)
    assert report.invited == []


def test_cancelled_meeting_takes_no_invitation(world: World, db: Session) -> None:
    meeting = world.meeting()
    meeting.status = "cancelled"
    with pytest.raises(InvitationError):
        invitations.invite_contacts(db, None, meeting, [world.marc], now=NOW)


def test_summary_per_person_organisation_and_signatory_represented(world: World, db: Session) -> None:
    meeting = world.meeting()
    invitations.invite_organisations(db, None, meeting, [world.prefecture, world.alpha], now=NOW)
    invitations.invite_contacts(db, None, meeting, [world.marc], now=NOW)
    summary = invitation_summary(db, meeting.id)
    assert [g.organisation.name if g.organisation else None for g in summary.groups] == [
        "Association Alpha",
        "Préfecture du Val-de-Marne",
        None,
    ]
    assert [g.represented for g in summary.signatories] == [False]
    paul = db.scalar(select(Invitation).where(Invitation.contact_id == world.prefet_1))
    assert invitations.record_answer(db, None, paul, ACCEPTED, now=NOW)
    assert not invitations.record_answer(db, None, paul, ACCEPTED, now=NOW)  # harmless repeat
    summary = invitation_summary(db, meeting.id)
    assert [g.represented for g in summary.signatories] == [True]
    assert summary.counts() == {"accepted": 1, "tentative": 0, "declined": 0, "pending": 2}


def test_invitations_page_flow(client: TestClient, world: World, db: Session) -> None:
    meeting = world.meeting()
    url = f"/agenda/reunions/{meeting.id}/invitations"
    login(client, "anne@example.org")
    page = client.get(url)
    assert "Personne n'est encore invité." in page.text
    assert "Préfecture du Val-de-Marne" in page.text  # signatories are offered
    done = post_form(client, url, {"action": "organisations", "organisation_id": [str(world.prefecture)]})
    assert "1 invitation(s) ajoutée(s) : Paul Préfet." in done.text
    assert "faute d&#39;adresse électronique : Pia Sansmail" in done.text
    post_form(client, url, {"action": "members"})
    post_form(client, url, {"action": "contacts", "contact_id": [str(world.marc), str(world.olga)]})
    fresh(db)
    invited = set(db.scalars(select(Invitation.contact_id).where(Invitation.meeting_id == meeting.id)))
    assert invited == {world.prefet_1, world.anne, world.marc, world.alpha_1, world.olga}
    # search finds people regardless of accents and case
    found = client.get(url, params={"q": "prefet"})
    assert "Paul Préfet" in found.text
    # answers per person: an animator records a phone answer
    paul = db.scalar(select(Invitation.id).where(Invitation.contact_id == world.prefet_1))
    post_form(client, url, {"action": "answer", "invitation_id": str(paul), "response": DECLINED})
    assert fresh(db).scalar(select(Invitation.response).where(Invitation.id == paul)) == DECLINED
    page = client.get(url)
    assert "Signataires invités : sont-ils représentés ?" in page.text
    assert "Réponses par organisation" in page.text and "Réponses par personne" in page.text
    # withdraw an invitation
    post_form(client, url, {"action": "remove", "invitation_id": str(paul)})
    assert fresh(db).get(Invitation, paul) is None


def test_invitation_of_another_meeting_cannot_be_touched(
    client: TestClient, world: World, db: Session
) -> None:
    mine = world.meeting()
    theirs = world.meeting(space_id=world.space_b)
    invitations.invite_contacts(db, None, theirs, [world.marc], now=NOW)
    db.commit()
    target = db.scalar(select(Invitation.id))
    login(client, "anne@example.org")
    response = post_form(
        client, f"/agenda/reunions/{mine.id}/invitations", {"action": "remove", "invitation_id": str(target)}
    )
    assert response.status_code == 404
    assert fresh(db).get(Invitation, target) is not None


def test_inviting_wakes_the_reminders_sweep_after_commit(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.reminders import runtime

    woken: list[object] = []
    monkeypatch.setattr(runtime, "sweep_soon", lambda state: woken.append(state))
    meeting = world.meeting()
    url = f"/agenda/reunions/{meeting.id}/invitations"
    login(client, "anne@example.org")
    client.get(url)
    assert woken == []  # reading the page wakes nothing
    post_form(client, url, {"action": "contacts", "contact_id": [str(world.marc)]})
    assert len(woken) == 1  # the invitation email is swept at once, not at the next interval
