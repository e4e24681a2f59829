"""The aiokafka adapter: every aiokafka (and Tansu) quirk the worker depends on lives here.

Pipeline code sees plain tuples, futures and {TopicPartition: offset} maps.

Tansu 0.6.0 (memory storage) behaviour handled here, each checked against the binary:
- InitProducerId fails (UnknownError): no idempotent producer; `Idempotence.AUTO` falls back.
- JoinGroup is answered only after session_timeout_ms / 2, so every join/rebalance costs that.
- Group generations start at 0, where aiokafka skips LeaveGroup: `stop_consumer` sends it.
- ListOffsets(latest) returns the last batch's base offset + 1, not the high watermark:
  `read_topic` finishes on an empty poll instead of trusting end offsets.
- A Fetch at the log's end is answered when its max wait runs out, not when records arrive
  meanwhile (with records already there it is answered at once), so a record can wait up
  to that long before the worker sees it: the consumer starts at 100 ms (one record every
  137 ms waited 115 ms at the median with aiokafka's default 500 ms, 20 ms at 100 ms) and
  ingest changes it with `set_fetch_wait` (short while records flow, long when idle). On
  Kafka, which answers once data arrives, it only sets how often an idle consumer polls.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaConnectionError,
    KafkaError,
    RebalanceInProgressError,
)
from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.protocol.group import LeaveGroupRequest

from ._murmur import murmur2_many

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]
# (topic, partition or None to let the adapter pick, key, value, headers)
OutRecord = tuple[str, int | None, bytes | None, bytes | None, Headers]
# (key, value, headers) of one record for `send_partition`
Row = tuple[Any, Any, list[tuple[str, bytes]]]
RebalanceCallback = Callable[[set[TopicPartition]], Awaitable[None]]
T = TypeVar("T")

DEFAULT_MAX_BATCH_BYTES = 1 << 20  # one batch per produce request; Tansu accepts 1 MiB
DEFAULT_REQUEST_TIMEOUT_MS = 30_000


class Idempotence(StrEnum):
    AUTO = "auto"  # try idempotence, fall back once with a warning (Tansu memory cannot)
    ON = "on"  # fail fast when the broker cannot hand out a producer id
    OFF = "off"


class IdempotenceUnavailable(RuntimeError):
    """The broker refused InitProducerId, so an idempotent producer cannot start."""


@dataclass(frozen=True, slots=True)
class SentBatch:
    """Records `indices` (positions in the list given to `send_records`) went out as one batch.

    When `future` resolves, the broker has acknowledged every one of them.
    """

    topic: str
    partition: int
    indices: list[int]
    future: asyncio.Future[Any]


async def retry_with_backoff(
    operation: Callable[[], Awaitable[T]],
    *,
    what: str,
    deadline_s: float = 30.0,
    first_backoff_ms: int = 50,
    max_backoff_ms: int = 2_000,
    retry_on: tuple[type[BaseException], ...] = (KafkaConnectionError,),
) -> T:
    """Retry `operation` on transient broker errors with exponential backoff until the deadline."""
    give_up_at = time.monotonic() + deadline_s
    backoff_ms = first_backoff_ms
    for attempt in itertools.count(1):
        try:
            return await operation()
        except retry_on as error:
            if time.monotonic() + backoff_ms / 1000 > give_up_at:
                raise
            log.warning(
                "%s failed (attempt %d, %r); retrying in %d ms", what, attempt, error, backoff_ms
            )
            await asyncio.sleep(backoff_ms / 1000)
            backoff_ms = min(backoff_ms * 2, max_backoff_ms)
    raise AssertionError("unreachable")


# --- producer -------------------------------------------------------------------------------


async def start_producer(
    bootstrap: str,
    *,
    idempotence: Idempotence | str = Idempotence.AUTO,
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
    linger_ms: int = 0,
    connect_deadline_s: float = 30.0,
    **options: Any,
) -> AIOKafkaProducer:
    """A started producer with acks="all"; see `Idempotence` for the fallback policy."""
    mode = Idempotence(idempotence)
    settings: dict[str, Any] = dict(
        bootstrap_servers=bootstrap,
        acks="all",
        max_batch_size=max_batch_bytes,
        max_request_size=max(max_batch_bytes, 1 << 20),
        linger_ms=linger_ms,
        request_timeout_ms=DEFAULT_REQUEST_TIMEOUT_MS,
        **options,
    )
    if mode is not Idempotence.OFF:
        producer = await _start_idempotent(bootstrap, settings, mode, connect_deadline_s)
        if producer is not None:
            return producer
    return await _start(lambda: AIOKafkaProducer(**settings), connect_deadline_s)


async def _start_idempotent(
    bootstrap: str, settings: dict[str, Any], mode: Idempotence, deadline_s: float
) -> AIOKafkaProducer | None:
    """An idempotent producer, or None (after one warning) when `auto` must fall back."""
    sender_log = logging.getLogger("aiokafka.producer.sender")
    sender_log.addFilter(_hide_init_producer_id_error)  # our own warning says it once
    try:
        return await _start(
            lambda: AIOKafkaProducer(enable_idempotence=True, **settings), deadline_s
        )
    except KafkaConnectionError:
        raise  # the broker is unreachable, not lacking idempotence
    except KafkaError as error:
        if mode is Idempotence.ON:
            raise IdempotenceUnavailable(
                f"broker {bootstrap} refused InitProducerId ({error!r}); "
                "use idempotence='auto' or 'off' with this broker"
            ) from error
        log.warning(
            "idempotent producer unavailable on %s (%r): continuing without idempotence, "
            "retries may duplicate records",
            bootstrap,
            error,
        )
        return None
    finally:
        sender_log.removeFilter(_hide_init_producer_id_error)


def _hide_init_producer_id_error(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("Unexpected error during InitProducerIdRequest")


async def _start(factory: Callable[[], AIOKafkaProducer], deadline_s: float) -> AIOKafkaProducer:
    async def attempt() -> AIOKafkaProducer:
        producer = factory()
        try:
            await producer.start()
        except BaseException:
            await producer.stop()  # a failed start still holds sockets and tasks
            raise
        return producer

    return await retry_with_backoff(attempt, what="producer start", deadline_s=deadline_s)


class PartitionChooser:
    """Partition for records without one: murmur2 of the key like aiokafka's
    DefaultPartitioner (and the Java client), round-robin for keyless records."""

    def __init__(self) -> None:
        self._next_keyless: dict[str, int] = {}

    def choose(self, topic: str, key: bytes | None, partitions: Sequence[int]) -> int:
        if key is not None:
            return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]
        turn = self._next_keyless.get(topic, 0)
        self._next_keyless[topic] = turn + 1
        return partitions[turn % len(partitions)]

    def choose_many(
        self, topic: str, buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
        partitions: Sequence[int],
    ) -> np.ndarray:  # fmt: skip
        """`choose` for a batch, in order: key i is `buffer[starts[i]:][:lengths[i]]`,
        length -1 meaning no key. One compiled murmur2 call instead of one per key."""
        count = len(partitions)
        picked = (murmur2_many(buffer, starts, np.maximum(lengths, 0)) & 0x7FFFFFFF) % count
        keyless = np.flatnonzero(lengths < 0)
        if len(keyless):
            turn = self._next_keyless.get(topic, 0)
            self._next_keyless[topic] = turn + len(keyless)
            picked[keyless] = (turn + np.arange(len(keyless))) % count
        return np.asarray(partitions, np.int64)[picked]


async def topic_partitions(producer: AIOKafkaProducer, topic: str) -> list[int]:
    """The topic's partitions, sorted (the order aiokafka's partitioner indexes)."""
    return sorted(await producer.partitions_for(topic))


async def send_records(
    producer: AIOKafkaProducer,
    records: Sequence[OutRecord],
    chooser: PartitionChooser | None = None,
) -> list[SentBatch]:
    """Queue `records` as per-partition batches; await each `SentBatch.future` for acks.

    Record order is kept within a partition. Returns once every batch is queued.
    """
    by_partition = await _group_by_partition(producer, records, chooser or PartitionChooser())
    sent: list[SentBatch] = []
    for (topic, partition), indices in by_partition.items():
        sent.extend(await _send_partition(producer, records, topic, partition, indices))
    return sent


async def _group_by_partition(
    producer: AIOKafkaProducer, records: Sequence[OutRecord], chooser: PartitionChooser
) -> dict[tuple[str, int], list[int]]:
    partitions_by_topic: dict[str, list[int]] = {}
    grouped: dict[tuple[str, int], list[int]] = {}
    for index, (topic, partition, key, _value, _headers) in enumerate(records):
        if partition is None:
            partitions = partitions_by_topic.get(topic)
            if partitions is None:
                partitions = await topic_partitions(producer, topic)
                partitions_by_topic[topic] = partitions
            partition = chooser.choose(topic, key, partitions)
        group = grouped.get((topic, partition))
        if group is None:
            grouped[(topic, partition)] = group = []
        group.append(index)
    return grouped


async def _send_partition(
    producer: AIOKafkaProducer,
    records: Sequence[OutRecord],
    topic: str,
    partition: int,
    indices: list[int],
) -> list[SentBatch]:
    sent: list[SentBatch] = []
    first = 0
    rows = (_row(records[index]) for index in indices)
    for count, future in await send_partition(producer, topic, partition, rows):
        sent.append(SentBatch(topic, partition, indices[first : first + count], future))
        first += count
    return sent


def _row(record: OutRecord) -> Row:
    _topic, _partition, key, value, headers = record
    # aiokafka's C batch builder only takes a list
    return key, value, headers if type(headers) is list else list(headers)


async def send_partition(
    producer: AIOKafkaProducer, topic: str, partition: int, rows: Iterable[Row]
) -> list[tuple[int, asyncio.Future[Any]]]:
    """Queue `rows` to one partition in order, as full batches; (row count, ack future) per
    batch. Keys and values may be any bytes-like object (a memoryview): `append` copies
    them into the batch. Header values must be `bytes`, and headers a list."""
    sent: list[tuple[int, asyncio.Future[Any]]] = []
    batch, count = producer.create_batch(), 0
    for key, value, headers in rows:
        if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
            # Full: ship it; the first record of a fresh batch always fits.
            sent.append((count, await producer.send_batch(batch, topic, partition=partition)))
            batch, count = producer.create_batch(), 0
            batch.append(key=key, value=value, timestamp=None, headers=headers)
        count += 1
    if count:
        sent.append((count, await producer.send_batch(batch, topic, partition=partition)))
    return sent


def prebuilt_batch_limit(producer: AIOKafkaProducer) -> int | None:
    """The byte limit of a record batch this producer sends as it was written elsewhere
    (`send_prebuilt`), or None where it cannot take such batches (compressed or
    transactional batches are its builder's to write)."""
    accumulator = producer._message_accumulator
    if (
        accumulator._compression_type
        or producer._txn_manager is not None
        and (producer._txn_manager.transactional_id is not None)
    ):
        return None
    return int(accumulator._batch_size)


async def send_prebuilt(
    producer: AIOKafkaProducer, topic: str, partition: int, batches: Iterable[BatchBuilder]
) -> list[tuple[int, asyncio.Future[Any]]]:
    """Queue record batches already written to one partition, in order; (record count, ack
    future) per batch, as `send_partition` returns them."""
    return [(batch.record_count(), await producer.send_batch(batch, topic, partition=partition))
            for batch in batches]  # fmt: skip


# --- consumer -------------------------------------------------------------------------------


class _RebalanceHooks(ConsumerRebalanceListener):
    """aiokafka awaits these, so the pipeline can drain and commit before partitions move."""

    def __init__(self, on_revoked: RebalanceCallback | None, on_assigned: RebalanceCallback | None):
        self._on_revoked = on_revoked
        self._on_assigned = on_assigned

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        if self._on_revoked is not None:
            await self._on_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        if self._on_assigned is not None:
            await self._on_assigned(set(assigned))


async def start_consumer(
    bootstrap: str,
    topics: Iterable[str],
    group_id: str,
    *,
    on_revoked: RebalanceCallback | None = None,
    on_assigned: RebalanceCallback | None = None,
    max_poll_records: int = 10_000,
    fetch_max_wait_ms: int = 100,
    session_timeout_ms: int = 10_000,
    heartbeat_interval_ms: int = 3_000,
    connect_deadline_s: float = 30.0,
    **options: Any,
) -> AIOKafkaConsumer:
    """A started group consumer with manual commits, reading from the earliest offset.

    Tansu completes a JoinGroup only after session_timeout_ms / 2, so joining (and every
    rebalance) costs that long: lower the session timeout where startup time matters.
    Stop it with `stop_consumer`.
    """
    topic_list = list(topics)

    async def attempt() -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=max_poll_records,
            fetch_max_wait_ms=fetch_max_wait_ms,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            **options,
        )
        try:
            await consumer.start()
            consumer.subscribe(topic_list, listener=_RebalanceHooks(on_revoked, on_assigned))
        except BaseException:
            await consumer.stop()
            raise
        return consumer

    return await retry_with_backoff(attempt, what="consumer start", deadline_s=connect_deadline_s)


