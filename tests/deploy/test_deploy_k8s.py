"""docker/k8s: every manifest parses, kinds and cross-references hold, probes match the worker."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_contract import (
    CREDENTIALS_SECRET,
    DEFAULT_PARTITIONS,
    GRUMP_VARIABLES,
    K8S,
    METRICS_PORT,
    load_yaml_documents,
)

EXPECTED_KINDS = {
    "Deployment", "ConfigMap", "Service", "PodDisruptionBudget", "ScaledObject", "Kustomization",
}  # fmt: skip
DEPLOYMENT_FILES = ("deployment.yaml", "deployment-gpu.yaml")


def manifests() -> dict[str, list[dict]]:
    return {p.name: load_yaml_documents(p) for p in sorted(K8S.glob("*.yaml"))}


def one(kind: str, file: str) -> dict:
    (document,) = [d for d in manifests()[file] if d["kind"] == kind]
    return document


def worker_container(file: str) -> dict:
    (container,) = one("Deployment", file)["spec"]["template"]["spec"]["containers"]
    return container


def test_every_manifest_parses_with_the_expected_kinds() -> None:
    found = manifests()
    kinds = {d["kind"] for docs in found.values() for d in docs}
    assert kinds == EXPECTED_KINDS
    for file, docs in found.items():
        assert docs, f"{file} is empty"
        for doc in docs:
            assert doc.get("apiVersion"), f"{file}: {doc['kind']} without apiVersion"


def test_kustomization_lists_existing_base_manifests() -> None:
    resources = one("Kustomization", "kustomization.yaml")["resources"]
    for resource in resources:
        assert (K8S / resource).is_file(), f"kustomization lists missing {resource}"
    listed_kinds = {d["kind"] for r in resources for d in load_yaml_documents(K8S / r)}
    assert listed_kinds == EXPECTED_KINDS - {"Kustomization"}
    assert "deployment-gpu.yaml" not in resources, "GPU pods would stay Pending without GPUs"


def test_configmap_sets_only_grump_variables() -> None:
    data = one("ConfigMap", "configmap.yaml")["data"]
    assert set(data) <= GRUMP_VARIABLES, set(data) - GRUMP_VARIABLES
    assert "GRUMP_BOOTSTRAP_SERVERS" in data
    assert data["GRUMP_IDEMPOTENCE"] == "on"
    assert all(isinstance(v, str) for v in data.values()), "ConfigMap values must be strings"


@pytest.mark.parametrize("file", DEPLOYMENT_FILES)
def test_deployment_environment_is_grump_only(file: str) -> None:
    container = worker_container(file)
    names = {e["name"] for e in container.get("env", [])}
    assert names <= GRUMP_VARIABLES, names - GRUMP_VARIABLES
    sources = container["envFrom"]
    assert [s["configMapRef"]["name"] for s in sources if "configMapRef" in s] == [
        one("ConfigMap", "configmap.yaml")["metadata"]["name"]
    ]
    # credentials stay out of the ConfigMap: an optional Secret, so plaintext clusters need none
    secrets = [s["secretRef"] for s in sources if "secretRef" in s]
    assert secrets == [{"name": CREDENTIALS_SECRET, "optional": True}]
    assert container["args"] == ["worker"]


@pytest.mark.parametrize("file", DEPLOYMENT_FILES)
def test_probes_hit_the_health_endpoints_on_the_metrics_port(file: str) -> None:
    container = worker_container(file)
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": METRICS_PORT}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": METRICS_PORT}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert {"containerPort": METRICS_PORT, "name": "metrics", "protocol": "TCP"} in container[
        "ports"
    ]


@pytest.mark.parametrize("file", DEPLOYMENT_FILES)
def test_pods_run_unprivileged_with_resources_and_a_shm_volume(file: str) -> None:
    pod = one("Deployment", file)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    container = worker_container(file)
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    (shm,) = [v for v in pod["volumes"] if v["name"] == "shm"]
    assert shm["emptyDir"]["medium"] == "Memory"
    assert {"name": "shm", "mountPath": "/dev/shm"} in container["volumeMounts"]


def test_gpu_deployment_requests_a_gpu_and_the_cpu_one_does_not() -> None:
    gpu = worker_container("deployment-gpu.yaml")
    assert gpu["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"name": "GRUMP_BACKEND", "value": "gpu"} in gpu["env"]
    assert "nvidia.com/gpu" not in worker_container("deployment.yaml")["resources"]["limits"]


def test_deployment_leaves_the_replica_count_to_keda() -> None:
    assert "replicas" not in one("Deployment", "deployment.yaml")["spec"]


def test_scaled_object_follows_kafka_lag_within_the_partition_count() -> None:
    spec = one("ScaledObject", "scaledobject.yaml")["spec"]
    deployment = one("Deployment", "deployment.yaml")
    assert spec["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= DEFAULT_PARTITIONS
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    config = one("ConfigMap", "configmap.yaml")["data"]
    assert trigger["metadata"]["consumerGroup"] == config["GRUMP_GROUP_ID"]
    assert trigger["metadata"]["topic"] == config["GRUMP_INPUT_TOPIC"]
    assert trigger["metadata"]["bootstrapServers"] == config["GRUMP_BOOTSTRAP_SERVERS"]
    assert int(trigger["metadata"]["lagThreshold"]) > 0


def test_service_and_pdb_select_worker_pods() -> None:
    pod_labels = one("Deployment", "deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    for kind, file in (("Service", "service.yaml"), ("PodDisruptionBudget", "pdb.yaml")):
        spec = one(kind, file)["spec"]
        selector = spec["selector"].get("matchLabels", spec["selector"])
        assert selector.items() <= pod_labels.items(), f"{kind} selects no worker pod"
    (port,) = one("Service", "service.yaml")["spec"]["ports"]
    assert port["port"] == METRICS_PORT


def test_manifests_are_tidy_yaml() -> None:
    for path in K8S.glob("*.yaml"):
        text = Path(path).read_text()
        assert "\t" not in text, f"{path.name} contains tabs"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{path.name}: trailing lines"
