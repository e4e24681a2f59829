"""The worker's Prometheus metrics: one container, built around the registry it is given.

Names follow `grump_<noun>_<unit>`; counters end in `_total`. Label children are bound once
(`bind_*`) so hot paths update plain objects, once per batch. Dashboards and alerts are
checked against METRIC_NAMES, so they cannot drift from the code.
"""

from __future__ import annotations

import re

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_BATCH_BUCKETS = (1, 8, 32, 128, 512, 1024, 2048, 4096, 8192, 16384, 65536)
_KERNEL_BUCKETS = (1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_LATENCY_BUCKETS = (1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

# name: (kind, help, labels)
METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "grump_records_consumed_total": ("counter", "Records fetched from the input topic", ()),
    "grump_records_framed_total": (
        "counter", "Fetched records framed for the ring, by reader: compiled (from the fetched "
        "batches) or aiokafka (legacy batches and other cases it leaves to aiokafka)",
        ("reader",)),
    "grump_results_produced_total": ("counter", "Results acknowledged by the broker", ()),
    "grump_dead_letters_total": ("counter", "Records sent to the dead-letter topic", ("code",)),
    "grump_offsets_committed_total": ("counter", "Offset commits that succeeded", ()),
    "grump_rebalances_total": ("counter", "Partition assignments and revocations", ("kind",)),
    "grump_drain_restarts_total": ("counter", "Drain processes restarted after dying", ()),
    "grump_batch_size_records": ("histogram", "Records per parsed batch", ()),
    "grump_drain_batches_total": ("counter", "Batches parsed, per drain slot", ("drain",)),
    "grump_kernel_seconds": ("histogram", "Parse + encode time per batch", ("backend",)),
    "grump_latency_seconds": (
        "histogram", "Input record timestamp to result acknowledgement", ()),
    "grump_ring_occupancy_ratio": ("gauge", "Share of ring slots in use", ("ring",)),
    "grump_ring_bytes": ("gauge", "Bytes held in the ring", ("ring",)),
    "grump_consumer_lag_records": ("gauge", "Records behind the partition end", ("partition",)),
    "grump_paused_partitions": ("gauge", "Partitions paused by backpressure", ()),
    "grump_fetch_wait_seconds": ("gauge", "How long the broker may hold a Fetch, as paced", ()),
    "grump_fetch_starved_total": (
        "counter", "Fetch rounds that got nothing while records waited past the position", ()),
    "grump_backend_info": ("gauge", "1 for the parse backend in use", ("backend",)),
    "grump_gpu_memory_used_bytes": ("gauge", "GPU memory in use", ("device",)),
    "grump_gpu_utilization_ratio": (
        "gauge", "Share of wall time the GPU spent copying or computing", ("device",)),
    "grump_gpu_seconds_total": (
        "counter", "GPU time by stage (h2d, kernel, d2h), timed with CUDA events",
        ("device", "stage")),
    "grump_gpu_transfer_bytes_total": (
        "counter", "Bytes copied between host and GPU", ("device", "direction")),
    "grump_jit_compile_seconds": ("gauge", "Kernel compile or cache-load time at start", ()),
}  # fmt: skip
METRIC_NAMES = frozenset(METRICS)

_SAMPLE_SUFFIX = re.compile(r"_(total|count|sum|bucket|created)$")
_KINDS = {"counter": Counter, "gauge": Gauge, "histogram": Histogram}
_BUCKETS = {
    "grump_batch_size_records": _BATCH_BUCKETS,
    "grump_kernel_seconds": _KERNEL_BUCKETS,
    "grump_latency_seconds": _LATENCY_BUCKETS,
}


class Metrics:
    """Every worker metric, registered in `registry`; attributes named without `grump_`."""

    # one attribute per METRICS entry (set in __init__; a test checks the two agree)
    records_consumed: Counter
    records_framed: Counter
    results_produced: Counter
    dead_letters: Counter
    offsets_committed: Counter
    rebalances: Counter
    drain_restarts: Counter
    batch_size_records: Histogram
    drain_batches: Counter
    kernel_seconds: Histogram
    latency_seconds: Histogram
    ring_occupancy_ratio: Gauge
    ring_bytes: Gauge
    consumer_lag_records: Gauge
    paused_partitions: Gauge
    fetch_wait_seconds: Gauge
    fetch_starved: Counter
    backend_info: Gauge
    gpu_memory_used_bytes: Gauge
    gpu_utilization_ratio: Gauge
    gpu_seconds: Counter
    gpu_transfer_bytes: Counter
    jit_compile_seconds: Gauge

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._families: dict[str, Counter | Gauge | Histogram] = {}
        for name, (kind, doc, labels) in METRICS.items():
            # prometheus_client appends _total itself to counters
            base = name.removesuffix("_total") if kind == "counter" else name
            extra = {"buckets": _BUCKETS[name]} if name in _BUCKETS else {}
            metric = _KINDS[kind](base, doc, labels, registry=self.registry, **extra)
            setattr(self, name.removeprefix("grump_").removesuffix("_total"), metric)
            self._families[base] = metric

    def total(self, name: str) -> float:
        """Sum of a metric's samples over every label set (counters: their `_total`,
        histograms: e.g. `_count`). Collects only that metric: progress probes call it often."""
        family = self._families.get(name) or self._families.get(_SAMPLE_SUFFIX.sub("", name))
        families = family.collect() if family is not None else self.registry.collect()
        return sum(sample.value for f in families for sample in f.samples if sample.name == name)


def observe_many(histogram: Histogram, values: np.ndarray) -> None:
    """`histogram.observe(v)` for every v, as one bucket count per bucket: a batch's records
    each count without a metric call per record. prometheus_client has no batch observe, so
    this adds to its per-bucket values (kept non-cumulative, `le` inclusive) directly."""
    if not len(values):
        return
    histogram._raise_if_not_observable()
    bounds = np.asarray(histogram._upper_bounds, np.float64)
    counts = np.bincount(np.searchsorted(bounds, values, side="left"), minlength=len(bounds))
    for bucket, count in zip(histogram._buckets, counts.tolist(), strict=False):
        if count:
            bucket.inc(count)
    histogram._sum.inc(float(values.sum()))
