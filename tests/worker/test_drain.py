"""The drain's batch step without processes: frames in, results and dead letters out."""

from __future__ import annotations

import msgpack
import numpy as np
import orjson
from hypothesis import given
from hypothesis import strategies as st

import kernels
from ringbuffer import Ring
from worker import _framing as f
from worker._columns import FrameArena, InColumns, concat_blocks, in_columns, result_frames
from worker._drain import DrainSettings, parse_records

SETTINGS = DrainSettings("in", "reference", 64, 5, "same", 100, 1 << 20)


class _Record:
    def __init__(self, offset: int, value: bytes, content_type: bytes | None, key: bytes | None):
        self.offset, self.value, self.key, self.timestamp = offset, value, key, 1_000 + offset
        self.headers = [] if content_type is None else [("content-type", content_type)]


def _round_trip(records: list[_Record]) -> list[f.OutFrame]:
    """Frame like ingest, through a real ring, parse like a drain, unframe like egress."""
    with Ring.create(
        None, capacity_records=64, arena_bytes=1 << 16, max_record_bytes=1 << 12
    ) as ring:
        data, offsets = f.pack_frames(*f.frame_consumer_records(3, records))
        ring.push_many(data, offsets)
        claim = ring.claim_batch(64)
        data, offsets = parse_records(in_columns(claim.buffer, claim.offsets), SETTINGS)
        ring.release(claim)
    return _unframe(data, offsets)


def _unframe(data: np.ndarray, offsets: np.ndarray) -> list[f.OutFrame]:
    view = memoryview(data)
    frames = (view[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True))
    return list(f.iter_out_frames(frames))


def _in_records(data: bytes, offsets: np.ndarray) -> list[f.InRecord]:
    """Input frames read back the way a drain reads them."""
    columns = in_columns(np.frombuffer(data, np.uint8), offsets)
    return [columns.record(i) for i in range(len(columns))]


def _columns_of(records: list[f.InRecord]) -> InColumns:
    frames = [f.IN_HEADER.pack(r.partition, r.offset, r.timestamp,
                               -1 if r.key is None else len(r.key), r.content)
              + (r.key or b"") + r.value for r in records]  # fmt: skip
    data, offsets = f.pack_frames(frames, [len(x) for x in frames])
    return in_columns(np.frombuffer(data, np.uint8), offsets)


def test_results_dead_letters_and_stats_come_back_in_frames() -> None:
    records = [
        _Record(0, orjson.dumps({"id": "a", "text": "build a react app"}), b"application/json",
                b"ka"),
        _Record(1, msgpack.packb({"text": "a cli in rust"}), b"application/msgpack", None),
        _Record(2, orjson.dumps({"text": "x" * 200}), None, b"kc"),
        _Record(3, b"\\xff\\xfe", None, None),
    ]  # fmt: skip
    out = _round_trip(records)
    by_kind: dict[int, list[f.OutFrame]] = {}
    for frame in out:
        by_kind.setdefault(frame.kind, []).append(frame)
    results = {frame.offset: frame for frame in by_kind[f.RESULT]}
    assert results[0].key == b"ka" and results[0].aux == b"a" and results[0].timestamp == 1000
    assert results[0].value == kernels.encode_result(kernels.parse("build a react app", None, "a"))
    assert results[1].content == f.CONTENT_MSGPACK and results[1].aux == b"in/3/1"
    expected = kernels.encode_result(kernels.parse("a cli in rust", None, "in/3/1"), "msgpack")
    assert results[1].value == expected
    dead = {frame.offset: f.split_dead_aux(frame.aux) for frame in by_kind[f.DEAD]}
    assert dead[2][:2] == ("text_too_large", "validate")
    assert dead[3][:2] == ("malformed_json", "decode")
    assert [frame.value for frame in by_kind[f.DEAD]] == [records[2].value, records[3].value]
    assert sum(frame.partition for frame in by_kind[f.STATS]) == 2  # records parsed
    assert {orjson.loads(frame.aux)["backend"] for frame in by_kind[f.STATS]} == {"reference"}


def test_frame_sizes_match_the_offsets() -> None:
    records = [_Record(i, b"v" * i, None, None if i % 2 else b"k" * i) for i in range(5)]
    parts, sizes = f.frame_consumer_records(0, records)
    data, offsets = f.pack_frames(parts, sizes)
    assert offsets[-1] == len(data)
    back = _in_records(data, offsets)
    assert [r.value for r in back] == [r.value for r in records]
    assert [r.key for r in back] == [r.key for r in records]
    assert np.all(np.diff(offsets) > 0)


def test_one_frame_arena_serves_batch_after_batch() -> None:
    """A drain writes every batch's frames into one FrameArena: the same frames as a new
    arena gives (results, dead letters), in the same buffer batch after batch."""

    def batch(texts: list[bytes]) -> InColumns:
        return _columns_of([f.InRecord(2, k, 0, b"k%d" % k, f.CONTENT_JSON, text)
                            for k, text in enumerate(texts)])  # fmt: skip

    def frames(block: tuple[np.ndarray, np.ndarray]) -> list[f.OutFrame]:
        return [x for x in _unframe(*block) if x.kind != f.STATS]  # stats carry timings

    arena = FrameArena()
    first = batch([orjson.dumps({"text": t}) for t in ("a shop with React", "a blog", "a CLI")])
    second = batch([orjson.dumps({"text": "a chat app"}), b"{not json"])
    seen = []
    for columns in (first, second):
        data, offsets = parse_records(columns, SETTINGS, arena=arena)
        seen.append(data)
        got = frames((data.copy(), offsets))
        assert got == frames(parse_records(columns, SETTINGS))
        assert [x.kind for x in got].count(f.RESULT) >= 1
    assert [x.kind for x in got] == [f.RESULT, f.DEAD]
    assert np.shares_memory(seen[0], seen[1])  # the second batch reused the first's pages


