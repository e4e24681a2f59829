"""The scorer counts exact normalized matches per story and field."""

from scoring import Counts, field_set, normalize, score


def _story(persona=None, actions=(), entities=(), benefit=None):
    return {
        "id": "x",
        "text": "t",
        "persona": persona,
        "actions": [{"text": a, "primary": p} for a, p in actions],
        "entities": [{"text": e, "primary": p} for e, p in entities],
        "benefit": benefit,
    }


def test_normalize_is_ascii_lowercase_and_collapses_space():
    assert normalize("  Site  ADMIN\t") == "site admin"
    assert normalize("Café") == "café"


def test_field_sets_and_primary_variant():
    s = _story("UI designer", [("Redesign", True)], [("page", False)], "it fits.")
    assert field_set(s, "persona") == {"ui designer"}
    assert field_set(s, "action") == {"redesign"}
    assert field_set(s, "entity+primary") == {"page|False"}
    assert field_set(_story(), "benefit") == set()


def test_score_counts_strict_matches():
    gold = [_story("user", [("view", True), ("edit", True)], [("reports", True)])]
    pred = _story("User", [("view", True), ("edit", False)], [("monthly reports", True)])
    counts, misses = score(gold, lambda _text: pred)
    assert (counts["persona"].tp, counts["persona"].fp) == (1, 0)
    assert (counts["action"].tp, counts["action"].fp, counts["action"].fn) == (2, 0, 0)
    assert counts["action+primary"].tp == 1
    assert (counts["entity"].tp, counts["entity"].fp, counts["entity"].fn) == (0, 1, 1)
    assert counts["entity"].f1 == 0.0
    assert len(misses) == 1


def test_counts_f1():
    c = Counts(tp=8, fp=2, fn=8)
    assert round(c.precision, 3) == 0.8 and round(c.recall, 3) == 0.5
    assert round(c.f1, 4) == round(2 * 0.8 * 0.5 / 1.3, 4)
