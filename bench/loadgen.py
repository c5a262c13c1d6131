"""Serving and loading for the HTTP benchmarks: a uvicorn worker in a subprocess on loopback,
a bounded load generator (keep-alive connections from threads, a fixed number of clients,
at most N requests and S seconds), and the resident size of the server afterwards."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``uvicorn <app>`` (one worker) on ``127.0.0.1:port`` with ``env`` added; waits until it listens."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    root = str(Path(__file__).resolve().parents[1])
    full_env = {**os.environ, **env, "PYTHONPATH": root}
    server = subprocess.Popen(command, env=full_env, cwd=root)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{app} did not start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"{app} did not answer within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop a server started by :func:`start_server`."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def rss_mb(pid: int) -> float | None:
    """Resident set size of a process in MiB, from /proc (Linux), else ``None``."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One GET on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(
    port: int,
    paths: Sequence[str],
    *,
    requests: int,
    seconds: float,
    clients: int,
    expect: int = 200,
    headers: dict[str, str] | None = None,
) -> tuple[float, list[float]]:
    """Send at most ``requests`` GETs (cycling through ``paths``) within ``seconds`` from
    ``clients`` keep-alive connections; returns (requests/s, latencies in ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    sent = 0
    deadline = time.monotonic() + seconds
    errors: list[str] = []

    def client() -> None:
        nonlocal sent
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    if sent >= requests or time.monotonic() >= deadline or errors:
                        return
                    path = paths[sent % len(paths)]
                    sent += 1
                start = time.perf_counter()
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - start) * 1000
                if response.status != expect:
                    errors.append(f"{path}: {response.status}")
                    return
                with lock:
                    latencies.append(elapsed)
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"unexpected answers: {errors[:3]}")
    return len(latencies) / wall, latencies
