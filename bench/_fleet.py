"""Worker replicas for the soak bench: real `grump worker` processes, started, signalled and
watched from outside, the way a deployment sees them (/readyz, /metrics, /proc)."""

from __future__ import annotations

import datetime
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench._probes import children, cpu_seconds
from worker._broker import free_loopback_port

ROOT = Path(__file__).resolve().parents[1]
_BUCKET = re.compile(r'^grump_latency_seconds_bucket\{le="([^"]+)"\} (\S+)$', re.M)
_GAUGE_LAG = re.compile(r"^grump_consumer_lag_records\{[^}]*\} (\S+)$", re.M)
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
_STEP = re.compile(r"([a-z][a-z ]+?) (\d+\.\d+) s")


@dataclass(frozen=True)
class ReplicaSettings:
    bootstrap: str
    topics: tuple[str, str, str]  # input, output, dead letters
    group_id: str
    backend: str
    drains: int
    log_dir: Path
    # Tansu answers a JoinGroup after session_timeout_ms / 2 (worker/_kafka.py): short keeps
    # each rebalance near 1 s, as in bench.e2e and the tests.
    session_timeout_ms: int = 2_000
    heartbeat_interval_ms: int = 600
    extra: tuple[str, ...] = ()


@dataclass
class Replica:
    """One `python -m worker.cli worker` process and its HTTP port."""

    number: int
    process: subprocess.Popen[bytes]
    port: int
    started_at: float
    ready_at: float | None = None
    drains: list[int] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def get(self, path: str, timeout_s: float = 2.0) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    def is_ready(self) -> bool:
        try:
            return self.get("/readyz", 1.0)[0] == 200
        except OSError:
            return False

    def find_drains(self) -> list[int]:
        """The spawned drain processes (not multiprocessing's resource tracker)."""
        found = []
        for pid in children(self.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.append(pid)
        self.drains = found
        return found

    def scrape(self) -> tuple[dict[float, float], float] | None:
        """(cumulative grump_latency_seconds buckets by upper bound, summed consumer lag)."""
        try:
            status, text = self.get("/metrics")
        except OSError:
            return None
        if status != 200:
            return None
        buckets = {float(le): float(v) for le, v in _BUCKET.findall(text)}
        lag = sum(float(v) for v in _GAUGE_LAG.findall(text))
        return buckets, lag

    def signal(self, number: int) -> None:
        if self.alive:
            self.process.send_signal(number)

    def wait(self, timeout_s: float) -> int | None:
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None


class Fleet:
    """The replicas of one consumer group; numbers keep counting across restarts."""

    def __init__(self, settings: ReplicaSettings) -> None:
        self.settings = settings
        self.replicas: list[Replica] = []
        self.gone: list[Replica] = []
        self._next = 0

    def start(self) -> Replica:
        s = self.settings
        port = free_loopback_port()
        command = [
            sys.executable, "-m", "worker.cli", "worker",
            "--bootstrap-servers", s.bootstrap, "--input-topic", s.topics[0],
            "--output-topic", s.topics[1], "--dlq-topic", s.topics[2], "--group-id", s.group_id,
            "--backend", s.backend, "--drain-processes", str(s.drains),
            "--metrics-port", str(port), "--idempotence", "auto",
            "--session-timeout-ms", str(s.session_timeout_ms),
            "--heartbeat-interval-ms", str(s.heartbeat_interval_ms), *s.extra,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        s.log_dir.mkdir(parents=True, exist_ok=True)
        with open(s.log_dir / f"replica-{self._next}.log", "ab") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                       stdin=subprocess.DEVNULL)  # fmt: skip
        replica = Replica(self._next, process, port, time.monotonic())
        self._next += 1
        self.replicas.append(replica)
        return replica

    def retire(self, replica: Replica) -> None:
        self.replicas.remove(replica)
        self.gone.append(replica)

    def all_pids(self) -> list[int]:
        return [r.pid for r in (*self.replicas, *self.gone)]

    def oldest(self) -> Replica:
        return min(self.replicas, key=lambda r: r.number)

    def pids(self) -> dict[str, list[int]]:
        """Live parents and drains (drains looked up again: a parent restarts dead ones)."""
        live = [r for r in self.replicas if r.alive]
        return {"parent": [r.pid for r in live],
                "drain": [d for r in live for d in r.find_drains()]}  # fmt: skip

    def stop_all(self, timeout_s: float = 30.0) -> None:
        for replica in self.replicas:
            replica.signal(signal.SIGTERM)
        for replica in list(self.replicas):
            if replica.wait(timeout_s) is None:
                replica.signal(signal.SIGKILL)
                replica.wait(10)
            self.retire(replica)


def rss_kb(pid: int) -> dict[str, int]:
    """VmRSS and its parts (anonymous, shared memory) of one process, in KiB; {} once gone."""
    wanted = {"VmRSS:": "rss", "RssAnon:": "anon", "RssShmem:": "shmem"}
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key = line.split(maxsplit=1)[0] if line.strip() else ""
                if key in wanted:
                    found[wanted[key]] = int(line.split()[1])
    except OSError:
        return {}
    return found


def cpu_of(pids: list[int]) -> dict[int, float]:
    return {pid: s for pid in pids if (s := cpu_seconds(pid)) is not None}


def shm_segments(pids: list[int]) -> int:
    """Ring segments in /dev/shm made by these worker pids (named `grump-<pid>-...`): a
    killed worker must not leave its rings behind."""
    prefixes = tuple(f"grump-{pid}-" for pid in pids)
    try:
        return sum(1 for name in os.listdir("/dev/shm") if name.startswith(prefixes))
    except OSError:
        return 0


def first_line_after(path: Path, needle: str, after_wall: float) -> float | None:
    """Wall time of the first log line holding `needle` stamped after `after_wall`."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        stamp = _STAMP.match(line)
        if stamp is None or needle not in line:
            continue
        wall = datetime.datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if wall > after_wall:
            return wall
    return None


def startup_steps(path: Path) -> dict[str, float]:
    """The worker's start-up line as {step: seconds since its process began}; the drain
    part (after ';') as `drain imports` and `drain kernels`."""
    try:
        line = next(x for x in path.read_text(errors="replace").splitlines()
                    if "start-up (s since the process began):" in x)  # fmt: skip
    except (OSError, StopIteration):
        return {}
    head, _, drains = line.split("began):", 1)[1].partition(";")
    steps = {name.strip(): float(value) for name, value in _STEP.findall(head)}
    for name, value in _STEP.findall(drains):
        if name.strip() in ("its imports", "kernels"):
            key = "drain " + name.strip().removeprefix("its ")
            steps[key] = max(steps.get(key, 0.0), float(value))
    return steps