def set_fetch_wait(consumer: AIOKafkaConsumer, max_wait_ms: int) -> None:
    """The max wait of the consumer's next Fetch requests (one in flight keeps its own).

    aiokafka reads the attribute for every request it builds; it has no public setter
    (private: pyproject pins aiokafka, tests/worker/test_aiokafka_pin.py checks it)."""
    consumer._fetcher._fetch_max_wait_ms = max_wait_ms


async def partition_lag(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    """Records past the consumer's position, by the high watermark of its last fetch
    response (approximate on Tansu); None before that first response, or once `tp` is no
    longer assigned."""
    try:
        highwater = consumer.highwater(tp)
        if highwater is None:
            return None
        return max(0, highwater - await consumer.position(tp))
    except (AssertionError, IllegalStateError):  # revoked meanwhile
        return None


async def fetch_batches(
    consumer: AIOKafkaConsumer, *, max_wait_ms: int = 100, max_records: int | None = None
) -> dict[TopicPartition, list[ConsumerRecord]]:
    """One `getmany` round: records per partition, ascending offsets, possibly empty."""
    return await consumer.getmany(timeout_ms=max_wait_ms, max_records=max_records)


async def commit(consumer: AIOKafkaConsumer, positions: dict[TopicPartition, int]) -> bool:
    """Commit next-offset-to-read positions. False when a rebalance took the partitions
    (the new owner re-reads from the last commit: at-least-once, never loss)."""
    if not positions:
        return True
    try:
        await retry_with_backoff(
            lambda: consumer.commit(positions), what="offset commit", deadline_s=10.0
        )
    except (CommitFailedError, IllegalStateError, RebalanceInProgressError) as error:
        log.warning("offset commit skipped after a rebalance: %r", error)
        return False
    return True


async def stop_consumer(consumer: AIOKafkaConsumer) -> None:
    """Leave the group, then stop.

    Tansu numbers group generations from 0 and aiokafka only sends LeaveGroup when the
    generation is > 0, so a first-generation member would linger until its session times
    out and stall the next join by that long. Leave explicitly in that case.
    """
    coordinator = getattr(consumer, "_coordinator", None)
    member_id = getattr(coordinator, "member_id", None)
    send_req = getattr(coordinator, "_send_req", None)  # private: pyproject pins aiokafka
    if coordinator is not None and getattr(coordinator, "generation", None) == 0 and member_id:
        if send_req is None:  # another aiokafka: the member lingers until its session ends
            log.warning("cannot send LeaveGroup for generation 0 with this aiokafka")
        else:
            try:
                await send_req(LeaveGroupRequest(coordinator.group_id, member_id))
            except KafkaError as error:  # best effort, like aiokafka's own leave
                log.warning("LeaveGroup for generation 0 failed: %r", error)
    await consumer.stop()


async def committed_positions(
    consumer: AIOKafkaConsumer, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int | None]:
    return {tp: await consumer.committed(tp) for tp in partitions}


async def read_topic(
    bootstrap: str,
    topic: str,
    on_batch: Callable[[TopicPartition, list[ConsumerRecord]], None],
    *,
    idle_timeout_s: float = 10.0,
) -> int:
    """Read a topic from the beginning to its current end without a group; returns the count.

    For verification and benches: no group join, so no rebalance delay.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end_offsets = await consumer.end_offsets(partitions)
        return await _read_until(consumer, end_offsets, on_batch, idle_timeout_s)
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer.topics()  # forces a metadata refresh
        partitions = consumer.partitions_for_topic(topic)
    return set(partitions or ())


async def _read_until(
    consumer: AIOKafkaConsumer,
    end_offsets: dict[TopicPartition, int],
    on_batch: Callable[[TopicPartition, list[ConsumerRecord]], None],
    idle_timeout_s: float,
) -> int:
    """Tansu's ListOffsets(latest) answers the last batch's *base* offset + 1, not the high
    watermark, so reaching `end_offsets` is only a lower bound: finish on an empty poll."""
    count = 0
    last_progress = time.monotonic()
    behind = {tp for tp, end in end_offsets.items() if end > 0}
    while time.monotonic() - last_progress < idle_timeout_s:
        fetched = await consumer.getmany(timeout_ms=300)
        if not fetched and not behind:
            break
        for tp, records in fetched.items():
            on_batch(tp, records)
            count += len(records)
            last_progress = time.monotonic()
            if records[-1].offset + 1 >= end_offsets.get(tp, 0):
                behind.discard(tp)
    return count
