"""Parse + encode throughput of every available backend over batch sizes 1 .. 1,000,000.

Measures, in one run on one corpus: the reference parser (to 10,000), the numba CPU kernel
and the CUDA kernel (when a GPU is present). Each figure includes encoding the results to
JSON bytes; GPU figures include the pinned host-to-device and device-to-host copies.
Last, the corpus generator's own rate, which must stay well above every backend's.

    python -m bench.kernels [--json] [--sizes 1,100,10000,1000000] [--cpu-threads N]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import orjson

import kernels
from bench._machine import commit
from kernels.batch import Batch
from kernels.corpus import generate_intents

REFERENCE_MAX = 10_000
MIN_SECONDS = 1.0
MIN_REPS = 3
# --story-cost: at least 3 rounds and STORY_SECONDS, then up to STORY_ROUNDS within STORY_MAX_S
STORY_ROUNDS, STORY_SECONDS, STORY_MAX_S = 15, 4.0, 20.0


def measure(backend: str, batch: Batch) -> tuple[float, int, dict]:
    """(seconds per batch, output bytes, GPU seconds per batch by step) in steady state.

    One untimed batch of the same size first (compiles or loads kernels, fills buffer
    pools), then at least MIN_REPS batches and MIN_SECONDS.
    """
    warm = slice_batch(batch, 0, 1) if backend == "reference" else batch
    kernels.encode_batch(warm, backend=backend)
    before = kernels.stats()["gpu"]
    reps, elapsed, out_bytes = 0, 0.0, 0
    while elapsed < MIN_SECONDS or reps < MIN_REPS:
        start = time.perf_counter()
        results = kernels.encode_batch(batch, backend=backend)
        elapsed += time.perf_counter() - start
        out_bytes = int(results.offsets[-1])
        del results
        reps += 1
    after = kernels.stats()["gpu"]
    split = {k: (after[k] - before[k]) / reps for k in ("h2d_s", "kernel_s", "d2h_s")}
    return elapsed / reps, out_bytes, split


def measure_devices(devices: list[int], full: Batch, n: int, piece: int) -> dict:
    """The first n intents through `kernels.gpu.encode_batch_multi` on `devices` (steady
    state: one untimed round first, then at least MIN_REPS rounds and MIN_SECONDS)."""
    from kernels import gpu

    batch = slice_batch(full, 0, n)
    pieces = [slice_batch(batch, lo, min(lo + piece, n)) for lo in range(0, n, piece)]
    gpu.encode_batch_multi(pieces, devices)
    reps, elapsed, out_bytes = 0, 0.0, 0
    while elapsed < MIN_SECONDS or reps < MIN_REPS:
        start = time.perf_counter()
        results = gpu.encode_batch_multi(pieces, devices)
        elapsed += time.perf_counter() - start
        out_bytes = sum(int(r.offsets[-1]) for r in results)
        del results
        reps += 1
    seconds = elapsed / reps
    return {
        "backend": f"gpu x{len(devices)}", "devices": devices, "batch": n,
        "intents_per_s": round(n / seconds), "mb_per_s": round(batch.nbytes / seconds / 1e6, 2),
        "out_mb_per_s": round(out_bytes / seconds / 1e6, 2), "piece": piece,
        "split": list(gpu.encode_batch_multi.last_split),  # type: ignore[attr-defined]
        "device": device_name(), "commit": commit(),
    }  # fmt: skip


def set_story(on: bool) -> None:
    """Parse with or without the user story on every backend (the story-cost rows)."""
    kernels.batch.STORY = on


def story_cost(backend: str, batch: Batch) -> dict:
    """The story's share of the throughput, from rounds that time the batch with and without
    the story back to back (in ABBA order), so the machine's drift hits both sides alike.

    The share is the median of the rounds' shares; the story-less rate is from the median
    story-less time."""
    set_story(False)
    kernels.encode_batch(batch, backend=backend)  # untimed: the story-less path's buffers
    shares, without, spent = [], [], 0.0
    try:
        while (len(shares) < 3 or spent < STORY_SECONDS
               or (len(shares) < STORY_ROUNDS and spent < STORY_MAX_S)):  # fmt: skip
            order = (True, False) if len(shares) % 2 == 0 else (False, True)
            took = {}
            for on in order:
                set_story(on)
                start = time.perf_counter()
                kernels.encode_batch(batch, backend=backend)
                took[on] = time.perf_counter() - start
            shares.append(1 - took[False] / took[True])
            without.append(took[False])
            spent += took[True] + took[False]
    finally:
        set_story(True)
    return {"no_story_intents_per_s": round(len(batch) / float(np.median(without))),
            "story_cost_pct": round(100 * float(np.median(shares)), 1),
            "story_rounds": len(shares)}  # fmt: skip


def slice_batch(batch: Batch, lo: int, hi: int) -> Batch:
    """Intents [lo, hi) of a batch, as views."""
    t, i, c = batch.text_offsets, batch.id_offsets, batch.constraint_offsets
    return Batch(batch.texts[t[lo] - t[0] : t[hi] - t[0]], t[lo : hi + 1],
                 batch.ids[i[lo] - i[0] : i[hi] - i[0]], i[lo : hi + 1],
                 batch.constraints[c[lo] - c[0] : c[hi] - c[0]], c[lo : hi + 1],
                 batch.fmt)  # fmt: skip


def corpus_rate(n: int = 100_000) -> int:
    """Intents generated per CPU-second (best of three): the corpus must outpace any backend."""
    generate_intents(1, seed=3)  # the per-seed sentence pool is built once
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        generate_intents(n, seed=3)
        best = min(best, time.process_time() - started)
    return round(n / best)


def backends() -> list[str]:
    return ["reference", "cpu"] + (["gpu"] if kernels.gpu_available() else [])


def device_name() -> str:
    if kernels.gpu_available():
        import cupy

        return cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line per row")
    parser.add_argument("--sizes", default="1,100,10000,1000000")
    parser.add_argument("--cpu-threads", type=int, default=0, help="numba threads (0 = all)")
    parser.add_argument(
        "--backends",
        default="",
        help="comma list (default: all available; 'none': only --device-sets)",
    )
    parser.add_argument(
        "--device-sets",
        default="",
        help="GPU lists to compare through the multi-device path, e.g. '0;0,1' "
        "(each batch is cut into pieces the devices take from one queue)",
    )
    parser.add_argument("--piece", type=int, default=250_000, help="intents per multi-GPU piece")
    parser.add_argument(
        "--gpu-max-registers",
        type=int,
        default=0,
        help="cap the GPU parse kernel's registers per thread (0: no cap)",
    )
    parser.add_argument(
        "--story-cost",
        action="store_true",
        help="time every row again without the user story and print the story's share",
    )
    args = parser.parse_args()
    if args.gpu_max_registers and kernels.gpu_available():
        from kernels import gpu

        gpu.MAX_REGISTERS = args.gpu_max_registers
    if args.cpu_threads:
        import numba

        numba.set_num_threads(args.cpu_threads)
    sizes = [int(s) for s in args.sizes.split(",")]
    texts = generate_intents(max(sizes), seed=1)
    full = kernels.make_batch(texts, [str(i) for i in range(len(texts))])
    rows = []
    chosen = [b for b in args.backends.split(",") if b != "none"] if args.backends else backends()
    for backend in chosen:
        for n in sizes:
            if backend == "reference" and n > REFERENCE_MAX:
                continue
            batch = slice_batch(full, 0, n)
            seconds, out_bytes, split = measure(backend, batch)
            rows.append({
                "backend": backend, "batch": n, "intents_per_s": round(n / seconds),
                "mb_per_s": round(batch.nbytes / seconds / 1e6, 2),
                "out_mb_per_s": round(out_bytes / seconds / 1e6, 2),
                "cpu_threads": args.cpu_threads or os.cpu_count(), "device": device_name(),
                "commit": commit(), "gpu_max_registers": args.gpu_max_registers,
            })  # fmt: skip
            if args.story_cost:
                rows[-1].update(story_cost(backend, batch))
            if backend == "gpu":  # where a GPU batch's time goes (CUDA events, summed over lanes)
                from kernels import gpu

                rows[-1].update({f"gpu_{k}_ms": round(v * 1e3, 2) for k, v in split.items()})
                rows[-1].update({f"{k}_regs": v for k, v in gpu.kernel_registers().items()})
            print(f"# {rows[-1]}", flush=True)
    for devices in [d for d in args.device_sets.split(";") if d]:
        for n in sizes:
            rows.append(measure_devices([int(x) for x in devices.split(",")], full, n, args.piece))
            print(f"# {rows[-1]}", flush=True)
    report(rows, args.json)
    rate = corpus_rate()
    print(f"# corpus generation {rate:,} intents per CPU-second (100,000 intents, best of 3)")
    if args.json:
        print(orjson.dumps({"corpus_intents_per_cpu_s": rate, "commit": commit()}).decode())


def report(rows: list[dict], as_json: bool) -> None:
    ref = {r["batch"]: r["intents_per_s"] for r in rows if r["backend"] == "reference"}
    print(f"{'backend':<10}{'batch':>10}{'intents/s':>14}{'MB/s in':>10}{'MB/s out':>10}"
          f"{'x reference':>13}")  # fmt: skip
    for r in rows:
        speedup = r["intents_per_s"] / ref[r["batch"]] if r["batch"] in ref else float("nan")
        cost = f"{r['story_cost_pct']:>8}% story" if "story_cost_pct" in r else ""
        print(f"{r['backend']:<10}{r['batch']:>10}{r['intents_per_s']:>14,}{r['mb_per_s']:>10}"
              f"{r['out_mb_per_s']:>10}{speedup:>13.1f}{cost}")  # fmt: skip
    if as_json:
        for r in rows:
            print(orjson.dumps(r).decode())
    mean_len = np.mean([r["mb_per_s"] * 1e6 / r["intents_per_s"] for r in rows])
    print(f"# mean intent {mean_len:.0f} bytes; device {rows[0]['device'] if rows else '?'}")


if __name__ == "__main__":
    main()
