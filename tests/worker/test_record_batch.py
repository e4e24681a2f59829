"""Compiled record batches: the bytes aiokafka's builder writes for the same records, and
the producer-facing methods aiokafka's accumulator calls."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from aiokafka.producer.message_accumulator import BatchBuilder, MessageBatch
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.record.util import calc_crc32c
from hypothesis import given, settings
from hypothesis import strategies as st

from worker._crc32c import crc32c
from worker._record_batch import PrebuiltBatch, RecordColumns, header_prefix

NOW = 1_764_547_200_123
SHARED = [("content-type", b"application/json"), ("grump-schema-version", b"1.1")]

records = st.lists(
    st.tuples(st.one_of(st.none(), st.binary(max_size=40)), st.binary(max_size=3000),
              st.binary(max_size=60)),  # fmt: skip
    min_size=1, max_size=60,
)  # fmt: skip


def columns_of(rows: list[tuple[bytes | None, bytes, bytes]]) -> RecordColumns:
    """The rows as spans of one buffer (key, intent id, value), as egress holds results."""
    data, key_start, key_len, id_start, value_start = bytearray(), [], [], [], []
    for key, value, intent_id in rows:
        key_start.append(len(data))
        key_len.append(-1 if key is None else len(key))
        data += key or b""
        id_start.append(len(data))
        data += intent_id
        value_start.append(len(data))
        data += value
    prefix = np.frombuffer(header_prefix(SHARED, "grump-intent-id"), np.uint8)
    n = len(rows)
    as64 = lambda values: np.array(values, np.int64)  # noqa: E731
    return RecordColumns(
        np.frombuffer(bytes(data), np.uint8), as64(key_start), as64(key_len), as64(value_start),
        as64([len(r[1]) for r in rows]), as64(id_start), as64([len(r[2]) for r in rows]),
        prefix, np.zeros(n, np.int64), np.full(n, len(prefix), np.int64),
    )  # fmt: skip


def aiokafka_batches(rows: list[tuple[bytes | None, bytes, bytes]], limit: int) -> list:
    """The same rows through aiokafka's own builder, cut where it cuts them."""
    built, builder = [], BatchBuilder(limit, 0)
    for key, value, intent_id in rows:
        headers = [*SHARED, ("grump-intent-id", intent_id)]
        if builder.append(key=key, value=value, timestamp=NOW, headers=headers) is None:
            built.append(builder)
            builder = BatchBuilder(limit, 0)
            builder.append(key=key, value=value, timestamp=NOW, headers=headers)
    return [*built, builder]


@settings(max_examples=150, deadline=None)
@given(rows=records, limit=st.sampled_from([100, 4_000, 20_000, 1 << 20]))
def test_batches_are_the_bytes_aiokafkas_builder_writes(rows, limit):
    ours = columns_of(rows).batches(limit, timestamp_ms=NOW)
    theirs = aiokafka_batches(rows, limit)
    assert [b.record_count() for b in ours] == [b.record_count() for b in theirs]
    assert [bytes(b._build()) for b in ours] == [bytes(b._build()) for b in theirs]


def test_the_idempotent_producers_fields_are_written_and_checksummed():
    rows = [(b"k1", b'{"a":1}', b"id-1"), (None, b'{"b":2}', b"id-2")]
    ours, theirs = columns_of(rows).batches(1 << 20, NOW)[0], aiokafka_batches(rows, 1 << 20)[0]
    for batch in (ours, theirs):
        batch._set_producer_state(4242, 7, 1000)
    data = bytes(ours._build())
    assert data == bytes(theirs._build())
    read = DefaultRecordBatch(data)
    assert read.validate_crc() and (read.producer_id, read.base_sequence) == (4242, 1000)
    assert [(r.key, r.value, r.headers[-1]) for r in read] == [
        (b"k1", b'{"a":1}', ("grump-intent-id", b"id-1")),
        (None, b'{"b":2}', ("grump-intent-id", b"id-2")),
    ]


@settings(deadline=None)  # the first example compiles
@given(data=st.binary(max_size=300), skip=st.integers(0, 7))
def test_crc32c_matches_aiokafkas_at_every_alignment(data, skip):
    array = np.frombuffer(b"\0" * skip + data, np.uint8)[skip:]
    assert crc32c(array) == calc_crc32c(data)


def test_a_prebuilt_batch_provides_what_the_accumulator_calls_on_a_builder():
    """aiokafka's MessageBatch drives its builder through these; PrebuiltBatch answers
    each of them itself (it holds no aiokafka builder)."""
    called = {name for name in MessageBatch.__init__.__code__.co_names} | {
        name for _, member in inspect.getmembers(MessageBatch, inspect.isfunction)
        for name in member.__code__.co_names
    }  # fmt: skip
    used = {"record_count", "closed", "close", "_set_producer_state", "_build", "append"}
    assert used <= called | {"append", "close"}
    for name in ("_set_producer_state", "_build", "size", "append"):
        assert name in PrebuiltBatch.__dict__
    batch = columns_of([(b"k", b"v", b"i")]).batches(1 << 20, NOW)[0]
    assert batch.closed() and batch.record_count() == 1 and batch.size() == len(batch._build())
    assert batch.append(timestamp=None, key=b"k", value=b"v") is None


def test_the_parents_warm_up_compiles_what_egress_calls_with_these_types():
    """After `warm_parent_jit`, results framed as the drains frame them go out as batches
    without compiling anything more (a compile on the event loop would stall partitions)."""
    from worker import _crc32c, _framing, _record_batch
    from worker._egress import result_columns
    from worker._startup import warm_parent_jit

    warm_parent_jit()
    compiled = [_record_batch.plan_batches, _record_batch.write_records]
    if _crc32c.HARDWARE:
        compiled.append(_crc32c._crc32c_hardware)
    before = [len(f.signatures) for f in compiled]
    frames = [_framing.out_frame(_framing.RESULT, _framing.InRecord(3, 10 + i, NOW, key, 1, b""),
                                 b"id-%d" % i, _framing.CONTENT_JSON, b'{"ok":%d}' % i)
              for i, key in enumerate([b"k0", None, b"k2"])]  # fmt: skip
    data, offsets = _framing.pack_frames(frames, [len(x) for x in frames])
    out = _framing.OutColumns.of_claim(np.frombuffer(data, np.uint8), offsets)
    batch = result_columns(out, np.arange(3)).batches(1 << 20, NOW)[0]
    read = DefaultRecordBatch(bytes(batch._build()))
    assert [(r.key, r.value, dict(r.headers)["grump-intent-id"]) for r in read] == [
        (b"k0", b'{"ok":0}', b"id-0"),
        (None, b'{"ok":1}', b"id-1"),
        (b"k2", b'{"ok":2}', b"id-2"),
    ]
    assert [len(f.signatures) for f in compiled] == before


def test_a_result_without_a_known_content_type_is_refused_not_written_headerless():
    from worker import _framing
    from worker._egress import result_columns

    frame = _framing.out_frame(_framing.RESULT, _framing.InRecord(0, 1, NOW, b"k", 1, b""),
                               b"id", _framing.CONTENT_NONE, b"{}")  # fmt: skip
    data, offsets = _framing.pack_frames([frame], [len(frame)])
    out = _framing.OutColumns.of_claim(np.frombuffer(data, np.uint8), offsets)
    with pytest.raises(ValueError, match="no known content type"):
        result_columns(out, np.arange(1))
