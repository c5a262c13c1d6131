"""The security tests share the accounts tests' fixtures, plus one world per backend for the
route × role matrix (built once per module: the matrix makes thousands of requests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from core.app import create_app
from tests.conftest import BACKENDS, _empty_postgres, base_settings
from tests.core.accounts.conftest import admin_client, essai_app, fast_hashing, real_hashing
from tests.core.security.matrix_world import PASSWORD, ROLES, Matrix, build_world
from tests.helpers import login

__all__ = ["admin_client", "essai_app", "fast_hashing", "matrix", "real_hashing"]


@pytest.fixture(scope="module", params=BACKENDS)
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """The demo data, one account per role and space A's objects, on one backend."""
    backend = str(request.param)
    data_dir = tmp_path_factory.mktemp(f"matrix-{backend}")
    if backend == "sqlite":
        path = data_dir / "reseau.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
    app = create_app(base_settings(url, data_dir))
    clients: dict[str, TestClient] = {}
    try:
        world = build_world(app)
        for role in ROLES:
            client = TestClient(app, follow_redirects=False)
            client.__enter__()
            clients[role] = client
            if role != "anonymous":
                login(client, world.emails[role], PASSWORD)
        yield Matrix(app, world, clients, backend)
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
        app.state.reseau.engine.dispose()
        if backend == "postgresql":
            _empty_postgres(url)
