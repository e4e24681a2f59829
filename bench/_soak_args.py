"""The soak bench's command line (`python -m bench.soak --help`)."""

from __future__ import annotations

import argparse

from bench._soak_io import TICK_S


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Soak bench: a paced producer, real worker "
                                "replicas, rolling restarts, nothing lost.")  # fmt: skip
    p.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="intents/s (0: half of what the replicas sustain, measured first)",
    )
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--tick-ms", type=float, default=TICK_S * 1000,
                   help="the producer sends what is due this often (Tansu: fewer, larger "
                        "batches keep its fetches fast)")  # fmt: skip
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--drains", type=int, default=1, help="drain processes per replica")
    p.add_argument("--backend", default="cpu", choices=("auto", "cpu", "gpu", "reference"))
    p.add_argument("--partitions", type=int, default=2,
                   help="of soak.in (one per replica: Tansu's fetches slow as batches add "
                        "up, and every tick stores one batch per partition)")  # fmt: skip
    p.add_argument("--output-partitions", type=int, default=1,
                   help="of soak.out: each result batch is split over them")  # fmt: skip
    chaos = p.add_mutually_exclusive_group()
    chaos.add_argument(
        "--restart-every",
        type=float,
        default=0.0,
        metavar="S",
        help="SIGTERM the oldest replica every S s and start a fresh one",
    )
    chaos.add_argument(
        "--kill-every",
        type=float,
        default=0.0,
        metavar="S",
        help="SIGKILL the oldest replica every S s and start it again",
    )
    p.add_argument("--surge", action="store_true",
                   help="with --restart-every: start the replacement and wait until it is "
                        "ready before the SIGTERM (maxSurge 1, as docker/k8s deploys)")  # fmt: skip
    p.add_argument("--idle-s", type=float, default=30.0, help="idle CPU window before traffic")
    p.add_argument("--calibrate-records", type=int, default=20_000)
    p.add_argument(
        "--lag-near-s",
        type=float,
        default=1.0,
        help="lag counts as recovered at or below this many seconds of input",
    )
    p.add_argument("--session-timeout-ms", type=int, default=2_000)
    p.add_argument("--batch-size", type=int, default=2048, help="the worker's default batch")
    p.add_argument("--max-batch-wait-ms", type=int, default=20,
                   help="the workers' (longer: fewer, larger result batches)")  # fmt: skip
    p.add_argument("--start-timeout-s", type=float, default=600.0,
                   help="a cold numba cache compiles for minutes")  # fmt: skip
    p.add_argument("--drain-timeout-s", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", default="", help="replica and broker logs (default: a temp dir)")
    p.add_argument("--plot", default="", help="PNG path for the plot (needs the bench extra)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    return p.parse_args(argv)
