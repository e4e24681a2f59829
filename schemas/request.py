"""The intent request: what producers put on the input topic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import errors as e
from .errors import InvalidRecord

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
DEFAULT_MAX_TEXT_BYTES = 64 * 1024
MAX_ID_CHARS = 128


@dataclass(frozen=True, slots=True)
class IntentRequest:
    """One validated request. `id` is None when the producer sent none."""

    text: str
    id: str | None = None
    constraints: dict[str, Any] | None = None
    ts: int | None = None
    v: int = SCHEMA_VERSION


def derived_id(topic: str, partition: int, offset: int) -> str:
    """The id of a request that carries none: stable across re-deliveries of the record."""
    return f"{topic}/{partition}/{offset}"


def validate_request(obj: object, max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> IntentRequest:
    """Check a decoded record against the request schema; raise InvalidRecord if it fails."""
    if not isinstance(obj, dict):
        raise InvalidRecord(
            f"record: expected an object, got {_type_name(obj)}", code=e.NOT_AN_OBJECT
        )
    version = _whole_number(obj.get("v", SCHEMA_VERSION))
    if version not in SUPPORTED_VERSIONS:
        raise InvalidRecord(
            f"v: unknown schema version {obj.get('v')!r} (supported: 1)", code=e.UNKNOWN_VERSION
        )
    return IntentRequest(
        text=_text(obj, max_text_bytes),
        id=_id(obj),
        constraints=_optional(obj, "constraints", dict, "an object"),
        ts=_ts(obj),
        v=version,
    )


def _whole_number(value: object) -> int | None:
    """`value` as an int when JSON Schema calls it an integer (1 and 1.0 alike: JSON has one
    number type), else None; booleans are not numbers there."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


def _text(obj: dict[str, Any], max_text_bytes: int) -> str:
    if "text" not in obj:
        raise InvalidRecord("text: missing required field", code=e.MISSING_FIELD)
    text = obj["text"]
    if not isinstance(text, str):
        raise InvalidRecord(f"text: expected a string, got {_type_name(text)}", code=e.WRONG_TYPE)
    if not text:
        raise InvalidRecord("text: must not be empty", code=e.TEXT_EMPTY)
    # len(text) bounds the UTF-8 size from both sides, so most texts skip the encode
    if 4 * len(text) > max_text_bytes:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > max_text_bytes:
            raise InvalidRecord(
                f"text: exceeds {max_text_bytes} bytes (got {size})", code=e.TEXT_TOO_LARGE
            )
    return text


def _id(obj: dict[str, Any]) -> str | None:
    ident = obj.get("id")
    if ident is None:
        return None
    if not isinstance(ident, str):
        raise InvalidRecord(f"id: expected a string, got {_type_name(ident)}", code=e.WRONG_TYPE)
    if not 1 <= len(ident) <= MAX_ID_CHARS:
        raise InvalidRecord(
            f"id: must be 1 to {MAX_ID_CHARS} characters (got {len(ident)})", code=e.ID_INVALID
        )
    return ident


def _ts(obj: dict[str, Any]) -> int | None:
    raw = obj.get("ts")
    if raw is None:
        return None
    ts = _whole_number(raw)
    if ts is None or ts < 0:
        raise InvalidRecord(
            f"ts: expected milliseconds since the epoch as a non-negative integer, got {raw!r}",
            code=e.WRONG_TYPE,
        )
    return ts


def _optional(obj: dict[str, Any], field: str, kind: type, kind_name: str) -> Any:
    value = obj.get(field)
    if value is not None and not isinstance(value, kind):
        raise InvalidRecord(
            f"{field}: expected {kind_name}, got {_type_name(value)}", code=e.WRONG_TYPE
        )
    return value


def _type_name(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null", bytes: "binary"}.get(
        type(value), type(value).__name__
    )  # fmt: skip
