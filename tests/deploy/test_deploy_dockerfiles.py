"""Static checks of docker/Dockerfile and docker/Dockerfile.cuda (no Docker engine needed)."""

from __future__ import annotations

import fnmatch
import json
import shlex
from pathlib import Path

import pytest
from deploy_contract import DOCKERFILES, GRUMP_VARIABLES, REPO, console_scripts


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        result.append((keyword.upper(), args.strip()))
    assert not pending, f"{dockerfile.name}: dangling line continuation"
    return result


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not exec form: {args}"
    return value


def ignore_patterns(dockerfile: Path) -> list[str]:
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    lines = ignore.read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


@pytest.fixture(params=DOCKERFILES, ids=lambda p: p.name)
def dockerfile(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_copy_sources_exist_and_are_not_ignored(dockerfile: Path) -> None:
    patterns = ignore_patterns(dockerfile)
    copied = []
    for keyword, args in instructions(dockerfile):
        if keyword not in ("COPY", "ADD"):
            continue
        words = shlex.split(args)
        if any(w.startswith("--from=") for w in words):
            continue  # from another stage, not the build context
        sources = [w for w in words if not w.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source).exists(), f"{dockerfile.name}: COPY {source}: not in the repo"
            ignored = [p for p in patterns if fnmatch.fnmatch(source, p.removeprefix("**/"))]
            assert not ignored, f"{dockerfile.name}: COPY {source} is excluded by {ignored}"
            copied.append(source)
    # The wheel needs the project file and every import package.
    for needed in ("pyproject.toml", "README.md", "schemas", "kernels", "ringbuffer", "worker"):
        assert needed in copied, f"{dockerfile.name} does not copy {needed}"


def test_dockerignore_keeps_heavy_and_private_paths_out(dockerfile: Path) -> None:
    patterns = ignore_patterns(dockerfile)
    for excluded in ("**/.venv", ".git", "tests", "bench"):
        assert excluded in patterns, f"{dockerfile.name}.dockerignore lacks {excluded}"


def test_entrypoint_runs_the_worker_console_script(dockerfile: Path) -> None:
    steps = dict(instructions(dockerfile))  # the last ENTRYPOINT/CMD wins, as in Docker
    entrypoint, cmd = exec_form(steps["ENTRYPOINT"]), exec_form(steps["CMD"])
    assert entrypoint[0] in console_scripts(), f"{entrypoint[0]} is not a console script"
    assert entrypoint + cmd == ["grump", "worker"]


def test_healthcheck_targets_healthz_on_the_metrics_port(dockerfile: Path) -> None:
    checks = [args for keyword, args in instructions(dockerfile) if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0]
    assert "GRUMP_METRICS_PORT" in checks[0] and "'9400'" in checks[0]


def test_runs_as_non_root_with_a_warm_numba_cache(dockerfile: Path) -> None:
    steps = instructions(dockerfile)
    runtime = steps[max(i for i, (k, _) in enumerate(steps) if k == "FROM") :]
    users = [args for keyword, args in runtime if keyword == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    env = " ".join(args for keyword, args in runtime if keyword == "ENV")
    assert "NUMBA_CACHE_DIR=/var/cache/grump/numba" in env
    runs = [args for keyword, args in runtime if keyword == "RUN"]
    # The cache directory is made writable for the user, then warmed by that user.
    assert any("/var/cache/grump/numba" in r and "-o grump" in r for r in runs)
    warm = [i for i, (k, a) in enumerate(runtime) if k == "RUN" and "kernels.encode_batch" in a]
    user_at = max(i for i, (k, _) in enumerate(runtime) if k == "USER")
    assert warm and warm[0] > user_at, "the cache must be warmed as the runtime user"


def test_only_grump_variables_configure_the_worker(dockerfile: Path) -> None:
    for keyword, args in instructions(dockerfile):
        if keyword != "ENV":
            continue
        for word in shlex.split(args):
            name = word.partition("=")[0]
            if name.startswith("GRUMP_"):
                assert name in GRUMP_VARIABLES, f"{dockerfile.name}: unknown variable {name}"


def test_multi_stage_build() -> None:
    for dockerfile in DOCKERFILES:
        stages = [a for k, a in instructions(dockerfile) if k == "FROM"]
        assert len(stages) >= 2, f"{dockerfile.name} is not multi-stage"
        assert any(a.endswith(" AS build") for a in stages)
