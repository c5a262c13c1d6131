"""A real SMTP server on loopback for tests (aiosmtpd), with failure injection.

``SmtpSink`` collects the messages it accepts (``sink.messages``: envelope, raw bytes, parsed
message) and can be told to answer a code (``fail_next("451 4.3.0 Réessayez", count=1)``,
``"550 5.1.1 Inconnu"``), to drop the connection after DATA (``disconnect_after_data()``), and
to offer STARTTLS with a certificate (``tls=trustme CA``). ``silent_server()`` accepts
connections and never greets; ``closed_port()`` is a port where nothing listens.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message the sink accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    tls: bool

    @property
    def message(self) -> EmailMessage:
        """The parsed message (modern policy: headers decoded)."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        failure = self.sink._take("rcpt")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        failure = self.sink._take("data")
        if failure == "disconnect":
            server.transport.abort()  # the client never hears the answer
            return "250 lost"
        if failure:
            return failure
        with self.sink._lock:
            self.sink.messages.append(
                Received(
                    envelope.mail_from,
                    tuple(envelope.rcpt_tos),
                    bytes(envelope.original_content or envelope.content),
                    session.ssl is not None,
                )
            )
        return "250 Message accepted for delivery"


class SmtpSink:
    """An aiosmtpd server in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, tls_context: ssl.SSLContext | None = None, smtputf8: bool = True) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._failures: list[tuple[str, str]] = []
        # like Postfix and Exim today: addresses with accents are accepted (RFC 6531)
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=True)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=free_port(), **kwargs)

    # -- life --------------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def url(self) -> str:
        """``RESEAU_SMTP_URL`` for this sink (plain SMTP on loopback)."""
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    # -- failures ----------------------------------------------------------------------------

    def fail_next(self, answer: str, count: int = 1, stage: str = "rcpt") -> None:
        """Answer ``answer`` (e.g. ``"451 4.3.0 Try later"``) to the next ``count`` RCPT (or DATA)."""
        with self._lock:
            self._failures += [(stage, answer)] * count

    def disconnect_after_data(self, count: int = 1) -> None:
        """Drop the connection after receiving the next ``count`` messages, without answering."""
        with self._lock:
            self._failures += [("data", "disconnect")] * count

    def _take(self, stage: str) -> str | None:
        with self._lock:
            for index, (where, answer) in enumerate(self._failures):
                if where == stage:
                    del self._failures[index]
                    return answer
        return None

    # -- reading -----------------------------------------------------------------------------

    def to(self, address: str) -> list[Received]:
        """Messages delivered to ``address``."""
        with self._lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


def free_port() -> int:
    """A TCP port nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A port where connections are refused (the server is down)."""
    return free_port()


@contextmanager
def silent_server() -> Iterator[int]:
    """A server that accepts connections and never says a word (the client must time out)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()
