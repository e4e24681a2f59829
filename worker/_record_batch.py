"""Kafka record batches (format v2, uncompressed) for results, written by compiled code.

aiokafka's `BatchBuilder` takes records one Python call at a time, each with its list of
header tuples, and checksums the batch with a table: for 2.6 KB results that was 3.6 us
per record of the parent's one core. Egress writes a partition's results here instead:
one pass sizes them and cuts batches as aiokafka's builder would, one pass per batch
writes the records, and the batch goes to the producer as a `PrebuiltBatch`, through
aiokafka's own send path (acks, retries, idempotent sequence numbers). The bytes are the
ones aiokafka's builder writes for the same records, timestamps and headers.
"""

from __future__ import annotations

import struct
import time
from typing import Any

import numpy as np
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.util import encode_varint

from ._crc32c import crc32c
from ._fast_json import copy_bytes
from ._jit import jit

# baseOffset, length, partitionLeaderEpoch, magic, crc, attributes, lastOffsetDelta,
# firstTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence, records
HEADER = struct.Struct(">qiibIhiqqqhii")
HEADER_BYTES = HEADER.size  # 61
LENGTH_AFTER = 12  # the length field counts the bytes after itself
CRC_AT, ATTRIBUTES_AT, _PRODUCER_AT = 17, 21, 43  # (the reader, `_record_reader`, too)
_PRODUCER = struct.Struct(">qhi")
_NO_LEADER_EPOCH = -1


@jit(inline=True)
def _varint_size(value):
    """Bytes of a zigzag varint (Kafka's record fields)."""
    z = (value << 1) ^ (value >> 63)
    n = 1
    while z >= 0x80:
        z >>= 7
        n += 1
    return n


@jit(inline=True)
def _put_varint(out, at, value):
    z = np.uint64((value << 1) ^ (value >> 63))
    while z >= 0x80:
        out[at] = np.uint8((z & 0x7F) | 0x80)
        z >>= np.uint64(7)
        at += 1
    out[at] = np.uint8(z)
    return at + 1


@jit(inline=True)
def _body_size(delta, key_len, value_len, prefix_len, id_len):
    """A record's bytes after its length: attributes, timestamp delta (0), offset delta,
    key, value, then the headers (a fixed prefix for the content type, the id last)."""
    return (2 + _varint_size(delta) + _varint_size(key_len) + max(key_len, 0)
            + _varint_size(value_len) + value_len + prefix_len
            + _varint_size(id_len) + id_len)  # fmt: skip


@jit(nrt=True)  # allocates its two result arrays
def plan_batches(key_len, value_len, prefix_len, id_len, limit):
    """Each record's size in its batch, and where batches start (records, then an end), as
    aiokafka's builder cuts them: a record goes in while the batch stays within `limit`
    bytes (header included); a batch's first record always goes in."""
    n = len(key_len)
    sizes = np.empty(n, np.int64)
    starts = np.empty(n + 1, np.int64)
    batches, lo, used = 0, 0, 0
    for i in range(n):
        body = _body_size(i - lo, key_len[i], value_len[i], prefix_len[i], id_len[i])
        size = _varint_size(body) + body
        if i > lo and HEADER_BYTES + used + size > limit:
            starts[batches] = lo
            batches += 1
            lo, used = i, 0
            body = _body_size(0, key_len[i], value_len[i], prefix_len[i], id_len[i])
            size = _varint_size(body) + body
        sizes[i] = size
        used += size
    if n:
        starts[batches] = lo
        batches += 1
    starts[batches] = n
    return sizes, starts[: batches + 1]


@jit
def write_records(out, data, key_start, key_len, value_start, value_len, id_start, id_len,
                  prefixes, prefix_start, prefix_len, lo, hi):  # fmt: skip
    """Records lo..hi after the batch header of `out`; returns the end."""
    at = HEADER_BYTES
    for i in range(lo, hi):
        body = _body_size(i - lo, key_len[i], value_len[i], prefix_len[i], id_len[i])
        at = _put_varint(out, at, body)
        out[at] = 0  # attributes
        out[at + 1] = 0  # timestamp delta: one timestamp per batch
        at = _put_varint(out, at + 2, i - lo)
        at = _put_varint(out, at, key_len[i])
        if key_len[i] > 0:
            at = copy_bytes(out, at, data, key_start[i], key_start[i] + key_len[i])
        at = _put_varint(out, at, value_len[i])
        at = copy_bytes(out, at, data, value_start[i], value_start[i] + value_len[i])
        at = copy_bytes(out, at, prefixes, prefix_start[i], prefix_start[i] + prefix_len[i])
        at = _put_varint(out, at, id_len[i])
        at = copy_bytes(out, at, data, id_start[i], id_start[i] + id_len[i])
    return at


