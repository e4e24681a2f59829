"""The wire contract: requests, results and dead letters, their codecs and JSON Schemas."""

from .codec import FORMATS, JSON, MSGPACK, content_type_of, decode, decode_request, encode, sniff
from .deadletter import DeadLetter
from .documents import DOCUMENTS
from .errors import BrokerUnavailable, GrumpError, InvalidRecord, ParseFailed
from .request import (
    DEFAULT_MAX_TEXT_BYTES,
    SCHEMA_VERSION,
    IntentRequest,
    derived_id,
    validate_request,
)

__all__ = [
    "DEFAULT_MAX_TEXT_BYTES",
    "DOCUMENTS",
    "FORMATS",
    "JSON",
    "MSGPACK",
    "SCHEMA_VERSION",
    "BrokerUnavailable",
    "DeadLetter",
    "GrumpError",
    "IntentRequest",
    "InvalidRecord",
    "ParseFailed",
    "content_type_of",
    "decode",
    "decode_request",
    "derived_id",
    "encode",
    "sniff",
    "validate_request",
]
