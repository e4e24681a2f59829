"""Egress: framed results from the output ring → Kafka, acks → Delivery (protocol steps 6-7).

Results go to the output topic with the input's key and the headers `content-type`,
`grump-schema-version`, `grump-intent-id`; dead letters go to the DLQ topic with the
original bytes and `DeadLetter.headers()`. A batch the broker fails is sent again: its
offsets stay unacked (so uncommitted) until it succeeds.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import Counter
from typing import Any

import numpy as np
from aiokafka import AIOKafkaProducer

from ringbuffer import Claim, Ring
from schemas import SCHEMA_VERSION, DeadLetter

from . import _framing as f
from ._delivery import Delivery
from ._kafka import OutRecord, PartitionChooser, send_records
from ._metrics import Metrics

log = logging.getLogger(__name__)

_IDLE_S = 0.002
_RESEND_BACKOFF_S = 0.5
_SCHEMA_VERSION = str(SCHEMA_VERSION).encode()
_CONTENT_HEADER = {
    f.CONTENT_JSON: b"application/json",
    f.CONTENT_MSGPACK: b"application/msgpack",
}


class _Outgoing:
    """One claim's records in Kafka form, with the input (partition, offset, ts) of each."""

    __slots__ = ("records", "partitions", "offsets", "timestamps", "dead_codes")

    def __init__(self) -> None:
        self.records: list[OutRecord] = []
        self.partitions: list[int] = []
        self.offsets: list[int] = []
        self.timestamps: list[int] = []
        self.dead_codes: dict[int, str] = {}  # record index -> error code


class Egress:
    def __init__(
        self,
        producer: AIOKafkaProducer,
        ring: Ring,
        delivery: Delivery,
        metrics: Metrics,
        topics: tuple[str, str, str],
        max_inflight_records: int = 50_000,
    ) -> None:
        self.producer = producer
        self.ring = ring
        self.delivery = delivery
        self.metrics = metrics
        self.input_topic, self.output_topic, self.dlq_topic = topics
        self.max_inflight_records = max_inflight_records
        self.chooser = PartitionChooser()
        self.inflight: set[asyncio.Future[Any]] = set()
        self.inflight_records = 0
        self.warm_drains = 0  # drain (re)starts that finished warming their backend
        self._kernel_seconds: dict[str, Any] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        while True:
            if not await self.pump():
                await asyncio.sleep(_IDLE_S)

    async def pump(self) -> bool:
        """Send one claim of the output ring; False when the ring was empty."""
        claim = self.ring.claim_batch(8192, 4 << 20, timeout=0)
        if claim is None:
            return False
        try:
            outgoing = self._unframe(claim)
        finally:
            self.ring.release(claim)  # unframing copied every byte out of the ring
        if outgoing.records:
            await self._send(outgoing)
        while self.inflight_records > self.max_inflight_records and self.inflight:
            await asyncio.wait(self.inflight, return_when=asyncio.FIRST_COMPLETED)
        return True

    def _unframe(self, claim: Claim) -> _Outgoing:
        out = _Outgoing()
        for frame in f.iter_out_frames(claim.records()):
            if frame.kind == f.STATS:
                self._record_stats(frame)
                continue
            if frame.kind == f.WARM:
                self.warm_drains += 1
                self.metrics.jit_compile_seconds.set(frame.offset / 1e9)
                continue
            if frame.kind == f.RESULT:
                headers = [("content-type", _CONTENT_HEADER[frame.content]),
                           ("grump-schema-version", _SCHEMA_VERSION),
                           ("grump-intent-id", frame.aux)]  # fmt: skip
                out.records.append((self.output_topic, None, frame.key, frame.value, headers))
            else:
                code, stage, message = f.split_dead_aux(frame.aux)
                letter = DeadLetter(frame.value, code, message, stage, self.input_topic,
                                    frame.partition, frame.offset)  # fmt: skip
                out.dead_codes[len(out.records)] = code
                out.records.append((self.dlq_topic, None, frame.key, frame.value, letter.headers()))
            out.partitions.append(frame.partition)
            out.offsets.append(frame.offset)
            out.timestamps.append(frame.timestamp)
        return out

    def _record_stats(self, frame: f.OutFrame) -> None:
        backend = frame.aux.decode()
        histogram = self._kernel_seconds.get(backend)
        if histogram is None:
            histogram = self._kernel_seconds[backend] = self.metrics.kernel_seconds.labels(backend)
        histogram.observe(frame.offset / 1e9)
        self.metrics.batch_size_records.observe(frame.partition)

    async def _send(self, out: _Outgoing) -> None:
        partitions = np.asarray(out.partitions, np.int64)
        offsets = np.asarray(out.offsets, np.int64)
        stamps = np.asarray(out.timestamps, np.int64)
        for sent in await send_records(self.producer, out.records, self.chooser):
            picked = np.asarray(sent.indices)
            codes = Counter(out.dead_codes[i] for i in sent.indices if i in out.dead_codes)
            records = [out.records[i] for i in sent.indices]
            done = functools.partial(
                self._on_ack, records, partitions[picked], offsets[picked], stamps[picked], codes
            )
            self.inflight.add(sent.future)
            self.inflight_records += len(picked)
            sent.future.add_done_callback(done)

    def _on_ack(
        self,
        records: list[OutRecord],
        partitions: np.ndarray,
        offsets: np.ndarray,
        stamps: np.ndarray,
        codes: Counter[str],
        future: asyncio.Future[Any],
    ) -> None:
        self.inflight.discard(future)
        self.inflight_records -= len(offsets)
        if future.cancelled() or future.exception() is not None:
            error = "cancelled" if future.cancelled() else repr(future.exception())
            log.warning("produce of %d records failed (%s); sending again", len(records), error)
            self._resend(records, partitions, offsets, stamps, codes)
            return
        self.delivery.ack(partitions, offsets)
        dead = sum(codes.values())
        if dead:
            for code, count in codes.items():
                self.metrics.dead_letters.labels(code).inc(count)
        self.metrics.results_produced.inc(len(offsets) - dead)
        # One sample per acked batch (its oldest record): no per-record metric calls.
        self.metrics.latency_seconds.observe(max(0.0, time.time() - int(stamps.min()) / 1000))

    def _resend(self, records: list[OutRecord], *arrays: Any) -> None:
        partitions, offsets, stamps, codes = arrays
        retry = _Outgoing()
        retry.records, retry.timestamps = records, stamps.tolist()
        retry.partitions, retry.offsets = partitions.tolist(), offsets.tolist()
        retry.dead_codes = {}  # counted when the retry is acked
        for index, (topic, _p, _k, _v, headers) in enumerate(records):
            if topic == self.dlq_topic:
                retry.dead_codes[index] = dict(headers).get("grump-error-code", b"").decode()

        async def again() -> None:
            await asyncio.sleep(_RESEND_BACKOFF_S)
            await self._send(retry)

        task = asyncio.get_running_loop().create_task(again())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
