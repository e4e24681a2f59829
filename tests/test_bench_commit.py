"""The commit a bench row names is the tree that ran: a tree that differs from its commit
says so."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

MACHINE = Path(__file__).parents[1] / "bench" / "_machine.py"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          cwd=repo, capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip()


def _load(path: Path, name: str) -> ModuleType:
    """A copy of `bench/_machine.py` imported from `path`, so `commit` looks at its checkout."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_commit_names_the_tree_and_flags_changes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "bench").mkdir(parents=True)
    shutil.copy(MACHINE, repo / "bench" / "_machine.py")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    machine = _load(repo / "bench" / "_machine.py", "machine_copy")

    head = _git(repo, "rev-parse", "--short", "HEAD")
    assert machine.commit() == head
    with open(repo / "bench" / "_machine.py", "a") as f:
        f.write("# an edit\n")
    assert machine.commit() == f"{head}+modified"
    (repo / "bench" / "new_module.py").write_text("")
    _git(repo, "checkout", "--", "bench/_machine.py")
    assert machine.commit() == f"{head}+modified", "a file git does not know is a change too"
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "two")
    assert machine.commit() == _git(repo, "rev-parse", "--short", "HEAD") != head


def test_commit_outside_git_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # no repo above
    shutil.copy(MACHINE, tmp_path / "_machine.py")
    machine = _load(tmp_path / "_machine.py", "machine_loose")
    assert machine.commit() == "unknown"
