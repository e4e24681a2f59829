"""The end-to-end bench runs its passthrough mode without losing a single intent."""

from __future__ import annotations

import pytest

from bench.e2e import MODES, main


@pytest.mark.kafka
def test_passthrough_mode_delivers_every_intent(capsys: pytest.CaptureFixture[str]) -> None:
    rows = main(["--intents", "3000", "--partitions", "3", "--json"])
    assert set(MODES) >= {"passthrough"}
    (row,) = rows
    assert row["mode"] == "passthrough"
    assert row["intents"] == 3000 and row["results"] == 3000 and row["lost"] == 0
    assert row["intents_per_s"] > 0 and row["cpu_s_per_m"] > 0 and row["rss_mb"] > 10
    assert row["p99_ms"] >= row["p50_ms"] > 0
    assert '"mode": "passthrough"' in capsys.readouterr().out


@pytest.mark.kafka
@pytest.mark.slow
def test_grump_and_naive_modes_deliver_every_intent() -> None:
    rows = main(["--intents", "600", "--partitions", "2", "--modes", "grump,naive",
                 "--backend", "reference", "--json"])  # fmt: skip
    assert [row["mode"] for row in rows] == ["grump", "naive"]
    for row in rows:
        assert row["results"] >= 600 and row["lost"] == 0, row
        assert row["intents_per_s"] > 0 and row["p99_ms"] >= row["p50_ms"] > 0
    assert rows[0]["cpu_s_per_m"] > 0  # includes the drain processes' CPU
