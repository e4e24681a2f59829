"""The hand-written request validator and the published JSON Schema accept the same records."""

from __future__ import annotations

import jsonschema
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schemas import DOCUMENTS, InvalidRecord, validate_request

_SCHEMA = jsonschema.Draft202012Validator(DOCUMENTS["request"])
_FIELDS = ("v", "id", "text", "constraints", "ts", "extra")

# JSON values as decoders hand them over (no NaN or infinity: JSON has neither); texts stay
# far below max_text_bytes, whose UTF-8 byte bound JSON Schema cannot express
_scalars = (st.none() | st.booleans() | st.integers(-3, 2**64)
            | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, 1.0, 2.0])
            | st.text(max_size=8) | st.text(min_size=120, max_size=140))  # fmt: skip
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),  # fmt: skip
    max_leaves=6,
)
_requests = st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=len(_FIELDS))


def _valid_by_validator(obj: object) -> bool:
    try:
        validate_request(obj)
    except InvalidRecord:
        return False
    return True


@settings(max_examples=600, deadline=None)
@given(obj=_requests | _json)
@example(obj={"v": 1.0, "text": "x"})
@example(obj={"text": "x", "id": None, "constraints": None, "ts": None})
@example(obj={"text": "x", "ts": 5.0})
@example(obj={"text": "x", "v": True})
@example(obj={"text": "x", "ts": True})
def test_validator_and_json_schema_agree(obj: object) -> None:
    assert _valid_by_validator(obj) == _SCHEMA.is_valid(obj), obj


@pytest.mark.parametrize(
    "obj",
    [{"v": 1.0, "text": "x"}, {"text": "x", "ts": 1_700_000_000_000.0},
     {"text": "x", "id": None, "constraints": None, "ts": None}],
)  # fmt: skip
def test_what_the_schema_allows_is_accepted(obj: dict) -> None:
    request = validate_request(obj)
    assert request.v == 1 and type(request.v) is int
    assert request.ts is None or type(request.ts) is int
