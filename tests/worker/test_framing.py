"""Frame layouts: the cached content codes and the column-wise output decoding."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ringbuffer import Ring
from worker import _framing as f
from worker._columns import in_columns

_CONTENT_TYPES = [b"application/json", b"application/msgpack", b"Application/JSON; charset=utf-8",
                  b"x/y", b""]  # fmt: skip
_HEADERS = st.lists(
    st.tuples(st.sampled_from(["content-type", "trace", "Content-Type"]),
              st.sampled_from(_CONTENT_TYPES) | st.binary(max_size=8)),
    max_size=3,
).map(tuple)  # fmt: skip


class _Fetched:
    """Shaped like aiokafka's ConsumerRecord: headers a tuple of (name, bytes) tuples."""

    def __init__(self, offset: int, key: bytes | None, value: bytes, headers: tuple) -> None:
        self.offset, self.timestamp, self.key, self.value = offset, 5_000 + offset, key, value
        self.headers = headers


@given(st.lists(st.tuples(st.none() | st.binary(max_size=10), st.binary(max_size=30), _HEADERS),
                max_size=30))  # fmt: skip
def test_input_frames_carry_the_uncached_content_code(items: list) -> None:
    records = [_Fetched(i, key, value, headers) for i, (key, value, headers) in enumerate(items)]
    for _ in range(2):  # the second pass reads the cache
        data, offsets = f.pack_frames(*f.frame_consumer_records(2, records))
        columns = in_columns(np.frombuffer(data, np.uint8), offsets)
        back = [columns.record(i) for i in range(len(columns))]
        assert [(r.partition, r.offset, r.timestamp, r.key, r.value) for r in back] == [
            (2, r.offset, r.timestamp, r.key, r.value) for r in records
        ]
        assert [r.content for r in back] == [f.content_code(r.headers) for r in records]


def test_the_header_cache_stays_bounded() -> None:
    for i in range(3 * f._MAX_CACHED_HEADERS):
        headers = (("content-type", b"application/json"), ("trace", b"%d" % i))
        assert f._content_code_cached(headers) == f.CONTENT_JSON
    assert len(f._CODE_OF_HEADERS) <= f._MAX_CACHED_HEADERS


_SOURCE = st.builds(f.InRecord, st.integers(0, 2**31 - 1), st.integers(0, 2**62),
                    st.integers(0, 2**62), st.none() | st.binary(max_size=12), st.just(0),
                    st.just(b""))  # fmt: skip
_FRAME = st.one_of(
    st.builds(lambda s, aux, content, value: f.out_frame(f.RESULT, s, aux, content, value),
              _SOURCE, st.binary(max_size=20), st.sampled_from([1, 2]), st.binary(max_size=50)),
    st.builds(lambda s, value: f.out_frame(f.DEAD, s, f.dead_aux("text_empty", "validate", "ü"),
                                           f.CONTENT_NONE, value),
              _SOURCE, st.binary(max_size=50)),
    st.builds(f.stats_frame, st.integers(0, 9999), st.integers(0, 2**40), st.just("cpu")),
    st.builds(f.warm_frame, st.integers(0, 99999), st.integers(0, 2**40)),
)  # fmt: skip


@settings(deadline=None)  # the first example loads the ring's compiled functions
@given(st.lists(_FRAME, min_size=1, max_size=40), st.data())
def test_out_columns_decode_like_iter_out_frames(frames: list[bytes], data: st.DataObject) -> None:
    with Ring.create(None, capacity_records=64, arena_bytes=1 << 16,
                     max_record_bytes=1 << 12) as ring:  # fmt: skip
        ring.push_many(*f.pack_frames(frames, [len(x) for x in frames]))
        claim = ring.claim_batch(64)
        columns = f.OutColumns.of_claim(claim.buffer, claim.offsets)
        expected = list(f.iter_out_frames(claim.records()))
        ring.release(claim)  # the columns own a copy
    picked = np.array(sorted(data.draw(st.sets(st.integers(0, len(frames) - 1)))), np.int64)
    subset = columns.take(picked)
    assert len(subset) == len(picked)
    for j, i in enumerate(picked.tolist()):
        frame = expected[i]
        assert (subset.kind[j], subset.partition[j], subset.offset[j], subset.timestamp[j],
                subset.content[j]) == (frame.kind, frame.partition, frame.offset,
                                       frame.timestamp, frame.content)  # fmt: skip
        key_start = int(subset.key_starts()[j])
        key = None if subset.key_len[j] < 0 else subset.data[key_start : key_start + len(frame.key)]
        assert key == frame.key
        aux_start = int(subset.aux_starts()[j])
        assert subset.data[aux_start : aux_start + subset.aux_len[j]] == frame.aux
    assert list(f.iter_out_frames(columns.frames(picked))) == [expected[i] for i in picked]
