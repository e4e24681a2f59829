"""The aiokafka the worker is tested with: pinned, and the private call it makes still there."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from pathlib import Path

from aiokafka.consumer.fetcher import Fetcher
from aiokafka.consumer.group_coordinator import GroupCoordinator

ROOT = Path(__file__).resolve().parents[2]


def test_aiokafka_is_pinned_to_the_minor_version_installed_here() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    (low, high), = re.findall(r'"aiokafka>=([\d.]+),<([\d.]+)"', text)  # fmt: skip
    installed = tuple(int(x) for x in version("aiokafka").split(".")[:2])
    assert tuple(int(x) for x in low.split(".")[:2]) <= installed
    assert installed < tuple(int(x) for x in high.split(".")[:2])


def test_the_private_leave_group_call_exists_with_the_signature_used() -> None:
    """stop_consumer sends LeaveGroup through GroupCoordinator._send_req(request)."""
    parameters = list(inspect.signature(GroupCoordinator._send_req).parameters)
    assert parameters[:2] == ["self", "request"]
    assert "generation" in GroupCoordinator.__init__.__code__.co_names  # set in __init__


def test_the_fetcher_reads_its_max_wait_for_every_request() -> None:
    """set_fetch_wait changes Fetcher._fetch_max_wait_ms between requests."""
    assert "_fetch_max_wait_ms" in Fetcher._get_actions_per_node.__code__.co_names
