"""Wire codecs: JSON (orjson) and msgpack, picked by content type or by the first byte."""

from __future__ import annotations

from typing import Any

import msgpack
import orjson

from . import errors as e
from .errors import InvalidRecord
from .request import DEFAULT_MAX_TEXT_BYTES, IntentRequest, validate_request

JSON = "application/json"
MSGPACK = "application/msgpack"
FORMATS = {"json": JSON, "msgpack": MSGPACK}
# a record value as Kafka or the ring hands it over (views avoid a copy per record)
RecordBytes = bytes | bytearray | memoryview

_CONTENT_TYPES = {
    JSON: JSON,
    "text/json": JSON,
    MSGPACK: MSGPACK,
    "application/x-msgpack": MSGPACK,
    "application/vnd.msgpack": MSGPACK,
}
# A request is a map: msgpack maps start with a fixmap byte (0x80-0x8f), map16 or map32.
_MSGPACK_MAP_START = frozenset([*range(0x80, 0x90), 0xDE, 0xDF])


def content_type_of(content_type: str | bytes | None) -> str | None:
    """The canonical content type for a header value, or None when absent or unknown."""
    if content_type is None:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return _CONTENT_TYPES.get(content_type.split(";", 1)[0].strip().lower())


def sniff(data: RecordBytes) -> str:
    """Guess the encoding from the first byte: a msgpack map marker, else JSON."""
    if not data:
        raise InvalidRecord("record: empty value", code=e.UNKNOWN_ENCODING)
    return MSGPACK if data[0] in _MSGPACK_MAP_START else JSON


def decode(data: RecordBytes, content_type: str | bytes | None = None) -> Any:
    """Decode a record value into Python objects; raise InvalidRecord if it is malformed."""
    kind = content_type_of(content_type) or sniff(data)
    if kind == JSON:
        return _decode_json(data)
    return _decode_msgpack(data)


def decode_request(
    data: RecordBytes,
    content_type: str | bytes | None = None,
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
) -> IntentRequest:
    """Decode and validate one intent request."""
    return validate_request(decode(data, content_type), max_text_bytes)


def encode(obj: Any, content_type: str = JSON) -> bytes:
    """Encode an object as JSON (compact, UTF-8) or msgpack."""
    if content_type == JSON:
        return orjson.dumps(obj)
    return msgpack.packb(obj, use_bin_type=True)


def _decode_json(data: RecordBytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            bytes(data).decode("utf-8")
        except UnicodeDecodeError as bad:
            raise InvalidRecord(
                f"record: invalid UTF-8 at byte {bad.start}", code=e.INVALID_UTF8
            ) from None
        raise InvalidRecord(f"record: malformed JSON ({exc})", code=e.MALFORMED_JSON) from None


def _decode_msgpack(data: RecordBytes) -> Any:
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except UnicodeDecodeError as bad:
        raise InvalidRecord(
            f"record: invalid UTF-8 in a msgpack string ({bad.reason})", code=e.INVALID_UTF8
        ) from None
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise InvalidRecord(
            f"record: malformed msgpack ({type(exc).__name__}: {exc})", code=e.MALFORMED_MSGPACK
        ) from None
