"""The worker's settings: one frozen dataclass, built in one place.

Precedence is defaults ← `GRUMP_*` environment variables ← command-line flags. `build_config`
is the only code in the worker that reads the environment, so a setting never has two
sources of truth; `--help` prints each flag's variable next to it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from ._result_limit import DEFAULT_MAX_RESULT_BYTES
from ._security import SASL_MECHANISMS, SECURITY_PROTOCOLS, Security

BACKENDS = ("auto", "cpu", "gpu", "reference")
OUTPUT_FORMATS = ("same", "json", "msgpack")
IDEMPOTENCE = ("auto", "on", "off")
LOG_LEVELS = ("debug", "info", "warning", "error")
SECURITY_SETTINGS = tuple(f.name for f in fields(Security))
_NO_SECURITY = Security()


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    bootstrap_servers: str = "127.0.0.1:9092"
    input_topic: str = "intents"
    output_topic: str = "intents.parsed"
    dlq_topic: str = "intents.dlq"
    group_id: str = "grump-stream"
    backend: str = "auto"
    drain_processes: int = 0  # 0: one per GPU, else CPU cores - 1, at least 1
    batch_size: int = 4096  # at least kernels' AUTO_GPU_MIN_INTENTS, so `auto` uses a GPU
    max_batch_wait_ms: int = 20
    ring_bytes: int = 64 << 20
    metrics_port: int = 9400
    output_format: str = "same"
    log_level: str = "info"
    log_json: bool = False
    idempotence: str = "auto"
    max_text_bytes: int = 64 * 1024
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    devices: tuple[int, ...] = ()
    dlq_max_ratio: float = 1.0  # 1: no limit
    stall_timeout_s: float = 120.0  # /healthz fails after this long pending without progress
    # TLS / SASL: the fields of `Security`, with its defaults
    security_protocol: str = _NO_SECURITY.security_protocol
    sasl_mechanism: str = _NO_SECURITY.sasl_mechanism
    sasl_username: str = ""
    sasl_password: str = dataclasses.field(default="", repr=False)  # never printed with the config
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    # Advanced (flags only, hidden from --help): group timing and shutdown bounds.
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    commit_interval_ms: int = 500
    shutdown_timeout_s: float = 20.0

    def resolved_drain_processes(self) -> int:
        if self.drain_processes > 0:
            return self.drain_processes
        if self.backend in ("gpu", "auto") and self.devices:
            return len(self.devices)
        return max(1, (os.cpu_count() or 2) - 1)

    def security(self) -> Security:
        """TLS / SASL options shared by every Kafka client of the worker."""
        return Security(**{name: getattr(self, name) for name in SECURITY_SETTINGS})


# field: (flag, env var, type, help); every public setting has exactly one of each.
_SETTINGS: dict[str, tuple[str, str, Any, str]] = {
    "bootstrap_servers": ("--bootstrap-servers", "GRUMP_BOOTSTRAP_SERVERS", str,
                          "Kafka bootstrap servers"),
    "input_topic": ("--input-topic", "GRUMP_INPUT_TOPIC", str, "topic of intent requests"),
    "output_topic": ("--output-topic", "GRUMP_OUTPUT_TOPIC", str, "topic for parsed results"),
    "dlq_topic": ("--dlq-topic", "GRUMP_DLQ_TOPIC", str, "dead-letter topic"),
    "group_id": ("--group-id", "GRUMP_GROUP_ID", str, "consumer group"),
    "backend": ("--backend", "GRUMP_BACKEND", str, "parse backend: " + "|".join(BACKENDS)),
    "drain_processes": ("--drain-processes", "GRUMP_DRAIN_PROCESSES", int,
                        "parse processes (0: one per GPU, else CPU cores - 1, at least 1)"),
    "batch_size": ("--batch-size", "GRUMP_BATCH_SIZE", int, "records per parse batch"),
    "max_batch_wait_ms": ("--max-batch-wait-ms", "GRUMP_MAX_BATCH_WAIT_MS", int,
                          "longest wait to fill a batch while records keep arriving (ms)"),
    "ring_bytes": ("--ring-bytes", "GRUMP_RING_BYTES", int,
                   "bytes per shared-memory ring (rounded up to a power of two)"),
    "metrics_port": ("--metrics-port", "GRUMP_METRICS_PORT", int,
                     "port for /metrics, /healthz, /readyz (0: off)"),
    "output_format": ("--output-format", "GRUMP_OUTPUT_FORMAT", str,
                      "result encoding: " + "|".join(OUTPUT_FORMATS)),
    "log_level": ("--log-level", "GRUMP_LOG_LEVEL", str, "|".join(LOG_LEVELS)),
    "log_json": ("--log-json", "GRUMP_LOG_JSON", bool, "structured JSON logs on stderr"),
    "idempotence": ("--idempotence", "GRUMP_IDEMPOTENCE", str,
                    "idempotent producer: " + "|".join(IDEMPOTENCE)),
    "max_text_bytes": ("--max-text-bytes", "GRUMP_MAX_TEXT_BYTES", int,
                       "largest accepted intent text in bytes"),
    "max_result_bytes": ("--max-result-bytes", "GRUMP_MAX_RESULT_BYTES", int,
                         "largest result (key + id + value) produced; a bigger one is "
                         "dead-lettered (result_too_large); keep it below message.max.bytes"),
    "devices": ("--devices", "GRUMP_DEVICES", tuple, "GPU device list, e.g. 0,1"),
    "dlq_max_ratio": ("--dlq-max-ratio", "GRUMP_DLQ_MAX_RATIO", float,
                      "stop when a partition's recent dead-letter share passes this (1: never)"),
    "stall_timeout_s": ("--stall-timeout-s", "GRUMP_STALL_TIMEOUT_S", float,
                        "/healthz fails when records wait this long with no ack or commit"),
    "security_protocol": ("--security-protocol", "GRUMP_SECURITY_PROTOCOL", str,
                          "|".join(SECURITY_PROTOCOLS)),
    "sasl_mechanism": ("--sasl-mechanism", "GRUMP_SASL_MECHANISM", str,
                       "|".join(SASL_MECHANISMS) + " (SASL_* protocols)"),
    "sasl_username": ("--sasl-username", "GRUMP_SASL_USERNAME", str, "SASL user"),
    "sasl_password": ("--sasl-password", "GRUMP_SASL_PASSWORD", str,
                      "SASL password (prefer the variable: flags show in process lists)"),
    "ssl_cafile": ("--ssl-cafile", "GRUMP_SSL_CAFILE", str,
                   "CA bundle that signed the brokers' certificates (empty: system CAs)"),
    "ssl_certfile": ("--ssl-certfile", "GRUMP_SSL_CERTFILE", str,
                     "client certificate for mutual TLS"),
    "ssl_keyfile": ("--ssl-keyfile", "GRUMP_SSL_KEYFILE", str, "client certificate's key"),
}  # fmt: skip
_HIDDEN = {
    "session_timeout_ms": ("--session-timeout-ms", int),
    "heartbeat_interval_ms": ("--heartbeat-interval-ms", int),
    "commit_interval_ms": ("--commit-interval-ms", int),
    "shutdown_timeout_s": ("--shutdown-timeout-s", float),
}
_CHOICES = {
    "backend": BACKENDS,
    "output_format": OUTPUT_FORMATS,
    "idempotence": IDEMPOTENCE,
    "log_level": LOG_LEVELS,
}
ENV_VARS = tuple(env for _flag, env, _kind, _help in _SETTINGS.values())


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags default to None so `build_config` can tell "not given" from a value."""
    for field in _SETTINGS:
        _add_setting(parser, field)
    for flag, _kind in _HIDDEN.values():
        parser.add_argument(flag, default=None, help=argparse.SUPPRESS)


