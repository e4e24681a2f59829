"""Record frames: the rings carry bytes only, so each record travels with a small header.

Input frame (ingest → drain), little-endian::

    partition i32 | offset i64 | timestamp_ms i64 | key_len i32 (-1: no key) | content i8
    key bytes | value bytes

Output frame (drain → egress)::

    kind u8 | partition i32 | offset i64 | timestamp_ms i64 | key_len i32 | aux_len i32 | content i8
    key bytes | aux bytes | value bytes

kind RESULT: aux = intent id, value = encoded result, content = its format.
kind DEAD: aux = "code\\0stage\\0message", value = the original record bytes.
kind STATS: one per parsed batch so the parent can update metrics without multiprocess
Prometheus: partition = records, offset = kernel nanoseconds, aux = a JSON object with the
backend label and, for GPU batches, the device's copy and kernel times.
kind WARM: a drain finished warming its backend (JIT compile or cache load): partition =
its pid, offset = nanoseconds it took, timestamp = milliseconds from its process start to
the warm-up (imports). Readiness waits for it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
import orjson

from schemas import JSON, MSGPACK, content_type_of

IN_HEADER = struct.Struct("<iqqib")
OUT_HEADER = struct.Struct("<Biqqiib")
RESULT, DEAD, STATS, WARM = 0, 1, 2, 3
_MAX_MESSAGE_BYTES = 1024
MAX_AUX_BYTES = 32 + 1 + 32 + 1 + _MAX_MESSAGE_BYTES  # a dead letter's code, stage, message
CONTENT_NONE, CONTENT_JSON, CONTENT_MSGPACK = 0, 1, 2
CONTENT_TYPES = {CONTENT_NONE: None, CONTENT_JSON: JSON, CONTENT_MSGPACK: MSGPACK}
FORMAT_CODES = {"json": CONTENT_JSON, "msgpack": CONTENT_MSGPACK}
_CODE_OF_TYPE = {JSON: CONTENT_JSON, MSGPACK: CONTENT_MSGPACK}


class InRecord(NamedTuple):
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    content: int
    value: bytes


class OutFrame(NamedTuple):
    kind: int
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    aux: bytes
    content: int
    value: bytes


def content_code(headers: Sequence[tuple[str, bytes | None]]) -> int:
    """The content-type header as a one-byte code (unknown types sniff like absent ones)."""
    for name, value in headers:
        if name == "content-type":
            return content_code_of(value)
    return CONTENT_NONE


def content_code_of(value: bytes | None) -> int:
    """The one-byte code of a content-type header's value (None: no value)."""
    return _CODE_OF_TYPE.get(content_type_of(value) or "", CONTENT_NONE)


def pack_frames(parts: list[bytes], sizes: list[int]) -> tuple[bytes, np.ndarray]:
    """One buffer + n + 1 offsets: the shape `Ring.push_many` takes."""
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return b"".join(parts), offsets


# headers tuple -> content code: producers send few distinct header sets, and parsing the
# content-type per record cost more than the rest of the framing
_CODE_OF_HEADERS: dict[Any, int] = {}
_MAX_CACHED_HEADERS = 1024


def _content_code_cached(headers: Sequence[tuple[str, bytes]]) -> int:
    try:
        return _CODE_OF_HEADERS[headers]
    except KeyError:
        pass
    except TypeError:  # an unhashable list of headers: no cache
        return content_code(headers)
    if len(_CODE_OF_HEADERS) >= _MAX_CACHED_HEADERS:
        _CODE_OF_HEADERS.clear()  # unique headers (trace ids, say) must not grow it forever
    code = _CODE_OF_HEADERS[headers] = content_code(headers)
    return code


def max_input_frame(max_record_bytes: int) -> int:
    """The largest input frame a ring of `max_record_bytes` takes such that the record's
    dead letter (a bigger output header plus its reason) still fits the output ring."""
    return max_record_bytes - (OUT_HEADER.size - IN_HEADER.size) - MAX_AUX_BYTES


def frame_consumer_records(
    partition: int,
    records: Sequence[Any],
    max_frame_bytes: int | None = None,
    too_large: list[Any] | None = None,
) -> tuple[list[bytes], list[int]]:
    """Frames for one partition's fetched ConsumerRecords (parts and per-frame sizes).

    Records whose frame would exceed `max_frame_bytes` are not framed: they go to
    `too_large` (the caller dead-letters them without the ring)."""
    parts: list[bytes] = []
    sizes: list[int] = []
    pack, head = IN_HEADER.pack, IN_HEADER.size
    limit = max_frame_bytes if max_frame_bytes is not None else 1 << 62
    oversized = too_large if too_large is not None else []
    for r in records:
        key, value, headers = r.key, r.value or b"", r.headers
        if head + len(value) + (len(key) if key else 0) > limit:
            oversized.append(r)
            continue
        code = _content_code_cached(headers) if headers else CONTENT_NONE
        if key is None:
            parts += (pack(partition, r.offset, r.timestamp, -1, code), value)
            sizes.append(head + len(value))
        else:
            parts += (pack(partition, r.offset, r.timestamp, len(key), code), key, value)
            sizes.append(head + len(key) + len(value))
    return parts, sizes


