"""Roles from memberships (direct, or through an organisation), permissions from declarations."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts import permissions
from core.accounts.models import User
from core.declarations import Registry
from core.corehooks import MEETING_MANAGE, SPACE_MANAGE, SPACE_VIEW
from core.directory.models import Contact
from core.spaces.models import ANIMATOR, MEMBER, Space
from tests.core.accounts import fake_plugin
from tests.core.accounts.factories import (
    PASSWORD,
    add_member,
    affiliate,
    make_contact,
    make_organisation,
    make_space,
    make_user,
)
from tests.helpers import login


@dataclass
class World:
    """Two spaces and people holding every kind of place in them."""

    jardin: Space
    budget: Space
    animator: User  # animator of "jardin" (directly)
    member: User  # member of "jardin" (directly)
    via_org: User  # works for an organisation that is a member of "jardin"
    treasurer: User  # holds the plugin role in "budget"
    outsider: User  # has a contact, no membership
    no_contact: User  # an account not linked to the directory
    admin: User
    registry: Registry


@pytest.fixture
def world(essai_app: Starlette, db: Session) -> World:
    jardin, budget = make_space(db, "jardin-partage"), make_space(db, "budget-participatif")
    people = {}
    for key, first in [
        ("animator", "Anne"),
        ("member", "Malik"),
        ("via_org", "Olga"),
        ("treasurer", "Tom"),
        ("outsider", "Omar"),
    ]:
        contact = make_contact(db, first, "Test", f"{key}@example.org")
        people[key] = (contact, make_user(db, f"{key}@example.org", contact_id=contact.id))
    association = make_organisation(db, "Association des jardiniers")
    affiliate(db, people["via_org"][0], association)
    add_member(db, jardin, ANIMATOR, contact=people["animator"][0])
    add_member(db, jardin, MEMBER, contact=people["member"][0])
    add_member(db, jardin, MEMBER, org=association)
    add_member(db, budget, fake_plugin.TREASURER, contact=people["treasurer"][0])
    return World(
        jardin=jardin,
        budget=budget,
        **{key: user for key, (_, user) in people.items()},
        no_contact=make_user(db, "seul@example.org"),
        admin=make_user(db, "admin@example.org", admin=True),
        registry=essai_app.state.reseau.registry,
    )


def test_roles_in_space(world: World, db: Session) -> None:
    roles = permissions.roles_in_space
    assert roles(db, world.animator, world.jardin.id) == {ANIMATOR, MEMBER}  # every role implies membership
    assert roles(db, world.member, world.jardin.id) == {MEMBER}
    assert roles(db, world.via_org, world.jardin.id) == {MEMBER}  # through the organisation
    assert roles(db, world.treasurer, world.budget.id) == {fake_plugin.TREASURER, MEMBER}
    assert roles(db, world.treasurer, world.jardin.id) == set()
    assert roles(db, world.outsider, world.jardin.id) == set()
    assert roles(db, world.no_contact, world.jardin.id) == set()
    assert roles(db, None, world.jardin.id) == set()


def test_an_organisation_grants_membership_only(world: World, db: Session) -> None:
    """Even if an organisation is recorded with another role, its people are only members."""
    landlord = make_organisation(db, "Bailleur social")
    omar = db.get(Contact, world.outsider.contact_id)
    assert omar is not None
    affiliate(db, omar, landlord)
    add_member(db, world.jardin, ANIMATOR, org=landlord)
    assert permissions.roles_in_space(db, world.outsider, world.jardin.id) == {MEMBER}
    assert not permissions.has_permission(db, world.registry, world.outsider, SPACE_MANAGE, world.jardin.id)


@pytest.mark.parametrize(
    ("who", "permission", "space", "expected"),
    [
        ("animator", SPACE_MANAGE, "jardin", True),
        ("animator", MEETING_MANAGE, "jardin", True),
        ("animator", SPACE_VIEW, "jardin", True),
        ("member", SPACE_VIEW, "jardin", True),
        ("member", SPACE_MANAGE, "jardin", False),
        ("via_org", SPACE_VIEW, "jardin", True),
        ("via_org", MEETING_MANAGE, "jardin", False),
        ("animator", SPACE_VIEW, "budget", False),
        ("outsider", SPACE_VIEW, "jardin", False),
        ("no_contact", SPACE_VIEW, "jardin", False),
        ("admin", SPACE_MANAGE, "budget", True),
        # the plugin's permission, granted to its own role and to animators
        ("treasurer", fake_plugin.BUDGET, "budget", True),
        ("treasurer", SPACE_MANAGE, "budget", False),
        ("treasurer", SPACE_VIEW, "budget", True),
        ("animator", fake_plugin.BUDGET, "jardin", True),
        ("member", fake_plugin.BUDGET, "jardin", False),
        ("via_org", fake_plugin.BUDGET, "jardin", False),
    ],
)
def test_has_permission(
    world: World, db: Session, who: str, permission: str, space: str, expected: bool
) -> None:
    user = getattr(world, who)
    space_id = getattr(world, space).id
    assert permissions.has_permission(db, world.registry, user, permission, space_id) is expected


def test_permission_in_at_least_one_space(world: World, db: Session) -> None:
    registry = world.registry
    assert permissions.has_permission(db, registry, world.treasurer, fake_plugin.BUDGET, None)
    assert permissions.has_permission(db, registry, world.via_org, SPACE_VIEW, None)
    assert not permissions.has_permission(db, registry, world.member, SPACE_MANAGE, None)
    assert not permissions.has_permission(db, registry, None, SPACE_VIEW, None)


def test_lists_of_spaces(world: World, db: Session) -> None:
    registry = world.registry
    jardin, budget = world.jardin.id, world.budget.id
    assert permissions.spaces_with_roles(db, world.animator, {MEMBER}) == {jardin}  # animator ⇒ member
    assert permissions.spaces_with_roles(db, world.via_org, {MEMBER}) == {jardin}
    assert permissions.spaces_with_roles(db, world.via_org, {ANIMATOR}) == set()
    assert permissions.spaces_with_roles(db, world.treasurer, {MEMBER}) == {budget}
    assert permissions.space_ids_with_permission(db, registry, world.treasurer, fake_plugin.BUDGET) == {
        budget
    }
    assert permissions.space_ids_with_permission(db, registry, world.member, SPACE_VIEW) == {jardin}
    assert permissions.space_ids_with_permission(db, registry, world.admin, SPACE_MANAGE) == {jardin, budget}
    assert permissions.space_ids_with_permission(db, registry, None, SPACE_VIEW) == set()


def test_animators_somewhere(world: World, db: Session) -> None:
    assert permissions.is_animator_somewhere(db, world.animator)
    assert permissions.is_animator_somewhere(db, world.admin)
    assert not permissions.is_animator_somewhere(db, world.member)
    assert not permissions.is_animator_somewhere(db, None)


def test_a_deactivated_account_holds_nothing(world: World, db: Session) -> None:
    registry = world.registry
    for user in (world.animator, world.admin):
        user.is_active = False
    db.commit()
    assert permissions.roles_in_space(db, world.animator, world.jardin.id) == set()
    assert not permissions.has_permission(db, registry, world.animator, SPACE_VIEW, world.jardin.id)
    assert not permissions.has_permission(db, registry, world.admin, SPACE_VIEW, world.jardin.id)
    assert not permissions.is_animator_somewhere(db, world.animator)


def test_an_undeclared_permission_fails_loudly_even_for_admins(world: World, db: Session) -> None:
    registry = world.registry
    for user in (world.admin, world.member, None):
        with pytest.raises(KeyError, match=r"essai\.budjet"):
            permissions.has_permission(db, registry, user, "essai.budjet", world.jardin.id)


def test_the_registry_holds_the_plugin_declarations(essai_app: Starlette) -> None:
    registry = essai_app.state.reseau.registry
    assert registry.permissions[fake_plugin.BUDGET].roles == (fake_plugin.TREASURER, ANIMATOR)
    assert fake_plugin.TREASURER in registry.space_roles
    assert SPACE_MANAGE in registry.permissions  # the core's own, through the same hook


# -- the same rules through HTTP (ctx.require) ---------------------------------------------------


@pytest.mark.parametrize(
    ("who", "space", "status"),
    [
        ("treasurer", "budget", 200),
        ("animator", "jardin", 200),
        ("admin", "budget", 200),
        ("member", "jardin", 403),
        ("via_org", "jardin", 403),
        ("treasurer", "jardin", 403),
        ("no_contact", "budget", 403),
    ],
)
def test_a_plugin_route_checks_its_permission(
    essai_app: Starlette, world: World, who: str, space: str, status: int
) -> None:
    space_id = getattr(world, space).id
    with TestClient(essai_app) as client:
        login(client, getattr(world, who).email, PASSWORD)
        response = client.get(f"/essai/budget/{space_id}")
        assert response.status_code == status
        if status == 403:
            assert "Accès refusé" in response.text


def test_a_plugin_route_sends_visitors_to_the_login(essai_app: Starlette, world: World) -> None:
    with TestClient(essai_app) as client:
        response = client.get(f"/essai/budget/{world.budget.id}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/compte/connexion?next=%2Fessai%2Fbudget%2F{world.budget.id}"
