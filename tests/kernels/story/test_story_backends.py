"""The batch backends' `story` block equals the reference extractor's on every annotated split,
so the scorer's figures hold for the kernels too."""

import orjson
import pytest
from scoring import SPLITS, load, score

import kernels
from kernels.story import extract_story


def _kernel_stories(texts, backend):
    batch = kernels.make_batch(texts, [f"s{i}" for i in range(len(texts))], None, "json")
    return [orjson.loads(r)["story"] for r in kernels.encode_batch(batch, backend).to_list()]


@pytest.mark.parametrize("split", sorted(SPLITS))
@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_backend_story_equals_reference(split, backend):
    gold = load(SPLITS[split])
    texts = [s["text"] for s in gold]
    got = dict(zip(texts, _kernel_stories(texts, backend), strict=True))
    differ = [t for t in texts if got[t] != extract_story(t)]
    assert not differ, f"{split}: {len(differ)} stories differ, first: {differ[0]!r}"
    kernel_counts, _ = score(gold, got.__getitem__)
    reference_counts, _ = score(gold, extract_story)
    assert {f: c.f1 for f, c in kernel_counts.items()} == {
        f: c.f1 for f, c in reference_counts.items()
    }


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_story_cost_knob_leaves_only_the_story_out(backend, monkeypatch):
    """bench.kernels --story-cost parses without the story: every other field stays, on every
    backend alike, and the story block is the empty one."""
    texts = ["As a UI designer, I want to redesign the Resources page", "Build a CLI in Go"]
    batch = kernels.make_batch(texts, ["a", "b"], None, "json")
    with_story = [orjson.loads(r) for r in kernels.encode_batch(batch, backend).to_list()]
    monkeypatch.setattr(kernels.batch, "STORY", False)
    without = kernels.encode_batch(batch, backend).to_list()
    assert without == kernels.encode_batch(batch, "reference", label=backend).to_list()
    assert with_story[0]["story"]["persona"] == "UI designer"
    for full, bare in zip(with_story, map(orjson.loads, without), strict=True):
        assert bare["story"] == {"persona": None, "actions": [], "entities": [], "benefit": None}
        assert {**full, "story": bare["story"]} == bare


def test_story_tokens_cut_apart_equal_those_cut_in_the_scan(monkeypatch):
    """The GPU cuts the story tokens in a pass of their own (`PARSE_STORY_APART`), the CPU in
    its one scan: both ways give the same bytes, here on the CPU, on stories and on text with
    hyphens, apostrophes, non-ASCII words and punctuation at either end."""
    from kernels import cpu
    from kernels._layout import PARSE_STORY_APART
    from kernels.corpus import adversarial_intents, generate_intents

    gold = [s["text"] for split in sorted(SPLITS) for s in load(SPLITS[split])]
    edges = ["-- As a co-op's admin, I don't want e-mail!", "Café naïve-user's ünïcode ...", ""]
    texts = [*gold, *adversarial_intents(), *generate_intents(2_000, seed=5), *edges]
    apart_format = lambda f: kernels.batch.parse_format(f) | PARSE_STORY_APART  # noqa: E731
    for fmt in ("json", "msgpack"):
        batch = kernels.make_batch(texts, [f"t{i}" for i in range(len(texts))], None, fmt)
        in_scan = kernels.encode_batch(batch, "cpu").to_list()
        with monkeypatch.context() as m:
            m.setattr(cpu, "parse_format", apart_format)
            apart = kernels.encode_batch(batch, "cpu").to_list()
        assert apart == in_scan
        assert in_scan == kernels.encode_batch(batch, "reference", label="cpu").to_list()
