"""The drain's host cost per record: decoding, validation and framing around the parse.

Times `worker._drain.parse_records` (the whole batch step of a drain: requests in, result
frames out) over claimed-ring-shaped batches of generated requests, once with the compiled
request recogniser and once with every record decoded one by one (the per-record path, the
baseline, in the same run). The parse kernel's own CPU time, timed around each
`kernels.encode_batch` call inside the same batch steps, is subtracted: what is left is the
host cost, itself split into the steps it takes (the request step `decode`, writing the
result frames `frames`, the size limits `bound`, and `other`). All times are this process's
CPU time (all its threads; one numba thread, as a drain runs), so other load on a shared
machine does not count.

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
from worker import _drain as drain
from worker import _framing as f
from worker._columns import FrameArena, InColumns, in_columns
from worker._drain import DrainSettings, parse_records

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


# the steps of a batch timed inside the same calls, each by the module attribute the drain calls
STEPS = {"kernel": (kernels, "encode_batch"), "decode": (drain, "decode_requests"),
         "frames": (drain, "output_frames"), "bound": (drain, "bound_results")}  # fmt: skip


def measure(columns: list[InColumns], settings: DrainSettings, fast: bool) -> dict[str, float]:
    """CPU-us per record: the whole batch step and each of its steps (STEPS).

    Each step is timed inside the same calls (the attribute the drain calls, wrapped for the
    run), so the host cost is not a difference of two separate runs; `other` is what no step
    covers (grouping, stats frames, the glue)."""
    n = sum(len(c) for c in columns)
    arena = FrameArena()  # as a drain writes its frames
    parse_records(columns[0], settings, fast=fast, arena=arena)  # compiles or loads the code
    spent = dict.fromkeys(STEPS, 0)
    originals = {name: getattr(owner, attr) for name, (owner, attr) in STEPS.items()}
    for name, (owner, attr) in STEPS.items():
        setattr(owner, attr, _timed(originals[name], spent, name))
    try:
        cpu = time.process_time_ns()
        for batch in columns:
            parse_records(batch, settings, fast=fast, arena=arena)
        total = time.process_time_ns() - cpu
    finally:
        for name, (owner, attr) in STEPS.items():
            setattr(owner, attr, originals[name])
    host = total - spent["kernel"]
    other = host - spent["decode"] - spent["frames"] - spent["bound"]
    per_record = {"total": total, "host": host, **spent, "other": other}
    return {f"{name}_us": ns / n / 1e3 for name, ns in per_record.items()}


def _timed(call: Any, spent: dict[str, int], name: str) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time_ns()
        try:
            return call(*args, **kwargs)
        finally:
            spent[name] += time.process_time_ns() - start

    return timed


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
    columns_shown = ("total", "kernel", "host", "decode", "frames", "bound", "other")
    print(f"{'path':<12}" + "".join(f"{c:>9}" for c in columns_shown) + "   CPU-us/record")
    for path, r in rows.items():
        print(f"{path:<12}" + "".join(f"{r[c + '_us']:>9.2f}" for c in columns_shown))
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