def add_security_arguments(parser: argparse.ArgumentParser) -> None:
    """The TLS / SASL flags alone, for the produce and consume tools (`build_config` reads
    them, with their GRUMP_* variables, exactly as for the worker)."""
    for field in SECURITY_SETTINGS:
        _add_setting(parser, field)


def _add_setting(parser: argparse.ArgumentParser, field: str) -> None:
    flag, env, kind, text = _SETTINGS[field]
    default = getattr(WorkerConfig(), field)
    shown = ",".join(map(str, default)) if kind is tuple else default
    help_text = f"{text} [env {env}; default {shown}]"
    if kind is bool:
        parser.add_argument(flag, action="store_const", const=True, default=None,
                            help=help_text)  # fmt: skip
    else:
        metavar = flag.lstrip("-").upper().replace("-", "_")
        parser.add_argument(flag, default=None, metavar=metavar, help=help_text)


def build_config(
    args: argparse.Namespace | None = None, env: Mapping[str, str] | None = None
) -> WorkerConfig:
    """defaults ← GRUMP_* env ← flags, validated; raises ValueError naming the bad source."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for field, (flag, var, kind, _text) in _SETTINGS.items():
        if env.get(var, "") != "":
            values[field] = _convert(kind, env[var], var)
        given = getattr(args, field, None) if args is not None else None
        if given is not None:
            values[field] = _convert(kind, given, flag)
    for field, (flag, kind) in _HIDDEN.items():
        given = getattr(args, field, None) if args is not None else None
        if given is not None:
            values[field] = _convert(kind, given, flag)
    config = WorkerConfig(**values)
    _validate(config)
    return config


def _convert(kind: Any, raw: Any, source: str) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        if kind is bool:
            return _boolean(raw)
        if kind is tuple:
            return tuple(int(part) for part in raw.split(",") if part.strip())
        return kind(raw)
    except ValueError as error:
        raise ValueError(f"{source}: cannot read {raw!r} ({error})") from None


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true/false")


def _validate(config: WorkerConfig) -> None:
    for field, allowed in _CHOICES.items():
        if getattr(config, field) not in allowed:
            flag, env = _SETTINGS[field][:2]
            raise ValueError(f"{flag}/{env}: {getattr(config, field)!r} not in {allowed}")
    positive = ("batch_size", "ring_bytes", "max_text_bytes", "max_result_bytes",
                "session_timeout_ms")  # fmt: skip
    for field in positive:
        if getattr(config, field) <= 0:
            raise ValueError(f"{field} must be positive")
    if config.stall_timeout_s <= 0:
        raise ValueError("stall_timeout_s must be positive")
    if not 0 < config.dlq_max_ratio <= 1:
        raise ValueError("dlq_max_ratio must be in (0, 1]")
    if not 0 <= config.metrics_port <= 65535:
        raise ValueError("metrics_port must be in [0, 65535]")
    if config.drain_processes < 0 or config.max_batch_wait_ms < 0:
        raise ValueError("drain_processes and max_batch_wait_ms must not be negative")
    problems = config.security().problems()
    if problems:
        raise ValueError("; ".join(problems))


def config_fields() -> Sequence[str]:
    return [f.name for f in fields(WorkerConfig)]
