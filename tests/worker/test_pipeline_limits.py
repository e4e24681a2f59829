"""End to end against the local broker: a result too large for Kafka or for the output ring
is dead-lettered, the partition moves on and the group's commit passes it.

The local broker accepts records of any size, so what these tests check is the worker's own
bound: nothing over `--max-result-bytes` ever reaches the output topic."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from worker_process import (
    WorkerProcess,
    committed,
    intent_ids,
    make_topics,
    produce,
    read_all,
    request,
    wait_for_ids,
)

pytestmark = pytest.mark.kafka
_names = itertools.count()
_MIB = 1 << 20


def _prefix(name: str) -> str:
    return f"lim{next(_names)}-{name}-{int(time.time() * 1000) % 100000}"


def _run_with_one_big(
    bootstrap: str, tmp_path: Path, big_text: str, *flags: str
) -> tuple[list, list, dict]:
    """Eleven requests on one partition, the sixth with `big_text`; returns the output and
    DLQ records and the committed positions seen while the worker still ran."""
    topics = make_topics(bootstrap, _prefix("big"), partitions=1)
    values = [request(i, "a todo app with login" if i != 5 else big_text) for i in range(11)]
    produce(bootstrap, topics.input, values)
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", *flags)
    try:
        wanted = {f"r{i}" for i in range(11) if i != 5}
        results = wait_for_ids(bootstrap, topics.output, wanted, timeout_s=90, worker=worker)
        deadline = time.monotonic() + 30
        while (positions := committed(bootstrap, topics.group, topics.input, 1))[0] != 11:
            assert time.monotonic() < deadline, f"commit stuck at {positions}\n{worker.log()}"
            assert worker.process.poll() is None, worker.log()
            time.sleep(0.5)
        dead = read_all(bootstrap, topics.dlq)
        assert worker.process.poll() is None, "the worker keeps running"
    finally:
        assert worker.terminate() == 0, worker.log()
    assert sorted(intent_ids(results)) == sorted(wanted)
    (letter,) = dead
    assert letter.key == values[5][0] and letter.value == values[5][1]
    return results, dead, dict(letter.headers)


def test_a_result_over_one_mib_is_dead_lettered_and_the_partition_moves_on(
    bootstrap: str, tmp_path: Path
) -> None:
    """60 KB of "a. " parses to a 1.3 MB result: over Kafka's default message.max.bytes."""
    results, _dead, headers = _run_with_one_big(bootstrap, tmp_path, "a. " * 20_000)
    for record in results:
        size = len(record.key or b"") + len(record.value)
        size += sum(len(name) + len(value) for name, value in record.headers)
        assert size < _MIB
    assert headers["grump-error-code"] == b"result_too_large"
    assert headers["grump-error-stage"] == b"encode"
    assert b"--max-result-bytes" in headers["grump-error-message"]


def test_a_result_over_the_output_rings_record_limit_never_kills_a_drain(
    bootstrap: str, tmp_path: Path
) -> None:
    """A 16 KiB ring carries records of at most 8 KiB; a 900-byte request fits it, its
    20 KB result does not."""
    _results, _dead, headers = _run_with_one_big(
        bootstrap, tmp_path, "a. " * 300, "--ring-bytes", "16384", "--batch-size", "4"
    )
    assert headers["grump-error-code"] == b"result_too_large"
    assert b"raise --ring-bytes" in headers["grump-error-message"]
