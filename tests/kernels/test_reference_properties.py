"""Properties of the reference parser over arbitrary text, and its agreement with samples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kernels
from schemas import DOCUMENTS

RESULT_VALIDATOR = jsonschema.Draft202012Validator(DOCUMENTS["result"])
SAMPLES = json.loads((Path(__file__).parent / "data" / "grump-samples.json").read_text())

# Where the original's output differs from ours on purpose (see kernels/README.md).
DEPARTURES = {
    "confidence",  # exact decimals instead of f32 artefacts (0.965 vs 0.96500003)
    "complexity_score",  # same
    "tech_stack_hints",  # whole-word legacy scan; negated tech stays out
    "data_flows",  # whole-word scan
}
_VOCABULARY = (
    "build create no not without instead of rather than react postgres pg redis kafka "
    "log in sign up real time admin panel dashboard payments chat api rest cli mobile "
    "as an admin for users to with and , . ; ! ? \n microservice lambda vercel astro"
)
_words = st.sampled_from(_VOCABULARY.split(" "))
_texts = st.one_of(st.text(max_size=300), st.lists(_words, max_size=40).map(" ".join))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_any_text_parses_and_validates(text):
    result = kernels.parse(text)
    RESULT_VALIDATOR.validate(result)
    assert result["raw"] == text


@given(_texts, st.dictionaries(st.text(max_size=5), st.integers(-(2**63), 2**63 - 1), max_size=3))
def test_parse_is_deterministic(text, constraints):
    first = kernels.encode_result(kernels.parse(text, constraints), "json")
    assert kernels.encode_result(kernels.parse(text, constraints), "json") == first


def test_batch_equals_one_by_one():
    texts = ["Build a chat app", "", "No redis", "Create an API with Django and Postgres"]
    batch = kernels.parse_batch(texts, backend="reference")
    assert batch == [kernels.parse(t) for t in texts]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s["cli_args"][1][:30])
def test_matches_the_original_outside_documented_departures(sample):
    args = sample["cli_args"]
    constraints = json.loads(args[3]) if len(args) > 3 else {}
    result = kernels.parse(args[1], constraints)
    expected = sample["stdout_json"]
    for field, value in expected.items():
        if field not in DEPARTURES:
            assert result[field] == value, field
    assert result["confidence"] == pytest.approx(expected["confidence"], abs=1e-6)
    assert result["complexity_score"] == pytest.approx(expected["complexity_score"], abs=1e-6)
    ours = result["tech_stack_hints"]
    assert [t for t in expected["tech_stack_hints"] if t in ours] == ours
