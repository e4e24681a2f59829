"""The worker end to end: a real broker, a real `grump worker` process, real drain processes."""

from __future__ import annotations

import itertools
import re
import signal
import subprocess
import time
from pathlib import Path

import msgpack
import orjson
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

import kernels
from kernels.corpus import generate_intents
from worker._kafka import OutRecord, send_records, start_producer

pytestmark = pytest.mark.kafka
_names = itertools.count()
_JSON, _MSGPACK = b"application/json", b"application/msgpack"


def _prefix(name: str) -> str:
    return f"p{next(_names)}-{name}-{int(time.time() * 1000) % 100000}"


def test_every_request_gets_exactly_one_reference_result(bootstrap: str, tmp_path: Path) -> None:
    topics = make_topics(bootstrap, _prefix("exact"))
    texts = generate_intents(20_000, seed=7)
    produce(bootstrap, topics.input, [request(i, t) for i, t in enumerate(texts)])
    # the cpu backend, as deployed (the reference parser would take ~20 s over these)
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--backend", "cpu")
    try:
        records = wait_for_ids(bootstrap, topics.output, {f"r{i}" for i in range(len(texts))},
                               timeout_s=120, worker=worker)  # fmt: skip
        assert worker.process.poll() is None
    finally:
        assert worker.terminate() == 0, worker.log()
    ids = intent_ids(records)
    assert len(ids) == len(texts) == len(set(ids)), "every id exactly once"
    # The reference parser costs ~1 ms an intent here: compare a fixed sample byte for byte
    # (the same result, but for the parser's backend name).
    for record in records[::7]:
        index = int(record.key.decode()[1:])
        result = kernels.parse(texts[index], None, f"r{index}")
        result["parser"]["backend"] = "cpu"
        assert record.value == kernels.encode_result(result, "json")
        headers = dict(record.headers)
        assert headers["content-type"] == b"application/json"
        assert headers["grump-schema-version"] == b"1"
    assert read_all(bootstrap, topics.dlq) == []


def _bad_records() -> list[tuple[bytes, bytes, str]]:
    """(value, content type, expected error code)"""
    return [
        (b'{"v":1,"text":', b"application/json", "malformed_json"),
        (b"\x81\xa4text\xc1", b"application/msgpack", "malformed_msgpack"),
        (b'{"v":1,"text":"caf\xff"}', b"application/json", "invalid_utf8"),
        (b'{"v":1,"id":"x"}', b"application/json", "missing_field"),
        (b'{"v":1,"text":42}', b"application/json", "wrong_type"),
        (orjson.dumps({"v": 1, "text": "a" * 5000}), b"application/json", "text_too_large"),
        (b'{"v":99,"text":"build an app"}', b"application/json", "unknown_version"),
    ]


async def _produce_mixed(bootstrap: str, topic: str, good: list[str]) -> None:
    producer = await start_producer(bootstrap)
    records: list[OutRecord] = []
    for i, text in enumerate(good):
        if i % 2:  # msgpack requests get msgpack results (output format "same")
            value = msgpack.packb({"v": 1, "id": f"g{i}", "text": text})
            records.append(
                (topic, None, b"g%d" % i, value, [("content-type", b"application/msgpack")])
            )
        else:
            value = orjson.dumps({"v": 1, "text": text})  # no id: derived from the position
            records.append(
                (topic, None, b"g%d" % i, value, [("content-type", b"application/json")])
            )
    for value, content_type, _code in _bad_records():
        records.append((topic, None, None, value, [("content-type", content_type)]))
    try:
        for sent in await send_records(producer, records):
            await sent.future
    finally:
        await producer.stop()


