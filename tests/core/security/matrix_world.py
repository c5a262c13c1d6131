"""The security matrix's world: the demo data, one account per role, objects of one space (A)
that the roles are checked against, and every route of the app (plugins included) as URLs.

Routes are read from ``app.routes`` (mounts walked), so a route added tomorrow by a plugin is
in the matrix without anyone listing it. Path parameters are filled from the world: a known
name (``meeting_id``, ``slug``…), else ``<x>_id`` looked up in a table named after ``x``
(``<plugin>_<x>s`` first), preferring a row of space A; a plugin's ``space_id`` is one of the
spaces of that plugin's kinds.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from core.accounts.models import User
from core.app import create_app
from core.config import BUILTIN_PLUGINS
from core.calendar.models import ActionItem, Invitation, Meeting, Minutes
from core.db import Base, transaction
from core.directory.models import Affiliation, Contact, Organisation
from core.reminders.models import OutboxMessage
from core.spaces.models import ANIMATOR, MEMBER, Space, SpaceMembership
from tests.conftest import base_settings

ANONYMOUS = "anonymous"
ROLES = ("anonymous", "member", "other_animator", "animator", "trainer", "provider", "admin")
#: the space roles of the plugins that give the matrix its "trainer" and "provider" accounts
PLUGIN_ROLES = {"trainer": "unite_formation.trainer", "provider": "acces_services.provider"}
PASSWORD = "matrice-securite-2026"


@dataclass(frozen=True)
class RouteCase:
    """One route of the app: its full name, path template and methods."""

    name: str
    path: str
    methods: tuple[str, ...]


def _braces(segment: str) -> list[str]:
    out, rest = [], segment
    while "{" in rest:
        start, end = rest.index("{"), rest.index("}")
        out.append(rest[start : end + 1])
        rest = rest[end + 1 :]
    return out


def walk_routes(routes: list[BaseRoute], prefix: str = "", namespace: str = "") -> list[RouteCase]:
    """Every endpoint route under ``routes`` (static files left out)."""
    found: list[RouteCase] = []
    for route in routes:
        if isinstance(route, Mount):
            if route.path.startswith("/static"):
                continue
            ns = f"{namespace}{route.name}:" if route.name else namespace
            found.extend(walk_routes(list(route.routes or []), prefix + route.path, ns))
        elif isinstance(route, Route):
            methods = tuple(sorted(m for m in (route.methods or {"GET"}) if m != "HEAD"))
            found.append(RouteCase(namespace + (route.name or route.path), prefix + route.path, methods))
    return found


def collected_routes() -> list[RouteCase]:
    """The routes of an app with every built-in plugin (built without touching a database)."""
    tmp = Path(tempfile.mkdtemp(prefix="matrix-routes-"))
    try:
        app = create_app(base_settings(f"sqlite:///{tmp / 'routes.db'}", tmp))
        routes = walk_routes(list(app.routes))
        app.state.reseau.engine.dispose()
        return routes
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class World:
    """Accounts per role, space A and its objects, and the values of path parameters."""

    app: Starlette
    space_a: Space
    space_b: Space
    emails: dict[str, str] = field(default_factory=dict)
    roles_missing: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    unresolved: set[str] = field(default_factory=set)

    def url(self, case: RouteCase) -> str:
        path = case.path
        for raw in _braces(case.path):
            name = raw.strip("{}").split(":")[0]
            value = self.params.get(name)
            if value is None:
                value = self._lookup(case, name)
            path = path.replace(raw, str(value))
        return path

    def _lookup(self, case: RouteCase, name: str) -> Any:
        """``<x>_id`` of a plugin route: a row of ``<plugin>_<x>s`` (space A's when it has one), or
        for ``space_id`` a space of the plugin's kinds."""
        plugin = case.name.split(":")[0] if ":" in case.name else ""
        stem = name.removesuffix("_id")
        tables = Base.metadata.tables
        candidates = [f"{plugin}_{stem}s", f"{plugin}_{stem}", f"{stem}s", stem]
        candidates += [t for t in tables if plugin and t.startswith(f"{plugin}_") and stem in t]
        state = self.app.state.reseau
        with transaction(state.session_factory, write=False) as db:
            if name == "space_id" and plugin:
                # a plugin's space id names one of its own spaces (a working group…), not space A
                value = db.scalar(
                    sa.select(Space.id).where(Space.kind.startswith(f"{plugin}.")).order_by(Space.id).limit(1)
                )
                if value is not None:
                    self.params[name] = value
                    return value
            existing = set(sa.inspect(db.connection()).get_table_names())
            for table_name in candidates:
                if table_name not in tables or table_name not in existing:
                    continue
                table = tables[table_name]
                pk = list(table.primary_key.columns)
                stmt = sa.select(*pk).order_by(*pk).limit(1)
                if "space_id" in table.c:
                    stmt = sa.select(*pk).order_by((table.c.space_id == self.space_a.id).desc(), *pk).limit(1)
                value = db.scalar(stmt)
                if value is not None:
                    self.params[name] = value
                    return value
        self.unresolved.add(f"{case.name}:{name}")
        return 1


#: rows that some plugin routes need and the demo data lacks, made in the plugin's first space
#: (the ``space_id`` of each row) by table name, so that the matrix imports no plugin and checks
#: those routes against real roles instead of a 404 on a missing id
MISSING_DEMO_ROWS: dict[str, dict[str, Any]] = {
    # a date poll of the first working group: its tally and its "fix the date" button
    "groupes_techniques_polls": {"title": "Sondage de la matrice", "duration_minutes": 120},
}


def _account(db: Session, email: str, name: str, *, admin: bool = False) -> User:
    from core.accounts.passwords import hash_password

    contact = Contact(first_name=name.split()[0], last_name=name.split()[-1], email=email,
                      search_doc=name.lower(), consent_listed=True)
    db.add(contact)
    db.flush()
    user = User(email=email, display_name=name, is_admin=admin, contact_id=contact.id,
                password_hash=hash_password(PASSWORD))
    db.add(user)
    db.flush()
    return user


def build_world(app: Starlette) -> World:
    """Demo data, the role accounts and space A's objects, committed."""
    from core import demo as demo_data

    state = app.state.reseau
    roles = state.registry.space_roles
    with transaction(state.session_factory) as db:
        demo_data.load(db, state.hooks)
    with transaction(state.session_factory) as db:
        space_a = db.scalar(
            sa.select(Space).where(Space.kind == "acces_services.plateforme").order_by(Space.id).limit(1)
        ) or Space(slug="matrice-a", name="Espace A", kind="core.espace")
        db.add(space_a)
        space_b = Space(slug="matrice-b", name="Espace B", kind="core.espace")
        db.add(space_b)
        db.flush()
        world = World(app, space_a, space_b)
        accounts: dict[str, User] = {}
        for role in ROLES[1:]:
            email = f"{role.replace('_', '.')}@matrice.example.org"
            label = f"Compte {role.replace('_', ' ').title()}"
            accounts[role] = _account(db, email, label, admin=role == "admin")
            world.emails[role] = email
        memberships = [("member", space_a, MEMBER), ("animator", space_a, ANIMATOR),
                       ("other_animator", space_b, ANIMATOR)]
        for role, space_role in PLUGIN_ROLES.items():
            if space_role in roles:
                memberships.append((role, space_a, space_role))
            else:
                world.roles_missing.append(role)
                memberships.append((role, space_a, MEMBER))
        # each other plugin's first space (the club, the training unit, a working group): the
        # member and the animator of A hold the same role there, the trainer its plugin role
        for plugin in BUILTIN_PLUGINS:
            home = db.scalar(
                sa.select(Space).where(Space.kind.startswith(f"{plugin}.")).order_by(Space.id).limit(1)
            )
            if home is None or home.id == space_a.id:
                continue
            memberships += [("member", home, MEMBER), ("animator", home, ANIMATOR)]
            for table_name, values in MISSING_DEMO_ROWS.items():
                if table_name.startswith(f"{plugin}_"):
                    db.execute(Base.metadata.tables[table_name].insert().values(space_id=home.id, **values))
            memberships += [(role, home, space_role) for role, space_role in PLUGIN_ROLES.items()
                            if space_role in roles and space_role.startswith(f"{plugin}.")]
        for role, space, space_role in memberships:
            db.add(SpaceMembership(space_id=space.id, role=space_role, contact_id=accounts[role].contact_id))
        _objects_of_space_a(db, world, accounts)
    return world


def _objects_of_space_a(db: Session, world: World, accounts: dict[str, User]) -> None:
    now = world.app.state.reseau.now()
    space = world.space_a
    outsider = Contact(first_name="Olga", last_name="Extérieure", email="olga@matrice.example.org",
                       search_doc="olga exterieure", consent_listed=False)
    org = db.scalar(sa.select(Organisation).order_by(Organisation.id).limit(1))
    assert org is not None
    db.add(outsider)
    db.flush()
    affiliation = Affiliation(contact_id=outsider.id, organisation_id=org.id, role="bénévole")
    meeting = Meeting(space_id=space.id, title="Réunion réservée de l'espace A", visibility="members",
                      starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=7, hours=2),
                      created_by_id=accounts["animator"].id)
    db.add_all([affiliation, meeting])
    db.flush()
    membership = SpaceMembership(space_id=space.id, role=MEMBER, contact_id=outsider.id)
    invitation = Invitation(meeting_id=meeting.id, contact_id=outsider.id, comment="")
    minutes = Minutes(meeting_id=meeting.id, body="Compte rendu", body_html="<p>Compte rendu</p>",
                      author_id=accounts["animator"].id)
    action = ActionItem(meeting_id=meeting.id, space_id=space.id, title="Relancer les partenaires")
    from core.resources.services import add_document

    resource = add_document(
        db, world.app.state.reseau.settings.data_dir, title="Document réservé", filename="note.txt",
        data=b"Compte rendu de l'espace A, reserve aux membres.\n", space_id=space.id,
        actor=accounts["animator"],
    )
    message = OutboxMessage(key="matrice:1", message_id="matrice-1@test", rule="core.transactional",
                            status="sent", recipient_email=outsider.email, template="emails/x.txt",
                            due_at=now, next_attempt_at=now, subject="Message")
    db.add_all([membership, invitation, minutes, action, message])
    db.flush()
    rule = db.scalar(sa.text("SELECT name FROM reminder_rules ORDER BY name LIMIT 1"))
    world.params.update(
        slug=space.slug, meeting_id=meeting.id, contact_id=outsider.id, organisation_id=org.id,
        affiliation_id=affiliation.id, membership_id=membership.id, resource_id=resource.id,
        action_id=action.id, user_id=accounts["member"].id, message_id=message.id,
        name=rule or "core.reminder_accepted", token="jeton-invalide", kind="contacts", ident=outsider.id,
        space_a_id=space.id, year=now.year,
    )


# ------------------------------------------------------------------------------ observations


def observe(response: Any) -> str:
    """A response reduced to what the matrix compares: the status, ``L`` for a redirect to the
    login page, ``>`` for another local redirect, ``X`` for a redirect off the site."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("location", "")
        if location.startswith("http://testserver/"):
            location = location.removeprefix("http://testserver")
        if not location.startswith("/") or location.startswith(("//", "/\\")):
            return "X"
        return "L" if location.startswith("/compte/connexion") else ">"
    return str(status)


def fingerprint(app: Starlette, skip: frozenset[str] = frozenset({"login_attempts"})) -> str:
    """A digest of every row of every table: equal before and after means nothing was written."""
    import hashlib

    digest = hashlib.sha256()
    state = app.state.reseau
    with transaction(state.session_factory, write=False) as db:
        existing = set(sa.inspect(db.connection()).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name not in existing or table.name in skip:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            for row in db.execute(sa.select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@dataclass
class Matrix:
    """One app per backend, its world, and a signed-in client per role."""

    app: Starlette
    world: World
    clients: dict[str, Any]
    backend: str
