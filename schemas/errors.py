"""The project's one exception tree.

    GrumpError                      every error the project raises on purpose
    ├── InvalidRecord (ValueError)  a record that can never be processed: dead-letter it
    ├── ParseFailed (RuntimeError)  the parser could not handle a valid request: dead-letter it
    └── BrokerUnavailable (ConnectionError)  Kafka cannot be reached now: retry

`code` is stable and machine-readable (it travels in dead-letter headers and metric labels);
`retriable` alone decides between retrying and dead-lettering.
"""

from __future__ import annotations


class GrumpError(Exception):
    """Base of every error the project raises on purpose."""

    code = "error"
    retriable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidRecord(GrumpError, ValueError):
    """Raised when a record cannot be decoded or fails validation; it goes to the DLQ."""

    code = "invalid_record"


class ParseFailed(GrumpError, RuntimeError):
    """Raised when a valid request could not be parsed; it goes to the DLQ."""

    code = "parse_failed"


class BrokerUnavailable(GrumpError, ConnectionError):
    """Raised when the Kafka cluster cannot be reached; the caller retries with backoff."""

    code = "broker_unavailable"
    retriable = True


# Stable codes of InvalidRecord, one per way a record can be bad.
MALFORMED_JSON = "malformed_json"
MALFORMED_MSGPACK = "malformed_msgpack"
UNKNOWN_ENCODING = "unknown_encoding"
INVALID_UTF8 = "invalid_utf8"
NOT_AN_OBJECT = "not_an_object"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
UNKNOWN_VERSION = "unknown_version"
TEXT_EMPTY = "text_empty"
TEXT_TOO_LARGE = "text_too_large"
ID_INVALID = "id_invalid"
# Not raised by decoding: the worker rejects a record too large for its ring before reading it.
RECORD_TOO_LARGE = "record_too_large"
# Not raised by decoding: a valid request whose result is larger than the worker may produce
# (its max_result_bytes, or its output ring's record limit).
RESULT_TOO_LARGE = "result_too_large"

INVALID_RECORD_CODES = (
    MALFORMED_JSON, MALFORMED_MSGPACK, UNKNOWN_ENCODING, INVALID_UTF8, NOT_AN_OBJECT,
    MISSING_FIELD, WRONG_TYPE, UNKNOWN_VERSION, TEXT_EMPTY, TEXT_TOO_LARGE, ID_INVALID,
)  # fmt: skip
