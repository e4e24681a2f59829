"""What the deployment files are checked against: the worker's configuration contract and paths."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
K8S = DOCKER / "k8s"
COMPOSE_FILE = DOCKER / "compose.yaml"
DASHBOARD_FILE = DOCKER / "grafana" / "dashboards" / "grump-stream.json"
DOCKERFILES = (DOCKER / "Dockerfile", DOCKER / "Dockerfile.cuda")

# The worker reads its configuration from these variables and nothing else.
GRUMP_VARIABLES = frozenset({
    "GRUMP_BOOTSTRAP_SERVERS", "GRUMP_INPUT_TOPIC", "GRUMP_OUTPUT_TOPIC", "GRUMP_DLQ_TOPIC",
    "GRUMP_GROUP_ID", "GRUMP_BACKEND", "GRUMP_DRAIN_PROCESSES", "GRUMP_BATCH_SIZE",
    "GRUMP_MAX_BATCH_WAIT_MS", "GRUMP_RING_BYTES", "GRUMP_METRICS_PORT", "GRUMP_OUTPUT_FORMAT",
    "GRUMP_LOG_LEVEL", "GRUMP_LOG_JSON", "GRUMP_IDEMPOTENCE", "GRUMP_MAX_TEXT_BYTES",
    "GRUMP_DEVICES", "GRUMP_DLQ_MAX_RATIO", "GRUMP_SECURITY_PROTOCOL", "GRUMP_SASL_MECHANISM",
    "GRUMP_SASL_USERNAME", "GRUMP_SASL_PASSWORD", "GRUMP_SSL_CAFILE", "GRUMP_SSL_CERTFILE",
    "GRUMP_SSL_KEYFILE",
})  # fmt: skip
# Kafka credentials come from this Secret (optional: a plaintext cluster needs none).
CREDENTIALS_SECRET = "grump-kafka-credentials"
METRICS_PORT = 9400
DEFAULT_PARTITIONS = 12


def load_yaml_documents(path: Path) -> list[dict]:
    with path.open() as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def console_scripts() -> dict[str, str]:
    with (REPO / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]["scripts"]
