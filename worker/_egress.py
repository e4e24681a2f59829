"""Egress: framed results from the output ring → Kafka, acks → Delivery (protocol steps 6-7).

Results go to the output topic with the input's key and the headers `content-type`,
`grump-schema-version`, `grump-intent-id`; dead letters go to the DLQ topic with the
original bytes and `DeadLetter.headers()`. A batch the broker fails is sent again or stops
the worker (see `_produce_errors`); its offsets stay unacked (so uncommitted) meanwhile.
Resends are queued and sent by `pump` itself: no task runs that nobody awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
from aiokafka import AIOKafkaProducer

from ringbuffer import Claim, Ring
from schemas import SCHEMA_VERSION, DeadLetter

from . import _framing as f
from ._delivery import Delivery
from ._dlq_limit import DeadLetterLimit
from ._kafka import (
    PartitionChooser,
    Row,
    prebuilt_batch_limit,
    send_partition,
    send_prebuilt,
    topic_partitions,
)
from ._metrics import Metrics, observe_many
from ._produce_errors import ProduceFailed, RetryPolicy, give_up, is_retriable
from ._record_batch import RecordColumns, header_prefix

log = logging.getLogger(__name__)

# An idle egress sleeps on the output ring's futex in a thread, this long per wait; a drain's
# push wakes it at once. (Polling every 2 ms cost an idle parent ~5 % of a core.) A resend
# not yet due waits up to this long more; a stopping worker, after it left the group.
_IDLE_WAIT_S = 0.5
_CLAIM_RECORDS, _CLAIM_BYTES = 8192, 4 << 20
_SCHEMA_VERSION = str(SCHEMA_VERSION).encode()
_CONTENT_HEADER = {
    f.CONTENT_JSON: b"application/json",
    f.CONTENT_MSGPACK: b"application/msgpack",
}
# built once: every result shares these header tuples
_CONTENT_TYPE = {code: ("content-type", value) for code, value in _CONTENT_HEADER.items()}
_VERSION_HEADER = ("grump-schema-version", _SCHEMA_VERSION)
_ID_HEADER = "grump-intent-id"
# the same headers encoded for compiled record batches: per content code, the headers
# every result shares, then the intent id's key (its value is each result's own)
_PREFIXES = [
    header_prefix([_CONTENT_TYPE[code], _VERSION_HEADER], _ID_HEADER) if code in _CONTENT_TYPE
    else b"" for code in range(max(_CONTENT_TYPE) + 1)
]  # fmt: skip
_PREFIX_BYTES = np.frombuffer(b"".join(_PREFIXES), np.uint8)
_PREFIX_LEN = np.array([len(p) for p in _PREFIXES], np.int64)
_PREFIX_START = np.concatenate([[0], np.cumsum(_PREFIX_LEN)[:-1]]).astype(np.int64)


def result_spans(out: f.OutColumns, picked: np.ndarray) -> tuple[np.ndarray, ...]:
    """Where each picked result's key (length -1: none), intent id and value start in
    `out`'s bytes: (key starts, key lengths, id starts, value starts)."""
    key_starts, key_lens = out.key_starts()[picked], out.key_len[picked]
    id_starts = key_starts + np.maximum(key_lens, 0)
    return key_starts, key_lens, id_starts, id_starts + out.aux_len[picked]


def result_columns(out: f.OutColumns, picked: np.ndarray) -> RecordColumns:
    """The picked results as spans of `out`'s bytes, with their headers' encoded prefix."""
    key_starts, key_lens, id_starts, value_starts = result_spans(out, picked)
    content = out.content[picked]
    if len(content) and (content.max() >= len(_PREFIX_LEN) or not _PREFIX_LEN[content].all()):
        codes = sorted(set(content.tolist()))
        raise ValueError(f"a result frame has no known content type: codes {codes}")
    return RecordColumns(out.buffer, key_starts, key_lens.astype(np.int64), value_starts,
                         out.ends[picked] - value_starts, id_starts, value_starts - id_starts,
                         _PREFIX_BYTES, _PREFIX_START[content], _PREFIX_LEN[content])  # fmt: skip


