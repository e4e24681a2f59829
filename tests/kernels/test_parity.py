"""Every batch backend gives byte-identical encoded results to the reference parser.

One test body per backend (the `backend` fixture); the reference side is computed once per
corpus. GPU cases skip without a GPU and fail under GRUMP_REQUIRE_GPU=1.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kernels
from kernels.corpus import adversarial_intents, generate_intents

CORPUS_SIZE = int(os.environ.get("GRUMP_PARITY_INTENTS", "100000"))
PARALLEL_FROM = 20_000  # intents: the reference side of a larger corpus runs on every core
LABEL = "parity"  # the same `parser.backend` label on every side, so bytes can be compared


@pytest.fixture(params=["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def backend(request):
    return request.param


def reference(texts, fmt, constraints=None):
    ids = [f"id-{i}" for i in range(len(texts))]
    batch = kernels.make_batch(texts, ids, constraints, fmt)
    if len(texts) < PARALLEL_FROM:
        return batch, _reference_part(texts, ids, constraints, fmt)
    # plain Python at ~1 ms an intent: a large corpus is parsed on every core
    cons = constraints if constraints is not None else [None] * len(texts)
    step = -(-len(texts) // (os.cpu_count() or 1))
    parts = [(texts[a : a + step], ids[a : a + step], cons[a : a + step], fmt)
             for a in range(0, len(texts), step)]  # fmt: skip
    spawn = multiprocessing.get_context("spawn")  # (fork would copy this process's threads)
    with ProcessPoolExecutor(len(parts), mp_context=spawn) as pool:
        expected = [
            r for part in pool.map(_reference_part, *zip(*parts, strict=True)) for r in part
        ]
    return batch, expected


def _reference_part(texts, ids, constraints, fmt):
    batch = kernels.make_batch(texts, ids, constraints, fmt)
    return kernels.encode_batch(batch, backend="reference", label=LABEL).to_list()


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
    return adversarial_intents() + extra + STORIES


# User stories: persona, actions, entities and benefit in every shape the story rules handle,
# with escapes, non-ASCII and repeats inside the spans the `story` block copies out.
STORIES = [
    "As a UI designer, I want to redesign the Resources page, so that it matches the new "
    "design styles.",
    "As an online shopper, I want to save items to a wish list so that I can buy them later.",
    "As a site admin I can quickly disable inactive accounts.",
    "Build a recipe app where cooks share meal plans; no ads.",
    "As a Parking Lot Owner, I want rates in order to plan. Done.",
    "As a UX lead, I want to view and edit a user's roles, view and EDIT them.",
    "As a manager, I want employees to request leave online.",
    'As a "power" user\\ I want to sign up\tfor the Café\u2028newsletter so that é.',
    "As the CFO I need reports so I can plan\nand budget. Export: CSV, PDF",
    "As a Café owner, I want to see my café's sales… so that I can plan.",
    "As soon as possible, add export. As a user I want X in order to save time",
    "as a\x01admin i want to log in, sign out and set up 2FA. We're users' admins",
    "As a",
    "so that",
    "in order to",
    "As a so",
    "12 34 . ! ?",
]


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
@pytest.mark.timeout(1200)  # the reference side alone parses 100,000 intents in plain Python
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
# Words of the story rules: persona openers, cues, auxiliaries, particles, verbs and nouns.
_STORY_WORDS = (
    "As a an the UI designer I we want to would like need be able can should so that in order "
    "who which when my our user's users' reports page items view edit sign up log in set out "
    "quickly also not no every day for with from and or , . ; : ! ? \n ( ) / ' - \" café's Café"
).split(" ")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.one_of(st.text(max_size=80), st.lists(st.sampled_from(_WORDS), max_size=40).map(
            lambda ws: " ".join(ws)), st.lists(st.sampled_from(_STORY_WORDS), max_size=40).map(
            lambda ws: " ".join(ws))),
        min_size=1, max_size=8,
    ),
    st.sampled_from(["json", "msgpack"]),
)  # fmt: skip
def test_arbitrary_text(backend, texts, fmt):
    batch, expected = reference(texts, fmt)
    assert_same(backend, batch, expected)
