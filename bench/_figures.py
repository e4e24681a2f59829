"""The end-to-end bench's figures: rates, CPU shares, batch sizes and GPU times of one row,
from what the bench watched (`/proc`, the replicas' progress) and what the replicas reported
(their worker's metrics)."""

from __future__ import annotations

from typing import Any


def row_figures(watched: dict) -> dict:
    """One row's figures from what `Run` watched and what its replicas reported."""
    wall = max(watched["wall_s"], 1e-9)
    acked, reports = watched["acked"], watched["reports"]
    spent = watched.get("cpu", {})
    replica_cpu = spent.get("replica", [0.0])
    drain_cpu = spent.get("drain", [])
    broker_cpu = sum(spent.get("broker", [0.0]))
    client_cpu = sum(replica_cpu) + sum(drain_cpu)
    row: dict[str, Any] = {
        "intents_per_s": round(acked / wall, 1),
        "wall_s": round(wall, 2),
        "cpu_s_per_m": round(client_cpu / max(acked, 1) * 1e6, 2),
        "broker_cpu_s_per_m": round(broker_cpu / max(acked, 1) * 1e6, 2),
        "broker_cores": round(broker_cpu / wall, 2),
        "replica_cores_max": round(max(replica_cpu) / wall, 2),
        "drain_cores": round(sum(drain_cpu) / wall, 2),
        "drains_per_replica": max((r.get("drains", 0) for r in reports), default=0),
        "ring_fill_mean": round(float(watched["fill_mean"]), 3),
        "ring_fill_max": round(float(watched["fill_max"]), 3),
        "rss_mb_max": round(max((r.get("rss_mb", 0.0) for r in reports), default=0.0), 1),
    }  # fmt: skip
    row.update(_batches(reports))
    row.update(_gpu(reports, wall))
    row.update(watched.get("gpu_util", {}))
    return row


def _batches(reports: list[dict]) -> dict:
    buckets = _merge(r.get("batch_buckets", {}) for r in reports)
    if not buckets:
        return {}
    count = sum(r.get("grump_batch_size_records_count", 0) for r in reports)
    total = sum(r.get("grump_batch_size_records_sum", 0) for r in reports)
    kernel_s = sum(r.get("grump_kernel_seconds_sum", 0) for r in reports)
    cumulative = sorted(buckets.items(), key=lambda kv: float(kv[0]))
    histogram, below = {}, 0.0
    for le, at_or_below in cumulative:  # cumulative counts → batches per bucket
        if at_or_below > below:
            histogram[f"<={le}"] = int(at_or_below - below)
        below = at_or_below
    per_drain = [[r["drain_batches"][k] for k in sorted(r.get("drain_batches", {}), key=int)]
                 for r in reports]  # fmt: skip
    return {
        "batches": int(count), "batches_per_drain": per_drain,
        "batch_mean": round(total / max(count, 1), 1),
        "batch_p50": _bucket_quantile(buckets, 0.5), "batch_hist": histogram,
        "kernel_s": round(kernel_s, 2),
        "warm_s_max": round(max(r.get("grump_jit_compile_seconds", 0) for r in reports), 2),
    }  # fmt: skip


def _gpu(reports: list[dict], wall: float) -> dict:
    totals = _merge(r.get("gpu", {}) for r in reports)
    if not totals.get("kernel_s"):
        return {}
    busy = totals["h2d_s"] + totals["kernel_s"] + totals["d2h_s"]
    return {
        "gpu_kernel_share": round(totals["kernel_s"] / wall, 3),  # of the wall time
        "gpu_busy_share": round(busy / wall, 3),  # copies + kernels
        "h2d_mb": round(totals["h2d_bytes"] / 1e6, 1),
        "d2h_mb": round(totals["d2h_bytes"] / 1e6, 1),
        "h2d_gb_per_s": round(totals["h2d_bytes"] / max(totals["h2d_s"], 1e-9) / 1e9, 2),
        "d2h_gb_per_s": round(totals["d2h_bytes"] / max(totals["d2h_s"], 1e-9) / 1e9, 2),
    }


def _merge(dicts: Any) -> dict[str, float]:
    merged: dict[str, float] = {}
    for d in dicts:
        for key, value in d.items():
            merged[key] = merged.get(key, 0.0) + value
    return merged


def _bucket_quantile(buckets: dict[str, float], q: float, scale: float = 1.0) -> float:
    """The upper bound of the bucket holding quantile q (cumulative Prometheus buckets)."""
    ordered = sorted(buckets.items(), key=lambda kv: float(kv[0]))
    if not ordered or ordered[-1][1] == 0:
        return 0.0
    target = q * ordered[-1][1]
    for le, count in ordered:
        if count >= target:
            return round(float(le) * scale, 1)
    return float("inf")
