"""Helpers for end-to-end tests: a `grump worker` subprocess, producing, and reading back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from worker._broker import create_topics, free_loopback_port
from worker._kafka import read_topic
from worker._tools import produce_values

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Topics:
    input: str
    output: str
    dlq: str
    group: str


def make_topics(bootstrap: str, prefix: str, partitions: int = 4) -> Topics:
    topics = Topics(f"{prefix}.in", f"{prefix}.out", f"{prefix}.dlq", f"{prefix}.group")
    asyncio.run(create_topics(bootstrap, {topics.input: partitions, topics.output: partitions,
                                          topics.dlq: 1}))  # fmt: skip
    return topics


class WorkerProcess:
    """`python -m worker.cli worker` with the test's topics; logs go to `log_path`."""

    def __init__(self, bootstrap: str, topics: Topics, log_path: Path, *extra: str) -> None:
        self.metrics_port = free_loopback_port()
        self.log_path = log_path
        command = [
            sys.executable, "-m", "worker.cli", "worker",
            "--bootstrap-servers", bootstrap,
            "--input-topic", topics.input, "--output-topic", topics.output,
            "--dlq-topic", topics.dlq, "--group-id", topics.group,
            "--backend", "reference", "--drain-processes", "1",
            "--ring-bytes", str(4 << 20), "--metrics-port", str(self.metrics_port),
            "--session-timeout-ms", "2000", "--heartbeat-interval-ms", "300",
            "--commit-interval-ms", "200", *extra,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)

    @property
    def pid(self) -> int:
        return self.process.pid

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.metrics_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"worker not ready in {timeout_s} s\n{self.log()}")

    def metric(self, name: str) -> float:
        """Sum of every sample of `name` on /metrics."""
        try:
            _status, text = self.get("/metrics")
        except OSError:  # not serving yet
            return 0.0
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and line[len(name)] in " {":
                total += float(line.rsplit(" ", 1)[1])
        return total

    def terminate(self, timeout_s: float = 30.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout_s)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def children(self) -> list[int]:
        """Pids of the spawned drain processes (not the multiprocessing resource tracker)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.pid and b"spawn_main" in cmdline:
                pids.append(int(entry.name))
        return pids


def request(index: int, text: str) -> tuple[bytes, bytes]:
    ident = f"r{index}"
    return ident.encode(), orjson.dumps({"v": 1, "id": ident, "text": text})


def produce(bootstrap: str, topic: str, values: list[tuple[bytes | None, bytes]]) -> None:
    asyncio.run(produce_values(bootstrap, topic, values))


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int | None]:
    """The group's committed positions of `topic` (asked without joining the group)."""

    async def ask() -> dict[int, int | None]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                    enable_auto_commit=False)  # fmt: skip
        await consumer.start()
        try:
            return {p: await consumer.committed(TopicPartition(topic, p))
                    for p in range(partitions)}  # fmt: skip
        finally:
            await consumer.stop()

    return asyncio.run(ask())


def read_all(bootstrap: str, topic: str) -> list:
    records: list = []
    asyncio.run(read_topic(bootstrap, topic, lambda _tp, rs: records.extend(rs), idle_timeout_s=2))
    return records


def intent_ids(records: list) -> list[str]:
    return [dict(r.headers)["grump-intent-id"].decode() for r in records]


def wait_for_ids(
    bootstrap: str, topic: str, wanted: set[str], timeout_s: float, worker: WorkerProcess | None
) -> list:
    """Read the output topic until every wanted id has a result; returns the records.

    With `worker`, first wait (cheaply, on /metrics) until it acked enough results."""
    deadline = time.monotonic() + timeout_s
    while worker is not None and worker.metric("grump_results_produced_total") < len(wanted):
        assert worker.process.poll() is None and time.monotonic() < deadline, worker.log()
        time.sleep(0.5)
    while True:
        records = read_all(bootstrap, topic)
        missing = wanted - set(intent_ids(records))
        if not missing:
            return records
        if time.monotonic() > deadline:
            log = worker.log() if worker else ""
            raise AssertionError(f"{len(missing)} ids without a result, e.g. {sorted(missing)[:5]}"
                                 f"\n{log}")  # fmt: skip
        time.sleep(2.0)
