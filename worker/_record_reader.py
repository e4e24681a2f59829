"""Kafka record batches (format v2) read by compiled code into ring frames.

aiokafka hands a fetch out as one `ConsumerRecord` per record (its C reader builds the
record, Python the dataclass and the headers tuple): about 2.4 us per record of the
parent's one core on the 2-core VM, before ingest frames each record again. Here one
pass indexes a partition's fetched bytes (offsets, timestamps, key, value and the
content-type header's span) and one pass writes the input frames the drains read.

Compressed batches are decompressed first, with aiokafka's codec functions, as its reader
does. What this reader does not take (legacy batches, a bad CRC, a codec that is not
installed, a record whose sizes do not add up) it leaves to aiokafka: `index_records`
answers `NOT_READ` and the caller reads the partition through aiokafka's own iterator,
which raises what it raises.
The rules are aiokafka 0.14's `PartitionRecords._unpack_records` for a read-uncommitted
consumer: control batches are skipped, records below the fetch position are skipped
(a fetch starts at the batch holding the position), and the position moves to the end
of each batch read.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from aiokafka import codec

from ._crc32c import crc32c
from ._fast_json import copy_bytes
from ._framing import IN_HEADER
from ._jit import jit
from ._record_batch import ATTRIBUTES_AT, CRC_AT, HEADER_BYTES, LENGTH_AFTER

# the record index: one row per record handed out
OFFSET, TIMESTAMP, KEY_AT, KEY_LEN, VALUE_AT, VALUE_LEN, TYPE_AT, TYPE_LEN = range(8)
COLUMNS = 8
NOT_READ = -1
_COMPRESSED = -2

# a v2 batch's layout (the writer's, `_record_batch`): its records start at HEADER_BYTES
_MAGIC_AT, _LAST_DELTA_AT, _FIRST_TS_AT, _MAX_TS_AT, _COUNT_AT = 16, 23, 27, 35, 57
_COMPRESSION, _LOG_APPEND_TIME, _CONTROL = 0x07, 0x08, 0x20
_CONTENT_TYPE = np.frombuffer(b"content-type", np.uint8)
# the input frame's header (`_framing.IN_HEADER`, "<iqqib"): partition, offset,
# timestamp, key length (-1: none), content code
FRAME_HEADER = IN_HEADER.size


@jit(inline=True)
def _big(buf, at, size):
    """A big-endian signed integer of `size` bytes."""
    value = np.int64(0)
    for k in range(size):
        value = (value << 8) | np.int64(buf[at + k])
    shift = 64 - 8 * size
    return (value << shift) >> shift


@jit(inline=True)
def _varint(buf, at, end):
    """A zigzag varint at `at`: (value, next position), or (0, -1) past `end`."""
    z = np.uint64(0)
    shift = np.uint64(0)
    while at < end and shift < 64:
        b = np.uint64(buf[at])
        at += 1
        z |= (b & np.uint64(0x7F)) << shift
        if b < 0x80:
            return np.int64(z >> np.uint64(1)) ^ -np.int64(z & np.uint64(1)), at
        shift += np.uint64(7)
    return np.int64(0), -1


@jit
def _batches(buf):
    """Records in the complete v2 batches of buf; NOT_READ when one is not for us,
    _COMPRESSED when one is compressed."""
    n, pos, records, compressed = len(buf), 0, 0, False
    while n - pos >= LENGTH_AFTER:
        end = pos + LENGTH_AFTER + _big(buf, pos + 8, 4)
        if end > n:
            break  # a fetch may end inside a batch: the next fetch reads it
        if end - pos < HEADER_BYTES or buf[pos + _MAGIC_AT] != 2:
            return NOT_READ
        compressed |= (_big(buf, pos + ATTRIBUTES_AT, 2) & _COMPRESSION) != 0
        count = _big(buf, pos + _COUNT_AT, 4)
        if count < 0:
            return NOT_READ
        records += count
        pos = end
    return _COMPRESSED if compressed else records


@jit(nrt=True)
def _index(buf, position, records):
    """Rows of the records at or after `position`, and the position after the last batch
    (NOT_READ in both when a record's bytes do not add up)."""
    index = np.empty((records, COLUMNS), np.int64)
    n, pos, row = len(buf), 0, 0
    while n - pos >= LENGTH_AFTER:
        end = pos + LENGTH_AFTER + _big(buf, pos + 8, 4)
        if end > n:
            break
        base, attributes = _big(buf, pos, 8), _big(buf, pos + ATTRIBUTES_AT, 2)
        next_offset = base + _big(buf, pos + _LAST_DELTA_AT, 4) + 1
        if attributes & _CONTROL:
            position, pos = next_offset, end
            continue
        log_append = attributes & _LOG_APPEND_TIME
        first_ts, max_ts = _big(buf, pos + _FIRST_TS_AT, 8), _big(buf, pos + _MAX_TS_AT, 8)
        at = pos + HEADER_BYTES
        for _ in range(_big(buf, pos + _COUNT_AT, 4)):
            length, at = _varint(buf, at, end)
            start = at
            _, at = _varint(buf, at, end)  # attributes
            ts_delta, at = _varint(buf, at, end)
            offset_delta, at = _varint(buf, at, end)
            key_len, at = _varint(buf, at, end)
            if at < 0:
                return index[:0], NOT_READ
            key_at = at
            at += max(key_len, 0)
            value_len, at = _varint(buf, at, end)
            if at < 0:
                return index[:0], NOT_READ
            value_at = at
            at += max(value_len, 0)
            headers, at = _varint(buf, at, end)
            if at < 0 or headers < 0:
                return index[:0], NOT_READ
            type_at, type_len = np.int64(0), np.int64(-1)
            seen_type = False
            for _h in range(headers):
                name_len, at = _varint(buf, at, end)
                if at < 0 or name_len < 0 or at + name_len > end:
                    return index[:0], NOT_READ
                is_type = not seen_type and name_len == len(_CONTENT_TYPE)
                if is_type:
                    for k in range(name_len):
                        if buf[at + k] != _CONTENT_TYPE[k]:
                            is_type = False
                            break
                at += name_len
                h_len, at = _varint(buf, at, end)
                if at < 0:
                    return index[:0], NOT_READ
                if is_type:  # the first content-type header decides; null means none
                    seen_type, type_at, type_len = True, at, h_len
                at += max(h_len, 0)
            if at > end or at - start != length:
                return index[:0], NOT_READ
            offset = base + offset_delta
            if offset < position:
                continue
            position = offset + 1
            row_ = index[row]
            row_[OFFSET], row_[TIMESTAMP] = offset, max_ts if log_append else first_ts + ts_delta
            row_[KEY_AT], row_[KEY_LEN] = key_at, max(key_len, -1)
            row_[VALUE_AT], row_[VALUE_LEN] = value_at, max(value_len, 0)
            row_[TYPE_AT], row_[TYPE_LEN] = type_at, max(type_len, -1)
            row += 1
        if at != end:
            return index[:0], NOT_READ  # bytes left after the batch's records
        position, pos = next_offset, end
    return index[:row], position


def _batch_spans(buf: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, end) of each complete batch (a fetch may end inside one: the next reads it)."""
    pos, n = 0, len(buf)
    while n - pos >= LENGTH_AFTER:
        end = pos + LENGTH_AFTER + int.from_bytes(buf[pos + 8 : pos + 12], "big", signed=True)
        if end > n:
            return
        yield pos, end
        pos = end


def _crcs_match(buf: np.ndarray) -> bool:
    """Every complete batch's CRC-32C (over its bytes from the attributes on) holds."""
    return all(
        crc32c(buf[pos + ATTRIBUTES_AT : end])
        == int.from_bytes(buf[pos + CRC_AT : pos + ATTRIBUTES_AT], "big")
        for pos, end in _batch_spans(buf)
    )


_DECODERS = {
    1: codec.gzip_decode,
    2: lambda data: codec.snappy_decode(bytes(data)),
    3: lambda data: codec.lz4_decode(bytes(data)),
    4: lambda data: codec.zstd_decode(bytes(data)),
}


def _decompressed(buf: np.ndarray) -> np.ndarray:
    """buf with each compressed batch's records decompressed and its codec bits cleared
    (read-only, as fetched bytes are: one compiled signature). Raises what a codec raises."""
    pieces = []
    for pos, end in _batch_spans(buf):
        attributes = int.from_bytes(buf[pos + ATTRIBUTES_AT : pos + ATTRIBUTES_AT + 2], "big")
        if attributes & _COMPRESSION:
            records = _DECODERS[attributes & _COMPRESSION](buf[pos + HEADER_BYTES : end])
            header = buf[pos : pos + HEADER_BYTES].copy()
            size = HEADER_BYTES - LENGTH_AFTER + len(records)
            header[8:12] = np.frombuffer(size.to_bytes(4, "big"), np.uint8)
            header[ATTRIBUTES_AT : ATTRIBUTES_AT + 2] = np.frombuffer(
                (attributes & ~_COMPRESSION).to_bytes(2, "big"), np.uint8
            )
            pieces += [header, np.frombuffer(records, np.uint8)]
        else:
            pieces.append(buf[pos:end])
    out = np.concatenate(pieces) if pieces else buf[:0].copy()
    out.flags.writeable = False
    return out


def index_records(
    buf: np.ndarray, position: int, check_crcs: bool
) -> tuple[np.ndarray, np.ndarray, int]:
    """(bytes to frame from, the record index of a partition's fetched bytes from `position`
    on, the next fetch position); (buf, empty, NOT_READ) when aiokafka must read them."""
    not_read = buf, np.empty((0, COLUMNS), np.int64), NOT_READ
    records = _batches(buf)
    if records == NOT_READ or (check_crcs and not _crcs_match(buf)):
        return not_read
    if records == _COMPRESSED:
        try:
            buf = _decompressed(buf)
        except Exception:  # noqa: BLE001  (a codec not installed, corrupt data: aiokafka says)
            return not_read
        records = _batches(buf)
        if records < 0:
            return not_read
    index, next_position = _index(buf, position, records)
    return buf, index, next_position


@jit(inline=True)
def _put_le(out, at, value, size):
    for k in range(size):
        out[at + k] = np.uint8((value >> (8 * k)) & 0xFF)


@jit
def _frame_sizes(index, limit, sizes):
    """Each record's frame size, 0 for one over `limit` (it is not framed); the total."""
    total = 0
    for r in range(len(index)):
        size = FRAME_HEADER + max(index[r, KEY_LEN], 0) + index[r, VALUE_LEN]
        sizes[r] = size if size <= limit else 0
        total += sizes[r]
    return total


@jit
def _write_frames(buf, index, codes, partition, sizes, out, ends):
    at, frames = 0, 0
    ends[0] = 0
    for r in range(len(index)):
        if sizes[r] == 0:
            continue
        key_len = index[r, KEY_LEN]
        _put_le(out, at, partition, 4)
        _put_le(out, at + 4, index[r, OFFSET], 8)
        _put_le(out, at + 12, index[r, TIMESTAMP], 8)
        _put_le(out, at + 20, key_len, 4)
        out[at + 24] = np.uint8(codes[r])
        at += FRAME_HEADER
        if key_len > 0:
            at = copy_bytes(out, at, buf, index[r, KEY_AT], index[r, KEY_AT] + key_len)
        value_at = index[r, VALUE_AT]
        at = copy_bytes(out, at, buf, value_at, value_at + index[r, VALUE_LEN])
        frames += 1
        ends[frames] = at
    return frames


def write_frames(
    buf: np.ndarray, index: np.ndarray, codes: np.ndarray, partition: int, limit: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input frames of the indexed records: (bytes, n + 1 frame ends, rows over `limit`)."""
    sizes = np.empty(len(index), np.int64)
    out = np.empty(_frame_sizes(index, limit, sizes), np.uint8)
    ends = np.empty(len(index) + 1, np.int64)
    frames = _write_frames(buf, index, codes, partition, sizes, out, ends)
    return out, ends[: frames + 1], np.flatnonzero(sizes == 0)


@jit
def _type_changes(buf, index, changes):
    """Rows whose content-type bytes differ from the row before (row 0 always)."""
    count = 0
    for r in range(len(index)):
        same = r > 0 and index[r, TYPE_LEN] == index[r - 1, TYPE_LEN]
        if same:
            a, b = index[r, TYPE_AT], index[r - 1, TYPE_AT]
            for k in range(max(index[r, TYPE_LEN], 0)):
                if buf[a + k] != buf[b + k]:
                    same = False
                    break
        if not same:
            changes[count] = r
            count += 1
    return count


def content_types(buf: np.ndarray, index: np.ndarray) -> list[tuple[int, bytes | None]]:
    """(first row, content-type header value or None) for each run of equal values: a
    producer sends few distinct values, so the caller decodes each run once."""
    changes = np.empty(len(index), np.int64)
    runs = []
    for r in changes[: _type_changes(buf, index, changes)].tolist():
        at, length = int(index[r, TYPE_AT]), int(index[r, TYPE_LEN])
        runs.append((r, None if length < 0 else bytes(buf[at : at + length])))
    return runs


def warm_up() -> None:
    """Compile every function here (the parent's start-up does it before fetching)."""
    empty_batch = np.zeros(HEADER_BYTES, np.uint8)
    empty_batch[11], empty_batch[_MAGIC_AT] = HEADER_BYTES - LENGTH_AFTER, 2
    buf = np.frombuffer(empty_batch.tobytes(), np.uint8)  # read-only, as fetched bytes are
    _crcs_match(buf)
    buf, index, _ = index_records(buf, 0, False)
    content_types(buf, index)
    write_frames(buf, index, np.zeros(0, np.uint8), 0, 1 << 20)
