"""A real SMTP submission server on 127.0.0.1 for tests: aiosmtpd with STARTTLS and AUTH.

In tests::

    with SMTPServer(tmp_path) as server:
        notifier = EmailNotifier(EmailOptions(host="127.0.0.1", port=server.port,
                                               ca_file=str(server.ca_file), ...))
        notifier.send(message, None, None)
        server.messages[0].message["Subject"]

The certificate comes from a throwaway CA (``trustme``) written to ``ca_file``;
clients that do not trust it fail verification, as with a real server. With
``tls=True`` the server insists on STARTTLS before anything else and offers
AUTH LOGIN/PLAIN only once the session is encrypted. Fault knobs: :meth:`stop`
closes the port, :meth:`fail_next` answers DATA with a 4xx for the next N
messages, :meth:`refuse` rejects a recipient with a 5xx.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

# aiosmtpd logs every connection at INFO from the server's own thread, which can land
# after the test that caused it, in the stderr a later test is asserting on.
logging.getLogger("mail.log").setLevel(logging.WARNING)

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Received:
    """One message the server accepted, as it arrived."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    tls: bool
    login: str | None


class SMTPServer:
    """A threaded aiosmtpd server that records what it accepts and can refuse on demand."""

    def __init__(
        self,
        directory: Path,
        *,
        tls: bool = True,
        username: str | None = "warning",
        password: str = "s3cret",
    ) -> None:
        self.tls = tls
        self.username = username
        self.password = password
        self.messages: list[Received] = []
        self.auth_failures = 0
        self._lock = threading.Lock()
        self._fail_next: list[str] = []
        self._refused: dict[str, str] = {}
        self._port = 0
        self._controller: _Controller | None = None
        self._tls_context: ssl.SSLContext | None = None
        ca = trustme.CA()
        self.ca_file = directory / "smtp-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        if tls:
            self._tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(HOST, "localhost").configure_cert(self._tls_context)

    # --- lifecycle --------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port; stays the same across :meth:`stop` and :meth:`start`."""
        return self._port

    def start(self) -> SMTPServer:
        """Listen (idempotent); after :meth:`stop`, on the same port again."""
        if self._controller is not None:
            return self
        # A new controller each time: a stopped one has closed its event loop.
        controller = _Controller(
            _Handler(self),
            hostname=HOST,  # the address to bind: never ::1, never every interface
            port=self._port,
            ready_timeout=5.0,
            # The name in the greeting; without it aiosmtpd calls socket.getfqdn().
            server_hostname="localhost",
            tls_context=self._tls_context,
            require_starttls=self.tls,
            authenticator=self._authenticate if self.username else None,
            auth_required=self.username is not None,
            auth_require_tls=True,
        )
        controller.start()
        self._port = controller.port
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop serving and close the port: clients get "connection refused"."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- faults -----------------------------------------------------------------

    def fail_next(self, count: int = 1, reply: str = "451 4.3.0 try later") -> None:
        """Answer DATA of the next ``count`` messages with ``reply`` (nothing recorded)."""
        with self._lock:
            self._fail_next.extend([reply] * count)

    def refuse(self, address: str, reply: str = "550 5.1.1 no such user") -> None:
        """Answer RCPT TO ``address`` with ``reply`` from now on."""
        with self._lock:
            self._refused[address.lower()] = reply

    # --- callbacks (run on the server's event loop thread) -------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        if not ok:
            with self._lock:
                self.auth_failures += 1
        return AuthResult(success=ok, handled=False, auth_data=self.username if ok else None)

    def _rcpt(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())

    def _data(self, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self._fail_next:
                return self._fail_next.pop(0)
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            message=parsed,
            tls=session.ssl is not None,
            login=cast("str | None", session.auth_data),
        )
        with self._lock:
            self.messages.append(received)
        return "250 2.0.0 OK"


class _Handler:
    """aiosmtpd handler hooks, forwarded to the server object."""

    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.server._rcpt(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.server._data(session, envelope)


class _Controller(Controller):
    """Binds port 0 (a free port) and learns which one the system picked.

    Controller's readiness check connects to ``self.port``; with port 0 it would
    dial port 0, so read the bound port before that check runs. (The check itself
    is a plain connection reading the greeting, which STARTTLS servers send in clear.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loop.set_exception_handler(_quiet_resets)

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _quiet_resets(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Clients that hang up mid-session (a failed certificate check does) are normal here.

    Otherwise the reset lands in a future nobody awaits, and asyncio prints
    "Future exception was never retrieved" whenever it is garbage-collected,
    often after pytest has finished.
    """
    if isinstance(context.get("exception"), ConnectionResetError | BrokenPipeError):
        return
    loop.default_exception_handler(context)
