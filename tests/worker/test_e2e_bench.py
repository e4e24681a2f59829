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
