"""The metrics container registers exactly the documented names."""

from prometheus_client import generate_latest

from worker._metrics import METRIC_NAMES, Metrics


def test_every_documented_metric_is_exported():
    m = Metrics()
    m.records_consumed.inc(3)
    m.dead_letters.labels(code="malformed_json").inc()
    m.batch_size_records.observe(512)
    families = {
        f.name + "_total" if f.type == "counter" else f.name for f in m.registry.collect()
    }
    assert families == METRIC_NAMES
    text = generate_latest(m.registry).decode()
    assert "grump_records_consumed_total 3.0" in text
    assert 'grump_dead_letters_total{code="malformed_json"} 1.0' in text
