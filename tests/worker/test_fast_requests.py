"""The compiled request recogniser: what it takes, what it leaves, and the bytes it writes."""

from __future__ import annotations

import json

import msgpack
import numpy as np
import orjson
import pytest

from worker import _framing as f
from worker._columns import InColumns, in_columns
from worker._requests import decode_requests

MAX_TEXT = 100


def _columns(values: list[bytes], content: int = f.CONTENT_NONE) -> InColumns:
    frames = [f.IN_HEADER.pack(3, 40 + i, 0, -1, content) + v for i, v in enumerate(values)]
    data, offsets = f.pack_frames(frames, [len(x) for x in frames])
    return in_columns(np.frombuffer(data, np.uint8), offsets)


def _fast_rows(values: list[bytes], content: int = f.CONTENT_NONE, fmt: str = "same") -> list:
    """The batch each value lands in when only the recogniser runs (None: left to the
    per-record path), as (format, text, id, constraints) bytes."""
    from worker import _fast_json as fj
    from worker import _fast_requests as fr
    from worker._requests import _empty_arenas, _kinds

    columns = _columns(values, content)
    kinds = _kinds(columns)
    formats = kinds if fmt == "same" else np.full(len(kinds), ("json", "msgpack").index(fmt))
    arenas, offsets = _empty_arenas(columns, 2)
    rows = (columns.value_start, columns.value_end, kinds, (formats == 0) & (kinds == 0),
            columns.partition, columns.offset)  # fmt: skip
    rules = (MAX_TEXT, np.frombuffer(b"in", np.uint8))
    ok = np.zeros(len(values), np.bool_)
    fr.scan_requests(columns.buffer, rows, arenas, offsets, rules, (*fj.scratch(), ok))
    out = []
    for i in range(len(values)):
        parts = tuple(arenas[k][offsets[k, i] : offsets[k, i + 1]].tobytes() for k in range(3))
        out.append(parts if ok[i] else None)
    return out


def _one(value: bytes, content: int = f.CONTENT_NONE, fmt: str = "same") -> tuple | None:
    result: tuple | None = _fast_rows([value], content, fmt)[0]
    return result


@pytest.mark.parametrize(
    ("value", "text", "ident"),
    [
        (b'{"text":"build a react app"}', "build a react app", "in/3/40"),
        (b' {"v": 1, "id": "a1", "text": "x", "ts": 17} \n', "x", "a1"),
        (b'{"id":null,"text":"x","constraints":null,"ts":null}', "x", "in/3/40"),
        (b'{"text":"q\\"b\\\\s\\/n\\n\\t\\u00e9\\ud83d\\ude00\\u0000"}',
         'q"b\\s/n\n\té😀\x00', "in/3/40"),
        (json.dumps({"text": "ünï 中文 🎉", "id": "é" * 128}, ensure_ascii=False).encode(),
         "ünï 中文 🎉", "é" * 128),
        (json.dumps({"text": "ünï 中文 🎉", "id": "ü"}).encode(), "ünï 中文 🎉", "ü"),
        (b'{"text":"x","extra":[1,{"a":[true,false,null]}],"more":"s"}', "x", "in/3/40"),
        (b'{"text":"' + b"a" * MAX_TEXT + b'"}', "a" * MAX_TEXT, "in/3/40"),
    ],
)  # fmt: skip
def test_well_formed_json_is_recognised(value: bytes, text: str, ident: str) -> None:
    assert _one(value) == (text.encode(), ident.encode(), b"")


@pytest.mark.parametrize(
    "raw",
    [b'{"a": 1}', b'{"a": {"b": [1, -2, 0, "x y", true, null, {}, []]}, "c": {}}',
     b'{"k": 123456789012345678, "z": -5}'],
)  # fmt: skip
def test_json_constraints_are_canonical_orjson(raw: bytes) -> None:
    value = b'{"text": "x", "constraints": ' + raw + b"}"
    expected = orjson.dumps(orjson.loads(raw))
    assert _one(value) == (b"x", b"in/3/40", expected)


@pytest.mark.parametrize(
    "value",
    [
        b"", b"[]", b'"text"', b"{}", b'{"id":"a"}', b'{"text":""}', b'{"text":1}',
        b'{"text":null}', b'{"text":"' + b"a" * (MAX_TEXT + 1) + b'"}',
        b'{"text":"x","text":"y"}', b'{"text":"x","id":"a","id":"b"}', b'{"text":"x","v":2}',
        b'{"text":"x","v":1.0}', b'{"text":"x","v":true}', b'{"text":"x","v":null}',
        b'{"text":"x","id":""}', b'{"text":"x","id":"' + b"i" * 129 + b'"}', b'{"text":"x","id":5}',
        b'{"text":"x","ts":-1}', b'{"text":"x","ts":1.5}', b'{"text":"x","ts":"1"}',
        b'{"text":"x","ts":1234567890123456789}', b'{"text":"x","constraints":[]}',
        b'{"text":"x","constraints":{"a":1.5}}', b'{"text":"x","constraints":{"a":1,"a":2}}',
        b'{"text":"x","constraints":{"a":"\\n"}}', b'{"text":"x","constraints":{"a":-0}}',
        b'{"t\\u0065xt":"x"}', b'{"text":"x","e":1e5}', b'{"text":"\\ud800"}',
        b'{"text":"\\udc00"}', b'{"text":"\\ud800\\u0041"}', b'{"text":"\\x"}', b'{"text":"\x01"}',
        b'{"text":"\xff"}', b'{"text":"\xed\xa0\x80"}', b'{"text":"\xc0\xaf"}',
        b'{"text":"\xf4\x90\x80\x80"}', b'{"text":"x"} x', b'{"text":"x",}', b'{"text":"x"',
        b'\xef\xbb\xbf{"text":"x"}', b'{"text":"x","c":' + b"[" * 40 + b"]" * 40 + b"}",
    ],
)  # fmt: skip
def test_anything_else_is_left_to_the_per_record_path(value: bytes) -> None:
    assert _one(value) is None


