"""URLs that carry secrets: built with percent-encoded values, shown and stored redacted.

Two directions, one module, so that they cannot drift apart:

- :func:`fill_url` puts ``${NAME}`` values into a URL template, each percent-encoded
  for the part of the URL it lands in, so that ``p@ss/w:rd?#`` stays a password
  instead of ending the user part early (and leaking the rest as a host name);
- :func:`redact_url` masks the password of a URL and the values of query parameters
  named like secrets; :func:`scrub` does the same to every URL inside free text (error
  messages quote URLs). Text is scrubbed where it is shown or stored: the log
  formatter, the command line, the feeds table, deliveries and operator alerts.
- :func:`mask` adds values no name gives away (a ``${TOKEN}`` filled into a feed's
  path): both functions mask them too, wherever they appear, as CI systems mask their
  secrets in build logs.

The masked value is ``***``, as SQLAlchemy's ``render_as_string(hide_password=True)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, unquote

MASK = "***"

#: Query parameters whose value is a secret, compared lower-case with ``-`` as ``_``.
SECRET_PARAMS = frozenset(
    {
        "password", "passwd", "pwd", "pass", "sslpassword", "secret", "client_secret",
        "token", "access_token", "refresh_token", "id_token", "auth", "auth_token",
        "key", "api_key", "apikey", "access_key", "secret_key", "private_key",
        "sig", "signature", "x_amz_signature", "x_amz_security_token", "x_goog_signature",
        "session", "sessionid", "session_id", "credential", "credentials",
    }
)  # fmt: skip
_SECRET_SUFFIXES = ("_password", "_secret", "_token", "_key", "_signature")

#: A URL inside free text: a short scheme, ``://``, then anything up to white space, a
#: quote or an angle bracket (a closing parenthesis is kept in: masking is all we do).
#: The scheme is bounded, so a search costs linear time whatever the text.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s<>\"'`]*")
#: ``${NAME}`` in a configuration value (settings.py resolves the names).
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")

#: Values shorter than this are not masked: they would blank ordinary words in logs,
#: and a secret that short guards nothing.
MIN_MASKED = 4
#: The values :func:`mask` was given, and their percent-encoded forms, longest first.
_masked: tuple[str, ...] = ()

#: Characters a host (or port) value may not hold: each would change what the URL means.
_NOT_IN_HOST = re.compile(r"[@/?#\s]")


def mask(values: Iterable[str]) -> None:
    """Mask each of ``values`` wherever text is scrubbed or a URL redacted, from now on
    in this process (worker processes are given :func:`masked` when they start)."""
    global _masked
    found = set(_masked)
    for value in values:
        if len(value) >= MIN_MASKED:
            found |= {value, quote(value, safe=""), quote(value, safe="/")}
    _masked = tuple(sorted(found, key=len, reverse=True))


def masked() -> tuple[str, ...]:
    """What :func:`mask` was given in this process (with the encoded forms)."""
    return _masked


def _unmask(text: str) -> str:
    for value in _masked:
        if value in text:
            text = text.replace(value, MASK)
    return text


def is_secret_param(name: str) -> bool:
    """Whether a query parameter named ``name`` carries a secret (``api_key``, ``sig``...)."""
    key = unquote(name).strip().lower().replace("-", "_")
    return key in SECRET_PARAMS or key.endswith(_SECRET_SUFFIXES)


def redact_url(url: str) -> str:
    """``url`` with its password and its secret query values replaced by ``***``.

    Works on any ``scheme://`` URL, SQLAlchemy's included, without parsing it strictly:
    a URL too broken to parse may still hold a secret.
    """
    url = _unmask(url)
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for delimiter in "/?#":
        found = rest.find(delimiter)
        if found != -1:
            end = min(end, found)
    authority, tail = rest[:end], rest[end:]
    userinfo, at, host = authority.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        authority = f"{user}:{MASK}@{host}" if colon else authority
    return f"{scheme}://{authority}{_redact_query(tail)}"


def _redact_query(tail: str) -> str:
    """The path, query and fragment with secret query values masked."""
    before, question, after = tail.partition("?")
    if not question:
        return tail
    query, hash_, fragment = after.partition("#")
    pairs = []
    for pair in re.split(r"([&;])", query):
        name, equals, _value = pair.partition("=")
        pairs.append(f"{name}={MASK}" if equals and is_secret_param(name) else pair)
    return f"{before}?{''.join(pairs)}{hash_}{fragment}"


def scrub(text: str) -> str:
    """``text`` with every URL in it redacted (see :func:`redact_url`) and every
    :func:`mask`-ed value masked."""
    text = _unmask(text)
    if "://" not in text:  # the common case, and cheap
        return text
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def scrub_optional(text: str | None) -> str | None:
    """:func:`scrub` for a value that may be absent (a column, a note)."""
    return None if text is None else scrub(text)


def fill_url(template: str, lookup: Callable[[str], str]) -> str:
    """Replace each ``${NAME}`` in the URL ``template`` with ``lookup(NAME)``, encoded.

    Where a value lands decides how it is written (the template's own ``://``, ``@``,
    ``/``, ``?`` and ``#`` decide that, since a placeholder holds none of them):

    - scheme, or a template with no ``://`` (``${DATABASE_URL}``): as is, the value
      *is* the URL;
    - user and password: every reserved character percent-encoded;
    - host and port: as is; a value holding ``@ / ? #`` or white space is refused
      (ValueError), since no encoding makes it a host name (SQLAlchemy and DNS take
      host names literally);
    - path: percent-encoded except ``/`` (a ``${STATE_DIRECTORY}`` stays a directory;
      SQLAlchemy decodes the database name and the SQLite path);
    - query and fragment: every reserved character percent-encoded.

    ``lookup`` raises KeyError for a name that is not set.
    """
    parts = _parts(template)

    def value(m: re.Match[str]) -> str:
        name, where = m.group(1), _part_at(parts, m.start())
        text = lookup(name)
        if where == "verbatim":
            return text
        if where == "host":
            if _NOT_IN_HOST.search(text):
                raise ValueError(
                    f"${{{name}}} is used as a host name but holds '@', '/', '?', '#' or a "
                    "space; give the host alone, or the whole URL in one variable"
                )
            return text
        return quote(text, safe="/" if where == "path" else "")

    return PLACEHOLDER.sub(value, template)


def _parts(template: str) -> list[tuple[int, str]]:
    """Where each part of the URL ``template`` starts: [(offset, part), ...] in order."""
    scheme_end = template.find("://")
    if scheme_end == -1:
        return [(0, "verbatim")]
    start = scheme_end + 3
    parts = [(0, "verbatim")]
    end = len(template)
    for delimiter in "/?#":
        found = template.find(delimiter, start)
        if found != -1:
            end = min(end, found)
    at = template.rfind("@", start, end)
    if at != -1:
        parts += [(start, "userinfo"), (at + 1, "host")]
    else:
        parts.append((start, "host"))
    query = template.find("?", end)
    fragment = template.find("#", end)
    if end < len(template) and template[end] == "/":
        parts.append((end, "path"))
    if query != -1 and (fragment == -1 or query < fragment):
        parts.append((query, "query"))
    if fragment != -1:
        parts.append((fragment, "fragment"))
    return parts


def _part_at(parts: list[tuple[int, str]], offset: int) -> str:
    where = parts[0][1]
    for start, part in parts:
        if start > offset:
            break
        where = part
    return where
