"""The Grafana dashboard may only query metrics the worker exports (worker._metrics)."""

from __future__ import annotations

import json
import re

from deploy_contract import DASHBOARD_FILE

from worker._metrics import METRIC_NAMES, METRICS

_SERIES_SUFFIXES = ("_bucket", "_sum", "_count")
_GRUMP_NAME = re.compile(r"\bgrump_[a-zA-Z0-9_]+")


def exported_series_base(name: str) -> str | None:
    """The METRIC_NAMES entry that exports series `name`, or None."""
    if name in METRIC_NAMES:
        return name
    for suffix in _SERIES_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and METRICS.get(base, ("",))[0] == "histogram":
            return base
    return None


def dashboard() -> dict:
    return json.loads(DASHBOARD_FILE.read_text())


def panel_expressions(panel: dict) -> list[str]:
    return [t["expr"] for t in panel.get("targets", [])]


def test_every_panel_queries_only_exported_metrics() -> None:
    panels = dashboard()["panels"]
    assert panels
    for panel in panels:
        names = {n for e in panel_expressions(panel) for n in _GRUMP_NAME.findall(e)}
        assert names, f"panel {panel['title']!r} queries no grump metric"
        unknown = {n for n in names if exported_series_base(n) is None}
        assert not unknown, f"panel {panel['title']!r}: not in worker._metrics: {unknown}"


def test_series_suffix_rule_rejects_what_the_worker_does_not_export() -> None:
    assert exported_series_base("grump_latency_seconds_bucket") == "grump_latency_seconds"
    assert exported_series_base("grump_records_consumed_total") == "grump_records_consumed_total"
    assert exported_series_base("grump_ring_bytes_sum") is None  # a gauge has no _sum
    assert exported_series_base("grump_records_consumed") is None
    assert exported_series_base("grump_no_such_metric") is None


def test_dashboard_covers_the_operating_questions() -> None:
    queried = {
        exported_series_base(n)
        for p in dashboard()["panels"]
        for e in panel_expressions(p)
        for n in _GRUMP_NAME.findall(e)
    }
    for needed in (
        "grump_records_consumed_total", "grump_results_produced_total",  # throughput in/out
        "grump_dead_letters_total", "grump_latency_seconds", "grump_consumer_lag_records",
        "grump_ring_occupancy_ratio", "grump_batch_size_records", "grump_backend_info",
    ):  # fmt: skip
        assert needed in queried, f"no panel shows {needed}"
    dlq = [e for p in dashboard()["panels"] for e in panel_expressions(p) if "dead_letters" in e]
    assert any("by (code)" in e for e in dlq), "dead letters must be split by error code"
    latency = [e for p in dashboard()["panels"] for e in panel_expressions(p) if "latency" in e]
    assert any("histogram_quantile(0.99" in e for e in latency)


def test_panels_use_the_provisioned_datasource() -> None:
    board = dashboard()
    assert board["uid"] == "grump-stream"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
