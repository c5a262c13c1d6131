"""One test (at least) per hook: a small plugin proves the hook is called with the documented
arguments and that the core uses what it returns.

Convention checked by ``test_hooks_documented.py``: a test of hook ``reseau_<x>`` is named
``test_hook_<x>`` or ``test_hook_<x>_<what it shows>``. Helpers: ``tests/core/plugins/support.py``.
"""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import click
import pytest
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from core import hookimpl
from core.accounts.permissions import has_permission
from core.config import Settings
from core.declarations import (
    CliCommand,
    MeetingKind,
    NavItem,
    Panel,
    Permission,
    ReminderRuleDecl,
    SpaceKind,
    SpaceRole,
)
from core.demo import contact_by_email, demo_user, organisation_by_name
from core.directory.models import Organisation
from core.directory.normalise import name_key
from core.spaces import services as spaces
from core.spaces.models import Space
from core.web.context import RequestContext, page
from tests.core.plugins.support import fake_entry_points, plugin_manager_with, registered
from tests.helpers import login, post_form

TEAM = "/espaces/equipe-projet"


def text(response: Any) -> str:
    return unescape(response.text)


@pytest.fixture
def calls() -> list[tuple[str, dict[str, Any]]]:
    """What the test plugin's hookimpls received, in order."""
    return []


# ----------------------------------------------------------------------------------- declarations


def test_hook_register_routes_mounts_them_under_the_plugin_name(make_app: Any) -> None:
    @page
    def hello(ctx: RequestContext) -> Response:
        one = ctx.db.scalar(select(func.count()).select_from(Space))
        return PlainTextResponse(
            f"{ctx.url_for('sample:hello')} {ctx.url_for('sample:item', number=7)} {one}"
        )

    @page
    def item(ctx: RequestContext) -> Response:
        return PlainTextResponse(f"item {ctx.request.path_params['number']} {ctx.form is not None}")

    class Sample:
        @hookimpl
        def reseau_register_routes(self) -> list[Route]:
            return [
                Route("/bonjour", hello, name="hello"),
                Route("/element/{number:int}", item, methods=["GET", "POST"], name="item"),
            ]

    app = make_app(plugin_manager=plugin_manager_with(sample=Sample()))
    with TestClient(app) as client:
        assert client.get("/sample/bonjour").text == "/sample/bonjour /sample/element/7 0"
        assert client.get("/sample/element/7").text == "item 7 False"
        # plugin routes get the core's protections: a POST without the CSRF token is refused
        assert client.post("/sample/element/7").status_code == 403
        assert post_form(client, "/sample/element/7").text == "item 7 True"
        assert client.get("/sample/nulle-part").status_code == 404
    assert app.url_path_for("sample:hello") == "/sample/bonjour"


def test_hook_register_space_kinds_are_offered_and_used(make_app: Any, db: Session) -> None:
    class Sample:
        @hookimpl
        def reseau_register_space_kinds(self) -> list[SpaceKind]:
            return [SpaceKind("sample.atelier", "Atelier échantillon", "Un atelier pour les tests.")]

    app = make_app(plugin_manager=plugin_manager_with(sample=Sample()))
    kinds = app.state.reseau.registry.space_kinds
    assert kinds["sample.atelier"].label == "Atelier échantillon"
    assert list(kinds)[::len(kinds) - 1] == ["core.espace", "sample.atelier"]  # core first, then plugins
    _load_demo(app)
    with TestClient(app) as client:
        login(client, "camille.martin@example.org")
        assert (
            '<option value="sample.atelier">Atelier échantillon</option>'
            in client.get("/espaces/nouveau").text
        )
        created = post_form(
            client,
            "/espaces/nouveau",
            {"name": "Atelier test", "kind": "sample.atelier", "duration": "permanent", "pillar": ""},
        )
        assert created.status_code == 200
        listing = text(client.get("/espaces/"))
        assert "Atelier échantillon</h2>" in listing and "Un atelier pour les tests." in listing
    created_space = db.scalar(select(Space).where(Space.slug == "atelier-test"))
    assert created_space is not None and created_space.kind == "sample.atelier"


