"""Fixtures for the Kafka-side tests: one in-memory Tansu broker per test session."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from worker._broker import LocalBroker, create_topics

_KAFKA_FIXTURES = {"kafka_broker", "bootstrap", "fresh_topic"}
_topic_numbers = itertools.count()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Anything that needs the broker is a `kafka` test, so `-m "not kafka"` skips it."""
    for item in items:
        if _KAFKA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    log_path = Path(tmp_path_factory.mktemp("tansu")) / "tansu.log"
    with LocalBroker(log_path=log_path) as broker:
        yield broker


@pytest.fixture
def bootstrap(kafka_broker: LocalBroker) -> str:
    return kafka_broker.bootstrap


@pytest.fixture
def fresh_topic(bootstrap: str, request: pytest.FixtureRequest) -> str:
    """A new 4-partition topic per test, so tests sharing the broker never see each other."""
    name = f"t{next(_topic_numbers)}-{request.node.name[:40].replace('[', '-').rstrip(']')}"
    asyncio.run(create_topics(bootstrap, {name: 4}))
    return name
