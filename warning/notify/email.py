"""Email notifier: one SMTP submission per message, replies threaded by Message-ID.

Alerts are rare, so each send opens its own connection (STARTTLS, then login)
and closes it; nothing is pooled. The Message-ID is derived from the message's
key, so a retried delivery carries the same Message-ID and a mail client can
fold the rare duplicate. Later messages about an alert reply to the first one.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from typing import ClassVar
from urllib.parse import urlsplit

from ..errors import DeliveryError
from ..records import AlertMessage
from ..settings import Secret, option
from . import render
from .base import LOOPBACK, Notifier, is_loopback
from .templates import render_part
from .wording import Wording

log = logging.getLogger(__name__)

#: Every character some mail software treats as a line break, plus the other C0
#: controls: none may reach a header, where a line break would start a new header.
_BREAKS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]+")
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+")
_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")
MAX_HEADLINES = 5
#: A subject a template wrote is cut here: mail clients show far less.
SUBJECT_MAX = 250


def one_line(text: str) -> str:
    """``text`` with every run of line breaks and control characters made one space."""
    return _BREAKS.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class EmailOptions:
    """``notify.email``: an SMTP submission server and the default recipients."""

    #: Keys naming files, found relative to the configuration when it is loaded.
    FILES: ClassVar[dict[str, str]] = {
        "ca_file": "give the PEM file of the relay's CA, relative to the configuration or absolute"
    }

    host: str
    sender: str
    to: tuple[str, ...]
    port: int = option(587, check=lambda v: None if 0 < v < 65536 else "must be a TCP port")
    starttls: bool = True
    username: str | None = None
    password: Secret | None = None
    timeout: timedelta = option(timedelta(seconds=30))
    ca_file: str | None = None

    def problems(self) -> list[tuple[str, str]]:
        """A password goes with the login: never in clear off this machine."""
        login = self.username is not None or self.password is not None
        if login and not self.starttls and not is_loopback(self.host):
            return [
                (
                    "starttls",
                    f"a login without TLS would send the password in clear to {self.host}; "
                    "set starttls: true and use the submission port (587), or drop "
                    f"username and password (a login without TLS is only allowed to {LOOPBACK})",
                )
            ]
        return []


class EmailNotifier(Notifier):
    """Send alerts by SMTP submission (``notify.email``); routes may name other recipients."""

    kind = "email"
    Options = EmailOptions

    def __init__(self, settings: EmailOptions) -> None:
        self.settings = settings
        self.where = f"{settings.host}:{settings.port}"

    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        """Mail ``message`` to ``target`` (addresses, comma-separated) or ``notify.email.to``.

        Returns the Message-ID of the alert's first message: its own for a first
        send, else ``thread`` unchanged, so every later message replies to the first.
        """
        recipients = self.recipients(target)
        mail = self.build(message, recipients, thread)
        self._submit(mail, recipients)
        return thread or str(mail["Message-ID"])

    def recipients(self, target: str | None) -> tuple[str, ...]:
        """The bare addresses to deliver to; DeliveryError when a piece is not an address.

        Strict on purpose: a lenient parser turns ``a@x.org Bcc: b@y.org`` into
        two recipients, and ``not an address`` into ``not``.
        """
        values = [target] if target else list(self.settings.to)
        found: list[str] = []
        bad: list[str] = []
        for piece in (p.strip() for v in values for p in one_line(v).split(",")):
            addr = parseaddr(piece)[1]
            if _ADDRESS.fullmatch(addr) and (piece == addr or piece.endswith(f"<{addr}>")):
                found.append(addr)
            elif piece:
                bad.append(piece)
        if bad or not found:
            raise DeliveryError(
                f"email: not an email address: {', '.join(bad) or repr(target)}",
                "check notify.email.to and the email: override of the rule's route",
                retryable=False,
            )
        return tuple(found)

    def message_id(self, message: AlertMessage) -> str:
        """``<warning.ALERT.DIGEST@DOMAIN>``: the same for every retry of one message."""
        return self._message_id(str(message.alert_id), message.key)

    def _message_id(self, tag: str, key: str) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        domain = parseaddr(self.settings.sender)[1].rpartition("@")[2]
        if not _DOMAIN.fullmatch(domain):
            domain = "localhost"
        return f"<warning.{tag}.{digest}@{domain}>"

    def build(
        self, message: AlertMessage, recipients: tuple[str, ...], thread: str | None
    ) -> EmailMessage:
        """The MIME message: a text part and an HTML alternative; headers on one line each."""
        message = single_line_headlines(message)
        w = self.messages.words
        parts = {p: render_part(self.messages, f"email.{p}.j2", message) for p in PARTS}
        failures = [part.failure for part in parts.values() if part.failure]
        # One subject for the whole thread (the alert's, or the incident's first alert's),
        # so that every mail client threads it; the decision opens the body.
        opener = message.incident.parent if message.incident is not None else None
        first = opener or message
        tag = f"[warning #{first.alert_id}]" if message.kind == "alert" else "[warning]"
        title = parts["subject"].text or render.thread_title(first, w)
        subject = f"{tag} {one_line(title)[:SUBJECT_MAX]}"
        mail = self._headers(
            f"Re: {subject}" if thread else subject, recipients, self.message_id(message), thread
        )
        text = parts["text"].text
        if text is None:
            text = render.plain_text(message, max_headlines=MAX_HEADLINES, w=w)
            verdict = render.verdict_line(message, w)
            text = f"{text}\n\n{verdict}" if verdict else text
        summary = render.incident_lines(message, w)
        mail.set_content("\n\n".join([text, *(["\n".join(summary)] if summary else []), *failures]))
        page = parts["html"].text or _html(message, w)
        if summary:  # the incident's open alerts, below the alert
            said = "<br>".join(html.escape(line) for line in summary)
            end = page.rfind("</body>")
            page = page[:end] + f"\n<p>{said}</p>" + page[end:] if end != -1 else page + said
        if failures:  # the wording is ours, and the desk should know why
            said = "".join(f"\n<p><small>{html.escape(f)}</small></p>" for f in failures)
            end = page.rfind("</body>")
            page = page[:end] + said + page[end:] if end != -1 else page + said
        mail.add_alternative(page, subtype="html")
        return mail

    def _headers(
        self, subject: str, recipients: tuple[str, ...], message_id: str, thread: str | None
    ) -> EmailMessage:
        mail = EmailMessage(policy=SMTP_POLICY)
        try:
            # The policy refuses a header value with any line break: a second guard.
            mail["From"] = one_line(self.settings.sender)
            mail["To"] = ", ".join(recipients)
            mail["Subject"] = one_line(subject)
            mail["Date"] = format_datetime(datetime.now(UTC))
            mail["Message-ID"] = message_id
            if thread:
                mail["In-Reply-To"] = one_line(thread)
                mail["References"] = one_line(thread)
            mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        except ValueError as exc:
            raise DeliveryError(f"email: cannot build the message: {exc}", retryable=False) from exc
        return mail

    def mail(self, subject: str, text: str, html_body: str, target: str | None, key: str) -> str:
        """Mail a message that belongs to no alert (the brief): ``text`` and its HTML
        alternative, escaped by the caller. Returns its Message-ID, the same for every
        retry of ``key``."""
        recipients = self.recipients(target)
        mail = self._headers(subject, recipients, self._message_id("brief", key), None)
        mail.set_content(text)
        mail.add_alternative(html_body, subtype="html")
        self._submit(mail, recipients)
        return str(mail["Message-ID"])

    def _submit(self, mail: EmailMessage, recipients: tuple[str, ...]) -> None:
        s = self.settings
        context = self._tls_context() if s.starttls else None
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout.total_seconds()) as smtp:
                smtp.ehlo()
                if s.starttls:
                    if not smtp.has_extn("starttls"):
                        raise DeliveryError(
                            f"email: {self.where} does not offer STARTTLS",
                            "use the server's submission port (587), or set "
                            "notify.email.starttls: false only for a relay on localhost",
                            retryable=False,
                        )
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if s.username:
                    if not smtp.has_extn("auth"):
                        raise DeliveryError(
                            f"email: {self.where} offers no login"
                            + (" after STARTTLS" if s.starttls else " without STARTTLS"),
                            "remove notify.email.username for a relay that needs none, "
                            "or use the server's submission port (587) with starttls: true",
                            retryable=False,
                        )
                    password = s.password.reveal() if s.password is not None else ""
                    smtp.login(s.username, password)
                refused = smtp.send_message(
                    mail, from_addr=parseaddr(s.sender)[1], to_addrs=list(recipients)
                )
        except (OSError, smtplib.SMTPException) as exc:
            raise self._error(exc) from exc
        if refused:
            # Delivered to the others: a retry would mail them twice, so only say so.
            log.warning(
                "email: %s refused %s; delivered to the other recipients",
                self.where,
                _refusals(refused),
            )

    def _tls_context(self) -> ssl.SSLContext:
        """Verify certificate and host name; ``ca_file``, when set, replaces the system CAs."""
        try:
            return ssl.create_default_context(cafile=self.settings.ca_file)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise DeliveryError(
                f"email: cannot load notify.email.ca_file {self.settings.ca_file}: {exc}",
                "ca_file must be a readable PEM file of CA certificates",
                retryable=False,
            ) from exc

    def _error(self, exc: OSError) -> DeliveryError:
        """Map an smtplib/socket failure to a DeliveryError saying whether a retry can help."""
        where = self.where
        if isinstance(exc, ssl.SSLCertVerificationError):
            return DeliveryError(
                f"email: certificate of {where} not trusted: {exc.verify_message}",
                "set notify.email.ca_file to the CA that signed the server's certificate "
                "(it replaces the system CAs), and check notify.email.host matches it",
                retryable=False,
            )
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            temporary = all(400 <= code < 500 for code, _ in exc.recipients.values())
            return DeliveryError(
                f"email: {where} refused {_refusals(exc.recipients)}",
                None if temporary else "check these addresses in notify.email.to or the route",
                retryable=temporary,
            )
        if isinstance(exc, smtplib.SMTPConnectError):
            return DeliveryError(f"email: {where} refused the session: {_reply(exc)}")
        if isinstance(exc, smtplib.SMTPResponseException):
            reply = f"{exc.smtp_code} {_reply(exc)}"
            if 400 <= exc.smtp_code < 500:
                return DeliveryError(f"email: {where} answered {reply} (temporary)")
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                hint = "check notify.email.username and password"
            elif isinstance(exc, smtplib.SMTPSenderRefused):
                hint = "check notify.email.sender: the server may only accept its own addresses"
            else:
                hint = "the server rejected the message; see its reply"
            return DeliveryError(f"email: {where} answered {reply}", hint, retryable=False)
        if isinstance(exc, smtplib.SMTPNotSupportedError):  # an extension we need is missing
            return DeliveryError(f"email: {where}: {exc}", retryable=False)
        if isinstance(exc, TimeoutError):
            return DeliveryError(
                f"email: {where} timed out", "the server did not answer within notify.email.timeout"
            )
        if isinstance(exc, ConnectionRefusedError):
            return DeliveryError(
                f"email: {where} refused the connection",
                "is the SMTP server up? check notify.email.host and port",
            )
        # Dropped connections, resets, DNS failures, other TLS errors: worth another try.
        return DeliveryError(f"email: {where}: {type(exc).__name__}: {exc}")


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    return one_line(text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text))


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(
        f"{addr} ({code} {one_line(reply.decode('utf-8', 'replace'))})"
        for addr, (code, reply) in refused.items()
    )


def html_link(url: str | None, text: str) -> str:
    """``text`` escaped, as a link only when ``url`` is http(s) (never javascript:)."""
    label = html.escape(text)
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'
    return label


def single_line_headlines(message: AlertMessage) -> AlertMessage:
    """A headline is one line of text, whatever line breaks its feed put in it."""
    headlines = tuple(
        replace(h, title=one_line(h.title), outlet=one_line(h.outlet)) for h in message.headlines
    )
    return replace(message, headlines=headlines, terms=tuple(one_line(t) for t in message.terms))


#: The parts a template may write: email.subject.j2, email.text.j2, email.html.j2.
PARTS = ("subject", "text", "html")


def _html(message: AlertMessage, w: Wording) -> str:
    """The HTML alternative; every string is escaped, links only for http(s) URLs."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{w.language}"><head><meta charset="utf-8"></head><body>',
        f"<h2>{e(render.title(message, w))}</h2>",
        f"<p>{e(render.status_line(message, w))}</p>",
    ]
    if message.note:
        parts.append(f"<p>{e(message.note).replace(chr(10), '<br>')}</p>")
    if message.headlines:
        parts.append(f"<p>{e(w.evidence + w.colon)}</p><ul>")
        for h in message.headlines[:MAX_HEADLINES]:
            parts.append(f"<li>{html_link(h.link, h.title)} ({e(h.outlet)})</li>")
        more = len(message.headlines) - MAX_HEADLINES
        if more > 0:
            parts.append(f"<li>{e(w.more.format(n=more))}</li>")
        parts.append("</ul>")
    if message.terms:
        terms = f"{w.terms_long}{w.colon} " + ", ".join(message.terms)
        parts.append(f"<p>{e(terms)}</p>")
    parts.append(f"<p><small>{e(render.footer(message, w))}</small></p>")
    verdict = render.verdict_line(message, w)
    if verdict:
        parts.append(f"<p>{e(verdict)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
