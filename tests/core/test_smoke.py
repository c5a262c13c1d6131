"""The app builds, serves its main pages, signs people in and refuses forged forms."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.helpers import csrf_token, login, post_form


def test_public_pages_answer_in_french(client: TestClient) -> None:
    for path in ("/", "/annuaire/", "/espaces/", "/compte/connexion", "/donnees-personnelles", "/accessibilite"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="fr">' in response.text
        assert "Aller au contenu principal" in response.text


def test_unknown_page_is_a_french_404(client: TestClient) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.text


def test_login_with_demo_account_then_admin_page(client: TestClient, demo: object) -> None:
    assert client.get("/admin/", follow_redirects=False).status_code == 303
    login(client, "admin@example.org")
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Administration" in page.text


def test_wrong_password_is_refused_with_the_form_kept(client: TestClient, demo: object) -> None:
    response = post_form(client, "/compte/connexion", {"email": "admin@example.org", "password": "faux"})
    assert response.status_code == 400
    assert "Adresse ou mot de passe incorrect" in response.text
    assert 'value="admin@example.org"' in response.text


def test_post_without_csrf_token_is_refused(client: TestClient, demo: object) -> None:
    csrf_token(client)  # the session exists, but the form does not carry its token
    response = client.post("/compte/connexion", data={"email": "admin@example.org", "password": "reseau-demo-2026"})
    assert response.status_code == 403
    assert "formulaire a expiré" in response.text


def test_app_runs_without_any_plugin(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(plugins=[])
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
        assert app.state.reseau.hooks.plugin_names() == []


def test_route_paths_are_remembered_and_equal_to_starlettes(make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from starlette.routing import NoMatchFound

    app = make_app()
    state = app.state.reseau
    cases = [("calendar:month", {}), ("calendar:meeting", {"meeting_id": 12}), ("static", {"path": "css/reseau.css"})]
    for name, params in cases:
        assert state.path_for(name, **params) == str(app.url_path_for(name, **params))
    calls: list[str] = []
    original = app.router.url_path_for
    monkeypatch.setattr(app.router, "url_path_for", lambda name, **p: calls.append(name) or original(name, **p))
    for _ in range(3):
        for name, params in cases:
            state.path_for(name, **params)
    assert calls == []  # all three remembered from the first round
    assert state.path_for("calendar:meeting", meeting_id=13) == "/agenda/reunions/13"
    assert calls == ["calendar:meeting"]  # other parameters: another path
    try:
        state.path_for("calendar:nowhere")
    except NoMatchFound:
        pass
    else:
        raise AssertionError("an unknown route must still fail")
