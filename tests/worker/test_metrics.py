"""The metrics container registers exactly the documented names."""

from prometheus_client import generate_latest

from worker._metrics import METRIC_NAMES, Metrics


def test_every_documented_metric_is_exported():
    m = Metrics()
    m.records_consumed.inc(3)
    m.dead_letters.labels(code="malformed_json").inc()
    m.batch_size_records.observe(512)
    families = {f.name + "_total" if f.type == "counter" else f.name for f in m.registry.collect()}
    assert families == METRIC_NAMES
    text = generate_latest(m.registry).decode()
    assert "grump_records_consumed_total 3.0" in text
    assert 'grump_dead_letters_total{code="malformed_json"} 1.0' in text


def test_gpu_batch_stats_reach_the_gpu_metrics():
    """A drain's STATS frame for a GPU batch sets the per-device copy, kernel and memory
    metrics in the parent, and the utilisation gauge is busy time over wall time."""
    import time

    from worker import _framing as f
    from worker._egress import Egress

    metrics = Metrics()
    egress = Egress(None, None, None, metrics, ("in", "out", "dlq"))
    details = {"backend": "gpu", "drain": 3, "device": 1, "groups": 1, "h2d_bytes": 4096,
               "h2d_s": 0.001, "kernel_s": 0.004, "d2h_bytes": 65536, "d2h_s": 0.002,
               "memory_bytes": 1 << 20}  # fmt: skip
    frame = next(f.iter_out_frames(iter([memoryview(f.stats_frame(512, 7_000_000, details))])))
    egress._record_stats(frame)
    egress._record_stats(frame)
    time.sleep(0.05)
    egress.update_gpu_utilization()
    text = generate_latest(metrics.registry).decode()
    assert 'grump_gpu_transfer_bytes_total{device="1",direction="d2h"} 131072.0' in text
    assert 'grump_gpu_seconds_total{device="1",stage="kernel"} 0.008' in text
    assert 'grump_gpu_memory_used_bytes{device="1"} 1.048576e+06' in text
    assert 'grump_kernel_seconds_count{backend="gpu"} 2.0' in text
    assert 'grump_drain_batches_total{drain="3"} 2.0' in text
    ratio = metrics.gpu_utilization_ratio.labels("1")._value.get()
    assert 0 < ratio <= 0.014 / 0.05


def test_declared_attributes_match_the_registered_metrics():
    """The typed attribute list on Metrics and METRICS name the same metrics, kind for kind."""
    import typing

    declared = typing.get_type_hints(Metrics)
    m = Metrics()
    registered = {name: type(getattr(m, name)) for name in declared if not name.startswith("_")}
    assert {k: v for k, v in declared.items() if not k.startswith("_")} == registered
    expected = {n.removeprefix("grump_").removesuffix("_total") for n in METRIC_NAMES}
    assert set(registered) == expected
