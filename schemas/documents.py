"""JSON Schema (draft 2020-12) documents for the request, the result and the dead letter."""

from __future__ import annotations

from typing import Any

from .deadletter import STAGES
from .errors import INVALID_RECORD_CODES, RECORD_TOO_LARGE, RESULT_TOO_LARGE
from .request import DEFAULT_MAX_TEXT_BYTES, MAX_ID_CHARS

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_STR_LIST = {"type": "array", "items": {"type": "string"}}
_UNIT = {"type": "number", "minimum": 0, "maximum": 1}

REQUEST: dict[str, Any] = {
    "$schema": _DRAFT,
    "$id": "grump-stream/request/v1",
    "title": "Intent request",
    "type": "object",
    "required": ["text"],
    "properties": {
        "v": {"const": 1, "description": "schema version; 1 when absent"},
        "id": {"type": ["string", "null"], "minLength": 1, "maxLength": MAX_ID_CHARS,
               "description": "caller's id; derived from topic/partition/offset when absent "
                              "or null"},
        "text": {"type": "string", "minLength": 1,
                 "description": f"UTF-8, at most {DEFAULT_MAX_TEXT_BYTES} bytes by default"},
        "constraints": {"type": ["object", "null"],
                        "description": "passed through to the result; null: none"},
        "ts": {"type": ["integer", "null"], "minimum": 0,
               "description": "ms since the epoch; null: none"},
    },
    "additionalProperties": True,
}  # fmt: skip

_FEATURE = {
    "type": "object",
    "required": ["name", "action", "negated", "priority", "confidence"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "action": {"enum": ["build", "migrate", "remove", "integrate", "configure", "deploy",
                            "refactor", "test"]},
        "negated": {"type": "boolean"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "confidence": _UNIT,
    },
}  # fmt: skip
_TECH = {
    "type": "object",
    "required": ["canonical", "matched_as", "category", "negated", "confidence"],
    "additionalProperties": False,
    "properties": {
        "canonical": {"type": "string", "minLength": 1},
        "matched_as": {"type": "string", "minLength": 1},
        "category": {"enum": ["frontend", "backend", "database", "dev_ops", "language",
                              "framework", "tool", "cloud"]},
        "negated": {"type": "boolean"},
        "confidence": _UNIT,
    },
}  # fmt: skip
_EDGE = {
    "type": "object",
    "required": ["from", "to", "reason"],
    "additionalProperties": False,
    "properties": {"from": {"type": "string"}, "to": {"type": "string"},
                   "reason": {"type": "string"}},
}  # fmt: skip
_SENTENCE = {
    "type": "object",
    "required": ["text", "index", "features_found", "tech_found"],
    "additionalProperties": False,
    "properties": {"text": {"type": "string"}, "index": {"type": "integer", "minimum": 0},
                   "features_found": _STR_LIST, "tech_found": _STR_LIST},
}  # fmt: skip
_SPAN_ITEM = {
    "type": "object",
    "required": ["text", "primary"],
    "additionalProperties": False,
    "properties": {"text": {"type": "string", "minLength": 1},
                   "primary": {"type": "boolean",
                               "description": "of the main clause (what the persona wants)"}},
}  # fmt: skip
_STORY = {
    "type": "object",
    "description": "the text read as a user story; every string is a span of `raw`",
    "required": ["persona", "actions", "entities", "benefit"],
    "additionalProperties": False,
    "properties": {
        "persona": {"type": ["string", "null"], "description": "the role, without its article"},
        "actions": {"type": "array", "items": _SPAN_ITEM,
                    "description": "verbs acting on something, with particle and manner adverb"},
        "entities": {"type": "array", "items": _SPAN_ITEM,
                     "description": "noun phrases of things acted on or mentioned"},
        "benefit": {"type": ["string", "null"],
                    "description": "the text after 'so that' / 'so' / 'in order to'"},
    },
}  # fmt: skip
# The result's minor version: 1.1 added `story`. Additive only, so `v` stays 1.
RESULT_SCHEMA_VERSION = "1.1"
_RESULT_PROPERTIES: dict[str, Any] = {
    "v": {"const": 1},
    "id": {"type": "string", "minLength": 1},
    "actors": {**_STR_LIST, "minItems": 1},
    "features": _STR_LIST,
    "data_flows": _STR_LIST,
    "tech_stack_hints": _STR_LIST,
    "constraints": {"type": "object"},
    "raw": {"type": "string"},
    "enriched_features": {"type": "array", "items": _FEATURE},
    "enriched_tech": {"type": "array", "items": _TECH},
    "project_type": {"enum": ["web_app", "api", "cli", "mobile_app", "library", "microservice",
                              "unknown"]},
    "architecture_pattern": {"enum": ["monolith", "microservices", "serverless",
                                      "event_driven", "jamstack", "unknown"]},
    "complexity_score": _UNIT,
    "confidence": {"type": "object", "additionalProperties": False,
                   "required": ["overall", "actors", "features", "tech_stack"],
                   "properties": {k: _UNIT for k in ("overall", "actors", "features",
                                                     "tech_stack")}},
    "dependency_graph": {"type": "array", "items": _EDGE},
    "sentences": {"type": "array", "items": _SENTENCE},
    "verification": {"type": "object", "additionalProperties": False,
                     "required": ["well_formed", "errors", "warnings"],
                     "properties": {"well_formed": {"type": "boolean"}, "errors": _STR_LIST,
                                    "warnings": _STR_LIST}},
    "story": _STORY,
    "parser": {"type": "object", "required": ["backend", "lexicon"],
               "properties": {"backend": {"type": "string"}, "lexicon": {"type": "string"}}},
}  # fmt: skip
RESULT: dict[str, Any] = {
    "$schema": _DRAFT,
    "$id": f"grump-stream/result/v{RESULT_SCHEMA_VERSION}",
    "title": "Parsed intent result (G-Rump's IntentOutput fields, plus v, id, story, parser)",
    "version": RESULT_SCHEMA_VERSION,
    "type": "object",
    "required": list(_RESULT_PROPERTIES),
    "additionalProperties": False,
    "properties": _RESULT_PROPERTIES,
}

DEAD_LETTER: dict[str, Any] = {
    "$schema": _DRAFT,
    "$id": "grump-stream/dlq/v1",
    "title": "Dead-letter record",
    "description": "The Kafka value is the original record's bytes, untouched; this document "
    "describes its grump-* headers (see schemas.deadletter) as one object.",
    "type": "object",
    "required": ["v", "error_code", "error_message", "stage", "source"],
    "properties": {
        "v": {"const": 1},
        "error_code": {"enum": [*INVALID_RECORD_CODES, "parse_failed", RECORD_TOO_LARGE,
                                RESULT_TOO_LARGE]},
        "error_message": {"type": "string"},
        "stage": {"enum": list(STAGES)},
        "source": {"type": "object", "required": ["topic", "partition", "offset"],
                   "properties": {"topic": {"type": "string"},
                                  "partition": {"type": "integer", "minimum": 0},
                                  "offset": {"type": "integer", "minimum": 0}}},
        "value_utf8": {"type": "string"},
        "value_bytes": {"type": "integer", "minimum": 0},
    },
}  # fmt: skip

DOCUMENTS = {"request": REQUEST, "result": RESULT, "dlq": DEAD_LETTER}
