"""Unit tests of each reference stage, one small pure function at a time."""

from __future__ import annotations

import pytest

from kernels import reference as ref


def words(text: str) -> list[str]:
    return [t.text for t in ref.tokenize(text)]


def test_tokenize_strips_punctuation_and_lowercases_ascii():
    assert words("Node.js, don't C++ CI/CD (React/Redux) 2FA sign-in snake_case") == [
        "nodejs", "dont", "c", "cicd", "reactredux", "2fa", "sign-in", "snake_case",
    ]  # fmt: skip
    assert words("  ... !!! ") == []
    assert words("Éclair 日本語 İx") == ["Éclair", "日本語", "İx"]  # only A-Z are lowered


def test_tokenize_splits_on_unicode_whitespace_and_marks_sentence_ends():
    tokens = ref.tokenize("a\u00a0b\u3000c. d")
    assert [t.text for t in tokens] == ["a", "b", "c", "d"]
    assert [t.ends_sentence for t in tokens] == [False, False, True, False]


def test_bigrams():
    assert ref.bigrams(["a", "b", "c"]) == ["a b", "b c"]
    assert ref.bigrams(["a"]) == []


def test_sentences_cut_after_terminators_and_trim():
    assert ref.sentences("Use Next.js, Node! Ok? a; bb\nlast ") == [
        "Use Next.", "js, Node!", "Ok?", "a;", "bb", "last",
    ]  # fmt: skip
    assert ref.sentences(". ;  x") == ["x"]  # one-byte pieces are dropped
    assert ref.sentences("") == []
    assert ref.sentences("   ") == []


@pytest.mark.parametrize(
    ("text", "negated_words"),
    [
        ("no payments", {"payments"}),
        ("we do not want kafka", {"want", "kafka"}),
        ("use x instead of redis", {"redis"}),
        ("pick supabase rather than firebase", {"firebase"}),
        ("without a b c d e", {"a", "b", "c", "d"}),
        ("never use vue. angular is fine", {"use", "vue"}),
        ("avoid docker; use podman", {"docker"}),
        ("no.", set()),
        ("react", set()),
    ],
)
def test_negation_window_is_four_tokens_within_the_sentence(text, negated_words):
    tokens = ref.tokenize(text)
    mask = ref.negation_mask(tokens)
    cues = {"no", "not", "of", "than", "without", "never", "avoid"}
    got = {t.text for t, m in zip(tokens, mask, strict=True) if m and t.text not in cues}
    assert got == negated_words


def test_every_negation_cue_negates_the_next_word():
    from kernels import lexicon

    for cue in lexicon.NEGATION_CUES:
        tokens = ref.tokenize(f"{cue} redis")
        if len(tokens) == 2:  # apostrophe forms tokenize to their bare twins
            assert ref.negation_mask(tokens) == [False, True], cue
    for first, second in lexicon.NEGATION_PAIRS:
        assert ref.negation_mask(ref.tokenize(f"{first} {second} redis"))[2], (first, second)


def test_verb_at_looks_back_four_words_then_falls_back():
    w = ["deploy", "a", "b", "c", "d", "x"]
    assert ref.verb_at(w, 4, "build") == "deploy"
    assert ref.verb_at(w, 5, "build") == "build"
    assert ref.verb_at(["migrate", "test", "x"], 2, "build") == "test"
    assert ref.first_verb(["a", "refactor", "build"]) == "refactor"
    assert ref.first_verb(["a"]) == "build"


def test_dependencies_sorted_and_deduped():
    edges = ref.dependencies(["chat", "e-commerce", "chat"])
    assert [(e["from"], e["to"]) for e in edges] == [
        ("chat", "authentication"), ("chat", "real-time"),
        ("e-commerce", "authentication"), ("e-commerce", "payments"),
    ]  # fmt: skip
    assert edges[1]["reason"] == "chat requires real-time capabilities"
    assert ref.dependencies(["dashboard"]) == []


def test_has_phrase_whole_words_with_plural():
    assert ref.has_phrase(["build", "microservices"], "microservice")
    assert ref.has_phrase(["a", "cloud", "functions"], "cloud function")
    assert not ref.has_phrase(["client"], "cli")
    assert not ref.has_phrase(["scenarios"], "ios")


def test_complexity_priority_confidence_arithmetic():
    assert ref.complexity_milli(0, 0, 0) == 0
    assert ref.complexity_milli(3, 2, 0) == 100 + 240 + 100
    assert ref.complexity_milli(10, 10, 10) == 1000
    assert [ref.priority(i, 3, 0) for i in range(3)] == [1, 3, 4]
    assert ref.priority(2, 3, 2) == 2  # two incoming edges lift 0.33 by 0.4
    assert ref.priority(1, 3, 1) == 2
    assert ref.priority(1, 3, 2) == 1
    assert [ref.priority(i, 10, 0) for i in range(10)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    c = ref.confidence_milli(["user"], 0, 0, 0)
    assert c == {"overall": 130, "actors": 300, "features": 100, "tech_stack": 100}
    c = ref.confidence_milli(["users"], 2, 1, 3)
    assert c == {"overall": 965, "actors": 900, "features": 1000, "tech_stack": 950}


def test_actor_patterns():
    assert ref.actors("as an admin, i want x") == ["admin"]
    assert ref.actors("it has a dashboard") == ["user"]  # 'has' is not 'as'
    # pattern order: role words (plural kept) before the "for ..." capture
    assert ref.actors("for customers and guests.") == [
        "customers",
        "guests",
        "customers and guests",
    ]
    assert ref.actors("stakeholders and actors") == ["stakeholder", "actor"]
    assert ref.actors("superusers everywhere") == ["user"]  # no match inside a word
    assert ref.actors("") == ["user"]


def test_regex_feature_patterns():
    assert ref.regex_features("build a todo app with react and a dashboard", set()) == [
        "a todo app", "react", "dashboard",
    ]  # fmt: skip
    assert ref.regex_features("oauth and e-commerce and ecommerce", set()) == [
        "e-commerce",
        "ecommerce",
    ]
    assert ref.regex_features("behave nicely", set()) == []
    assert ref.regex_features("add billing, have metrics", {"metrics"}) == ["billing"]


def test_keyword_scans_are_whole_word_with_plural():
    assert ref.keyword_hits("async events and webhooks", ("sync", "async", "event", "webhook")) == [
        "async", "event", "webhook",
    ]  # fmt: skip
    assert ref.legacy_tech("good mongodb, trust javascript", set()) == ["mongodb", "javascript"]
    assert ref.legacy_tech("postgres and redis", {"redis"}) == ["postgres"]


def test_annotate_sentence_sorts_and_dedupes():
    s = ref.annotate_sentence(2, "Redis, postgres and PG with auth and login")
    assert s == {
        "text": "Redis, postgres and PG with auth and login",
        "index": 2,
        "features_found": ["authentication"],
        "tech_found": ["postgresql", "redis"],
    }


def test_verification():
    assert ref.verification("  ", [], 0) == {
        "well_formed": False,
        "errors": ["Intent raw text is empty"],
        "warnings": ["No features extracted; intent may be underspecified"],
    }
    assert ref.verification("x", [], 1)["warnings"] == []