def test_bad_records_go_to_the_dead_letter_topic(bootstrap: str, tmp_path: Path) -> None:
    import asyncio

    topics = make_topics(bootstrap, _prefix("dlq"))
    good = generate_intents(200, seed=3)
    asyncio.run(_produce_mixed(bootstrap, topics.input, good))
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--max-text-bytes", "4096")
    try:
        worker.wait_ready()
        deadline = time.monotonic() + 60
        while len(dead := read_all(bootstrap, topics.dlq)) < len(_bad_records()):
            assert time.monotonic() < deadline, worker.log()
            time.sleep(1)
        results = read_all(bootstrap, topics.output)
        while len(results) < len(good) and time.monotonic() < deadline:
            time.sleep(1)
            results = read_all(bootstrap, topics.output)
        assert worker.process.poll() is None, "the worker survives bad records"
        assert worker.get("/readyz")[0] == 200
        assert worker.metric("grump_dead_letters_total") == len(_bad_records())
    finally:
        assert worker.terminate() == 0, worker.log()
    codes = sorted(dict(r.headers)["grump-error-code"].decode() for r in dead)
    assert codes == sorted(code for _v, _c, code in _bad_records())
    originals = {value for value, _c, _code in _bad_records()}
    assert {r.value for r in dead} == originals, "dead letters carry the original bytes"
    stages = {dict(r.headers)["grump-error-stage"] for r in dead}
    assert stages == {b"decode", b"validate"}
    assert len(results) == len(good)
    for record in results:
        index = int(record.key.decode()[1:])
        headers = dict(record.headers)
        fmt = "msgpack" if index % 2 else "json"
        assert headers["content-type"] == f"application/{fmt}".encode()
        ident = headers["grump-intent-id"].decode()
        if fmt == "json":
            assert ident.startswith(f"{topics.input}/"), "absent ids are derived from the position"
        expected = kernels.encode_result(kernels.parse(good[index], None, ident), fmt)
        assert record.value == expected


def test_sigkill_then_restart_loses_nothing(bootstrap: str, tmp_path: Path) -> None:
    topics = make_topics(bootstrap, _prefix("kill"))
    texts = generate_intents(5_000, seed=11)
    produce(bootstrap, topics.input, [request(i, t) for i, t in enumerate(texts)])
    first = WorkerProcess(bootstrap, topics, tmp_path / "first.log", "--batch-size", "256")
    deadline = time.monotonic() + 60
    while first.metric("grump_results_produced_total") < 1_000:  # mid-stream
        assert time.monotonic() < deadline and first.process.poll() is None, first.log()
        time.sleep(0.3)
    first.kill()
    assert first.process.returncode == -signal.SIGKILL
    second = WorkerProcess(bootstrap, topics, tmp_path / "second.log")
    try:
        wanted = {f"r{i}" for i in range(len(texts))}
        wait_for_ids(bootstrap, topics.output, wanted, timeout_s=120, worker=None)
    finally:
        assert second.terminate() == 0, second.log()


async def _committed(bootstrap: str, topic: str, group: str, partitions: int) -> dict[int, int]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        return {p: (await consumer.committed(TopicPartition(topic, p))) or 0
                for p in range(partitions)}  # fmt: skip
    finally:
        await consumer.stop()


def _input_positions(bootstrap: str, topic: str) -> dict[str, tuple[int, int]]:
    """request id -> (partition, offset) of its input record"""
    return {r.key.decode(): (r.partition, r.offset) for r in read_all(bootstrap, topic)}


def test_sigterm_under_load_exits_promptly_and_commits_what_it_produced(
    bootstrap: str, tmp_path: Path
) -> None:
    import asyncio

    topics = make_topics(bootstrap, _prefix("term"))
    texts = generate_intents(8_000, seed=5)
    produce(bootstrap, topics.input, [request(i, t) for i, t in enumerate(texts)])
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--batch-size", "256")
    deadline = time.monotonic() + 60
    while worker.metric("grump_results_produced_total") < 500:
        assert time.monotonic() < deadline and worker.process.poll() is None, worker.log()
        time.sleep(0.2)
    started = time.monotonic()
    assert worker.terminate(timeout_s=30) == 0, worker.log()
    assert time.monotonic() - started < 10, "shutdown is bounded by one batch, not the backlog"
    committed = asyncio.run(_committed(bootstrap, topics.input, topics.group, 4))
    positions = _input_positions(bootstrap, topics.input)
    produced = {positions[i] for i in intent_ids(read_all(bootstrap, topics.output))}
    assert 500 <= len(produced) < len(texts), "stopped mid-stream"
    assert all(offset < committed[p] for p, offset in produced), "every result is committed"
    for p, end in committed.items():  # and nothing unproduced is: at-least-once
        assert {(p, o) for o in range(end)} <= produced