def test_hook_register_space_roles_can_be_given(make_app: Any, db: Session) -> None:
    class Sample:
        @hookimpl
        def reseau_register_space_roles(self) -> list[SpaceRole]:
            return [SpaceRole("sample.referent", "Référent·e échantillon")]

    app = make_app(plugin_manager=plugin_manager_with((), sample=Sample()))
    assert list(app.state.reseau.registry.space_roles) == ["core.animator", "core.member", "sample.referent"]
    _load_demo(app)
    julien = contact_by_email(db, "julien.roux@example.org")
    assert julien is not None
    with TestClient(app) as client:
        login(client, "camille.martin@example.org")
        page_html = client.get(f"{TEAM}/membres", params={"q": "roux"}).text
        assert '<option value="sample.referent">Référent·e échantillon</option>' in page_html
        added = post_form(
            client, f"{TEAM}/membres/ajouter", {"holder": f"contact:{julien.id}", "role": "sample.referent"}
        )
        assert "Julien Roux a été ajouté·e : Référent·e échantillon." in text(added)
        assert "<h3>Référent·e échantillon</h3>" in client.get(TEAM).text


def test_hook_register_permissions_are_granted_by_their_roles(make_app: Any, db: Session) -> None:
    @page
    def edit(ctx: RequestContext) -> Response:
        space = spaces.get_by_slug(ctx.db, ctx.request.path_params["slug"])
        assert space is not None
        ctx.require("sample.edit", space.id)
        return PlainTextResponse("ok")

    class Sample:
        @hookimpl
        def reseau_register_space_roles(self) -> list[SpaceRole]:
            return [SpaceRole("sample.editor", "Rédacteur·rice")]

        @hookimpl
        def reseau_register_permissions(self) -> list[Permission]:
            return [Permission("sample.edit", "Rédiger", ("sample.editor",))]

        @hookimpl
        def reseau_register_routes(self) -> list[Route]:
            return [Route("/{slug}/rediger", edit, name="edit")]

    app = make_app(plugin_manager=plugin_manager_with(sample=Sample()))
    registry = app.state.reseau.registry
    assert registry.permissions["sample.edit"].roles == ("sample.editor",)
    _load_demo(app)
    team = spaces.get_by_slug(db, "equipe-projet")
    julien = contact_by_email(db, "julien.roux@example.org")
    assert team is not None and julien is not None
    spaces.add_membership(db, team, "sample.editor", contact_id=julien.id)
    other = spaces.ensure_space(db, "autre", "Autre", "core.espace")
    db.commit()
    julien_user, isabelle = (
        demo_user(db, "julien.roux@example.org"),
        demo_user(db, "isabelle.moreau@example.org"),
    )
    assert has_permission(db, registry, julien_user, "sample.edit", team.id)
    assert not has_permission(db, registry, julien_user, "sample.edit", other.id)
    assert not has_permission(db, registry, isabelle, "sample.edit", team.id)
    with TestClient(app) as client:
        login(client, "julien.roux@example.org")
        assert client.get("/sample/equipe-projet/rediger").text == "ok"
        assert client.get("/sample/autre/rediger").status_code == 403


def test_hook_register_meeting_kinds_reach_the_registry(make_app: Any) -> None:
    class Sample:
        @hookimpl
        def reseau_register_meeting_kinds(self) -> list[MeetingKind]:
            return [MeetingKind("sample.visite", "Visite de terrain")]

    registry = make_app(plugin_manager=plugin_manager_with(sample=Sample())).state.reseau.registry
    assert registry.meeting_kinds["sample.visite"].label == "Visite de terrain"
    assert "core.reunion" in registry.meeting_kinds


def test_hook_register_reminder_rules_reach_the_registry(make_app: Any) -> None:
    rule = ReminderRuleDecl("sample.relance", "Relance échantillon")

    class Sample:
        @hookimpl
        def reseau_register_reminder_rules(self) -> list[Any]:
            return [rule]

    registry = make_app(plugin_manager=plugin_manager_with(sample=Sample())).state.reseau.registry
    assert registry.reminder_rules["sample.relance"] is rule