class Egress:
    def __init__(
        self,
        producer: AIOKafkaProducer,
        ring: Ring,
        delivery: Delivery,
        metrics: Metrics,
        topics: tuple[str, str, str],
        max_inflight_records: int = 50_000,
        dead_letter_limit: DeadLetterLimit | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.producer = producer
        self.ring = ring
        self.delivery = delivery
        self.metrics = metrics
        self.input_topic, self.output_topic, self.dlq_topic = topics
        self.max_inflight_records = max_inflight_records
        self.dead_letter_limit = dead_letter_limit or DeadLetterLimit()
        self.chooser = PartitionChooser()
        self.inflight: set[asyncio.Future[Any]] = set()
        self.inflight_records = 0
        self.warm_drains = 0  # drain (re)starts that finished warming their backend
        self.warm_pids: set[int] = set()  # drain processes that did (a restart has a new pid)
        self.warm_times: dict[int, tuple[float, float]] = {}  # pid: (imports s, warm-up s)
        self._kernel_seconds: dict[str, Any] = {}
        self.gpu_busy_seconds: dict[str, float] = {}  # per device: copies + kernels
        self._busy_at_last_update: dict[str, float] = {}
        self._utilization_since = time.monotonic()
        self.retry_policy = retry_policy or RetryPolicy()
        self._resends: list[tuple[float, int, f.OutColumns]] = []  # (due, attempt, frames)
        self.failure: ProduceFailed | None = None  # set once: `pump` raises it from then on

    @functools.cached_property
    def batch_limit(self) -> int | None:
        """Results go as compiled record batches of at most this many bytes, where the
        producer takes them (None: through its builder)."""
        return prebuilt_batch_limit(self.producer)

    async def run(self) -> None:
        while True:
            await self.pump(wait_s=_IDLE_WAIT_S)

    def busy(self) -> bool:
        """Sends awaiting their ack, or failed ones waiting to be sent again."""
        return bool(self.inflight or self._resends)

    async def pump(self, wait_s: float = 0.0) -> bool:
        """Send due resends and one claim of the output ring; False when there was nothing
        to do (after waiting up to `wait_s` for a drain to push, in a thread). Raises
        ProduceFailed once a batch failed for good."""
        if self.failure is not None:
            raise self.failure
        resent = await self._resend_due()
        claim = self.ring.claim_batch(_CLAIM_RECORDS, _CLAIM_BYTES, timeout=0)
        if claim is None and wait_s > 0 and not resent:
            claim = await self._claim_waiting(wait_s)
        if claim is None:
            return resent
        try:
            outgoing = self._unframe(claim)
        finally:
            self.ring.release(claim)  # unframing copied every byte out of the ring
        if len(outgoing):
            await self._send(outgoing)
        while self.inflight_records > self.max_inflight_records and self.inflight:
            await asyncio.wait(self.inflight, return_when=asyncio.FIRST_COMPLETED)
        return True

    async def _claim_waiting(self, wait_s: float) -> Claim | None:
        waiting = asyncio.ensure_future(
            asyncio.to_thread(self.ring.claim_batch, _CLAIM_RECORDS, _CLAIM_BYTES, wait_s)
        )
        try:
            return await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread still uses the ring (at most wait_s more): let it finish before the
            # ring can be closed, and give back what it claimed. Those results are never
            # acked, so their inputs stay uncommitted and are read again.
            with contextlib.suppress(Exception):
                claim = await waiting
                if claim is not None:
                    self.ring.release(claim)
            raise

    async def send_dead_letters(self, frames: list[bytes]) -> None:
        """Dead-letter frames built outside the drains (records too large for the ring)."""
        data, offsets = f.pack_frames(frames, [len(frame) for frame in frames])
        await self._send(f.OutColumns(data, offsets[:-1], offsets[1:]))

    def _unframe(self, claim: Claim) -> f.OutColumns:
        """Results and dead letters of a claim (copied out of the ring in one piece);
        drains' STATS and WARM frames update metrics here."""
        frames = f.OutColumns.of_claim(claim.buffer, claim.offsets)
        control = np.flatnonzero(frames.kind > f.DEAD)
        if not len(control):
            return frames
        for frame in f.iter_out_frames(frames.frames(control)):
            if frame.kind == f.STATS:
                self._record_stats(frame)
                continue
            if frame.kind == f.WARM:
                self.warm_drains += 1
                self.warm_pids.add(frame.partition)
                self.warm_times[frame.partition] = (frame.timestamp / 1e3, frame.offset / 1e9)
                self.metrics.jit_compile_seconds.set(frame.offset / 1e9)
                continue
        return frames.take(np.flatnonzero(frames.kind <= f.DEAD))

    def _record_stats(self, frame: f.OutFrame) -> None:
        details = orjson.loads(frame.aux)
        backend = details["backend"]
        histogram = self._kernel_seconds.get(backend)
        if histogram is None:
            histogram = self._kernel_seconds[backend] = self.metrics.kernel_seconds.labels(backend)
        histogram.observe(frame.offset / 1e9)
        self.metrics.batch_size_records.observe(frame.partition)
        self.metrics.drain_batches.labels(str(details.get("drain", 0))).inc()
        if "kernel_s" in details:
            self._record_gpu(details)

    def _record_gpu(self, details: dict[str, Any]) -> None:
        device = str(details["device"])
        m = self.metrics
        for stage in ("h2d", "kernel", "d2h"):
            m.gpu_seconds.labels(device, stage).inc(details[f"{stage}_s"])
        m.gpu_transfer_bytes.labels(device, "h2d").inc(details["h2d_bytes"])
        m.gpu_transfer_bytes.labels(device, "d2h").inc(details["d2h_bytes"])
        m.gpu_memory_used_bytes.labels(device).set(details["memory_bytes"])
        busy = details["h2d_s"] + details["kernel_s"] + details["d2h_s"]
        self.gpu_busy_seconds[device] = self.gpu_busy_seconds.get(device, 0.0) + busy

    def update_gpu_utilization(self) -> None:
        """Busy share per device since the last call (called by the housekeeping loop)."""
        now = time.monotonic()
        elapsed = now - self._utilization_since
        if elapsed <= 0:
            return
        for device, busy in self.gpu_busy_seconds.items():
            share = (busy - self._busy_at_last_update.get(device, 0.0)) / elapsed
            self.metrics.gpu_utilization_ratio.labels(device).set(min(1.0, share))
        self._busy_at_last_update = dict(self.gpu_busy_seconds)
        self._utilization_since = now

    async def _send(self, out: f.OutColumns) -> None:
        """First send of `out`: count its dead letters against the limit, then produce it."""
        self.dead_letter_limit.check(out.partition, out.kind == f.DEAD)  # raises: nothing sent
        await self._produce(out, attempt=1)

    async def _produce(self, out: f.OutColumns, attempt: int) -> None:
        """Queue results to the output topic and dead letters to the DLQ, partitioned by key
        (murmur2, as aiokafka), per-partition batches in record order."""
        dead = out.kind == f.DEAD
        if not dead.all():
            results = out if not dead.any() else out.take(np.flatnonzero(~dead))
            send = self._send_results if self.batch_limit else self._send_rows(self._result_rows)
            await self._send_topic(results, self.output_topic, send, attempt)
        if dead.any():
            await self._send_topic(out.take(np.flatnonzero(dead)), self.dlq_topic,
                                   self._send_rows(self._dead_rows), attempt)  # fmt: skip

    async def _resend_due(self) -> bool:
        """Send again the failed batches whose backoff has passed; True if any."""
        if not self._resends:
            return False
        now = time.monotonic()
        due = [entry for entry in self._resends if entry[0] <= now]
        if not due:
            return False
        self._resends = [entry for entry in self._resends if entry[0] > now]
        for _due, attempt, out in due:
            await self._produce(out, attempt)
        return True

    async def _send_topic(self, out: f.OutColumns, topic: str, send: Any, attempt: int) -> None:
        """Queue `out` to `topic`, one partition at a time; `send(topic, partition, out,
        picked)` queues the picked records' batches."""
        partitions = await topic_partitions(self.producer, topic)
        chosen = self.chooser.choose_many(topic, out.buffer, out.key_starts(), out.key_len,
                                          partitions)  # fmt: skip
        order = np.argsort(chosen, kind="stable")  # stable: record order within a partition
        for group in np.split(order, np.flatnonzero(np.diff(chosen[order])) + 1):
            first = 0
            batches = await send(topic, int(chosen[group[0]]), out, group)
            for count, future in batches:
                picked, first = group[first : first + count], first + count
                self.inflight.add(future)
                self.inflight_records += count
                future.add_done_callback(functools.partial(self._on_ack, out, picked, attempt))

    def _send_rows(self, rows: Any) -> Any:
        """A sender through aiokafka's batch builder, one (key, value, headers) row at a time."""

        async def send(topic: str, partition: int, out: f.OutColumns, picked: np.ndarray) -> Any:
            return await send_partition(self.producer, topic, partition, rows(out, picked))

        return send

    async def _send_results(
        self, topic: str, partition: int, out: f.OutColumns, picked: np.ndarray
    ) -> list[tuple[int, asyncio.Future[Any]]]:
        """Results as record batches written by compiled code (the headers of
        `_result_rows`, the same bytes aiokafka's builder would write)."""
        batches = result_columns(out, picked).batches(self.batch_limit or 0)
        return await send_prebuilt(self.producer, topic, partition, batches)

    def _result_rows(self, out: f.OutColumns, picked: np.ndarray) -> Iterator[Row]:
        """(key, value, headers) per result; key and value are views of `out.data`."""
        key_starts, key_lens, key_ends, aux_ends = result_spans(out, picked)
        view, data = memoryview(out.data), out.data
        columns = (key_starts.tolist(), key_ends.tolist(), aux_ends.tolist(),
                   out.ends[picked].tolist(), (key_lens >= 0).tolist(),
                   out.content[picked].tolist())  # fmt: skip
        for key_start, key_end, aux_end, end, keyed, content in zip(*columns, strict=True):
            yield (view[key_start:key_end] if keyed else None, view[aux_end:end],
                   [_CONTENT_TYPE[content], _VERSION_HEADER,
                    (_ID_HEADER, data[key_end:aux_end])])  # fmt: skip

    def _dead_rows(self, out: f.OutColumns, picked: np.ndarray) -> Iterator[Row]:
        """The original bytes with `DeadLetter.headers()`: rare, so per-frame objects."""
        for frame in f.iter_out_frames(out.frames(picked)):
            code, stage, message = f.split_dead_aux(frame.aux)
            letter = DeadLetter(frame.value, code, message, stage, self.input_topic,
                                frame.partition, frame.offset)  # fmt: skip
            yield frame.key, frame.value, letter.headers()

    def _on_ack(
        self, out: f.OutColumns, picked: np.ndarray, attempt: int, future: asyncio.Future[Any]
    ) -> None:
        self.inflight.discard(future)
        self.inflight_records -= len(picked)
        if future.cancelled() or future.exception() is not None:
            self._failed(
                out.take(picked), attempt, None if future.cancelled() else future.exception()
            )
            return
        self.delivery.ack(out.partition[picked], out.offset[picked])
        dead = picked[out.kind[picked] == f.DEAD]
        if len(dead):
            codes = Counter(f.split_dead_aux(frame.aux)[0]
                            for frame in f.iter_out_frames(out.frames(dead)))  # fmt: skip
            for code, count in codes.items():
                self.metrics.dead_letters.labels(code).inc(count)
        self.metrics.results_produced.inc(len(picked) - len(dead))
        # Every record's input timestamp → this ack, counted per bucket in one call (one
        # sample per batch, its oldest record, read as the batch's worst case, not a p50).
        waited = time.time() - out.timestamp[picked] / 1000
        observe_many(self.metrics.latency_seconds, np.maximum(waited, 0.0))

    def _failed(self, batch: f.OutColumns, attempt: int, error: BaseException | None) -> None:
        """Queue the batch for `pump` to send again after a backoff, or record why the worker
        must stop; its offsets stay unacked (so uncommitted) either way."""
        topic = self.dlq_topic if int(batch.kind[0]) == f.DEAD else self.output_topic
        if is_retriable(error) and attempt < self.retry_policy.max_attempts:
            backoff_s = self.retry_policy.backoff_s(attempt)
            log.warning("produce of %d records to %s failed (%r); sending again in %.1f s "
                        "(send %d of at most %d)", len(batch), topic, error, backoff_s,
                        attempt + 1, self.retry_policy.max_attempts)  # fmt: skip
            self._resends.append((time.monotonic() + backoff_s, attempt + 1, batch))
        elif self.failure is None:
            self.failure = give_up(error, len(batch), attempt, topic)
            log.error("%s", self.failure)
