"""One exception tree for the whole program; each error carries a hint.

The command line prints ``message`` and, when there is one, ``hint`` — the
sentence that tells the operator how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


class AppError(Exception):
    """Base of every error the program raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        text = self.message
        return f"{text} (hint: {self.hint})" if self.hint else text

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process boundaries (worker processes); subclasses with their own
        # __init__ signature would not survive the default pickling, nor would the hint.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[AppError], args: tuple[object, ...], state: dict[str, object]) -> AppError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


@dataclass(frozen=True, slots=True)
class Problem:
    """One configuration mistake, printed as ``file:line: key: message (hint: ...)``."""

    file: str
    line: int | None
    key: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class ConfigError(AppError):
    """The configuration (or a file it names) is invalid; exit status 2."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- sources -----------------------------------------------------------------


class SourceError(AppError):
    """A source could not be polled this time; the feed backs off and retries."""


class FetchError(SourceError):
    """The body could not be fetched (network, HTTP status, limits)."""


class HTTPStatusError(FetchError):
    def __init__(self, status: int, reason: str, url: str) -> None:
        if status == 404 or status == 410:
            hint = "the feed moved or is gone: check its url in the configuration"
        elif status in (401, 403):
            hint = (
                "the server refuses us: check the url, or whether the site blocks automated clients"
            )
        elif status == 429 or status >= 500:
            hint = "the server is failing or rate-limiting; the feed backs off and retries"
        else:
            hint = "check the feed url"
        super().__init__(f"HTTP {status} {reason} from {url}", hint)
        self.status = status


class ConnectError(FetchError):
    """Refused connection, unknown host, TLS failure."""


class FetchTimeout(FetchError):
    """Connect or read timeout, or the per-fetch wall-clock deadline passed."""


class BodyTooLarge(FetchError):
    """The body exceeds the configured cap; it is dropped unread."""


class TooManyRedirects(FetchError):
    """A redirect loop, or a chain longer than the configured limit."""


class FetchCancelled(FetchError):
    """The fetcher is shutting down; not counted as a failure of the feed."""


class ParseError(SourceError):
    """The body was fetched but holds no usable feed."""


class UnsafeFeed(ParseError):
    """The body declares XML entities (entity-expansion risk); refused unparsed."""


class DataError(AppError):
    """An input file given on the command line (an evaluation CSV, say) is unusable."""

    #: Problems listed before the rest are only counted, so a wrong file is not a wall of text.
    MOST = 20

    @classmethod
    def listing(cls, problems: list[str], hint: str) -> DataError:
        """One error for every bad line of a file: the first :attr:`MOST`, then a count."""
        more = len(problems) - cls.MOST
        shown = problems[: cls.MOST] + ([f"... and {more} more"] if more > 0 else [])
        return cls("\n".join(shown), hint=hint)


class ModelError(AppError):
    """The classifier model is missing, tampered with, or built for other libraries."""


class StoreError(AppError):
    """The database failed or is unreachable."""


class VerdictError(AppError):
    """A verdict on an alert names no stored alert, or no known decision; nothing is recorded."""


class DeliveryError(AppError):
    """A notifier could not deliver a message.

    ``retryable`` is False for failures a retry cannot fix (a channel that does not
    exist, a revoked token, a rejected recipient): those are reported loudly and
    the delivery is marked failed. ``retry_after`` is the server's own wait in
    seconds (Slack's Retry-After), when it gave one.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.retryable = retryable
        self.retry_after = retry_after