def out_frame(kind: int, source: InRecord, aux: bytes, content: int, value: bytes) -> bytes:
    """One output frame for `source`'s result or dead letter."""
    key = source.key
    key_len = -1 if key is None else len(key)
    header = OUT_HEADER.pack(
        kind, source.partition, source.offset, source.timestamp, key_len, len(aux), content
    )
    return b"".join((header, key or b"", aux, value))


def stats_frame(records: int, kernel_ns: int, details: dict[str, Any]) -> bytes:
    """`details`: at least {"backend": label}; GPU batches add device times and bytes."""
    aux = orjson.dumps(details)
    return OUT_HEADER.pack(STATS, records, kernel_ns, 0, -1, len(aux), CONTENT_NONE) + aux


def warm_frame(pid: int, elapsed_ns: int, before_ms: int = 0) -> bytes:
    """`before_ms`: what the drain spent before warming (its imports), in the timestamp."""
    return OUT_HEADER.pack(WARM, pid, elapsed_ns, before_ms, -1, 0, CONTENT_NONE)


def iter_out_frames(frames: Iterator[memoryview]) -> Iterator[OutFrame]:
    unpack, head = OUT_HEADER.unpack_from, OUT_HEADER.size
    for frame in frames:
        kind, partition, offset, timestamp, key_len, aux_len, content = unpack(frame)
        key_end = head + max(key_len, 0)
        aux_end = key_end + aux_len
        key = None if key_len < 0 else bytes(frame[head:key_end])
        aux = bytes(frame[key_end:aux_end])
        value = bytes(frame[aux_end:])
        yield OutFrame(kind, partition, offset, timestamp, key, aux, content, value)


# The headers as numpy records, to decode a whole batch's headers in one step
IN_HEADER_DTYPE = np.dtype([("partition", "<i4"), ("offset", "<i8"), ("timestamp", "<i8"),
                            ("key_len", "<i4"), ("content", "i1")])  # fmt: skip
_OUT_DTYPE = np.dtype([("kind", "u1"), ("partition", "<i4"), ("offset", "<i8"),
                       ("timestamp", "<i8"), ("key_len", "<i4"), ("aux_len", "<i4"),
                       ("content", "i1")])  # fmt: skip
assert IN_HEADER_DTYPE.itemsize == IN_HEADER.size and _OUT_DTYPE.itemsize == OUT_HEADER.size


def read_headers(buffer: np.ndarray, starts: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The header (a `dtype` record) at the start of every frame, gathered in one step."""
    rows = buffer[starts[:, None] + np.arange(dtype.itemsize)]  # (n, header bytes)
    return rows.view(dtype).reshape(len(starts))


class OutColumns:
    """Output frames decoded column-wise (one numpy array per field) over one `bytes`.

    Egress keeps this instead of per-record objects: one copy of a claim's bytes, which the
    record batch writer reads results from (and dead letters go to aiokafka's builder as
    memoryview slices of it).
    """

    __slots__ = ("data", "buffer", "starts", "ends", "kind", "partition", "offset",
                 "timestamp", "key_len", "aux_len", "content")  # fmt: skip
    kind: np.ndarray  # one array per OUT_HEADER field, set from _OUT_DTYPE's names
    partition: np.ndarray
    offset: np.ndarray
    timestamp: np.ndarray
    key_len: np.ndarray
    aux_len: np.ndarray
    content: np.ndarray

    def __init__(self, data: bytes, starts: np.ndarray, ends: np.ndarray) -> None:
        self.data = data
        self.buffer = np.frombuffer(data, np.uint8)
        self.starts, self.ends = starts, ends
        fields = read_headers(self.buffer, starts, _OUT_DTYPE)
        for name in _OUT_DTYPE.names or ():
            setattr(self, name, fields[name])

    @classmethod
    def of_claim(cls, buffer: np.ndarray, offsets: np.ndarray) -> OutColumns:
        """Copy a claim (`buffer[offsets[i]:offsets[i + 1]]` is frame i) out of the ring."""
        return cls(buffer[: offsets[-1]].tobytes(), offsets[:-1], offsets[1:])

    def __len__(self) -> int:
        return len(self.starts)

    def take(self, indices: np.ndarray) -> OutColumns:
        """The frames at `indices`, sharing this one's bytes."""
        return OutColumns(self.data, self.starts[indices], self.ends[indices])

    def key_starts(self) -> np.ndarray:
        return self.starts + OUT_HEADER.size

    def aux_starts(self) -> np.ndarray:
        return self.key_starts() + np.maximum(self.key_len, 0)

    def frames(self, indices: np.ndarray) -> Iterator[memoryview]:
        """Whole frames, for `iter_out_frames`."""
        view = memoryview(self.data)
        starts, ends = self.starts[indices].tolist(), self.ends[indices].tolist()
        for start, end in zip(starts, ends, strict=True):
            yield view[start:end]


def dead_aux(code: str, stage: str, message: str) -> bytes:
    """The reason of a dead letter, at most MAX_AUX_BYTES (a long message is cut)."""
    reason = message.encode("utf-8", "replace")[:_MAX_MESSAGE_BYTES]
    return b"\0".join((code.encode()[:32], stage.encode()[:32], reason))


def split_dead_aux(aux: bytes) -> tuple[str, str, str]:
    code, stage, message = aux.split(b"\0", 2)
    return code.decode(), stage.decode(), message.decode("utf-8", "replace")
