"""A space role taken away takes effect on the very next request of an open session.

Account-wide changes (logout, password, admin rights, deactivation, erasure) end the sessions
(tests/core/accounts/test_sessions.py, tests/core/privacy); space roles are read from the
database on every request, so a session never keeps a role its user lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.spaces.models import ANIMATOR, MEMBER, SpaceMembership
from tests.core.accounts.factories import PASSWORD, add_member, make_contact, make_space, make_user
from tests.helpers import csrf_from, login


def test_an_animator_demoted_loses_the_space_at_once(client: TestClient, db: Session) -> None:
    space = make_space(db, "groupe-habitat")
    contact = make_contact(db, "Ana", "Lopes", "ana@example.org")
    make_user(db, "ana@example.org", contact_id=contact.id)
    add_member(db, space, ANIMATOR, contact=contact)
    login(client, "ana@example.org", PASSWORD)
    edit = client.get("/espaces/groupe-habitat/membres")
    assert edit.status_code == 200
    token = csrf_from(edit.text)
    db.execute(
        sa.update(SpaceMembership)
        .where(SpaceMembership.contact_id == contact.id, SpaceMembership.space_id == space.id)
        .values(role=MEMBER)
    )
    db.commit()
    assert client.get("/espaces/groupe-habitat/membres").status_code == 403
    # a form opened while still animator cannot be sent afterwards
    refused = client.post("/espaces/groupe-habitat/membres/ajouter", data={"csrf_token": token})
    assert refused.status_code == 403
    db.execute(sa.delete(SpaceMembership).where(SpaceMembership.contact_id == contact.id))
    db.commit()
    assert client.get("/espaces/groupe-habitat/membres").status_code == 403