def test_a_killed_drain_process_is_restarted_and_nothing_is_lost(
    bootstrap: str, tmp_path: Path
) -> None:
    import os

    topics = make_topics(bootstrap, _prefix("drain"))
    texts = generate_intents(4_000, seed=9)
    produce(bootstrap, topics.input, [request(i, t) for i, t in enumerate(texts)])
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--batch-size", "512")
    try:
        deadline = time.monotonic() + 60
        while worker.metric("grump_results_produced_total") < 300:
            assert time.monotonic() < deadline and worker.process.poll() is None, worker.log()
            time.sleep(0.1)
        (drain,) = worker.children()
        os.kill(drain, signal.SIGKILL)  # almost surely mid-batch: batches take ~0.5 s
        while worker.metric("grump_drain_restarts_total") < 1:
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.1)
        wanted = {f"r{i}" for i in range(len(texts))}
        wait_for_ids(bootstrap, topics.output, wanted, timeout_s=120, worker=None)
        (new_drain,) = worker.children()
        assert new_drain != drain
        worker.wait_ready()
    finally:
        assert worker.terminate() == 0, worker.log()


def test_backpressure_bounds_the_ring_and_delivers_everything(
    bootstrap: str, tmp_path: Path
) -> None:
    topics = make_topics(bootstrap, _prefix("bp"))
    texts = generate_intents(3_000, seed=13)
    produce(bootstrap, topics.input, [request(i, t) for i, t in enumerate(texts)])
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--ring-bytes", "16384",
                           "--batch-size", "64", "--log-level", "debug")  # fmt: skip
    try:
        peak_rss_mb = 0.0
        deadline = time.monotonic() + 90
        while worker.metric("grump_results_produced_total") < len(texts):
            assert time.monotonic() < deadline and worker.process.poll() is None, worker.log()
            peak_rss_mb = max(peak_rss_mb, _rss_mb(worker.pid))
            time.sleep(0.2)
        wait_for_ids(bootstrap, topics.output, {f"r{i}" for i in range(len(texts))}, 30, None)
    finally:
        assert worker.terminate() == 0, worker.log()
    log_text = worker.log_path.read_text()
    # (from the log, not the gauge: a pause can end between two samples of it)
    paused = [int(k) for k in re.findall(r"pausing fetches \((\d+) partitions paused\)", log_text)]
    assert paused, "the tiny ring filled up"
    assert "resuming fetches (0 partitions paused)" in log_text
    assert max(paused) == 4, "backpressure pauses every assigned partition at once"
    assert peak_rss_mb < 300, "the worker's memory stays bounded"


def test_a_record_too_large_for_the_ring_is_dead_lettered_whole(
    bootstrap: str, tmp_path: Path
) -> None:
    """A 16 KiB ring carries records of at most 8 KiB: a bigger request goes to the DLQ with
    its original bytes (not through the ring), and the records around it are parsed."""
    topics = make_topics(bootstrap, _prefix("big"))
    texts = generate_intents(50, seed=17)
    big = request(50, "build a shop " * 1000)  # ~13 KB
    produce(bootstrap, topics.input, [request(i, t) for i, t in enumerate(texts)] + [big])
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--ring-bytes", "16384",
                           "--batch-size", "16", "--max-text-bytes", "65536")  # fmt: skip
    try:
        wait_for_ids(bootstrap, topics.output, {f"r{i}" for i in range(len(texts))}, 60, worker)
        deadline = time.monotonic() + 30
        while not (dead := read_all(bootstrap, topics.dlq)):
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.5)
        assert worker.process.poll() is None, "the worker survives a record bigger than its ring"
        assert worker.metric("grump_dead_letters_total") == 1
    finally:
        assert worker.terminate() == 0, worker.log()
    (letter,) = dead
    headers = dict(letter.headers)
    assert letter.value == big[1] and letter.key == big[0]
    assert headers["grump-error-code"] == b"record_too_large"
    assert b"raise --ring-bytes" in headers["grump-error-message"]
    assert headers["grump-source-topic"] == topics.input.encode()
    assert int(headers["grump-source-offset"]) >= 0 and int(headers["grump-source-partition"]) >= 0