def test_constraints_with_msgpack_output_are_left_to_the_per_record_path() -> None:
    value = b'{"text":"x","constraints":{"a":1}}'
    assert _one(value, fmt="msgpack") is None
    assert _one(b'{"text":"x","constraints":null}', fmt="msgpack") == (b"x", b"in/3/40", b"")


@pytest.mark.parametrize(
    ("obj", "ident"),
    [({"text": "a cli in rust"}, "in/3/40"), ({"v": 1, "id": "m", "text": "a cli in rust",
     "ts": 2**40, "constraints": None}, "m"), ({"text": "a cli in rust", "id": None}, "in/3/40"),
     ({"text": "a cli in rust", "ts": 200}, "in/3/40"), ({"text": "a cli in rust\x01"}, "in/3/40")],
)  # fmt: skip
def test_well_formed_msgpack_is_recognised(obj: dict, ident: str) -> None:
    assert _one(msgpack.packb(obj)) == (obj["text"].encode(), ident.encode(), b"")
    long_text = {**obj, "text": "é" * 40}  # a str8
    assert _one(msgpack.packb(long_text)) == (long_text["text"].encode(), ident.encode(), b"")


@pytest.mark.parametrize(
    "value",
    [msgpack.packb({"text": "x", "constraints": {}}), msgpack.packb({"text": "x", "other": 1}),
     msgpack.packb({"text": "x", "ts": -1}), msgpack.packb({"text": "x", "v": 2}),
     msgpack.packb({"text": b"x"}), msgpack.packb({"text": ""}), msgpack.packb({"id": "x"}),
     msgpack.packb({"text": "x"}) + b"\x00", msgpack.packb({"text": "x"})[:-1],
     b"\x81\xa4text\xa1\xff", b"\x82\xa4text\xa1x\xa4text\xa1y"],
)  # fmt: skip
def test_other_msgpack_is_left_to_the_per_record_path(value: bytes) -> None:
    assert _one(value) is None


def test_content_type_decides_the_decoder() -> None:
    as_json = b'{"text":"x"}'
    assert _one(as_json, f.CONTENT_JSON) == (b"x", b"in/3/40", b"")
    assert _one(as_json, f.CONTENT_MSGPACK) is None
    assert _one(msgpack.packb({"text": "x"}), f.CONTENT_JSON) is None


def test_a_batch_mixes_recognised_and_per_record_rows_in_input_order() -> None:
    values = [b'{"text":"a"}', b"\xff", msgpack.packb({"text": "b"}), b'{"text":"c","text":"d"}',
              b'{"text":"e","id":"e1"}']  # fmt: skip
    groups, dead = decode_requests(_columns(values), "in", "same", MAX_TEXT)
    assert [(g.fmt, g.rows.tolist()) for g in groups] == [("json", [0, 3, 4]), ("msgpack", [2])]
    json_batch = groups[0].batch
    assert json_batch.texts.tobytes() == b"ade" and json_batch.text_offsets.tolist() == [0, 1, 2, 3]
    assert json_batch.ids.tobytes() == b"in/3/40in/3/43e1"
    assert [f.split_dead_aux(x.aux)[0] for x in f.iter_out_frames(iter(dead))] == ["invalid_utf8"]


def test_batches_have_the_array_types_of_make_batch() -> None:
    """numba compiles the kernels once per array type and a drain warms them with a
    `make_batch` batch: a fast-path batch of another type would compile them again."""
    import kernels

    reference = kernels.make_batch(["x"], ["a"], None, "json")
    values = [b'{"text":"a"}', b'{"text":"b","id":"c"}', b"\xff", b'{"text":"d","text":"e"}']
    for picked in (values[:2], values):  # the recogniser's arenas, and a merged batch
        ((group,), _) = decode_requests(_columns(picked), "in", "same", MAX_TEXT)
        for name in ("texts", "text_offsets", "ids", "id_offsets", "constraints",
                     "constraint_offsets"):  # fmt: skip
            ours, theirs = getattr(group.batch, name), getattr(reference, name)
            assert (ours.dtype, ours.ndim, ours.flags.c_contiguous, ours.flags.writeable) == (
                theirs.dtype,
                theirs.ndim,
                theirs.flags.c_contiguous,
                theirs.flags.writeable,
            )
