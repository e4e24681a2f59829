"""`grump demo`: a local broker, a worker, a sample corpus through it, and a summary.

Everything runs on this machine: Tansu on a loopback port, the worker in this process
(its drain processes spawned as usual), the producer and the read-back in the same loop.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import IO, Any

import numpy as np
import orjson

from ._app import Worker, configure_logging
from ._config import BACKENDS, WorkerConfig
from ._kafka import read_topic
from ._tools import generated_requests, produce_values

DEMO_TOPICS = {"intents": 8, "intents.parsed": 8, "intents.dlq": 1}
BAD_REQUESTS = [
    b'{"v":1,"text":',  # malformed JSON
    b'{"v":1,"id":"no-text"}',  # missing text
    b'{"v":1,"text":42}',  # wrong type
    b'{"v":7,"text":"a todo app"}',  # unknown schema version
    b'{"v":1,"text":"caf\xff"}',  # invalid UTF-8
]
# One user story among the sample intents, printed with its `story` block.
STORY_ID = b"demo-story"
STORY_TEXT = ("As a UI designer, I want to redesign the Resources page, so that it matches the "
              "new design styles.")  # fmt: skip


def add_demo_command(commands: Any) -> None:
    p = commands.add_parser("demo", help="run the whole pipeline locally on a sample corpus",
                            description="Start a local broker and a worker, produce sample "
                            "intents plus a few bad records, and print a summary.")  # fmt: skip
    p.add_argument("--intents", type=int, default=20_000, help="sample intents to produce")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="parse backend (auto: the GPU if there is one, else the numba CPU kernels)",
    )
    p.add_argument("--drain-processes", type=int, default=0, help="0: CPU cores - 1")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--timeout-s", type=float, default=600.0, help="give up after this long")
    p.set_defaults(handler=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    from ._broker import LocalBroker, create_topics
    from ._tools import broker_missing

    if (problem := broker_missing()) is not None:
        print(f"grump demo: {problem}", file=sys.stderr)
        return 2
    configure_logging("warning", False)
    _warm_kernels(args.backend, sys.stderr)
    print("starting a local broker ...", file=sys.stderr)
    with LocalBroker() as broker:
        asyncio.run(create_topics(broker.bootstrap, DEMO_TOPICS))
        config = WorkerConfig(
            bootstrap_servers=broker.bootstrap, backend=args.backend, metrics_port=0,
            drain_processes=args.drain_processes, batch_size=args.batch_size,
            session_timeout_ms=2_000, heartbeat_interval_ms=300, log_level="warning",
            idempotence="off",  # the in-memory broker cannot hand out producer ids
        )  # fmt: skip
        summary = asyncio.run(_demo(config, args.intents, args.timeout_s, sys.stderr))
    _print_summary(summary, sys.stdout)
    return 0 if summary["complete"] else 1


def _warm_kernels(backend: str, progress: IO[str]) -> None:
    """Compile (first run) or load the batch kernels here, so the drains start warm."""
    import kernels

    chosen = kernels.choose_backend(backend, 1 << 20)  # what a large batch would use
    if chosen == "reference":
        return
    print(f"loading the {chosen} kernels (the first run compiles them: a minute or two) ...",
          file=progress, flush=True)  # fmt: skip
    started = time.monotonic()
    kernels.encode_batch(kernels.make_batch(["Build a CLI"], ["warm-up"]), chosen)
    print(f"{chosen} kernels ready in {time.monotonic() - started:.1f} s", file=progress)


async def _demo(config: WorkerConfig, count: int, timeout_s: float, progress: IO[str]) -> dict:
    stop = asyncio.Event()
    worker = Worker(config, stop)
    task = asyncio.create_task(worker.run())
    try:
        await _wait_joined(worker, task)
        print(f"worker joined; producing {count} intents + {len(BAD_REQUESTS)} bad records ...",
              file=progress)  # fmt: skip
        started = time.monotonic()
        bad = ((None, value) for value in BAD_REQUESTS)
        story = (STORY_ID, orjson.dumps({"v": 1, "id": STORY_ID.decode(), "text": STORY_TEXT}))
        requests = [story, *generated_requests(count - 1), *bad]
        await produce_values(config.bootstrap_servers, config.input_topic, requests)
        complete = await _wait_done(worker, task, count, started + timeout_s, progress)
        elapsed_s = time.monotonic() - started
    finally:
        stop.set()
        await task
    summary = await _read_back(config)
    summary.update(complete=complete, elapsed_s=elapsed_s, intents=count,
                   backend=config.backend, drains=config.resolved_drain_processes())  # fmt: skip
    return summary


async def _wait_joined(worker: Worker, task: asyncio.Task) -> None:
    while not worker.delivery.joined:
        if task.done():
            await task  # raises what stopped the worker
        await asyncio.sleep(0.1)


async def _wait_done(
    worker: Worker, task: asyncio.Task, count: int, deadline: float, progress: IO[str]
) -> bool:
    metrics, last_line = worker.metrics, 0.0
    while time.monotonic() < deadline and not task.done():
        results = metrics.total("grump_results_produced_total")
        dead = metrics.total("grump_dead_letters_total")
        line = f"  results {int(results):>7} / {count}   dead letters {int(dead)}"
        if progress.isatty():
            print("\r" + line, end="", file=progress, flush=True)
        elif time.monotonic() - last_line >= 2:
            print(line, file=progress, flush=True)
            last_line = time.monotonic()
        if results >= count and dead >= len(BAD_REQUESTS):
            print(file=progress)
            return True
        await asyncio.sleep(0.25)
    print("\n  timed out", file=progress)
    return False


async def _read_back(config: WorkerConfig) -> dict:
    """Input timestamps by id, result timestamps, examples and dead letters from the topics."""
    sent_ms: dict[bytes, int] = {}
    await read_topic(config.bootstrap_servers, config.input_topic,
                     lambda _tp, rs: sent_ms.update((r.key, r.timestamp) for r in rs if r.key),
                     idle_timeout_s=2)  # fmt: skip
    latencies: list[int] = []
    examples: list[bytes] = []
    stories: list[bytes] = []

    def on_results(_tp: object, records: list) -> None:
        latencies.extend(r.timestamp - sent_ms[r.key] for r in records if r.key in sent_ms)
        examples.extend(r.value for r in records[: 3 - len(examples)] if r.key != STORY_ID)
        stories.extend(r.value for r in records if r.key == STORY_ID)

    results = await read_topic(config.bootstrap_servers, config.output_topic, on_results,
                               idle_timeout_s=2)  # fmt: skip
    dead: list[str] = []
    await read_topic(config.bootstrap_servers, config.dlq_topic,
                     lambda _tp, rs: dead.extend(dict(r.headers)["grump-error-code"].decode()
                                                 for r in rs), idle_timeout_s=2)  # fmt: skip
    lat = np.asarray(latencies or [0], dtype=np.float64)
    p50, p99 = np.percentile(lat, [50, 99]).tolist()
    return {"results": results, "dlq": dead, "examples": examples, "p50_ms": p50, "p99_ms": p99,
            "stories": stories}  # fmt: skip


def _print_summary(s: dict, out: IO[str]) -> None:
    rows = [
        ("intents produced", f"{s['intents']:,} (+{len(BAD_REQUESTS)} bad records)"),
        ("results", f"{s['results']:,}"),
        ("dead letters", f"{len(s['dlq'])} ({', '.join(sorted(s['dlq']))})"),
        ("throughput", f"{s['results'] / max(s['elapsed_s'], 1e-9):,.0f} intents/s "
                       f"({s['backend']} backend, {s['drains']} drain "
                       f"process{'' if s['drains'] == 1 else 'es'})"),
        ("latency p50 / p99", f"{s['p50_ms']:,.0f} ms / {s['p99_ms']:,.0f} ms "
                              "(produce → result, includes queueing behind the backlog)"),
        ("wall time", f"{s['elapsed_s']:.1f} s"),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    print("\n" + "\n".join(f"  {name.ljust(width)}  {value}" for name, value in rows), file=out)
    for example in s["examples"][:2]:
        doc = orjson.loads(example)
        print(f"\nexample result {doc['id']}:", file=out)
        print(f"  text      {_short(doc['raw'])}", file=out)
        for key in ("actors", "features", "tech_stack_hints", "complexity_score"):
            print(f"  {key.ljust(16)}  {orjson.dumps(doc.get(key)).decode()}", file=out)
    for example in s["stories"][:1]:
        doc = orjson.loads(example)
        print(f"\nexample user story {doc['id']}:", file=out)
        print(f"  text      {_short(doc['raw'])}", file=out)
        for key, value in doc["story"].items():
            print(f"  {key.ljust(16)}  {orjson.dumps(value).decode()}", file=out)
    if not s["complete"]:
        print("\nthe demo did not finish in time", file=out)


def _short(text: str, limit: int = 90) -> str:
    flat = " / ".join(line.strip() for line in text.splitlines() if line.strip())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
