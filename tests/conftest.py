"""Shared fixtures: real servers on loopback, throwaway databases."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.feedserver import FeedServer
from tests.hermetic import (  # noqa: F401  (a fixture and hooks: pytest finds them by name)
    Session,
    hermetic_environment,
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    restore_environment,
)
from tests.pgserver import SKIP_REASON, fresh_database, postgres_server
from tests.receiver import Receiver

#: Third-party data for tests only; tests that use it skip when it is absent.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test when it is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (third-party test data lives outside the repository)")
    return path


@pytest.fixture(scope="session", autouse=True)
def gazetteer_cache(hermetic_environment: Session) -> None:  # noqa: F811 (the fixture, by name)
    """Compile the gazetteer into the run's shared cache once, before any test needs it.

    The first xdist worker builds it (several seconds) while the others wait on the
    cache directory's build lock, then map the same file.
    """
    from warning.geo import gazetteer

    gazetteer.ensure_cached()


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """cli.main configures the root logger for the process; undo it after each test,
    so one test's handler and level never leak into the next one's output."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP endpoint on 127.0.0.1 that records each POST (webhooks, Apprise's json://)."""
    with Receiver() as r:
        yield r


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names under .invalid fail to resolve without a query leaving the machine.

    RFC 6761 reserves .invalid, but a real lookup would still ask the
    configured resolver; tests must send nothing off loopback.
    """
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.rstrip(".").endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str | None]:
    """A PostgreSQL server for the whole session, or None when there is none."""
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once per backend; a fresh one for every test.

    PostgreSQL tests skip, with the reason shown, when there is no server.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'warning.db'}"
        return
    server: str | None = request.getfixturevalue("pg_server_url")
    if server is None:
        pytest.skip(SKIP_REASON)
    with fresh_database(server) as url:
        yield url
