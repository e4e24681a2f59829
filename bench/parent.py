"""The worker parent's per-record CPU cost, without drains, against a real local broker.

    python -m bench.parent [--records N] [--partitions P] [--repeat R] [--compression CODEC]
                           [--json]

The parent (one asyncio loop) does all Kafka I/O, so on a many-core box it is the serial
part. Stages, each in CPU-µs per record (`time.process_time` of this process; the broker
is another process):

- `consume`  (baseline) `getmany` of the input records: aiokafka's own cost;
- `produce`  (baseline) fixed results to the input's partition, no headers, through
  aiokafka's batch API (`create_batch/append/send_batch`), awaiting the acks;
- `ingest`   the worker's input side: fetch rounds as input frames (`fetch_frames`:
  aiokafka's fetch, the batches framed by compiled code), then `Ingest._push_fetched`
  (track offsets, push into a real input ring); compare with `consume` alone;
- `egress`   `Egress.pump` until the output ring is empty, then every ack: unframe,
  partition by key (murmur2), per-partition batches to the broker, acks → `Delivery.ack`
  and metrics. Every `--dead-every`-th record is a dead letter to the DLQ topic.

Frames for egress are built and pushed outside the timed sections (drains do that).
Each figure is the median of `--repeat` runs (min in the JSON too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import numpy as np
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench._machine import commit as machine_commit
from ringbuffer import Ring
from schemas import JSON
from worker import _framing as f
from worker._broker import LocalBroker, create_topics
from worker._delivery import Delivery
from worker._egress import Egress
from worker._fetch_frames import fetch_frames, keep_fetched_bytes
from worker._ingest import Ingest
from worker._kafka import OutRecord, send_records, start_producer
from worker._metrics import Metrics
from worker._startup import warm_parent_jit

INPUT, OUTPUT, DLQ = "bench-in", "bench-out", "bench-out.dlq"
CHUNK = 20_000  # output frames pushed per egress round: bounds the ring and memory


def _cpu_us_per_record(cpu_s: float, records: int) -> float:
    return cpu_s / records * 1e6


async def _timed(step: Callable[[], Awaitable[object]]) -> float:
    started = time.process_time()
    await step()
    return time.process_time() - started


async def produce_inputs(
    bootstrap: str, count: int, partitions: int, compression: str | None = None
) -> None:
    producer = await start_producer(bootstrap, idempotence="off", compression_type=compression)
    try:
        header = [("content-type", JSON.encode())]
        for first in range(0, count, CHUNK):
            records: list[OutRecord] = [
                (INPUT, i % partitions, b"%d" % i,
                 orjson.dumps({"v": 1, "id": str(i), "text": "build a react app with login"}),
                 header)
                for i in range(first, min(first + CHUNK, count))
            ]  # fmt: skip
            await asyncio.gather(*(b.future for b in await send_records(producer, records)))
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def _input_reader(bootstrap: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A group-less consumer of every input partition, from the beginning."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(INPUT, p) for p in sorted(consumer.partitions_for_topic(INPUT))]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        yield consumer
    finally:
        await consumer.stop()


async def fetch_inputs(bootstrap: str, count: int) -> tuple[list[dict], float]:
    """Every input record as `getmany` hands them out, and the CPU seconds that took."""
    async with _input_reader(bootstrap) as consumer:
        batches: list[dict] = []
        got, cpu_s = 0, 0.0
        while got < count:
            started = time.process_time()
            fetched = await consumer.getmany(timeout_ms=500, max_records=10_000)
            cpu_s += time.process_time() - started
            batches.append(fetched)
            got += sum(len(rs) for rs in fetched.values())
        return batches, cpu_s


def _ring(records: int, arena_bytes: int) -> Ring:
    capacity = 1 << max(6, records.bit_length())
    arena = 1 << max(12, arena_bytes.bit_length())
    return Ring.create(None, capacity_records=capacity, arena_bytes=arena,
                       max_record_bytes=1 << 20)  # fmt: skip


async def bench_ingest(bootstrap: str, count: int) -> float:
    """Fetch rounds as the worker takes them, framed, and pushed: CPU seconds of both."""
    keep_fetched_bytes()
    delivery = Delivery(INPUT, Metrics())
    async with _input_reader(bootstrap) as consumer:
        delivery.assigned = set(consumer.assignment())
        with _ring(count, count * 256) as ring:
            ingest = Ingest(consumer, ring, delivery, Metrics(), max_unacked=count,
                            send_dead_letters=_no_dead_letters)  # fmt: skip

            async def run() -> None:
                got = 0
                while got < count:
                    fetched = await fetch_frames(consumer, max_wait_ms=500, max_records=10_000,
                                                 frame_limit=ingest.max_frame_bytes)  # fmt: skip
                    await ingest._push_fetched(fetched)
                    got += sum(len(frames.offsets) for frames in fetched.values())

            return await _timed(run)


def output_frames(batches: list[dict], result: bytes, dead_every: int) -> list[bytes]:
    """What drains would push: a result per input, every `dead_every`-th a dead letter."""
    frames: list[bytes] = []
    for batch in batches:
        for tp, records in batch.items():
            for r in records:
                source = f.InRecord(tp.partition, r.offset, r.timestamp, r.key, 1, r.value)
                if dead_every and r.offset % dead_every == dead_every - 1:
                    aux = f.dead_aux("text_empty", "validate", "text is empty")
                    frames.append(f.out_frame(f.DEAD, source, aux, f.CONTENT_NONE, r.value))
                else:
                    aux = str(r.offset).encode()
                    frames.append(f.out_frame(f.RESULT, source, aux, f.CONTENT_JSON, result))
    return frames


async def bench_egress(bootstrap: str, batches: list[dict], frames: list[bytes]) -> float:
    delivery = Delivery(INPUT, Metrics())
    for batch in batches:
        for tp, records in batch.items():
            delivery.assigned.add(tp)
            delivery.track(tp, np.asarray([r.offset for r in records], np.int64))
    producer = await start_producer(bootstrap, idempotence="off")
    cpu_s = 0.0
    try:
        with _ring(CHUNK, CHUNK * 2048) as ring:
            egress = Egress(producer, ring, delivery, Metrics(), (INPUT, OUTPUT, DLQ))
            for first in range(0, len(frames), CHUNK):
                data, offsets = f.pack_frames(chunk := frames[first : first + CHUNK],
                                              [len(x) for x in chunk])  # fmt: skip
                ring.push_many(data, offsets)  # the drains' work: not timed
                cpu_s += await _timed(_pump_all(egress))
            cpu_s += await _timed(_settle(egress))
    finally:
        await producer.stop()
    if delivery.pending():
        raise RuntimeError(f"{delivery.pending()} records never acked")
    return cpu_s


def _pump_all(egress: Egress) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        while await egress.pump():
            pass

    return run


def _settle(egress: Egress) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        while egress.inflight:
            await asyncio.wait(set(egress.inflight))

    return run


async def bench_produce(bootstrap: str, batches: list[dict], result: bytes) -> float:
    """Baseline: aiokafka's batch API alone, results to the input's partition, no headers."""
    producer = await start_producer(bootstrap, idempotence="off")
    try:

        async def run() -> None:
            futures = []
            for batch in batches:
                for tp, records in batch.items():
                    futures += await _produce_plain(producer, tp.partition, records, result)
            await asyncio.gather(*futures)

        return await _timed(run)
    finally:
        await producer.stop()


async def _produce_plain(producer: Any, partition: int, records: list, result: bytes) -> list:
    futures, batch = [], producer.create_batch()
    for r in records:
        if batch.append(key=r.key, value=result, timestamp=None, headers=[]) is None:
            futures.append(await producer.send_batch(batch, OUTPUT, partition=partition))
            batch = producer.create_batch()
            batch.append(key=r.key, value=result, timestamp=None, headers=[])
    futures.append(await producer.send_batch(batch, OUTPUT, partition=partition))
    return futures


async def run_all(bootstrap: str, args: argparse.Namespace) -> dict[str, list[float]]:
    await create_topics(bootstrap, {INPUT: args.partitions, OUTPUT: args.partitions, DLQ: 1})
    await produce_inputs(bootstrap, args.records, args.partitions, args.compression)
    result = b'{"v":1,"plan":"' + b"x" * max(0, args.result_bytes - 17) + b'"}'
    warm_parent_jit()  # as the worker does before it joins: no compile inside a timed stage
    figures: dict[str, list[float]] = {"consume": [], "produce": [], "ingest": [], "egress": []}
    for _ in range(args.repeat):
        batches, consume_s = await fetch_inputs(bootstrap, args.records)
        figures["consume"].append(consume_s)
        figures["ingest"].append(await bench_ingest(bootstrap, args.records))
        frames = output_frames(batches, result, args.dead_every)
        figures["egress"].append(await bench_egress(bootstrap, batches, frames))
        figures["produce"].append(await bench_produce(bootstrap, batches, result))
    return {k: [_cpu_us_per_record(s, args.records) for s in v] for k, v in figures.items()}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--result-bytes", type=int, default=1024)
    parser.add_argument("--dead-every", type=int, default=100, help="0: no dead letters")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--compression",
        choices=["gzip", "snappy", "lz4", "zstd"],
        help="inputs produced compressed",
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per stage")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    args = parse_args(argv)
    with LocalBroker() as broker:
        figures = asyncio.run(run_all(broker.bootstrap, args))
    commit = machine_commit()
    if not args.json:
        print(f"{'stage':<8} {'median µs/rec':>14} {'min µs/rec':>11}   ({args.records} records)")
    for stage, values in figures.items():
        median, best = statistics.median(values), min(values)
        if args.json:
            row = {"name": f"parent.{stage}", "value": round(median, 3), "min": round(best, 3),
                   "unit": "cpu_us_per_record", "batch": args.records, "device": "cpu",
                   "commit": commit}  # fmt: skip
            print(json.dumps(row))
        else:
            print(f"{stage:<8} {median:>14.2f} {best:>11.2f}")
    return figures


async def _no_dead_letters(frames: list[bytes]) -> None:
    raise AssertionError(f"{len(frames)} bench records did not fit the ring")


if __name__ == "__main__":
    main()
