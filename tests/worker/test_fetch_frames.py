"""Fetched record batches framed by compiled code: the same frames as aiokafka's records.

The oracle is aiokafka itself: its `PartitionRecords` reads the same bytes from the same
position, and `_framing.frame_consumer_records` frames what it hands out.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from aiokafka import TopicPartition
from aiokafka.consumer.fetcher import READ_UNCOMMITTED, PartitionRecords
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords
from hypothesis import given, settings
from hypothesis import strategies as st

from worker import _fetch_frames as ff
from worker import _framing as f
from worker import _record_reader as reader
from worker._kafka import Idempotence, send_records, start_consumer, start_producer, stop_consumer

ROOT = Path(__file__).resolve().parents[2]
TP = TopicPartition("intents", 5)
FAST_GROUP = {"session_timeout_ms": 2_000, "heartbeat_interval_ms": 300}
# none, gzip, snappy, lz4, zstd (the last three through cramjam, a dependency)
CODECS = [0, 1, 2, 3, 4]
HEADERS = st.lists(
    st.tuples(
        st.sampled_from(["content-type", "id", "Content-Type", "trace"]),
        st.one_of(
            st.none(),
            st.sampled_from(
                [
                    b"application/json",
                    b"application/msgpack",
                    b"application/x-msgpack; v=1",
                    b"text/plain",
                    b"",
                ]
            ),  # fmt: skip
            st.binary(max_size=8),
        ),
    ),
    max_size=3,
)
RECORD = st.tuples(
    st.one_of(st.none(), st.binary(max_size=12)),  # key
    st.one_of(st.none(), st.binary(max_size=300)),  # value
    HEADERS,
    st.integers(0, 5_000),  # timestamp delta
)


def _batch(base: int, records: list, timestamp_type: int = 0, codec: int = 0) -> bytes:
    builder = DefaultRecordBatchBuilder(2, codec, 0, -1, -1, -1, 1 << 22)
    for i, (key, value, headers, delta) in enumerate(records):
        builder.append(i, timestamp=1_700_000_000_000 + delta, key=key, value=value,
                       headers=headers)  # fmt: skip
    data = bytearray(builder.build())
    data[:8] = base.to_bytes(8, "big")  # the broker assigns the base offset
    if timestamp_type:  # log-append time: the broker stamps the batch (CRC covers it)
        data[21:23] = (int.from_bytes(data[21:23], "big") | 0x08).to_bytes(2, "big")
        _put_crc(data)
    return bytes(data)


def _put_crc(batch: bytearray) -> None:
    """The batch's CRC-32C, recomputed after an edit."""
    batch[17:21] = reader.crc32c(np.frombuffer(bytes(batch[21:]), np.uint8)).to_bytes(4, "big")


def _aiokafka_frames(raw: bytes, position: int, limit: int) -> tuple[list, bytes, list, int]:
    records = PartitionRecords(TP, MemoryRecords(raw), None, position, None, None, True,
                               READ_UNCOMMITTED)  # fmt: skip
    taken = list(records)
    frames = ff._frame_records(TP, taken, limit)
    return frames.offsets.tolist(), bytes(frames.data), frames.too_large, records.next_fetch_offset


def _our_frames(raw: bytes, position: int, limit: int) -> tuple[list, bytes, list, int]:
    buf, index, next_position = reader.index_records(np.frombuffer(raw, np.uint8), position, True)
    assert next_position != reader.NOT_READ
    frames = ff._frame_index(TP.partition, buf, index, limit)
    return frames.offsets.tolist(), bytes(frames.data), frames.too_large, next_position


