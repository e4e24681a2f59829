"""`grump demo`, `grump produce` and `grump consume` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from worker_process import WorkerProcess, make_topics, wait_for_ids

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _grump(
    *args: str, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worker.cli", *args], cwd=ROOT, env=ENV,
                          input=stdin, capture_output=True, timeout=timeout)  # fmt: skip


@pytest.mark.kafka
@pytest.mark.slow
def test_demo_runs_end_to_end_and_summarises() -> None:
    done = _grump("demo", "--intents", "1500")
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert "results            1,500" in out
    assert "dead letters       5 (invalid_utf8, malformed_json, missing_field, unknown_version, " \
           "wrong_type)" in out  # fmt: skip
    assert "latency p50 / p99" in out and "example result gen-" in out
    assert "example user story demo-story" in out and '"UI designer"' in out


def test_produce_and_consume_round_trip_through_a_worker(bootstrap: str, tmp_path: Path) -> None:
    topics = make_topics(bootstrap, "cmd-roundtrip")
    lines = b'{"v":1,"id":"one","text":"a blog with comments"}\n\n{"v":1,"text":}\n'
    produced = _grump("produce", "-", "--bootstrap", bootstrap, "--topic", topics.input,
                      stdin=lines)  # fmt: skip
    assert produced.returncode == 0 and b"produced 2 records" in produced.stderr
    generated = _grump("produce", "--generate", "20", "--bootstrap", bootstrap, "--topic",
                       topics.input)  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log")
    try:
        wanted = {"one", *(f"gen-{i}" for i in range(20))}
        wait_for_ids(bootstrap, topics.output, wanted, timeout_s=60, worker=worker)
    finally:
        assert worker.terminate() == 0, worker.log()
    results = _grump("consume", "--bootstrap", bootstrap, "--topic", topics.output,
                     "--idle-timeout-s", "2")  # fmt: skip
    documents = [orjson.loads(line) for line in results.stdout.splitlines()]
    assert {d["id"] for d in documents} == wanted
    limited = _grump("consume", "--bootstrap", bootstrap, "--topic", topics.output, "--limit", "3")
    assert len(limited.stdout.splitlines()) == 3
    dead = _grump("consume", "--bootstrap", bootstrap, "--topic", topics.dlq,
                  "--idle-timeout-s", "2")  # fmt: skip
    (letter,) = [orjson.loads(line) for line in dead.stdout.splitlines()]
    assert letter["error_code"] == "malformed_json" and letter["value_utf8"] == '{"v":1,"text":}'
    assert letter["source"]["topic"] == topics.input


@pytest.mark.kafka
def test_broker_command_prints_its_bootstrap_and_stops_on_ctrl_c() -> None:
    import signal

    from worker._broker import probe_metadata

    broker = subprocess.Popen([sys.executable, "-m", "worker.cli", "broker"], cwd=ROOT, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert broker.stdout is not None
        host, port = broker.stdout.readline().decode().strip().split(":")
        assert probe_metadata(host, int(port))
        produced = _grump("produce", "--generate", "5", "--bootstrap", f"{host}:{port}")
        assert produced.returncode == 0, produced.stderr  # the default topics exist
    finally:
        broker.send_signal(signal.SIGINT)
        assert broker.wait(timeout=15) == 0
        broker.stdout.close()
    assert not probe_metadata(host, int(port))


def test_consume_takes_the_worker_security_settings(bootstrap: str) -> None:
    """The tools read TLS / SASL settings as the worker does (flags over GRUMP_* variables):
    a SASL consumer is refused by this plaintext broker with one error line, exit 1, and an
    incomplete setting is refused before any connection, exit 2."""
    sasl = ["consume", "--bootstrap", bootstrap, "--security-protocol", "SASL_PLAINTEXT",
            "--sasl-username", "svc-grump"]  # fmt: skip
    refused = subprocess.run([sys.executable, "-m", "worker.cli", *sasl], cwd=ROOT, timeout=60,
                             env={**ENV, "GRUMP_SASL_PASSWORD": "secret"},
                             capture_output=True)  # fmt: skip
    assert refused.returncode == 1, refused.stderr.decode()[-2000:]
    assert "UnsupportedSaslMechanism" in refused.stderr.decode()
    assert refused.stderr.decode().strip().splitlines()[-1].startswith("grump consume: ")

    incomplete = _grump(*sasl, timeout=60)  # no password anywhere
    assert incomplete.returncode == 2
    assert "grump consume: SASL_PLAINTEXT needs a SASL username and password" in (
        incomplete.stderr.decode()
    )
