"""Request decoding and validation: every bad input raises InvalidRecord with its code."""

from __future__ import annotations

import msgpack
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import schemas
from schemas import InvalidRecord, decode_request, encode
from schemas import errors as e


def _mp(obj: object) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


BAD_RECORDS = [
    (b"", None, e.UNKNOWN_ENCODING),
    (b"{bad json", None, e.MALFORMED_JSON),
    (b'{"text": "unterminated', None, e.MALFORMED_JSON),
    (b"\xc1\x00", "application/msgpack", e.MALFORMED_MSGPACK),
    (b"\x81\xa4text", None, e.MALFORMED_MSGPACK),
    (b'{"text": "caf\xe9"}', None, e.INVALID_UTF8),
    (b"\x81\xa4text\xa3\xff\xfe\xfd", None, e.INVALID_UTF8),
    (b'{"text": "\\ud800"}', None, e.MALFORMED_JSON),
    (b"[1, 2]", None, e.NOT_AN_OBJECT),
    (b'"just a string"', None, e.NOT_AN_OBJECT),
    (b"{}", None, e.MISSING_FIELD),
    (b'{"id": "a"}', None, e.MISSING_FIELD),
    (b'{"text": 5}', None, e.WRONG_TYPE),
    (b'{"text": null}', None, e.WRONG_TYPE),
    (_mp({"text": b"bytes are not text"}), None, e.WRONG_TYPE),
    (b'{"text": ""}', None, e.TEXT_EMPTY),
    (b'{"text": "x", "id": ""}', None, e.ID_INVALID),
    (orjson.dumps({"text": "x", "id": "i" * 129}), None, e.ID_INVALID),
    (b'{"text": "x", "id": 7}', None, e.WRONG_TYPE),
    (b'{"text": "x", "constraints": [1]}', None, e.WRONG_TYPE),
    (b'{"text": "x", "ts": "yesterday"}', None, e.WRONG_TYPE),
    (b'{"text": "x", "ts": -1}', None, e.WRONG_TYPE),
    (b'{"text": "x", "v": 2}', None, e.UNKNOWN_VERSION),
    (b'{"text": "x", "v": "1"}', None, e.UNKNOWN_VERSION),
    (_mp({"text": "x", "v": 99}), None, e.UNKNOWN_VERSION),
    (orjson.dumps({"text": "a" * 65537}), None, e.TEXT_TOO_LARGE),
    (orjson.dumps({"text": "é" * 40000}), None, e.TEXT_TOO_LARGE),
]


@pytest.mark.parametrize(("data", "content_type", "code"), BAD_RECORDS)
def test_bad_records_raise_invalid_record_with_code(data, content_type, code):
    with pytest.raises(InvalidRecord) as info:
        decode_request(data, content_type)
    assert info.value.code == code
    assert info.value.retriable is False
    assert isinstance(info.value, ValueError)
    assert info.value.message.split(":")[0] in {"record", "text", "id", "v", "ts", "constraints"}


def test_oversized_text_message_names_limit_and_size():
    with pytest.raises(InvalidRecord, match=r"text: exceeds 65536 bytes \(got 70211\)"):
        decode_request(orjson.dumps({"text": "a" * 70211}))


def test_max_text_bytes_is_configurable():
    assert decode_request(b'{"text": "abcd"}', max_text_bytes=4).text == "abcd"
    with pytest.raises(InvalidRecord, match="exceeds 3 bytes"):
        decode_request(b'{"text": "abcd"}', max_text_bytes=3)


def test_optional_fields_and_defaults():
    req = decode_request(b'{"text": "hi"}')
    assert (req.text, req.id, req.constraints, req.ts, req.v) == ("hi", None, None, None, 1)
    full = {"v": 1, "id": "r-1", "text": "hi", "constraints": {"budget": "low"}, "ts": 17}
    for data in (orjson.dumps(full), _mp(full)):
        req = decode_request(data)
        assert (req.id, req.constraints, req.ts) == ("r-1", {"budget": "low"}, 17)


def test_unknown_fields_are_ignored_for_forward_compatibility():
    assert decode_request(b'{"text": "hi", "trace": {"a": 1}}').text == "hi"


def test_content_type_header_wins_over_sniffing():
    data = _mp({"text": "hi"})
    assert decode_request(data, b"application/x-msgpack; charset=binary").text == "hi"
    with pytest.raises(InvalidRecord) as info:
        decode_request(data, "application/json")
    assert info.value.code in {e.MALFORMED_JSON, e.INVALID_UTF8}


def test_derived_id_is_stable_per_record_position():
    assert schemas.derived_id("intents", 3, 42) == schemas.derived_id("intents", 3, 42)
    assert schemas.derived_id("intents", 3, 42) != schemas.derived_id("intents", 3, 43)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(), kids, max_size=4),
    max_leaves=12,
)


@given(
    text=st.text(min_size=1, max_size=200),
    ident=st.none() | st.text(min_size=1, max_size=128),
    constraints=st.none() | st.dictionaries(st.text(max_size=8), _json_values, max_size=4),
    fmt=st.sampled_from(["application/json", "application/msgpack"]),
    sniffed=st.booleans(),
)
def test_codecs_round_trip(text, ident, constraints, fmt, sniffed):
    obj = {"v": 1, "text": text}
    if ident is not None:
        obj["id"] = ident
    if constraints is not None:
        obj["constraints"] = constraints
    try:
        data = encode(obj, fmt)
    except (TypeError, ValueError, UnicodeEncodeError):  # surrogates cannot be encoded
        return
    req = decode_request(data, None if sniffed else fmt)
    assert (req.text, req.id, req.constraints) == (text, ident, constraints)


@given(st.binary(max_size=64))
def test_arbitrary_bytes_decode_or_raise_invalid_record(data):
    try:
        decode_request(data)
    except InvalidRecord as exc:
        assert exc.code in e.INVALID_RECORD_CODES