@settings(max_examples=150, deadline=None)
@given(
    batches=st.lists(st.lists(RECORD, min_size=1, max_size=12), min_size=1, max_size=4),
    log_append=st.lists(st.booleans(), min_size=4, max_size=4),
    skip=st.integers(0, 20),
    cut=st.integers(0, 80),
    limit=st.sampled_from([60, 200, 1 << 20]),
    codecs=st.lists(st.sampled_from(CODECS), min_size=4, max_size=4),
)
def test_frames_equal_aiokafka_records_framed(
    batches: list, log_append: list, skip: int, cut: int, limit: int, codecs: list
) -> None:
    """Same frames, offsets, oversized records and next position, from any fetch position,
    with a fetch that ends inside its last batch, log-append timestamps and batches
    compressed with every codec."""
    raw, base = b"", 100
    for records, appended, codec_id in zip(batches, log_append, codecs, strict=False):
        raw += _batch(base, records, timestamp_type=int(appended), codec=codec_id)
        base += len(records) + 2  # gaps between batches, as compaction leaves
    raw = raw + _batch(base, batches[0])[: max(1, cut)]  # a partial batch at the end
    position = 100 + skip
    assert _our_frames(raw, position, limit) == _aiokafka_frames(raw, position, limit)


def test_a_frame_carries_the_content_code_of_its_first_content_type_header() -> None:
    records = [
        (b"k", b'{"text": "x"}', [("content-type", b"application/json")], 0),
        (None, b"\x81", [("content-type", b"application/msgpack"), ("content-type", b"x")], 1),
        (None, b"v", [("content-type", None), ("content-type", b"application/json")], 2),
        (None, b"v", [("Content-Type", b"application/json")], 3),
        (None, b"v", [], 4),
    ]
    _, data, _, _ = _our_frames(_batch(0, records), 0, 1 << 20)
    codes, at = [], 0
    for key, value, _, _ in records:
        codes.append(data[at + 24])
        at += f.IN_HEADER.size + len(key or b"") + len(value)
    assert codes == [f.CONTENT_JSON, f.CONTENT_MSGPACK, f.CONTENT_NONE, f.CONTENT_NONE,
                     f.CONTENT_NONE]  # fmt: skip


def test_bytes_the_reader_does_not_take_are_left_to_aiokafka() -> None:
    records = [(None, b"v%d" % i, [], 0) for i in range(5)]
    good = _batch(0, records)
    bad_crc = bytearray(good)
    bad_crc[-2] ^= 0x01  # a byte of the last value
    corrupt_gzip = bytearray(_batch(0, records, codec=1))
    corrupt_gzip[61:64] = b"xyz"  # not a gzip stream any more
    _put_crc(corrupt_gzip)
    short_record = bytearray(good)
    short_record[61] = 0x02  # the first record's length, too small: its bytes do not add up
    legacy = bytearray(good)
    legacy[16] = 1  # magic 1: a message set, not a record batch
    for raw in (bytes(bad_crc), bytes(corrupt_gzip), bytes(short_record), bytes(legacy)):
        _, index, position = reader.index_records(np.frombuffer(raw, np.uint8), 0, True)
        assert position == reader.NOT_READ and len(index) == 0
    # without the CRC check the corrupted batch is read (as aiokafka with check_crcs off)
    _, _, position = reader.index_records(np.frombuffer(bytes(bad_crc), np.uint8), 0, False)
    assert position == 5