def test_output_format_setting_overrides_the_input_format() -> None:
    import dataclasses

    settings = dataclasses.replace(SETTINGS, output_format="msgpack")
    record = f.InRecord(0, 4, 0, None, f.CONTENT_JSON, orjson.dumps({"text": "a shop"}))
    out = _unframe(*parse_records(_columns_of([record]), settings))
    (result,) = [x for x in out if x.kind == f.RESULT]
    assert result.content == f.CONTENT_MSGPACK
    expected = kernels.encode_result(kernels.parse("a shop", None, "in/0/4"), "msgpack")
    assert result.value == expected


@given(
    st.lists(
        st.tuples(st.none() | st.binary(max_size=20), st.binary(max_size=60),
                  st.sampled_from([None, b"application/json", b"application/msgpack", b"x/y"])),
        max_size=20,
    )
)  # fmt: skip
def test_input_frames_round_trip(items: list[tuple[bytes | None, bytes, bytes | None]]) -> None:
    records = [_Record(i, value, content, key) for i, (key, value, content) in enumerate(items)]
    data, offsets = f.pack_frames(*f.frame_consumer_records(7, records))
    back = _in_records(data, offsets)
    assert [(r.key, r.value, r.offset, r.partition) for r in back] == [
        (r.key, r.value, r.offset, 7) for r in records
    ]
    codes = {None: f.CONTENT_NONE, b"x/y": f.CONTENT_NONE, b"application/json": f.CONTENT_JSON,
             b"application/msgpack": f.CONTENT_MSGPACK}  # fmt: skip
    assert [r.content for r in back] == [codes[content] for _k, _v, content in items]


@given(
    st.lists(
        st.lists(st.tuples(st.none() | st.binary(max_size=12), st.binary(max_size=40)),
                 min_size=1, max_size=8),
        min_size=1, max_size=4,
    )
)  # fmt: skip
def test_columns_of_joined_claims_match_the_frames(claims: list[list[tuple]]) -> None:
    """Several claims joined into one buffer read back as the records that were framed."""
    parts, expected, n = [], [], 0
    for items in claims:
        records = [f.InRecord(n + i, 10 * (n + i), 7 + i, key, i % 3, value)
                   for i, (key, value) in enumerate(items)]  # fmt: skip
        columns = _columns_of(records)
        pad = np.full(5, 0xAB, np.uint8)  # a claim is a window into a bigger arena
        parts.append((np.concatenate([pad, columns.buffer]), columns_offsets(columns) + 5))
        expected += records
        n += len(items)
    buffer, offsets = concat_blocks(parts)
    columns = in_columns(buffer, offsets)
    assert [columns.record(i) for i in range(len(columns))] == expected
    assert [bytes(v) for v in columns.values()] == [r.value for r in expected]


def columns_offsets(columns: InColumns) -> np.ndarray:
    return np.concatenate([[0], columns.value_end]).astype(np.int64)


def test_result_frames_match_the_one_by_one_frames() -> None:
    """The compiled frame writer gives the bytes `out_frame` gives, record by record."""
    records = [f.InRecord(i, 2**40 + i, -5 + i, None if i % 2 else b"key%d" % i, 1,
                          b"value") for i in range(6)]  # fmt: skip
    columns = _columns_of(records)
    ids = [b"id-%d" % i for i in range(6)]
    values = [b"r" * i for i in range(6)]
    rows = np.array([5, 0, 3], np.int64)
    id_data, id_off = f.pack_frames([ids[r] for r in rows], [len(ids[r]) for r in rows])
    val_data, val_off = f.pack_frames([values[r] for r in rows], [len(values[r]) for r in rows])
    data, offsets = result_frames(
        rows, columns, f.CONTENT_MSGPACK, (np.frombuffer(id_data, np.uint8), id_off),
        (np.frombuffer(val_data, np.uint8), val_off))  # fmt: skip
    want = [f.out_frame(f.RESULT, records[r], ids[r], f.CONTENT_MSGPACK, values[r]) for r in rows]
    got = [bytes(data[a:b]) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    assert got == want


def test_warm_up_columns_have_the_numba_types_of_a_ring_claim():
    """The drain warms its compiled loops on what a claim from the ring looks like, so the
    first real batch after the join compiles nothing (a read-only warm-up buffer made the
    first batch compile the request recogniser and frame writer again: ~20 s here)."""
    import numba

    from worker._drain import warm_up_columns

    warm = warm_up_columns()
    with Ring.create(
        None, capacity_records=64, arena_bytes=1 << 16, max_record_bytes=1 << 12
    ) as ring:
        record = _Record(0, b'{"text":"x"}', None, b"k")
        data, offsets = f.pack_frames(*f.frame_consumer_records(3, [record]))
        ring.push_many(data, offsets)
        claim = ring.claim_batch(64)
        claimed = in_columns(claim.buffer, claim.offsets)
        assert numba.typeof(warm.buffer) == numba.typeof(claimed.buffer)
        for name in ("partition", "offset", "timestamp", "content", "value_start", "value_end"):
            assert numba.typeof(getattr(warm, name)) == numba.typeof(getattr(claimed, name))
        ring.release(claim)
