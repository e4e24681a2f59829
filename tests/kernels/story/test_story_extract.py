"""The reference user-story extractor: its figures on the annotated splits, and its contract."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scoring import SPLITS, load, score

from kernels.story import empty_story, extract_story

# Floors just below the figures measured when the extractor was last changed (strict F1):
# a regression in any field fails here. The held-out split was not used to tune.
FLOORS = {
    "dev": {"persona": 0.99, "action": 0.98, "entity": 0.98, "benefit": 0.99,
            "action+primary": 0.98, "entity+primary": 0.98},
    "heldout": {"persona": 0.99, "action": 0.97, "entity": 0.96, "benefit": 0.99,
                "action+primary": 0.97, "entity+primary": 0.94},
    "blind": {"persona": 0.99, "action": 0.88, "entity": 0.87, "benefit": 0.99,
              "action+primary": 0.88, "entity+primary": 0.87},
}  # fmt: skip


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_strict_f1_floors(split):
    counts, _ = score(load(SPLITS[split]), extract_story)
    got = {f: round(c.f1, 3) for f, c in counts.items()}
    low = {f: (got[f], floor) for f, floor in FLOORS[split].items() if got[f] < floor}
    assert not low, f"{split}: F1 below floor (got, floor): {low}"


def test_splits_are_large_enough_and_disjoint():
    dev, held = load(SPLITS["dev"]), load(SPLITS["heldout"])
    assert len(dev) + len(held) >= 250 and len(held) * 5 >= len(dev)
    assert not {s["text"] for s in dev} & {s["text"] for s in held}


def test_guideline_example():
    got = extract_story(
        "As an online shopper, I want to save items to a wish list so that I can buy them later."
    )
    assert got == {
        "persona": "online shopper",
        "actions": [{"text": "save", "primary": True}, {"text": "buy", "primary": False}],
        "entities": [{"text": "items", "primary": True}, {"text": "wish list", "primary": False}],
        "benefit": "I can buy them later",
    }


@pytest.mark.parametrize(
    ("text", "actions", "entities"),
    [
        ("As a site admin I can quickly disable inactive accounts.",
         [("quickly disable", True)], [("inactive accounts", True)]),
        ("As a new user, I want to sign up for the newsletter.",
         [("sign up", True)], [("newsletter", False)]),
        ("As a UX lead, I want to view and edit a user's roles.",
         [("view", True), ("edit", True)], [("user", False), ("roles", True)]),
        ("As a manager, I want employees to request leave online.",
         [("request", True)], [("employees", False), ("leave", True)]),
        ("As a user, I want my files to sync across devices.",
         [("sync", True)], [("files", True), ("devices", False)]),
        ("Fix the login bug on Safari.", [("Fix", True)], [("login bug", True), ("Safari", False)]),
    ],
)  # fmt: skip
def test_actions_and_entities(text, actions, entities):
    got = extract_story(text)
    assert [(a["text"], a["primary"]) for a in got["actions"]] == actions
    assert [(e["text"], e["primary"]) for e in got["entities"]] == entities


def test_benefit_connectives():
    assert extract_story("As a user, I want X in order to save time.")["benefit"] == "save time"
    assert extract_story("As a user I want reports so I can plan. Done.")["benefit"] == "I can plan"
    assert extract_story("As a user, I want reports.")["benefit"] is None


def test_persona_keeps_case_and_drops_article():
    assert extract_story("As a Parking Lot Owner, I want rates.")["persona"] == "Parking Lot Owner"
    assert extract_story("As the CFO I need reports")["persona"] == "CFO"
    assert extract_story("As soon as possible, add export.")["persona"] is None


@pytest.mark.parametrize("text", ["", "   ", "...", "12 34", "As a", "so that", "in order to"])
def test_degenerate_text_has_the_fixed_shape(text):
    got = extract_story(text)
    assert set(got) == set(empty_story())
    assert got["persona"] is None or got["persona"].strip()


_PIECES = (
    "As a", "an", "the", "user", "UI designer", "I", "we", "want to", "would like", "be able to",
    "can", "view", "and", "edit", "sign up", "log in", "for", "to", "my", "user's", "reports",
    "so that", "so", "in order to", "who", "when", "it", "them", "not", "quickly", "Café", "--",
    ",", ".", ";", ":", "!", "(", ")", "/", "'", "\n", "  ", "x-y", "3", "every", "day",
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    hs.lists(hs.sampled_from(_PIECES) | hs.text(max_size=3), max_size=30).map(" ".join)
    | hs.text(max_size=60)
)
def test_every_string_is_a_span_of_the_input(text):
    got = extract_story(text)
    items = got["actions"] + got["entities"]
    for s in [got["persona"], got["benefit"], *(x["text"] for x in items)]:
        assert s is None or (s and s in text and s == s.strip())
    assert extract_story(text) == got
