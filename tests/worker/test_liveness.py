"""Liveness and readiness of a real worker process: /healthz fails while records wait with
no progress, /readyz follows each drain process (a restarted drain is not ready until warm)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from aiokafka import TopicPartition
from worker_process import WorkerProcess, make_topics, produce, request, wait_for_ids

from worker._delivery import Delivery
from worker._metrics import Metrics


def test_stalled_counts_only_while_records_wait_without_an_ack() -> None:
    delivery = Delivery("in", Metrics())
    tp = TopicPartition("in", 0)
    delivery.assigned.add(tp)
    assert delivery.stalled_s(now=time.monotonic() + 1e6) == 0.0, "idle is not stalled"
    delivery.track(tp, np.arange(10, dtype=np.int64))
    began = delivery.progress_at
    assert delivery.stalled_s(now=began + 30) == 30
    delivery.ack(np.zeros(5, np.int64), np.arange(5, dtype=np.int64))
    assert delivery.progress_at >= began and delivery.pending_records == 5
    delivery.ack(np.zeros(5, np.int64), np.arange(5, 10, dtype=np.int64))
    assert delivery.stalled_s(now=time.monotonic() + 1e6) == 0.0


def _wait_status(worker: WorkerProcess, path: str, status: int, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        got, body = worker.get(path)
        if got == status:
            return body
        assert time.monotonic() < deadline, f"{path} still {got}: {body}\n{worker.log()}"
        time.sleep(0.1)


@pytest.mark.kafka
def test_healthz_fails_while_a_wedged_drain_holds_pending_records(
    bootstrap: str, tmp_path: Path
) -> None:
    topics = make_topics(bootstrap, f"live-{int(time.time() * 1000) % 100000}")
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--stall-timeout-s", "2")
    try:
        worker.wait_ready()
        assert worker.get("/healthz")[0] == 200
        (drain,) = worker.children()
        os.kill(drain, signal.SIGSTOP)  # alive (so never restarted) but making no progress
        try:
            produce(bootstrap, topics.input, [request(i, "a shop with a cart") for i in range(20)])
            body = _wait_status(worker, "/healthz", 503, timeout_s=30)
            assert "records pending" in body and "--stall-timeout-s 2" in body
        finally:
            os.kill(drain, signal.SIGCONT)
        wait_for_ids(bootstrap, topics.output, {f"r{i}" for i in range(20)}, 60, worker)
        _wait_status(worker, "/healthz", 200, timeout_s=10)
    finally:
        assert worker.terminate() == 0, worker.log()


@pytest.mark.kafka
def test_readyz_is_503_until_a_restarted_drain_is_warm_again(
    bootstrap: str, tmp_path: Path
) -> None:
    topics = make_topics(bootstrap, f"ready-{int(time.time() * 1000) % 100000}")
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        assert "drain 0: warm" in worker.get("/readyz")[1]
        (drain,) = worker.children()
        os.kill(drain, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not (fresh := [pid for pid in worker.children() if pid != drain]):
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.01)
        os.kill(fresh[0], signal.SIGSTOP)  # hold the new drain before it can warm up
        try:
            status, body = worker.get("/readyz")
            assert status == 503 and "drain 0: warming up" in body, body
        finally:
            os.kill(fresh[0], signal.SIGCONT)
        worker.wait_ready()
    finally:
        assert worker.terminate() == 0, worker.log()
