"""A loopback server served from a daemon thread: the start and stop every test server shares.

``FeedServer`` and ``SlackServer`` wrap one; a test that needs a bare handler can too::

    with ServerThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "name") as served:
        urlopen(f"http://127.0.0.1:{served.port}/")
"""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType

#: How often serve_forever checks for shutdown: stop() returns within about this long.
POLL_INTERVAL = 0.05


class ServerThread:
    """Serve ``server`` (bound already, e.g. to 127.0.0.1:0) in a daemon thread until stopped."""

    def __init__(self, server: socketserver.BaseServer, name: str) -> None:
        self.server = server
        self.name = name
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def port(self) -> int:
        """The TCP port the system picked (or was asked for)."""
        return int(self.server.server_address[1])  # type: ignore[index]

    def start(self) -> ServerThread:
        """Serve in a daemon thread (idempotent), so a hung handler never blocks pytest's exit."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.server.serve_forever,
                kwargs={"poll_interval": POLL_INTERVAL},
                name=self.name,
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, wait for the serving loop, close the port (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            # shutdown() waits for serve_forever; it would wait forever had it never started.
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
