"""TLS / SASL client settings against the real local broker (which speaks plaintext only).

The broker cannot authenticate, so these tests show the settings reach the wire: the same
bootstrap that a plaintext client reaches is refused to a SASL client, which fails instead
of falling back to plaintext. (A TLS client against a plaintext listener waits out its
request timeout in the handshake, ~35 s per attempt, too slow for the suite; its context is
checked in test_config.)
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from worker._kafka import start_consumer, start_producer, stop_consumer
from worker._security import Security

SASL = Security("SASL_PLAINTEXT", "SCRAM-SHA-512", "svc-grump", "secret")


def test_plaintext_clients_connect(bootstrap: str) -> None:
    async def scenario() -> None:
        options = Security().client_options()
        producer = await start_producer(bootstrap, connect_deadline_s=10, **options)
        await producer.stop()
        consumer = await start_consumer(bootstrap, ["security-plain"], "g-security-plain",
                                        connect_deadline_s=10, **options)  # fmt: skip
        await stop_consumer(consumer)

    asyncio.run(scenario())


def test_sasl_clients_never_fall_back_to_plaintext(
    bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        options = SASL.client_options()
        with pytest.raises(KafkaConnectionError):
            producer = await start_producer(bootstrap, connect_deadline_s=1, **options)
            await producer.stop()
        with pytest.raises(KafkaConnectionError):
            consumer = await start_consumer(bootstrap, ["security-plain"], "g-security",
                                            connect_deadline_s=1, **options)  # fmt: skip
            await stop_consumer(consumer)

    asyncio.run(scenario())
    # refused for SASL, not for anything else: the broker offers no SASL mechanism
    assert "UnsupportedSaslMechanism" in caplog.text
