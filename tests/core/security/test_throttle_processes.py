"""Login throttling across two real server processes (uvicorn) sharing one database.

The accounts tests prove it with two app instances in one process; here two operating-system
processes answer, so nothing kept in a process's memory can help: only the database counts.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy.orm import Session

from core.config import Settings
from tests.core.accounts.factories import PASSWORD, make_user
from tests.helpers import csrf_from

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read().decode()[-2000:] if proc.stdout else ""
            raise AssertionError(f"the server exited: {output}")
        try:
            if httpx2.get(base + "/compte/connexion", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not start within 60 s")


@pytest.fixture
def two_servers(settings: Settings, tmp_path: Path) -> Iterator[list[str]]:
    """Two uvicorn processes of this checkout on one database, no scheduler, no plugin."""
    procs: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        for _ in range(2):
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            env = {k: v for k, v in os.environ.items() if not k.startswith("RESEAU_")}
            env.update(
                RESEAU_DATABASE_URL=settings.database_url,
                RESEAU_DATA_DIR=str(tmp_path / "data"),
                RESEAU_SECRET_KEY="test-secret-key-not-for-production",
                RESEAU_BASE_URL=base,
                RESEAU_SCHEDULER="0",
                RESEAU_PLUGINS="",
                PYTHONPATH=str(ROOT),
            )
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "core.asgi:app", "--host", "127.0.0.1", "--port",
                     str(port), "--log-level", "warning"],
                    cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                )
            )
            bases.append(base)
        for base, proc in zip(bases, procs, strict=True):
            _wait_until_up(base, proc)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()


def _attempt(client: httpx2.Client, password: str) -> httpx2.Response:
    page = client.get("/compte/connexion")
    return client.post(
        "/compte/connexion",
        data={"csrf_token": csrf_from(page.text), "email": "ana@example.org", "password": password},
    )


def test_throttling_holds_across_two_server_processes(two_servers: list[str], db: Session) -> None:
    make_user(db, "ana@example.org")
    clients = [httpx2.Client(base_url=base, follow_redirects=False, timeout=30) for base in two_servers]
    try:
        for i in range(5):  # the default limit: five failures per address, spread over both
            assert _attempt(clients[i % 2], f"mauvais {i}").status_code == 400
        for client in clients:  # the right password is refused now by either process
            refused = _attempt(client, PASSWORD)
            assert refused.status_code == 429
            assert "Trop de tentatives de connexion" in refused.text
    finally:
        for client in clients:
            client.close()