def test_a_dead_letter_flood_stops_the_worker_before_it_empties_the_topic(
    bootstrap: str, tmp_path: Path
) -> None:
    """With --dlq-max-ratio 0.5, a topic of malformed records stops the worker (exit 1) with
    a clear reason, and not every record was moved to the DLQ."""
    topics = make_topics(bootstrap, _prefix("flood"))
    bad = [(b"k%d" % i, b'{"v":1,"text":') for i in range(2_000)]
    produce(bootstrap, topics.input, bad)
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--dlq-max-ratio", "0.5",
                           "--batch-size", "50")  # fmt: skip
    try:
        code = worker.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        raise AssertionError(f"the worker kept going\n{worker.log()}") from None
    assert code == 1, worker.log()
    assert "were dead-lettered (limit 50%" in worker.log()
    dead = read_all(bootstrap, topics.dlq)
    assert len(dead) < len(bad)
    # The group's commit never passes a record whose dead letter was not produced: the
    # tripping batch (and everything after it) stays uncommitted, to be read again.
    sent: dict[int, set[int]] = {}
    for letter in dead:
        headers = dict(letter.headers)
        sent.setdefault(int(headers["grump-source-partition"]), set()).add(
            int(headers["grump-source-offset"]))  # fmt: skip
    positions = committed(bootstrap, topics.group, topics.input, 4)
    for partition, position in positions.items():
        assert set(range(position or 0)) <= sent.get(partition, set()), (partition, position)
    assert sum(position or 0 for position in positions.values()) < len(bad)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _assignments(log_text: str) -> list[list[int]]:
    return [orjson.loads(line.rsplit(": ", 1)[1]) for line in log_text.splitlines()
            if "assigned" in line and "partitions: [" in line]  # fmt: skip


def test_two_replicas_split_partitions_and_take_over(bootstrap: str, tmp_path: Path) -> None:
    topics = make_topics(bootstrap, _prefix("pair"))
    texts = generate_intents(2_000, seed=17)
    first_half = [request(i, t) for i, t in enumerate(texts[:1000])]
    second_half = [request(i + 1000, t) for i, t in enumerate(texts[1000:])]
    a = WorkerProcess(bootstrap, topics, tmp_path / "a.log")
    a.wait_ready()
    b = WorkerProcess(bootstrap, topics, tmp_path / "b.log")
    try:
        deadline = time.monotonic() + 60
        while not (_assignments(b.log()) and len(_assignments(a.log())[-1]) == 2):
            assert time.monotonic() < deadline, a.log() + b.log()
            time.sleep(0.2)
        split = _assignments(a.log())[-1], _assignments(b.log())[-1]
        assert sorted(split[0] + split[1]) == [0, 1, 2, 3], split
        produce(bootstrap, topics.input, first_half)
        wait_for_ids(bootstrap, topics.output, {f"r{i}" for i in range(1000)}, 60, None)
        assert a.metric("grump_results_produced_total") > 0
        assert b.metric("grump_results_produced_total") > 0
        assert b.terminate() == 0, b.log()
        while len(_assignments(a.log())[-1]) != 4:
            assert time.monotonic() < deadline + 30, a.log()
            time.sleep(0.2)
        produce(bootstrap, topics.input, second_half)
        wanted = {f"r{i}" for i in range(len(texts))}
        wait_for_ids(bootstrap, topics.output, wanted, timeout_s=60, worker=None)
    finally:
        if b.process.poll() is None:
            b.terminate()
        assert a.terminate() == 0, a.log()


def test_a_worker_started_before_its_broker_connects_once_it_is_up(tmp_path: Path) -> None:
    from worker._broker import LocalBroker, free_loopback_port

    port = free_loopback_port()
    bootstrap = f"127.0.0.1:{port}"
    worker = None
    with LocalBroker(port=port) as broker:
        topics = make_topics(broker.bootstrap, _prefix("late"))
        broker.stop()  # the broker goes away; the worker starts against nothing
        worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log")
        time.sleep(3)
        assert worker.process.poll() is None, "still retrying, not crashed"
        broker.start()
        topics = make_topics(broker.bootstrap, topics.input.removesuffix(".in"))
        try:
            produce(broker.bootstrap, topics.input, [request(0, "a todo app with login")])
            wait_for_ids(broker.bootstrap, topics.output, {"r0"}, timeout_s=60, worker=worker)
            assert "retrying" in worker.log()
        finally:
            assert worker.terminate() == 0, worker.log()


def test_an_unusable_backend_stops_the_worker_with_an_error(bootstrap: str, tmp_path: Path) -> None:
    if kernels.gpu_available():
        pytest.skip("this machine has a GPU")
    topics = make_topics(bootstrap, _prefix("nogpu"))
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log", "--backend", "gpu")
    assert worker.process.wait(timeout=90) == 1
    assert "drain processes died 3 times right after starting" in worker.log()
