"""What a bench figure was measured on: the tree's commit and the host's CPU."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def commit() -> str:
    """The short commit of the checkout the benches run from ("unknown" outside git)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=Path(__file__).parent)  # fmt: skip
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


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
