"""docker/compose.yaml: validated by docker-compose when installed, and checked as YAML."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from deploy_contract import (
    COMPOSE_FILE,
    DEFAULT_PARTITIONS,
    DOCKER,
    GRUMP_VARIABLES,
    METRICS_PORT,
    load_yaml_documents,
)

DOCKER_COMPOSE = shutil.which("docker-compose")
needs_docker_compose = pytest.mark.skipif(
    DOCKER_COMPOSE is None,
    reason="docker-compose is not installed (Debian: apt-get install docker-compose)",
)


def compose() -> dict:
    (document,) = load_yaml_documents(COMPOSE_FILE)
    return document


def compose_config(*extra: str) -> str:
    assert DOCKER_COMPOSE is not None
    # Interpolation must not pick up the caller's GRUMP_* values.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRUMP_")}
    done = subprocess.run(
        [DOCKER_COMPOSE, "-f", str(COMPOSE_FILE), *extra, "config"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_docker_compose
# ids avoid the bare word "gpu": the suite's conftest skips items with that keyword.
@pytest.mark.parametrize("profile", [(), ("--profile", "gpu")], ids=["plain", "with-gpu-profile"])
def test_docker_compose_accepts_the_file(profile: tuple[str, ...]) -> None:
    import yaml

    resolved = yaml.safe_load(compose_config(*profile))
    services = resolved["services"]
    assert {"kafka", "topic-init", "worker", "prometheus", "grafana"} <= set(services)
    assert services["worker-gpu"]["profiles"] == ["gpu"]
    assert "ports" not in services["worker"] and "container_name" not in services["worker"]
    topic_init = " ".join(services["topic-init"]["command"])
    assert f"--partitions {DEFAULT_PARTITIONS}" in topic_init


def test_worker_services_can_be_scaled() -> None:
    for name in ("worker", "worker-gpu"):
        service = compose()["services"][name]
        assert "container_name" not in service, f"{name}: a fixed name breaks --scale"
        assert "ports" not in service, f"{name}: a fixed host port breaks --scale"
        assert str(METRICS_PORT) in [str(p) for p in service["expose"]]


def test_worker_environment_uses_only_grump_variables() -> None:
    for name in ("worker", "worker-gpu"):
        env = compose()["services"][name]["environment"]
        assert isinstance(env, dict)
        assert set(env) <= GRUMP_VARIABLES, set(env) - GRUMP_VARIABLES
        assert env["GRUMP_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["GRUMP_IDEMPOTENCE"] == "on", "Apache Kafka supports idempotent producers"


def test_kafka_is_single_node_kraft_from_the_official_image() -> None:
    kafka = compose()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "healthcheck" in kafka


def test_topic_init_creates_configurable_partitions_before_workers_start() -> None:
    services = compose()["services"]
    script = services["topic-init"]["command"][0]
    assert "${GRUMP_PARTITIONS:-12}" in script
    assert "--if-not-exists" in script
    for name in ("worker", "worker-gpu"):
        depends = services[name]["depends_on"]
        assert depends["topic-init"]["condition"] == "service_completed_successfully"


def test_gpu_worker_reserves_an_nvidia_device_in_its_own_profile() -> None:
    gpu = compose()["services"]["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert gpu["environment"]["GRUMP_BACKEND"] == "gpu"
    assert "profiles" not in compose()["services"]["worker"]


def test_shared_memory_holds_the_ring() -> None:
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    ring_default = int(compose()["x-worker-env"]["GRUMP_RING_BYTES"].split(":-")[1].rstrip("}"))
    for name in ("worker", "worker-gpu"):
        shm = compose()["services"][name]["shm_size"]
        assert int(shm[:-1]) * units[shm[-1]] > ring_default


def test_prometheus_discovers_every_worker_replica() -> None:
    (config,) = load_yaml_documents(DOCKER / "prometheus" / "prometheus.yml")
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "grump-worker"]
    (sd,) = job["dns_sd_configs"]
    assert {"worker", "worker-gpu"} <= set(sd["names"])
    assert sd["port"] == METRICS_PORT and sd["type"] == "A"


def test_grafana_provisioning_points_at_the_mounted_dashboard() -> None:
    services = compose()["services"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in services["grafana"]["volumes"]}
    assert mounts["./grafana/dashboards"] == "/var/lib/grafana/dashboards"
    provisioning = DOCKER / "grafana" / "provisioning"
    (providers,) = load_yaml_documents(provisioning / "dashboards" / "grump-stream.yaml")
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    (datasources,) = load_yaml_documents(provisioning / "datasources" / "prometheus.yaml")
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090"
    assert datasources["datasources"][0]["uid"] == "prometheus"
