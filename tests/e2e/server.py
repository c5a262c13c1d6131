"""The real app for browser tests: a fresh PostgreSQL database and uvicorn in a subprocess.

:func:`create_database` makes a database of its own (migrated to every head, demo data loaded)
next to the suite's other PostgreSQL databases; :class:`LiveServer` serves the app from this
checkout with ``python -m uvicorn core.asgi:app`` on a free loopback port, configured only
through ``RESEAU_*`` environment variables as in production, with its mail going to the test's
SMTP sink and its reminder jobs running in-process (sweep and send every second, so an
invitation reaches the sink while the browser waits).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from core import demo as demo_data
from core import migrate
from core.config import BUILTIN_PLUGINS, Settings
from core.db import make_engine, make_session_factory, transaction
from core.plugins import Hooks, make_plugin_manager
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "e2e-secret-key-not-for-production"
#: how long the server may take to answer its first request (migrations are already done)
START_TIMEOUT = 60.0


def create_database(server_url: str) -> str:
    """Create an empty database on the PostgreSQL server, migrate it and load the demo data.

    Returns its URL; :func:`drop_database` removes it. Raises when the server is unreachable.
    """
    server = make_url(server_url)
    name = f"reseau_e2e_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(server.render_as_string(hide_password=False), pool_size=1)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    settings = Settings(database_url=url, data_dir=Path("."), plugins=BUILTIN_PLUGINS, load_entrypoints=False)
    engine = make_engine(url)
    try:
        migrate.upgrade(settings, engine=engine)
        hooks = Hooks(make_plugin_manager(BUILTIN_PLUGINS, entrypoints=False))
        with transaction(make_session_factory(engine)) as session:
            demo_data.load(session, hooks)
    finally:
        engine.dispose()
    return url


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database` (connections still open are cut)."""
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False), pool_size=1)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


class LiveServer:
    """``uvicorn core.asgi:app`` in a subprocess, on ``127.0.0.1`` and a free port."""

    def __init__(self, database_url: str, data_dir: Path, smtp_url: str) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self.env = {
            **os.environ,
            "RESEAU_DATABASE_URL": database_url,
            "RESEAU_DATA_DIR": str(data_dir),
            "RESEAU_SECRET_KEY": SECRET_KEY,
            "RESEAU_BASE_URL": self.base_url,
            "RESEAU_PLUGINS": ",".join(BUILTIN_PLUGINS),
            "RESEAU_SMTP_URL": smtp_url,
            "RESEAU_SCHEDULER": "1",
            "RESEAU_SWEEP_INTERVAL": "2",
            "RESEAU_SEND_INTERVAL": "1",
            "RESEAU_LANGUAGE": "fr",
            # the browser signs in many times from one address
            "RESEAU_LOGIN_MAX_FAILURES": "50",
        }
        self.env.pop("RESEAU_TRUSTED_HOSTS", None)
        self.env.pop("RESEAU_PROXY_IPS", None)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def settings(self) -> Settings:
        """The settings the server runs with (to sign links or check data in-process)."""
        return Settings(
            database_url=self.database_url,
            data_dir=self.data_dir,
            secret_key=SECRET_KEY,
            base_url=self.base_url,
            plugins=BUILTIN_PLUGINS,
            load_entrypoints=False,
            run_scheduler=False,
        )

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def start(self) -> LiveServer:
        """Start uvicorn and wait until the home page answers (or fail with the server's log)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "uvicorn", "core.asgi:app",
                    "--host", "127.0.0.1", "--port", str(self.port),
                    "--no-proxy-headers", "--log-level", "warning",
                ],
                cwd=ROOT,  # this checkout's core and plugins, not the installed ones
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped at start-up:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url("/"), timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer within {START_TIMEOUT:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        """Stop uvicorn (it finishes the running reminder job first), killing it if it hangs."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def run_reminders_at(self, at: datetime) -> str:
        """Time travel: ``reseau reminders run --at`` on the server's database and SMTP sink,
        as an operator would (one sweep, one send, at ``at``). Returns the command's output."""
        command = [sys.executable, "-c", "from core.cli import main; main()"]
        done = subprocess.run(
            [*command, "reminders", "run", "--at", at.isoformat()],
            cwd=ROOT,
            env={**self.env, "RESEAU_SCHEDULER": "0"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"reminders run failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def log(self) -> str:
        """The server's output so far (errors land here)."""
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""
