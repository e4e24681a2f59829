"""The end-to-end bench's modes deliver every intent, alone and as replicas of one group."""

from __future__ import annotations

import json

import pytest

from bench._modes import MODES
from bench.e2e import main


@pytest.mark.kafka
def test_passthrough_replicas_deliver_every_intent(capsys: pytest.CaptureFixture[str]) -> None:
    rows = main(["--intents", "3000", "--partitions", "4", "--replicas", "1,2", "--json"])
    assert set(MODES) >= {"passthrough", "consume", "grump-cpu", "grump-gpu"}
    assert [(row["mode"], row["replicas"]) for row in rows] == [
        ("passthrough", 1), ("passthrough", 2)]  # fmt: skip
    for row in rows:
        assert row["results"] == 3000 and row["lost"] == 0, row
        assert row["intents_per_s"] > 0 and row["wall_s"] > 0
        assert row["rss_mb_max"] > 10
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed[0]["mode"] == "produce" and printed[0]["intents_per_s"] > 0
    assert printed[1:] == rows


@pytest.mark.kafka
@pytest.mark.slow
def test_grump_and_naive_modes_deliver_every_intent() -> None:
    rows = main(["--intents", "600", "--partitions", "2", "--modes", "grump,naive",
                 "--backend", "reference", "--json"])  # fmt: skip
    assert [row["mode"] for row in rows] == ["grump", "naive"]
    for row in rows:
        assert row["results"] >= 600 and row["lost"] == 0, row
        assert row["intents_per_s"] > 0
    grump = rows[0]
    assert grump["drains_per_replica"] >= 1 and grump["batches"] >= 1
    assert sum(grump["batch_hist"].values()) == grump["batches"]
    assert sum(map(sum, grump["batches_per_drain"])) == grump["batches"]
    assert grump["cpu_s_per_m"] > 0  # the replica and its drain processes, read from /proc
