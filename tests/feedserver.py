"""A real HTTP/1.1 feed server on 127.0.0.1 for tests and benchmarks.

In tests::

    with FeedServer() as server:
        server.add("/feed.xml", b"<rss>...</rss>", latency=0.2)
        fetcher.fetch(server.url("/feed.xml"))

As a process, for benchmarks (prints ``port=<N>`` first, then serves)::

    python -m tests.feedserver --dir DIR [--latency 0.1] [--port 0]

serves every file in DIR at ``/<filename>``, with ``GET /__stats`` (JSON of
:meth:`FeedServer.stats`) and ``POST /__reset``. Each request sleeps its
latency in its own thread, so 64 concurrent clients do not stack latencies.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import enum
import gzip as gzip_module
import hashlib
import json
import os
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from tests.servers import ServerThread

_BLOCK = 64 * 1024


class _Auto(enum.Enum):
    AUTO = "auto"


#: Default of :meth:`FeedServer.add`'s ``etag``: a quoted hash of the body.
AUTO = _Auto.AUTO


def body_etag(body: bytes) -> str:
    """The ETag the server gives a body by default: a quoted content hash."""
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


@dataclass(frozen=True, slots=True)
class Route:
    """How one path answers; see :meth:`FeedServer.add`."""

    body: bytes
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    latency: float | None = None
    trickle: float | None = None
    truncate: int | None = None
    chunked: bool = False
    gzip: bool = False
    location: str | None = None
    #: When set, the body is ``size`` bytes generated on the fly (``body`` unused).
    size: int | None = None


class FeedServer:
    """Threaded HTTP/1.1 server with keep-alive, conditional GET and fault knobs."""

    def __init__(
        self,
        latency: float = 0.0,
        *,
        port: int = 0,
        directory: Path | str | None = None,
        address: str = "127.0.0.1",  # another loopback address (127.0.0.2) is another host
        tls: ssl.SSLContext | None = None,  # serve https with this server-side context
    ) -> None:
        self.latency = latency
        self.directory = Path(directory) if directory is not None else None
        self._routes: dict[str, Route] = {}
        self._files: dict[str, tuple[int, int, Route]] = {}  # name -> (mtime_ns, size, route)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: set[socket.socket] = set()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        #: The body of each POST in ``requests`` (control paths aside), in order.
        self.posted: list[bytes] = []
        #: When each request in ``requests`` arrived (time.monotonic()), in the same order.
        self.request_times: list[float] = []
        self._counts = {
            "status_304": 0,
            "bytes_sent": 0,
            "header_bytes_sent": 0,
            "max_concurrent": 0,
            "connections": 0,
        }
        self._in_flight = 0  # handlers running (wait_idle)
        self._unanswered = 0  # requests received and not yet answered (max_concurrent)
        self._httpd = _Server((address, port), _Handler)
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self._httpd.feeds = self
        self._serving = ServerThread(self._httpd, "feedserver")

    # --- lifecycle --------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._serving.port

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The absolute URL of ``path`` on this server, by ``host`` (a name tests route here)."""
        return f"{self.scheme}://{host}:{self.port}/{path.lstrip('/')}"

    def start(self) -> FeedServer:
        """Serve in a daemon thread (idempotent)."""
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop every open connection (slow handlers end too)."""
        self._stop.set()
        self._serving.stop()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- routes -----------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: str | _Auto | None = AUTO,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
        latency: float | None = None,
        trickle: float | None = None,
        truncate: int | None = None,
        chunked: bool = False,
        gzip: bool = False,
        location: str | None = None,
    ) -> None:
        """Answer GET ``path`` with ``body``; replaces any previous route for it.

        ``latency`` (seconds before answering; None = the server's default),
        ``trickle`` (send the body one byte per ``trickle`` seconds), ``truncate``
        (announce the full Content-Length, send that many bytes, then close),
        ``chunked`` (no Content-Length), ``gzip`` (compress, with Content-Encoding),
        ``location`` (for 3xx). ``etag`` defaults to a hash of ``body``.
        """
        wire = gzip_module.compress(body, mtime=0) if gzip else body
        self._set(
            path,
            Route(
                body=wire,
                status=status,
                content_type=content_type,
                etag=body_etag(body) if etag is AUTO else etag,
                last_modified=last_modified,
                headers=tuple((headers or {}).items()),
                latency=latency,
                trickle=trickle,
                truncate=truncate,
                chunked=chunked,
                gzip=gzip,
                location=location,
            ),
        )

    def add_large(self, path: str, size: int, *, chunked: bool) -> None:
        """Answer ``path`` with ``size`` bytes generated while sending (no ETag)."""
        self._set(path, Route(body=b"", size=size, chunked=chunked))

    def _set(self, path: str, route: Route) -> None:
        with self._lock:
            self._routes["/" + path.lstrip("/")] = route

    def route(self, path: str) -> Route | None:
        """The route for a request path (query ignored), else a file of ``directory``."""
        with self._lock:
            found = self._routes.get(path)
        if found is not None or self.directory is None:
            return found
        return self._file_route(self.directory, path.lstrip("/"))

    def _file_route(self, directory: Path, name: str) -> Route | None:
        if not name or "/" in name or name.startswith("."):
            return None
        try:
            info = os.stat(directory / name)
        except OSError:
            return None
        with self._lock:
            cached = self._files.get(name)
        if cached is not None and cached[:2] == (info.st_mtime_ns, info.st_size):
            return cached[2]
        # Re-read only when the file changed, so benchmarks may edit feeds between cycles.
        try:
            body = (directory / name).read_bytes()
        except OSError:
            return None
        route = Route(
            body=body,
            etag=body_etag(body),
            last_modified=email.utils.formatdate(info.st_mtime, usegmt=True),
        )
        with self._lock:
            self._files[name] = (info.st_mtime_ns, info.st_size, route)
        return route

    # --- statistics -------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counters since the last reset.

        ``requests``, ``status_304``, ``bytes_sent`` (body bytes written),
        ``header_bytes_sent`` (status lines and headers written),
        ``max_concurrent`` (most requests received and not yet answered at once:
        a client that keeps N requests in flight never pushes it above N) and ``connections``
        (TCP connections accepted: fewer than requests means keep-alive works).
        """
        with self._lock:
            return {"requests": len(self.requests), **self._counts}

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being answered (so the counters are final)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if not self._in_flight:
                    return True
            time.sleep(0.01)
        return False

    def reset_stats(self) -> None:
        """Zero the counters and forget the recorded requests."""
        with self._lock:
            self.requests.clear()
            self.request_times.clear()
            self.posted.clear()
            for key in self._counts:
                self._counts[key] = 0

    def _record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((method, path, headers))
            self.request_times.append(time.monotonic())
            self._in_flight += 1
            self._unanswered += 1
            if self._unanswered > self._counts["max_concurrent"]:
                self._counts["max_concurrent"] = self._unanswered

    def _answering(self) -> None:
        # Counted before the first byte of the answer leaves: once the client has it,
        # it may send its next request before this handler thread runs again.
        with self._lock:
            self._unanswered -= 1

    def _done(self, answered: bool) -> None:
        with self._lock:
            self._in_flight -= 1
            if not answered:
                self._unanswered -= 1

    def _count(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[key] += amount

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._sockets.add(sock)
                self._counts["connections"] += 1
            else:
                self._sockets.discard(sock)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # 64+ clients connect at once in benchmarks
    feeds: FeedServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each small answer
    # waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: _Server
    _answered: bool

    def setup(self) -> None:
        super().setup()
        self.server.feeds._track(self.connection, add=True)

    def finish(self) -> None:
        self.server.feeds._track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        pass  # tests and benchmarks do not want a line per request

    def flush_headers(self) -> None:
        buffered = getattr(self, "_headers_buffer", [])
        self.server.feeds._count("header_bytes_sent", sum(len(b) for b in buffered))
        super().flush_headers()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/__stats":
            self._control(json.dumps(self.server.feeds.stats()).encode())
            return
        feeds = self.server.feeds
        feeds._record("GET", self.path, dict(self.headers.items()))
        self._answered = False
        try:
            self._answer(feeds, feeds.route(path))
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client went away: stop quietly
        finally:
            feeds._done(self._answered)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        feeds = self.server.feeds
        if urlsplit(self.path).path == "/__reset":
            feeds.reset_stats()
            self._control(b'{"reset": true}')
            return
        # Recorded, so tests can see what was sent where (a login, a password).
        feeds._record("POST", self.path, dict(self.headers.items()))
        with feeds._lock:
            feeds.posted.append(body)
        feeds._answering()
        try:
            self.send_error(404)
        finally:
            feeds._done(True)

    def _control(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self, feeds: FeedServer, route: Route | None) -> None:
        latency = feeds.latency if route is None or route.latency is None else route.latency
        if latency > 0 and feeds._stop.wait(latency):
            self.close_connection = True
            return
        feeds._answering()
        self._answered = True
        if route is None:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._write(feeds, body)
            return
        if 200 <= route.status < 300 and self._not_modified(route):
            feeds._count("status_304")
            self.send_response(304)
            self._validators(route)
            self.end_headers()
            return
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self._validators(route)
        if route.location is not None:
            self.send_header("Location", route.location)
        if route.gzip:
            self.send_header("Content-Encoding", "gzip")
        for name, value in route.headers:
            self.send_header(name, value)
        size = route.size if route.size is not None else len(route.body)
        if route.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        if route.truncate is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._send_body(feeds, route)

    def _validators(self, route: Route) -> None:
        if route.etag is not None:
            self.send_header("ETag", route.etag)
        if route.last_modified is not None:
            self.send_header("Last-Modified", route.last_modified)

    def _not_modified(self, route: Route) -> bool:
        """RFC 9110: If-None-Match wins; If-Modified-Since only without it."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            if route.etag is None:
                return False
            wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in wanted or route.etag.removeprefix("W/") in wanted
        since = self.headers.get("If-Modified-Since")
        if since is None or route.last_modified is None:
            return False
        try:
            return email.utils.parsedate_to_datetime(
                route.last_modified
            ) <= email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return since == route.last_modified

    def _send_body(self, feeds: FeedServer, route: Route) -> None:
        if route.trickle is not None:
            for i in range(len(route.body)):
                self._write(feeds, route.body[i : i + 1], route.chunked)
                if feeds._stop.wait(route.trickle):
                    self.close_connection = True
                    return
        elif route.size is not None:
            block = bytes(range(256)) * (_BLOCK // 256)
            left = route.size
            while left > 0:
                if feeds._stop.is_set():
                    self.close_connection = True
                    return
                piece = block[: min(left, _BLOCK)]
                self._write(feeds, piece, route.chunked)
                left -= len(piece)
        elif route.truncate is not None:
            self._write(feeds, route.body[: route.truncate])
            return  # close_connection is set: the client sees the body end early
        else:
            self._write(feeds, route.body, route.chunked)
        if route.chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _write(self, feeds: FeedServer, data: bytes, chunked: bool = False) -> None:
        if not data:
            return
        if chunked:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self.wfile.write(data)
        feeds._count("bytes_sent", len(data))


def main(argv: list[str] | None = None) -> int:
    """Serve a directory of feed files until interrupted (for benchmarks)."""
    parser = argparse.ArgumentParser(prog="python -m tests.feedserver", description=__doc__)
    parser.add_argument("--dir", required=True, type=Path, help="serve every file in DIR")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        parser.error(f"--dir {args.dir}: not a directory")
    server = FeedServer(args.latency, port=args.port, directory=args.dir)
    print(f"port={server.port}", flush=True)
    try:
        server._httpd.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
