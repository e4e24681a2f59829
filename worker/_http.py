"""`/metrics`, `/healthz` and `/readyz` on one port, served by a stdlib thread.

`/healthz` answers 200 while `healthy()` holds, else 503: the server runs on its own thread,
so it must ask whether the worker makes progress, not merely whether this thread answers.
`/readyz` answers 200 only while `ready()` holds, else 503. Each check returns (ok, text);
the text (the reason, or each drain's state) is the body.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

Check = Callable[[], tuple[bool, str]]

log = logging.getLogger(__name__)


class HealthServer:
    def __init__(
        self,
        port: int,
        registry: CollectorRegistry,
        ready: Check,
        host: str = "",
        healthy: Check = lambda: (True, "ok"),
    ) -> None:
        handler = _handler_class(registry, ready, healthy)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="grump-http", daemon=True
        )

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("serving /metrics, /healthz, /readyz on port %d", self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_class(
    registry: CollectorRegistry, ready: Check, healthy: Check
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server naming
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._answer(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/readyz"):
                ok, text = (healthy if path == "/healthz" else ready)()
                self._answer(200 if ok else 503, text.encode() + b"\n")
            else:
                self._answer(404, b"not found\n")

        def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # probes every few seconds would flood the log

    return Handler
