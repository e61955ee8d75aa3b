"""An HTTP endpoint on 127.0.0.1 that records every POST and answers from a script.

Each test plays one behaviour of a real receiver (a status, a wait, a header) by
putting :class:`Answer` objects in ``script``; once it is empty the receiver answers
200. The webhook and Apprise tests post to it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.servers import ServerThread


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    wait: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body, one value per field."""
        fields = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}


class Receiver:
    """An HTTP endpoint on loopback: records each POST, answers from ``script`` then 200."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Answer] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(size)
                with receiver._lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.requests.append(Received(self.path, headers, data))
                    answer = receiver.script.pop(0) if receiver.script else Answer()
                time.sleep(answer.wait)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the client gave up waiting

        self.served = ServerThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "receiver")

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.served.port}{path}"

    def __enter__(self) -> Receiver:
        self.served.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.served.stop()
