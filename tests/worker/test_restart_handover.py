"""A SIGTERMed replica hands its partitions over as soon as its last batch is committed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from worker_process import (
    WorkerProcess,
    intent_ids,
    make_topics,
    produce,
    read_all,
    request,
    wait_for_ids,
)

from kernels.corpus import generate_intents

pytestmark = pytest.mark.kafka


def _assigned(log: str) -> list[str]:
    return [line for line in log.splitlines() if "assigned 4 partitions" in line]


def test_a_stopping_replica_leaves_the_group_before_its_drains_exit(
    bootstrap: str, tmp_path: Path
) -> None:
    """The group is left right after the final commit; the drain processes are waited for
    afterwards, so a survivor never waits on their exit. Nothing is lost or doubled."""
    topics = make_topics(bootstrap, f"handover-{int(time.time() * 1000) % 100000}")
    texts = generate_intents(1_200, seed=23)
    a = WorkerProcess(bootstrap, topics, tmp_path / "a.log")
    b = WorkerProcess(bootstrap, topics, tmp_path / "b.log")
    try:
        a.wait_ready()
        b.wait_ready()
        produce(bootstrap, topics.input, [request(i, t) for i, t in enumerate(texts[:600])])
        deadline = time.monotonic() + 60
        while b.metric("grump_results_produced_total") < 50:
            assert time.monotonic() < deadline and b.process.poll() is None, b.log()
            time.sleep(0.1)
        assert b.terminate() == 0, b.log()
        while not _assigned(a.log()):
            assert time.monotonic() < deadline, a.log()
            time.sleep(0.2)
        produce(bootstrap, topics.input, [request(i + 600, t) for i, t in enumerate(texts[600:])])
        wait_for_ids(bootstrap, topics.output, {f"r{i}" for i in range(len(texts))}, 90, None)
    finally:
        if b.process.poll() is None:
            b.kill()
        assert a.terminate() == 0, a.log()
    steps = [line for line in b.log_path.read_text().splitlines() if "shutdown:" in line]
    left = next(i for i, line in enumerate(steps) if "left the group" in line)
    drains = next(i for i, line in enumerate(steps) if "drain processes stopped" in line)
    assert left < drains, steps
    ids = intent_ids(read_all(bootstrap, topics.output))
    assert sorted(ids) == sorted(f"r{i}" for i in range(len(texts))), "each id exactly once"
