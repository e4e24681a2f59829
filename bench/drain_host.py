"""The drain's host cost per record: decoding, validation and framing around the parse.

Times `worker._drain.parse_records` (the whole batch step of a drain: requests in, result
frames out) over claimed-ring-shaped batches of generated requests, once with the compiled
request recogniser and once with every record decoded one by one (the per-record path, the
baseline, in the same run). The parse kernel's own CPU time, timed around each
`kernels.encode_batch` call inside the same batch steps, is subtracted: what is left is the
host cost. `decode` times the request step alone. All times are this process's CPU time (one
numba thread, as a drain runs), so other load on a shared machine does not count.

    python -m bench.drain_host [--json] [--intents 100000] [--batch 4096] [--shape json-id]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import msgpack
import numba
import numpy as np
import orjson

import kernels
from bench._machine import commit
from bench.kernels import device_name
from kernels.corpus import generate_intents
from worker import _framing as f
from worker._columns import FrameArena, InColumns, in_columns
from worker._drain import DrainSettings, parse_records
from worker._requests import decode_requests

SHAPES = {  # request value for intent i: the e2e bench's shape first
    "json-id": lambda i, t: json.dumps(
        {"v": 1, "id": str(i), "text": t}, ensure_ascii=False
    ).encode(),  # fmt: skip
    "json-bare": lambda i, t: orjson.dumps({"text": t}),
    "msgpack": lambda i, t: msgpack.packb({"id": str(i), "text": t}),
}


def batches(n: int, size: int, shape: str) -> list[InColumns]:
    """n requests framed as ingest frames them (key = id, 8 partitions), in claims of `size`."""
    texts, make = generate_intents(n, seed=3), SHAPES[shape]
    out = []
    for lo in range(0, n, size):
        frames = [f.IN_HEADER.pack(i % 8, i // 8, 1_700_000_000_000, len(key), f.CONTENT_NONE)
                  + key + make(i, texts[i])
                  for i in range(lo, min(n, lo + size)) for key in [b"%d" % i]]  # fmt: skip
        data, offsets = f.pack_frames(frames, [len(x) for x in frames])
        out.append(in_columns(np.frombuffer(data, np.uint8), offsets))
    return out


def measure(columns: list[InColumns], settings: DrainSettings, fast: bool) -> dict[str, float]:
    """CPU-us per record: the whole batch step, its kernel part, and the request step alone.

    The kernel part is timed inside the same calls (the drain's `kernels.encode_batch`,
    wrapped for the run), so the host cost is not a difference of two separate runs."""
    n = sum(len(c) for c in columns)
    arena = FrameArena()  # as a drain writes its frames
    parse_records(columns[0], settings, fast=fast, arena=arena)  # compiles or loads the code
    kernel = 0
    encode = kernels.encode_batch

    def timed_encode(*args: Any, **kwargs: Any) -> kernels.EncodedResults:
        nonlocal kernel
        start = time.process_time_ns()
        try:
            return encode(*args, **kwargs)
        finally:
            kernel += time.process_time_ns() - start

    kernels.encode_batch = timed_encode  # type: ignore[assignment]
    try:
        cpu = time.process_time_ns()
        for batch in columns:
            parse_records(batch, settings, fast=fast, arena=arena)
        total = time.process_time_ns() - cpu
    finally:
        kernels.encode_batch = encode  # type: ignore[assignment]
    decode = 0
    for batch in columns:
        cpu = time.process_time_ns()
        decode_requests(batch, settings.input_topic, settings.output_format,
                        settings.max_text_bytes, fast)  # fmt: skip
        decode += time.process_time_ns() - cpu
    return {"total_us": total / n / 1e3, "kernel_us": kernel / n / 1e3,
            "host_us": (total - kernel) / n / 1e3, "decode_us": decode / n / 1e3}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line per figure")
    parser.add_argument("--intents", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=4096, help="records per claimed batch")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="json-id")
    parser.add_argument("--backend", default="cpu")
    args = parser.parse_args()
    numba.set_num_threads(1)  # as a drain runs it (cpu_threads = 1)
    settings = DrainSettings("intents", args.backend, args.batch, 5, "same", 64 * 1024, 1 << 30)
    columns = batches(args.intents, args.batch, args.shape)
    rows = {path: measure(columns, settings, path == "compiled")
            for path in ("per-record", "compiled")}  # fmt: skip
    print(f"# {args.intents:,} {args.shape} requests, batches of {args.batch}, backend "
          f"{args.backend}, 1 numba thread, {device_name()}, commit {commit()}")  # fmt: skip
    print(f"{'path':<12}{'total':>10}{'kernel':>10}{'host':>10}{'decode':>10}   CPU-us/record")
    for path, r in rows.items():
        figures = (r[k] for k in ("total_us", "kernel_us", "host_us", "decode_us"))
        print(f"{path:<12}" + "".join(f"{x:>10.2f}" for x in figures))
    base, new = rows["per-record"]["host_us"], rows["compiled"]["host_us"]
    print(f"host cost: {base / new:.1f}x less with the compiled path")
    if args.json:
        for path, r in rows.items():
            for key, value in r.items():
                print(orjson.dumps({"name": f"drain_{key[:-3]}_{path}", "value": round(value, 3),
                                    "unit": "cpu_us_per_record", "batch": args.batch,
                                    "shape": args.shape, "device": device_name(),
                                    "commit": commit()}).decode())  # fmt: skip


if __name__ == "__main__":
    main()
