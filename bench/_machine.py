"""What a bench figure was measured on: the tree's commit and the host's CPU."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def commit() -> str:
    """The short commit of the checkout the benches run from, with "+modified" when its files
    differ from that commit (uncommitted edits, or a copy of a working tree run on another
    machine over an older clone); "unknown" outside git."""
    here = Path(__file__).parent
    head = _git(here, "rev-parse", "--short", "HEAD")
    if not head:
        return "unknown"
    return f"{head}+modified" if _git(here, "status", "--porcelain") else head


def _git(cwd: Path, *args: str) -> str:
    """What a git command printed, stripped; "" when it failed or git is missing."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=cwd)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def cpu_model() -> str:
    """The CPU's model name and core count, e.g. "AMD EPYC (2 cores)"."""
    model = "cpu"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model} ({os.cpu_count()} cores)"