def test_control_batches_are_skipped_and_move_the_position() -> None:
    control = bytearray(_batch(10, [(b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00", [], 0)]))
    control[21:23] = (0x20 | 0x10).to_bytes(2, "big")  # transactional control marker
    _put_crc(control)
    raw = _batch(0, [(None, b"a", [], 0)] * 3) + bytes(control) + _batch(11, [(None, b"b", [], 0)])
    offsets, _, _, position = _our_frames(raw, 0, 1 << 20)
    assert (offsets, position) == ([0, 1, 2, 11], 12)


@pytest.mark.parametrize(
    ("compression", "isolation", "max_records", "reader_used"),
    # one codec live (the others, and gzip, against aiokafka's reader above)
    [(None, "read_uncommitted", 10_000, "compiled"), (None, "read_uncommitted", 97, "compiled"),
     ("zstd", "read_uncommitted", 10_000, "compiled"),
     (None, "read_committed", 10_000, "aiokafka")],
)  # fmt: skip
def test_a_live_fetch_is_framed_as_aiokafkas_records_would_be(
    bootstrap: str, fresh_topic: str, compression: str | None, isolation: str,
    max_records: int, reader_used: str,
) -> None:  # fmt: skip
    """Against the broker: every record comes back framed as aiokafka's records would be,
    plain and zstd batches by the compiled reader, a read-committed consumer's
    through aiokafka's records; a round holds at most `max_records`, and the consumer's
    position follows."""
    count = 3_000
    json_type = [("content-type", b"application/json")]
    sent = [(fresh_topic, i % 3, f"k{i}".encode() if i % 2 else None, b"x" * (i % 700),
             json_type if i % 5 else []) for i in range(count)]  # fmt: skip

    async def run() -> None:
        producer = await start_producer(bootstrap, idempotence=Idempotence.OFF,
                                        compression_type=compression)  # fmt: skip
        try:
            await asyncio.gather(*(b.future for b in await send_records(producer, sent)))
        finally:
            await producer.stop()
        ff.keep_fetched_bytes()
        consumer = await start_consumer(bootstrap, [fresh_topic], group_id=fresh_topic,
                                        isolation_level=isolation, **FAST_GROUP)  # fmt: skip
        framed: dict[int, list] = {0: [], 1: [], 2: []}
        taken = 0  # records framed so far (each frame set lists every record's offset)
        try:
            deadline = time.monotonic() + 30
            while taken < count and time.monotonic() < deadline:
                fetched = await ff.fetch_frames(
                    consumer, max_wait_ms=200, max_records=max_records, frame_limit=400
                )
                round_records = sum(len(frames.offsets) for frames in fetched.values())
                assert round_records <= max_records
                taken += round_records
                for tp, frames in fetched.items():
                    framed[tp.partition].append(frames)
            positions = {p: await consumer.position(TopicPartition(fresh_topic, p))
                         for p in range(3)}  # fmt: skip
        finally:
            await stop_consumer(consumer)
        assert {fr.reader for frs in framed.values() for fr in frs} == {reader_used}
        for p in range(3):
            mine = [r for r in sent if r[1] == p]
            offsets = np.concatenate([fr.offsets for fr in framed[p]]).tolist()
            assert offsets == list(range(len(mine))) and positions[p] == len(mine)
            expected = [_consumer_like(p, o, r) for o, r in enumerate(mine)]
            want = ff._frame_records(TopicPartition(fresh_topic, p), expected, 400)
            got_data = b"".join(_strip_timestamps(bytes(fr.data), fr.ends) for fr in framed[p])
            assert got_data == _strip_timestamps(bytes(want.data), want.ends)
            too_large = [(r.offset, r.key, r.value) for fr in framed[p] for r in fr.too_large]
            assert too_large == [(r.offset, r.key, r.value) for r in want.too_large]
            assert too_large  # some records exceed the 400-byte frame limit

    asyncio.run(run())


class _consumer_like:
    """What a ConsumerRecord holds that framing reads (the timestamp is the broker's)."""

    def __init__(self, partition: int, offset: int, sent: tuple) -> None:
        _, _, self.key, self.value, headers = sent
        self.partition, self.offset, self.timestamp = partition, offset, 0
        self.headers = tuple(headers)


def _strip_timestamps(data: bytes, ends: np.ndarray) -> bytes:
    """Frames with their timestamp zeroed (producer clock against the test's)."""
    out = bytearray(data)
    for start in ends[:-1].tolist():
        out[start + 12 : start + 20] = bytes(8)
    return bytes(out)


def test_the_parents_warm_up_compiles_what_ingest_calls_with_these_types() -> None:
    """After `warm_parent_jit`, a fetched partition is framed without compiling anything
    more (a compile on the event loop would stall partitions). A fresh process: this one
    compiled them already."""
    script = """
from worker import _record_reader as reader
from worker._startup import warm_parent_jit
from tests.worker.test_fetch_frames import _aiokafka_frames, _batch, _our_frames
warm_parent_jit()
compiled = [reader._batches, reader._index, reader._frame_sizes, reader._write_frames,
            reader._type_changes]
before = [len(fn.signatures) for fn in compiled]
raw = _batch(7, [(b"k", b"v", [("content-type", b"application/json")], 0)] * 3)
assert _our_frames(raw, 7, 1 << 20) == _aiokafka_frames(raw, 7, 1 << 20)
print(before, [len(fn.signatures) for fn in compiled])
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split("\n")[-2]  # fmt: skip
    before, after = out.split("] [")
    assert before == "[1, 1, 1, 1, 1" and after == "1, 1, 1, 1, 1]"
