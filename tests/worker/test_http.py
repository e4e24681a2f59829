"""The metrics port: /metrics exposes every dashboard metric; /healthz and /readyz answer
what their checks say, with the reason as the body."""

from __future__ import annotations

import urllib.error
import urllib.request

from worker._http import HealthServer
from worker._metrics import METRIC_NAMES, Metrics


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_endpoints() -> None:
    metrics = Metrics()
    metrics.results_produced.inc(3)
    metrics.dead_letters.labels("malformed_json").inc(2)
    state = {"ready": False, "healthy": True}
    ready = lambda: (state["ready"], "drain 0: warming up")  # noqa: E731
    healthy = lambda: (state["healthy"], "stalled: 5 pending")  # noqa: E731
    server = HealthServer(0, metrics.registry, ready, host="127.0.0.1", healthy=healthy).start()
    try:
        status, text = _get(server.port, "/metrics")
        assert status == 200
        for name in METRIC_NAMES:
            assert f"# TYPE {name.removesuffix('_total')}" in text, name
        assert "grump_results_produced_total 3.0" in text
        assert _get(server.port, "/healthz")[0] == 200
        assert _get(server.port, "/readyz") == (503, "drain 0: warming up\n")
        state["healthy"] = False
        assert _get(server.port, "/healthz") == (503, "stalled: 5 pending\n")
        state["ready"] = True
        assert _get(server.port, "/readyz")[0] == 200
        assert _get(server.port, "/nope")[0] == 404
    finally:
        server.stop()
    assert metrics.total("grump_dead_letters_total") == 2
