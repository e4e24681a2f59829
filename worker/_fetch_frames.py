"""One fetch round as input frames: aiokafka's fetch, without a `ConsumerRecord` per record.

aiokafka's fetcher keeps each partition's fetched bytes only inside its C reader, so the
worker has it keep them too (`keep_fetched_bytes`: the reader's class, wrapped, in the
fetcher's module), and takes a fetch round as `getmany` does (`Fetcher.fetched_records`:
the same waits, position checks and position updates), except that a partition whose
bytes are all v2 batches is framed by `_record_reader` straight from those bytes (once
decompressed, where compressed). Anything else (a partition fetched before the wrap, a
read-committed consumer or one with deserializers, a consumer without these internals)
goes through aiokafka's records and `_framing.frame_consumer_records`: the same frames.

Private aiokafka attributes: pyproject pins aiokafka, `tests/worker/test_aiokafka_pin.py`
checks that they are still there.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiokafka.consumer.fetcher as aiokafka_fetcher
import numpy as np
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import ConsumerStoppedError
from aiokafka.record.memory_records import MemoryRecords as _MemoryRecords  # never replaced
from aiokafka.structs import TopicPartition

from . import _framing as f
from . import _record_reader as reader


@dataclass
class PartitionFrames:
    """A partition's fetched records: every offset (to track), the input frames of those
    that fit the ring, and those that do not (to dead-letter)."""

    offsets: np.ndarray
    data: Any  # bytes or a uint8 array
    ends: np.ndarray  # frame boundaries, n + 1
    too_large: list[f.InRecord] = field(default_factory=list)
    reader: str = "aiokafka"  # or "compiled": who read the fetched batches


@dataclass
class _Indexed:
    """A partition's fetched records as read by the compiled reader, taken in rounds of at
    most `max_records` (a fetch round never holds more than the ring is meant to take)."""

    buf: np.ndarray
    index: np.ndarray
    position: int  # the fetch position after the last batch
    taken: int = 0


class _KeptBytes:
    """aiokafka's reader of a partition's fetched bytes, and the bytes."""

    __slots__ = ("_reader", "indexed", "raw", "touched")

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self._reader = _MemoryRecords(raw)
        self.touched = False  # read by aiokafka or by us: each reads it whole or not at all
        self.indexed: _Indexed | None = None

    def has_next(self) -> bool:
        return self._reader.has_next()

    def next_batch(self) -> Any:
        self.touched = True
        return self._reader.next_batch()

    def size_in_bytes(self) -> int:
        return self._reader.size_in_bytes()


def keep_fetched_bytes() -> None:
    """From now on aiokafka's fetcher keeps each partition's fetched bytes (idempotent;
    every consumer of the process reads as before)."""
    aiokafka_fetcher.MemoryRecords = _KeptBytes


def _fetcher_of(consumer: AIOKafkaConsumer) -> Any:
    fetcher = getattr(consumer, "_fetcher", None)
    needed = ("_records", "_subscriptions", "_notify", "_create_fetch_waiter", "_closed",
              "_wait_consume_future", "_isolation_level", "_check_crcs", "_key_deserializer",
              "_value_deserializer")  # fmt: skip
    if fetcher is None or not all(hasattr(fetcher, name) for name in needed):
        return None
    return fetcher


async def fetch_frames(
    consumer: AIOKafkaConsumer, *, max_wait_ms: int, max_records: int, frame_limit: int
) -> dict[TopicPartition, PartitionFrames]:
    """One fetch round (`getmany`'s): frames per partition, possibly none. Records whose
    frame would exceed `frame_limit` bytes come back in `too_large` instead."""
    fetcher = _fetcher_of(consumer)
    if fetcher is None:  # another aiokafka: its records, framed in Python
        fetched = await consumer.getmany(timeout_ms=max_wait_ms, max_records=max_records)
        return {tp: _frame_records(tp, rs, frame_limit) for tp, rs in fetched.items()}
    if consumer._closed:
        raise ConsumerStoppedError()
    consumer._coordinator.check_errors()
    with consumer._subscription.fetch_context():
        return await _fetched(fetcher, max_wait_ms / 1000, max_records, frame_limit)


async def _fetched(
    fetcher: Any, timeout: float, max_records: int, frame_limit: int
) -> dict[TopicPartition, PartitionFrames]:
    """`Fetcher.fetched_records` over every assigned partition, framing as it takes."""
    while True:
        if fetcher._subscriptions.reassignment_in_progress:
            await fetcher._subscriptions.wait_for_assignment()
        start = time.monotonic()
        drained: dict[TopicPartition, PartitionFrames] = {}
        for tp in list(fetcher._records.keys()):
            result = fetcher._records[tp]
            if type(result) is aiokafka_fetcher.FetchResult:
                frames = _take(fetcher, tp, result, max_records, frame_limit)
                if not result.has_more():
                    del fetcher._records[tp]
                    fetcher._notify(fetcher._wait_consume_future)
                if frames is None:
                    continue
                drained[tp] = frames
                max_records -= len(frames.offsets)
                if max_records <= 0:
                    break
            elif drained:
                return drained  # the error is raised by the next round
            else:
                del fetcher._records[tp]
                fetcher._notify(fetcher._wait_consume_future)
                result.check_raise()
        if drained or not timeout:
            return drained
        waiter = fetcher._create_fetch_waiter()
        done, pending = await asyncio.wait([waiter], timeout=timeout)
        if not done or fetcher._closed:
            if pending:
                pending.pop().cancel()
            return {}
        if waiter.done():
            waiter.result()  # authorization errors
        timeout = max(0.0, timeout - (time.monotonic() - start))


def _take(
    fetcher: Any, tp: TopicPartition, result: Any, max_records: int, frame_limit: int
) -> PartitionFrames | None:
    if not result.check_assignment(tp) or not result.has_more():
        return None
    records = result._partition_records
    kept = records._records
    if type(kept) is _KeptBytes:
        if not kept.touched and _reads_plain_bytes(fetcher):
            buf = np.frombuffer(kept.raw, np.uint8)
            buf.flags.writeable = False  # one compiled signature (the warm-up's) for any buffer
            buf, index, position = reader.index_records(buf, records.next_fetch_offset,
                                                        fetcher._check_crcs)  # fmt: skip
            if position != reader.NOT_READ:
                kept.touched, kept.indexed = True, _Indexed(buf, index, position)
        if kept.indexed is not None:
            return _take_indexed(tp, result, kept, max_records, frame_limit)
    taken = result.getall(max_records)
    return _frame_records(tp, taken, frame_limit) if taken else None


def _take_indexed(
    tp: TopicPartition, result: Any, kept: _KeptBytes, max_records: int, frame_limit: int
) -> PartitionFrames | None:
    """The next `max_records` indexed records, moving the position as `getall` does: past
    the last record taken, and to the end of the last batch once all are."""
    indexed, records = kept.indexed, result._partition_records
    assert indexed is not None
    rows = indexed.index[indexed.taken : indexed.taken + max_records]
    indexed.taken += len(rows)
    if indexed.taken < len(indexed.index):
        records.next_fetch_offset = int(rows[-1, reader.OFFSET]) + 1
        result._update_position()
    else:
        records.next_fetch_offset = indexed.position
        result._update_position()
        result._partition_records, kept.indexed = None, None
    return _frame_index(tp.partition, indexed.buf, rows, frame_limit) if len(rows) else None


def _reads_plain_bytes(fetcher: Any) -> bool:
    """Records as they are on the wire: no deserializers, no aborted transactions to skip."""
    return (
        fetcher._isolation_level == aiokafka_fetcher.READ_UNCOMMITTED
        and fetcher._key_deserializer is None
        and fetcher._value_deserializer is None
    )


# content-type header value -> content code (few distinct values; bounded like _framing's)
_CODE_OF_VALUE: dict[bytes | None, int] = {}


def _code_of(value: bytes | None) -> int:
    code = _CODE_OF_VALUE.get(value)
    if code is None:
        if len(_CODE_OF_VALUE) >= 1024:
            _CODE_OF_VALUE.clear()
        code = _CODE_OF_VALUE[value] = f.content_code_of(value)
    return code


def _frame_index(
    partition: int, buf: np.ndarray, index: np.ndarray, frame_limit: int
) -> PartitionFrames:
    codes = np.empty(len(index), np.uint8)
    runs = reader.content_types(buf, index)
    for (first, value), (after, _) in zip(runs, [*runs[1:], (len(index), None)], strict=False):
        codes[first:after] = _code_of(value)
    data, ends, over = reader.write_frames(buf, index, codes, partition, frame_limit)
    too_large = [_in_record(partition, buf, row) for row in index[over].tolist()]
    return PartitionFrames(index[:, reader.OFFSET].copy(), data, ends, too_large, "compiled")


def _in_record(partition: int, buf: np.ndarray, row: list[int]) -> f.InRecord:
    key_at, key_len = row[reader.KEY_AT], row[reader.KEY_LEN]
    value_at, value_len = row[reader.VALUE_AT], row[reader.VALUE_LEN]
    key = None if key_len < 0 else bytes(buf[key_at : key_at + key_len])
    value = bytes(buf[value_at : value_at + value_len])
    return f.InRecord(partition, row[reader.OFFSET], row[reader.TIMESTAMP], key,
                      f.CONTENT_NONE, value)  # fmt: skip


def _frame_records(tp: TopicPartition, records: list[Any], frame_limit: int) -> PartitionFrames:
    oversized: list[Any] = []
    parts, sizes = f.frame_consumer_records(tp.partition, records, frame_limit, oversized)
    data, ends = f.pack_frames(parts, sizes)
    offsets = np.fromiter((r.offset for r in records), np.int64, len(records))
    too_large = [f.InRecord(tp.partition, r.offset, r.timestamp, r.key, f.CONTENT_NONE,
                            r.value or b"") for r in oversized]  # fmt: skip
    return PartitionFrames(offsets, data, ends, too_large)