def header_prefix(headers: list[tuple[str, bytes]], last_key: str) -> bytes:
    """The encoded header count and `headers`, then the key of a last header whose value
    each record supplies: what every record with these headers shares."""
    out = bytearray()
    encode_varint(len(headers) + 1, out.append)
    for key, value in headers:
        for part in (key.encode(), value):
            encode_varint(len(part), out.append)
            out += part
    encode_varint(len(last_key.encode()), out.append)
    out += last_key.encode()
    return bytes(out)


class RecordColumns:
    """Records as spans of one buffer: key (length -1: none), value, a header prefix per
    record (spans of `prefixes`), and the last header's value (the intent id)."""

    def __init__(self, data: np.ndarray, key_start: np.ndarray, key_len: np.ndarray,
                 value_start: np.ndarray, value_len: np.ndarray, id_start: np.ndarray,
                 id_len: np.ndarray, prefixes: np.ndarray, prefix_start: np.ndarray,
                 prefix_len: np.ndarray) -> None:  # fmt: skip
        self.arrays = (data, key_start, key_len, value_start, value_len, id_start, id_len,
                       prefixes, prefix_start, prefix_len)  # fmt: skip

    def batches(self, limit: int, timestamp_ms: int | None = None) -> list[PrebuiltBatch]:
        """The records as record batches of at most `limit` bytes (a lone larger record
        gets a batch of its own), in order."""
        (data, key_start, key_len, value_start, value_len, id_start, id_len,
         prefixes, prefix_start, prefix_len) = self.arrays  # fmt: skip
        sizes, starts = plan_batches(key_len, value_len, prefix_len, id_len, limit)
        now = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        built = []
        for lo, hi in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            buffer = bytearray(HEADER_BYTES + int(sizes[lo:hi].sum()))
            write_records(np.frombuffer(buffer, np.uint8), *self.arrays, lo, hi)
            HEADER.pack_into(buffer, 0, 0, len(buffer) - LENGTH_AFTER, _NO_LEADER_EPOCH, 2, 0,
                             0, hi - lo - 1, now, now, -1, -1, 0, hi - lo)  # fmt: skip
            built.append(PrebuiltBatch(buffer, hi - lo))
        return built


class PrebuiltBatch(BatchBuilder):
    """A record batch written elsewhere, handed to aiokafka's producer as a closed
    `BatchBuilder`: the producer only asks it for its count, size and bytes, and sets the
    idempotent producer's id, epoch and first sequence number before the bytes are sent.
    The checksum covers those, so it is computed when the bytes are asked for."""

    def __init__(self, buffer: bytearray, count: int) -> None:  # no aiokafka builder inside
        self._data = buffer
        self._relative_offset = count
        self._buffer: bytearray | None = None
        self._closed = True

    def append(self, *, timestamp: Any, key: Any, value: Any, headers: Any = ()) -> None:
        return None  # closed: nothing more goes in

    def _set_producer_state(self, producer_id: int, epoch: int, base_sequence: int) -> None:
        _PRODUCER.pack_into(self._data, _PRODUCER_AT, producer_id, epoch, base_sequence)
        self._buffer = None

    def _build(self) -> bytearray:
        if self._buffer is None:
            checked = np.frombuffer(self._data, np.uint8)[ATTRIBUTES_AT:]
            struct.pack_into(">I", self._data, CRC_AT, crc32c(checked))
            self._buffer = self._data
        return self._buffer

    def size(self) -> int:
        return len(self._data)


def warm_up() -> None:
    """Load (or compile) the writer and the checksum for the argument types egress passes:
    read-only bytes (a claim copied out of the ring), int64 columns."""
    data = np.frombuffer(b"kiv", np.uint8)
    one = np.ones(1, np.int64)
    prefix = np.frombuffer(header_prefix([], "i"), np.uint8)
    columns = RecordColumns(data, 0 * one, one, 2 * one, one, one, one, prefix, 0 * one,
                            len(prefix) * one)  # fmt: skip
    for batch in columns.batches(1 << 20):
        batch._build()
