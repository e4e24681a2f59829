"""`grump worker` settings: defaults ← GRUMP_* env ← flags, and --help names every variable."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from worker import WorkerConfig, build_config
from worker._config import ENV_VARS
from worker.cli import _build_parser

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_ENV = {
    "GRUMP_BOOTSTRAP_SERVERS", "GRUMP_INPUT_TOPIC", "GRUMP_OUTPUT_TOPIC", "GRUMP_DLQ_TOPIC",
    "GRUMP_GROUP_ID", "GRUMP_BACKEND", "GRUMP_DRAIN_PROCESSES", "GRUMP_BATCH_SIZE",
    "GRUMP_MAX_BATCH_WAIT_MS", "GRUMP_RING_BYTES", "GRUMP_METRICS_PORT", "GRUMP_OUTPUT_FORMAT",
    "GRUMP_LOG_LEVEL", "GRUMP_LOG_JSON", "GRUMP_IDEMPOTENCE", "GRUMP_MAX_TEXT_BYTES",
    "GRUMP_DEVICES", "GRUMP_DLQ_MAX_RATIO", "GRUMP_SECURITY_PROTOCOL", "GRUMP_SASL_MECHANISM",
    "GRUMP_SASL_USERNAME", "GRUMP_SASL_PASSWORD", "GRUMP_SSL_CAFILE", "GRUMP_SSL_CERTFILE",
    "GRUMP_SSL_KEYFILE", "GRUMP_MAX_RESULT_BYTES", "GRUMP_STALL_TIMEOUT_S",
}  # fmt: skip


def _config(argv: list[str], env: dict[str, str]) -> WorkerConfig:
    return build_config(_build_parser().parse_args(["worker", *argv]), env)


def test_defaults() -> None:
    config = _config([], {})
    assert (config.input_topic, config.output_topic, config.dlq_topic) == (
        "intents", "intents.parsed", "intents.dlq")  # fmt: skip
    assert config.group_id == "grump-stream" and config.metrics_port == 9400
    assert config.output_format == "same" and config.idempotence == "auto"
    assert config.resolved_drain_processes() == max(1, (os.cpu_count() or 2) - 1)


def test_env_overrides_defaults_and_flags_override_env() -> None:
    env = {"GRUMP_BATCH_SIZE": "100", "GRUMP_BACKEND": "reference", "GRUMP_LOG_JSON": "true",
           "GRUMP_DEVICES": "0,1", "GRUMP_INPUT_TOPIC": "from-env"}  # fmt: skip
    config = _config(["--batch-size", "7", "--input-topic", "from-flag"], env)
    assert config.batch_size == 7 and config.input_topic == "from-flag"  # flags win
    assert config.backend == "reference" and config.log_json is True  # env beats defaults
    assert config.devices == (0, 1)
    assert _config(["--log-json"], {"GRUMP_LOG_JSON": "0"}).log_json is True


def test_env_var_names_are_the_deployment_contract() -> None:
    assert set(ENV_VARS) == EXPECTED_ENV


@pytest.mark.parametrize(
    ("argv", "env", "names"),
    [
        (["--backend", "tpu"], {}, "--backend"),
        ([], {"GRUMP_BATCH_SIZE": "many"}, "GRUMP_BATCH_SIZE"),
        ([], {"GRUMP_OUTPUT_FORMAT": "xml"}, "GRUMP_OUTPUT_FORMAT"),
        (["--metrics-port", "70000"], {}, "metrics_port"),
    ],
)
def test_bad_values_name_their_source(argv: list[str], env: dict[str, str], names: str) -> None:
    with pytest.raises(ValueError, match=names):
        _config(argv, env)


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        WorkerConfig().batch_size = 3  # type: ignore[misc]


def test_help_lists_every_env_var_and_bad_config_exits_2() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    run = [sys.executable, "-m", "worker.cli", "worker"]
    shown = subprocess.run([*run, "--help"], env=env, capture_output=True, text=True, check=True)
    for name in EXPECTED_ENV:
        assert f"env {name};" in shown.stdout
    assert "--session-timeout-ms" not in shown.stdout  # advanced settings stay hidden
    bad = subprocess.run(run, env={**env, "GRUMP_BACKEND": "tpu"}, capture_output=True, text=True)
    assert bad.returncode == 2 and "GRUMP_BACKEND" in bad.stderr


def test_log_json_writes_one_object_per_line() -> None:
    import json
    import logging

    from worker._app import _JsonFormatter

    record = logging.LogRecord("worker", logging.WARNING, __file__, 1, "lag %d", (5,), None)
    entry = json.loads(_JsonFormatter().format(record))
    assert entry["level"] == "warning" and entry["msg"] == "lag 5" and entry["logger"] == "worker"


def test_dlq_max_ratio_must_be_a_share() -> None:
    assert _config([], {"GRUMP_DLQ_MAX_RATIO": "0.25"}).dlq_max_ratio == 0.25
    for bad in ("0", "1.5", "-1"):
        with pytest.raises(ValueError, match="dlq_max_ratio"):
            _config(["--dlq-max-ratio", bad], {})


def test_sasl_settings_reach_the_client_options_and_the_password_is_never_printed() -> None:
    env = {"GRUMP_SECURITY_PROTOCOL": "SASL_SSL", "GRUMP_SASL_USERNAME": "svc-grump",
           "GRUMP_SASL_PASSWORD": "hunter2"}  # fmt: skip
    config = _config(["--sasl-mechanism", "SCRAM-SHA-256"], env)
    options = config.security().client_options()
    assert options["security_protocol"] == "SASL_SSL"
    sasl = [options[k] for k in ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password")]
    assert sasl == ["SCRAM-SHA-256", "svc-grump", "hunter2"]
    context = options["ssl_context"]  # TLS always verifies the broker: certificate and host
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "hunter2" not in repr(config) and "hunter2" not in repr(config.security())


def test_plaintext_is_the_default_and_adds_no_tls_or_sasl() -> None:
    assert _config([], {}).security().client_options() == {"security_protocol": "PLAINTEXT"}


SASL_USER = "--security-protocol SASL_PLAINTEXT --sasl-username u --sasl-password x".split()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--security-protocol", "TLS"], "security protocol 'TLS'"),
        (["--security-protocol", "SASL_SSL", "--sasl-username", "u"], "username and password"),
        ([*SASL_USER, "--sasl-mechanism", "GSSAPI"], "SASL mechanism 'GSSAPI'"),
        (["--security-protocol", "SSL", "--ssl-cafile", "/nonexistent/ca.pem"], "ssl_cafile"),
        (["--security-protocol", "SSL", "--ssl-keyfile", __file__], "without ssl_certfile"),
    ],
)
def test_unusable_security_settings_are_refused_with_the_reason(argv: list[str], message: str):
    with pytest.raises(ValueError, match=message):
        _config(argv, {})
