"""Every batch backend gives byte-identical encoded results to the reference parser.

One test body per backend (the `backend` fixture); the reference side is computed once per
corpus. GPU cases skip without a GPU and fail under GRUMP_REQUIRE_GPU=1.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kernels
from kernels.corpus import adversarial_intents, generate_intents

CORPUS_SIZE = int(os.environ.get("GRUMP_PARITY_INTENTS", "100000"))
LABEL = "parity"  # the same `parser.backend` label on every side, so bytes can be compared


@pytest.fixture(params=["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def backend(request):
    return request.param


def reference(texts, fmt, constraints=None):
    ids = [f"id-{i}" for i in range(len(texts))]
    batch = kernels.make_batch(texts, ids, constraints, fmt)
    return batch, kernels.encode_batch(batch, backend="reference", label=LABEL).to_list()


def assert_same(backend, batch, expected, seed=None):
    got = kernels.encode_batch(batch, backend=backend, label=LABEL).to_list()
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g == e, f"intent {i} (seed {seed}) differs:\n got {g[:300]!r}\nwant {e[:300]!r}"


def edge_corpus():
    rng = random.Random(7)
    extra = [
        "",
        " ",
        "Build a CLI",
        "No.",
        "as a b c",
        "for x to y",
        "with a and b",
        "add  , x",
        "build  (x) with y",
        "e-commerce ecommerce e-Commerce",
        "task \u3000 management",
        "Next.js, Node.js; C# and F#",
        "a\u00a0b\u2028c\x1cd",
        "\x00\x01\x02 build x\x7f",
        "\r\n".join(["Build an API", "No Redis", "Use Kafka"]),
        "Don't use Vue.\nAngular instead of React, rather than Svelte",
        "KAFKA Kafka kafka k8s K8S",
        "\u212aafka İstanbul ǅ",
        "🚀" * 300,
        " ".join(rng.choice(["no", "not", "redis", "build", "chat", "."]) for _ in range(3000)),
    ]
    return adversarial_intents() + extra


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
def test_edge_corpus(backend, fmt):
    texts = edge_corpus()
    constraints = [None, {"budget": "low"}, {"nested": [1, 2.5, None, "é"]}] * len(texts)
    batch, expected = reference(texts, fmt, constraints[: len(texts)])
    assert_same(backend, batch, expected)


def test_many_groups_keep_input_order(backend):
    """Batches cut into groups (here an odd number, alternating GPU lanes) keep their order."""
    import importlib

    from kernels.batch import groups

    texts = generate_intents(300, seed=5)
    batch, expected = reference(texts, "json")
    group_bytes = batch.nbytes // 4 + 1  # five groups
    assert len(groups(batch.text_offsets, group_bytes)) % 2 == 1
    module = importlib.import_module(f"kernels.{backend}")
    got = module.encode_batch(batch, LABEL, group_bytes=group_bytes).to_list()
    assert got == expected


@pytest.mark.slow
def test_generated_corpus(backend):
    texts = generate_intents(CORPUS_SIZE, seed=2026)
    batch, expected = reference(texts, "json")
    assert_same(backend, batch, expected, seed=2026)


_WORDS = (
    "as an a admin for users to with and featuring build create add have task management "
    "auth api dashboard e-commerce ecommerce saas booking no not don't instead of rather than "
    "react postgres pg redis kafka k8s lambda vercel astro real-time realtime log in sign up "
    "webhooks events async sync stream cli mobile ios library microservices event-driven "
    "jamstack , . ; ! ? \n \t \u00a0 - ( ) é 日本 🚀 \x1c"
).split(" ")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.one_of(st.text(max_size=80), st.lists(st.sampled_from(_WORDS), max_size=40).map(
            lambda ws: " ".join(ws))),
        min_size=1, max_size=8,
    ),
    st.sampled_from(["json", "msgpack"]),
)  # fmt: skip
def test_arbitrary_text(backend, texts, fmt):
    batch, expected = reference(texts, fmt)
    assert_same(backend, batch, expected)
