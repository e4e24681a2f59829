"""The intent corpus: deterministic, realistic lengths, valid UTF-8 (its rate: bench/kernels.py)."""

from __future__ import annotations

import unicodedata

import numpy as np

from kernels.corpus import SENTENCE_TEMPLATES, adversarial_intents, generate_intents, iter_intents


def test_same_seed_same_intents_and_prefix_stable() -> None:
    first = generate_intents(5_000, seed=7)
    assert first == generate_intents(5_000, seed=7)
    assert generate_intents(100, seed=7) == first[:100]
    assert first != generate_intents(5_000, seed=8)
    stream = iter_intents(seed=7)
    assert [next(stream) for _ in range(10)] == first[:10]


def test_lengths_are_mostly_100_to_400_bytes_and_varied() -> None:
    lengths = np.array([len(text.encode()) for text in generate_intents(20_000, seed=1)])
    in_range = ((lengths >= 100) & (lengths <= 400)).mean()
    assert in_range > 0.95
    assert 150 < np.median(lengths) < 300
    assert lengths.std() > 40


def test_intents_mix_vocabulary_negations_and_separators() -> None:
    texts = generate_intents(5_000, seed=2)
    joined = "\n".join(texts).lower()
    for word in ("react", "postgres", "kubernetes", "stripe", "login", "dashboard", "as an admin"):
        assert word in joined, word
    for negation in ("don't use", "without ", "instead of", "rather than", "avoid ", "not needed:"):
        assert negation in joined, negation
    assert any("; " in t for t in texts) and any("\n" in t for t in texts)
    assert len(set(texts)) > 4_990
    assert len(SENTENCE_TEMPLATES) >= 30


def test_every_intent_is_utf8_encodable() -> None:
    for text in generate_intents(2_000, seed=4) + adversarial_intents():
        text.encode("utf-8")  # raises on lone surrogates


def test_adversarial_set_covers_the_edge_cases() -> None:
    texts = adversarial_intents()
    assert "" in texts and any(t and not t.strip() for t in texts)
    assert max(len(t.encode()) for t in texts) >= 64 * 1024
    assert any("\x00" in t for t in texts) and any("\r\n" in t for t in texts)
    assert any(len(max(t.split(), key=len, default="")) >= 10_000 for t in texts)
    assert any(t.count("no ") >= 1_000 for t in texts)
    assert any("\u212a" in t for t in texts) and any("\u0130" in t for t in texts)
    assert any(unicodedata.combining(c) for t in texts for c in t)
    for block in ("\u3000", "\u00a0", "\u2003"):
        assert any(block in t for t in texts)
    for script in ("CJK", "ARABIC", "CYRILLIC", "GREEK"):
        assert any(script in unicodedata.name(c, "") for t in texts for c in t), script
    assert any(ord(c) > 0xFFFF for t in texts for c in t)  # emoji outside the BMP
