"""The aiokafka the worker is tested with: pinned, and the private call it makes still there."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.consumer.fetcher import Fetcher, FetchResult, PartitionRecords
from aiokafka.consumer.group_coordinator import GroupCoordinator

ROOT = Path(__file__).resolve().parents[2]


def test_aiokafka_is_pinned_to_the_minor_version_installed_here() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    (low, high), = re.findall(r'"aiokafka(?:\[[\w,]+\])?>=([\d.]+),<([\d.]+)"', text)  # fmt: skip
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


def test_the_fetch_round_reads_what_getmany_reads() -> None:
    """worker._fetch_frames takes a fetch round as getmany and fetched_records do, and has
    the fetcher keep the bytes it wraps in MemoryRecords."""
    getmany = set(AIOKafkaConsumer.getmany.__code__.co_names)
    assert {"_closed", "_coordinator", "check_errors", "_subscription", "fetch_context",
            "_fetcher", "fetched_records"} <= getmany  # fmt: skip
    fetched = set(Fetcher.fetched_records.__code__.co_names)
    assert {"_records", "_subscriptions", "reassignment_in_progress", "wait_for_assignment",
            "getall", "has_more", "_notify", "_wait_consume_future", "_create_fetch_waiter",
            "_closed", "check_raise"} <= fetched  # fmt: skip
    assert {"check_assignment", "_update_position", "getall", "has_more"} <= set(dir(FetchResult))
    assert {"_partition_records"} <= set(FetchResult.getall.__code__.co_names)
    assert {"_records", "next_fetch_offset"} <= set(PartitionRecords.__init__.__code__.co_names)
    assert {"_isolation_level", "_check_crcs", "_key_deserializer",
            "_value_deserializer"} <= set(Fetcher.__init__.__code__.co_names)  # fmt: skip
    assert "MemoryRecords" in Fetcher._proc_fetch_request.__code__.co_names
