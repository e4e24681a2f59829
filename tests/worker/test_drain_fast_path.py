"""The drain's compiled request path gives the same output frames as the per-record path."""

from __future__ import annotations

import json

import msgpack
import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker import _framing as f
from worker._columns import in_columns
from worker._drain import DrainSettings, parse_records

_KEYS = st.sampled_from(["v", "id", "text", "constraints", "ts", "extra", "tags"])
_TEXTS = st.one_of(
    st.text(min_size=0, max_size=30),
    st.text(st.characters(codec="utf-8"), max_size=12),  # surrogates, control characters
    st.text(st.sampled_from('ab "\\/\n\x00\x1fé中😀\u2028'), max_size=20),
    st.just("a" * 64), st.just("é" * 32), st.just("b" * 65),  # around max_text_bytes
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from([0, 1, 1.0, 2, -0.0]),
    st.floats(allow_nan=False, allow_infinity=False), _TEXTS,
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "é", ""]), inner, max_size=3),
    ),
    max_leaves=6,
)  # fmt: skip
_WS = st.sampled_from(["", " ", "\n\t", "\r "])
# values a well-formed request holds, with the edges of each rule
_PLAUSIBLE = {
    "v": st.sampled_from([1, 1, 1, 1.0, 2, None]),
    "id": st.one_of(st.none(), st.text(min_size=0, max_size=130), st.just("i" * 128)),
    "text": _TEXTS,
    "constraints": st.one_of(st.none(), st.dictionaries(st.text(max_size=3), st.one_of(
        st.integers(-(10**18), 10**19), st.text(max_size=4), st.booleans(), st.none(),
        st.lists(st.integers(0, 9), max_size=2)), max_size=3)),
    "ts": st.one_of(st.none(), st.integers(-1, 2**64)),
}  # fmt: skip


@st.composite
def _json_value(draw: st.DrawFn) -> bytes:
    """A JSON object written member by member: duplicate keys, spacing and escapes vary."""
    members = draw(st.lists(st.tuples(_KEYS, _VALUES), max_size=6))
    if draw(st.booleans()):  # mostly well-formed: the request keys, each once, any order
        members = [(k, draw(_PLAUSIBLE[k])) for k in draw(st.permutations(list(_PLAUSIBLE)))
                   if draw(st.booleans()) or k == "text"]  # fmt: skip
    elif draw(st.booleans()):
        members.append(("text", draw(_TEXTS)))
    ascii_only = draw(st.booleans())
    ws = draw(_WS)

    def dump(value: object) -> str:
        try:
            return json.dumps(value, ensure_ascii=ascii_only)
        except ValueError:
            return "null"

    body = ("," + ws).join(f"{dump(k)}{ws}:{ws}{dump(v)}" for k, v in members)
    return ("{" + ws + body + ws + "}").encode("utf-8", "surrogatepass")


@st.composite
def _msgpack_value(draw: st.DrawFn) -> bytes:
    """A msgpack map written pair by pair (duplicate keys possible)."""
    members = draw(st.lists(st.tuples(_KEYS, _VALUES), max_size=4))
    if draw(st.booleans()):
        members = [(k, draw(_PLAUSIBLE[k])) for k in draw(st.permutations(list(_PLAUSIBLE)))
                   if draw(st.booleans()) or k == "text"]  # fmt: skip
    elif draw(st.booleans()):
        members.append(("text", draw(_TEXTS)))
    parts = [bytes([0x80 | len(members)])]
    for key, value in members:
        try:
            parts.append(msgpack.packb(key) + msgpack.packb(value))
        except (ValueError, OverflowError, UnicodeEncodeError):
            parts.append(msgpack.packb(key) + b"\xc0")
    return b"".join(parts)


@st.composite
def _damaged(draw: st.DrawFn) -> bytes:
    """A valid-looking record with a byte changed, cut short or followed by junk."""
    value = draw(st.one_of(_json_value(), _msgpack_value()))
    how = draw(st.sampled_from(["byte", "cut", "junk"]))
    if how == "cut" or not value:
        return value[: draw(st.integers(0, len(value)))]
    if how == "junk":
        return value + draw(st.sampled_from([b"x", b" ", b"\x00", b"}"]))
    at = draw(st.integers(0, len(value) - 1))
    byte = draw(st.sampled_from([0xFF, 0xC0, 0xED, 0x80, 0x5C, 0x22, 0x00]))
    return value[:at] + bytes([byte]) + value[at + 1 :]


_COMMON = st.builds(lambda i, t: orjson.dumps({"v": 1, "id": f"r{i}", "text": t}),
                    st.integers(0, 99), st.text(min_size=1, max_size=40))  # fmt: skip
_RECORDS = st.lists(
    st.tuples(st.one_of(_COMMON, _json_value(), _msgpack_value(), _damaged(),
                        st.binary(max_size=8)),
              st.sampled_from([f.CONTENT_NONE, f.CONTENT_NONE, f.CONTENT_JSON, f.CONTENT_MSGPACK]),
              st.one_of(st.none(), st.binary(max_size=4))),
    max_size=10,
)  # fmt: skip


def _columns(records: list[tuple[bytes, int, bytes | None]]):  # type: ignore[no-untyped-def]
    frames = [
        f.IN_HEADER.pack(i % 3, 7 + i, 100 + i, -1 if key is None else len(key), content)
        + (key or b"")
        + value
        for i, (value, content, key) in enumerate(records)
    ]
    data, offsets = f.pack_frames(frames, [len(x) for x in frames])
    return in_columns(np.frombuffer(data, np.uint8), offsets)


def _comparable(block: tuple[np.ndarray, np.ndarray]) -> list[bytes]:
    """The output frames as bytes, with each stats frame's kernel time zeroed (a clock)."""
    data, offsets = block
    frames = [data[a:b].tobytes() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    return [x[:5] + bytes(8) + x[13:] if x[0] == f.STATS else x for x in frames]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_RECORDS, st.sampled_from(["same", "json", "msgpack"]))
def test_fast_and_per_record_paths_give_the_same_frames(
    records: list[tuple[bytes, int, bytes | None]], output_format: str
) -> None:
    columns = _columns(records)
    drain = DrainSettings("in", "reference", 64, 5, output_format, 64, 1 << 20)
    fast = _comparable(parse_records(columns, drain, fast=True))
    slow = _comparable(parse_records(columns, drain, fast=False))
    assert fast == slow


def test_the_common_shape_takes_the_fast_path_and_matches() -> None:
    """The recogniser must take the e2e bench's request shape (else the test above proves
    nothing about it): the batch arenas are the recogniser's, not the per-record ones."""
    from worker._requests import decode_requests

    values = [json.dumps({"v": 1, "id": str(i), "text": f"build app {i} with “quotes”"},
                         ensure_ascii=False).encode() for i in range(50)]  # fmt: skip
    columns = _columns([(v, f.CONTENT_NONE, b"k") for v in values])
    (group,), dead = decode_requests(columns, "in", "same", 1000)
    assert dead == [] and group.rows.tolist() == list(range(50))
    assert group.batch.text_offsets.base is not None  # a row of the recogniser's offsets
    drain = DrainSettings("in", "reference", 64, 5, "same", 1000, 1 << 20)
    fast = parse_records(columns, drain, fast=True)
    assert _comparable(fast) == _comparable(parse_records(columns, drain, fast=False))