def _cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path, plugins: str) -> None:
    monkeypatch.setenv("RESEAU_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RESEAU_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("RESEAU_SECRET_KEY", "test-secret-key-not-for-production")
    monkeypatch.setenv("RESEAU_PLUGINS", plugins)


def _run_cli(argv: list[str]) -> None:
    from core.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0


def test_hook_register_cli_commands_are_reachable(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    @click.group()
    def sample() -> None:
        """Échantillon."""

    @sample.command()
    @click.argument("name")
    def hello(name: str) -> None:
        click.echo(f"Bonjour {name}")

    class Sample:
        @hookimpl
        def reseau_register_cli_commands(self) -> list[CliCommand]:
            return [CliCommand("sample", sample)]

    fake_entry_points(monkeypatch, sample=Sample())
    _cli_env(monkeypatch, settings, tmp_path, "sample")
    _run_cli(["sample", "hello", "Réseau"])
    assert capsys.readouterr().out == "Bonjour Réseau\n"
    _run_cli(["--help"])
    assert "sample" in capsys.readouterr().out
    # without the plugin, the command is gone (and calling main twice does not pile commands up)
    _cli_env(monkeypatch, settings, tmp_path, "")
    _run_cli(["--help"])
    assert "sample" not in capsys.readouterr().out


def test_hook_demo_data_runs_inside_reseau_demo(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path, db: Session, calls: list[Any]
) -> None:
    class Sample:
        @hookimpl
        def reseau_demo_data(self, session: Session) -> None:
            # called after the core's demo data exists, in the same transaction
            calls.append(("demo", {"session": session, "team": spaces.get_by_slug(session, "equipe-projet")}))
            if organisation_by_name(session, "Association échantillon") is None:
                session.add(
                    Organisation(name="Association échantillon", name_key=name_key("Association échantillon"))
                )

    fake_entry_points(monkeypatch, sample=Sample())
    _cli_env(monkeypatch, settings, tmp_path, "sample")
    _run_cli(["demo"])
    _run_cli(["demo"])
    assert len(calls) == 2
    assert all(isinstance(c[1]["session"], Session) and c[1]["team"] is not None for c in calls)
    count = (
        select(func.count()).select_from(Organisation).where(Organisation.name == "Association échantillon")
    )
    assert db.scalar(count) == 1


# ---------------------------------------------------------------------------------- contributions


def test_hook_nav_items_appear_in_order_for_whom_they_are_meant(
    app: Starlette, client: TestClient, demo: Any, calls: list[Any]
) -> None:
    class Sample:
        @hookimpl
        def reseau_nav_items(self, ctx: RequestContext) -> list[NavItem]:
            calls.append(("nav", {"ctx": ctx}))
            if ctx.user is None:
                return []
            return [
                NavItem("sample.nav", "Échantillon", ctx.url_for("spaces:list") + "?echantillon", order=15)
            ]

    with registered(app, Sample(), "sample"):
        anonymous = client.get("/").text
        assert "Échantillon" not in anonymous
        login(client, "julien.roux@example.org")
        html = client.get("/").text
    assert (
        isinstance(calls[0][1]["ctx"], RequestContext)
        and calls[-1][1]["ctx"].user.email == "julien.roux@example.org"
    )
    nav = html[html.index('<nav class="main-nav"') : html.index("</nav>")]
    assert nav.index(">Annuaire<") < nav.index(">Échantillon<") < nav.index(">Espaces<")
    assert '<a href="/espaces/?echantillon">Échantillon</a>' in nav
    # unregistered after the block
    assert "Échantillon" not in client.get("/").text


def test_hook_dashboard_panels_render_on_the_signed_in_home(
    app: Starlette, client: TestClient, demo: Any, calls: list[Any]
) -> None:
    class Sample:
        @hookimpl
        def reseau_dashboard_panels(self, ctx: RequestContext) -> list[Panel]:
            calls.append(("dashboard", {"ctx": ctx}))
            name = ctx.user.display_name if ctx.user else "?"
            return [
                Panel("sample.second", "Deuxième", Markup("<p>deux</p>"), order=20),
                Panel("sample.first", f"Pour {name}", Markup("<p>un <em>panneau</em></p>"), order=10),
            ]

    with registered(app, Sample(), "sample"):
        client.get("/")
        assert calls == []  # not asked for anonymous visitors
        login(client, "julien.roux@example.org")
        html = client.get("/").text
    assert calls[0][1]["ctx"].user.email == "julien.roux@example.org"
    assert '<h2 id="panel-sample-first">Pour Julien Roux</h2>' in html
    assert "<p>un <em>panneau</em></p>" in html
    assert html.index("Pour Julien Roux") < html.index("Deuxième")


def test_hook_space_panels_render_on_the_space_page_in_order(
    app: Starlette, client: TestClient, demo: Any, calls: list[Any]
) -> None:
    def plugin(key: str, order: int) -> object:
        class Sample:
            @hookimpl
            def reseau_space_panels(self, ctx: RequestContext, space: Space) -> list[Panel]:
                calls.append((key, {"ctx": ctx, "space": space}))
                if space.kind != "core.espace":
                    return []
                return [
                    Panel(
                        f"{key}.panel", f"Panneau {key} de {space.name}", Markup(f"<p>{key}</p>"), order=order
                    )
                ]

        return Sample()

    with registered(app, plugin("late", 50), "late"), registered(app, plugin("early", 5), "early"):
        html = text(client.get(TEAM))
    assert {c[1]["space"].slug for c in calls} == {"equipe-projet"}
    assert isinstance(calls[0][1]["ctx"], RequestContext)
    assert html.index("Panneau early de Équipe projet") < html.index("Panneau late de Équipe projet")
    assert '<section class="panel" aria-labelledby="panel-early-panel">' in html


def test_hook_partner_panels_receive_the_organisation_or_the_contact(
    make_app: Any, db: Session, calls: list[Any]
) -> None:
    @page
    def partner(ctx: RequestContext) -> Response:
        kind, number = ctx.request.path_params["kind"], ctx.request.path_params["number"]
        from core.directory.models import Contact

        organisation = ctx.db.get(Organisation, number) if kind == "organisation" else None
        contact = ctx.db.get(Contact, number) if kind == "contact" else None
        panels = ctx.state.hooks.partner_panels(ctx, organisation, contact)
        return PlainTextResponse(" | ".join(f"{p.title}: {p.html}" for p in panels))

    class Sample:
        @hookimpl
        def reseau_partner_panels(
            self, ctx: RequestContext, organisation: Organisation | None, contact: Any
        ) -> list[Panel]:
            calls.append(("partner", {"organisation": organisation, "contact": contact}))
            name = organisation.name if organisation else contact.full_name
            return [
                Panel("sample.z", "Z", Markup("<b>z</b>"), order=90),
                Panel("sample.a", "Fiche", escape(name), order=10),
            ]

        @hookimpl
        def reseau_register_routes(self) -> list[Route]:
            return [Route("/{kind}/{number:int}", partner)]

    app = make_app(plugin_manager=plugin_manager_with(sample=Sample()))
    _load_demo(app)
    org = organisation_by_name(db, "Adoma")
    lea = contact_by_email(db, "lea.nguyen@example.org")
    assert org is not None and lea is not None
    with TestClient(app) as client:
        assert client.get(f"/sample/organisation/{org.id}").text == "Fiche: Adoma | Z: <b>z</b>"
        assert client.get(f"/sample/contact/{lea.id}").text == "Fiche: Léa Nguyen | Z: <b>z</b>"
    assert [(c[1]["organisation"] is None, c[1]["contact"] is None) for c in calls] == [
        (False, True),
        (True, False),
    ]


def _load_demo(app: Starlette) -> None:
    from core import demo as demo_data
    from core.db import transaction

    state = app.state.reseau
    with transaction(state.session_factory) as session:
        demo_data.load(session, state.hooks)
