"""A result too large to produce, or to push through the output ring, becomes a dead letter
with the original request, in its place; the records around it keep their results."""

from __future__ import annotations

import dataclasses

import numpy as np
import orjson

from ringbuffer import Ring
from worker import _framing as f
from worker._columns import in_columns
from worker._drain import DrainSettings, parse_records
from worker._result_limit import DEFAULT_MAX_RESULT_BYTES

SETTINGS = DrainSettings("in", "reference", 64, 5, "json", 1 << 16, 1 << 20)
_BIG_TEXT = "a. " * 300  # 900 bytes of request, about 20 KB of result


def _columns(texts: list[str]):
    head = [
        f.IN_HEADER.pack(2, 10 + i, 5, 2, f.CONTENT_JSON) + b"k%d" % i for i in range(len(texts))
    ]
    frames = [
        h + orjson.dumps({"id": f"r{i}", "text": t})
        for i, (h, t) in enumerate(zip(head, texts, strict=True))
    ]
    data, offsets = f.pack_frames(frames, [len(x) for x in frames])
    return in_columns(np.frombuffer(data, np.uint8), offsets)


def _frames(block: tuple[np.ndarray, np.ndarray]) -> list[f.OutFrame]:
    data, offsets = block
    view = memoryview(data)
    bounds = zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
    return list(f.iter_out_frames(view[a:b] for a, b in bounds))


def test_the_default_leaves_room_under_kafkas_default_message_max_bytes() -> None:
    assert (
        DrainSettings("in", "cpu", 1, 1, "json", 1, 1).max_result_bytes == DEFAULT_MAX_RESULT_BYTES
    )
    assert 1_000_000 < DEFAULT_MAX_RESULT_BYTES <= 1_048_588 - 8_192


def test_a_result_over_max_result_bytes_is_dead_lettered_in_its_place() -> None:
    settings = dataclasses.replace(SETTINGS, max_result_bytes=10_000)
    columns = _columns(["a todo app", _BIG_TEXT, "a shop in rust"])
    out = [x for x in _frames(parse_records(columns, settings)) if x.kind != f.STATS]
    assert [(x.kind, x.offset) for x in out] == [(f.RESULT, 10), (f.DEAD, 11), (f.RESULT, 12)]
    dead = out[1]
    code, stage, message = f.split_dead_aux(dead.aux)
    assert (code, stage) == ("result_too_large", "encode")
    assert "--max-result-bytes" in message
    assert dead.value == bytes(columns.values()[1]) and dead.key == b"k1"
    assert dead.partition == 2 and dead.timestamp == 5
    assert all(len(x.value) + len(x.aux) + 2 <= 10_000 for x in out if x.kind == f.RESULT)


def test_a_result_over_the_output_rings_record_limit_is_dead_lettered_not_pushed_whole() -> None:
    """Pushed into a real ring whose records are at most 8 KiB: nothing raises."""
    with Ring.create(None, capacity_records=64, arena_bytes=1 << 14,
                     max_record_bytes=1 << 13) as ring:  # fmt: skip
        settings = dataclasses.replace(SETTINGS, max_frame_bytes=ring.max_record_bytes)
        columns = _columns([_BIG_TEXT, "a todo app"])
        data, offsets = parse_records(columns, settings)
        assert ring.push_many(data, offsets) == len(offsets) - 1
        claim = ring.claim_batch(64)
        assert claim is not None
        out = _frames((claim.buffer, claim.offsets))
        ring.release(claim)
    kinds = {x.offset: x.kind for x in out if x.kind != f.STATS}
    assert kinds == {10: f.DEAD, 11: f.RESULT}
    dead = next(x for x in out if x.kind == f.DEAD)
    assert f.split_dead_aux(dead.aux)[0] == "result_too_large"
    assert "raise --ring-bytes" in f.split_dead_aux(dead.aux)[2]
    assert dead.value == bytes(columns.values()[0])
