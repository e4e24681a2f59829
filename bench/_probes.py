"""What the end-to-end bench watches from outside while a mode runs: CPU time per process
(from /proc, so the broker, each replica and its drain processes are counted apart) and,
where `nvidia-smi` exists, the GPUs' utilisation."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """user + system CPU seconds of one live process (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS


def children(pid: int) -> list[int]:
    """Direct children of `pid` (every thread's list; needs Linux's /proc children files)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


@dataclass
class CpuWindow:
    """CPU seconds each watched process spent between `start` and `stop`."""

    groups: dict[str, list[int]] = field(default_factory=dict)  # role -> pids
    _before: dict[int, float] = field(default_factory=dict)
    spent: dict[str, list[float]] = field(default_factory=dict)

    def start(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._before = {pid: cpu_seconds(pid) or 0.0 for pids in groups.values() for pid in pids}

    def stop(self) -> None:
        self.spent = {
            role: [max(0.0, (cpu_seconds(pid) or self._before[pid]) - self._before[pid])
                   for pid in pids]
            for role, pids in self.groups.items()
        }  # fmt: skip


class GpuSampler:
    """`nvidia-smi` utilisation every 100 ms during a window; nothing without it."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        binary = shutil.which("nvidia-smi")
        if binary is None:
            return
        self._process = subprocess.Popen(
            [binary, "--query-gpu=index,utilization.gpu", "--format=csv,noheader,nounits",
             "-lms", "100"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def stop(self) -> dict[str, float]:
        """Mean and peak utilisation (percent) per GPU index over the window."""
        if self._process is None:
            return {}
        self._process.terminate()
        out, _ = self._process.communicate(timeout=5)
        samples: dict[str, list[float]] = {}
        for line in out.splitlines():
            parts = [p.strip() for p in line.split(",")]
            if len(parts) == 2 and parts[1].isdigit():
                samples.setdefault(parts[0], []).append(float(parts[1]))
        report: dict[str, float] = {}
        for index, values in samples.items():
            report[f"gpu{index}_util_mean_pct"] = round(sum(values) / len(values), 1)
            report[f"gpu{index}_util_max_pct"] = max(values)
        return report
