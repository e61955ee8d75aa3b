"""``warning web``: the situation page alone, against the configured database (or any)."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from typing import Any

from ..config import Settings, parse_listen
from ..errors import DataError
from .common import EXIT_OK, Add

DEFAULT_LISTEN = "127.0.0.1:8080"


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from ..web.server import WebServer, open_site

    listen = settings.web.listen
    if args.listen is not None or listen is None:
        try:
            listen = parse_listen(args.listen or DEFAULT_LISTEN)
        except ValueError as exc:
            raise DataError(f"--listen: {exc}", "write it like 127.0.0.1:8080") from None
    url = args.database or settings.database.reveal()
    token = settings.web.token
    site = open_site(url, lambda: settings.zones)
    try:
        server = WebServer(*listen, site, token.reveal() if token else None)
    except OSError as exc:
        site.store.close()
        raise DataError(
            f"cannot listen on {listen[0]}:{listen[1]}: {exc.strerror or exc}",
            "pick another port with --listen HOST:PORT",
        ) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()  # the main thread closes the server

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    server.start()
    host, port = server.address
    auth = " (token required)" if token else ""
    print(f"situation page on http://{host}:{port}/{auth}; Ctrl-C stops it", flush=True)
    try:
        stop.wait()
    finally:
        server.close()
    return EXIT_OK


def add_parsers(sub: Any, add: Add) -> None:
    web = add("web", cmd_web, "serve the read-only situation page (map, trends, alerts)")
    web.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help=f"where to listen (default: web.listen, else {DEFAULT_LISTEN})",
    )
    web.add_argument(
        "--database", metavar="URL", help="read this database instead of the configured one"
    )
