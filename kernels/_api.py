"""The kernels' public entry points: one parse, a batch parse, encoding and stats."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import Counter
from typing import Any

import msgpack
import orjson

from . import reference
from .batch import (
    Batch,
    EncodedResults,
    batch_constraints,
    batch_ids,
    batch_texts,
    make_batch,
    pack,
)

BACKENDS = ("reference", "cpu", "gpu")
AUTO_GPU_MIN_INTENTS = 4096  # below this a batch stays on the CPU: launch and copy costs win
_lock = threading.Lock()
_stats: Counter[str] = Counter()
_first_batch_seconds: dict[str, float] = {}
# what `stats()["gpu"]` counts (kernels.gpu keeps the totals)
GPU_TIME_FIELDS = ("groups", "h2d_bytes", "h2d_s", "kernel_s", "d2h_bytes", "d2h_s")


def parse(text: str, constraints: Any = None, intent_id: str | None = None) -> dict[str, Any]:
    """Parse one intent with the reference parser and return the result dict.

    Without an `intent_id` the id is a digest of the text, so equal texts get equal ids.
    """
    result = reference.parse(text, constraints, intent_id or text_id(text))
    _count("reference", 1)
    return result


def parse_batch(
    texts: list[str] | Batch,
    backend: str = "auto",
    ids: list[str] | None = None,
    constraints: list[Any] | None = None,
) -> list[dict[str, Any]]:
    """Parse many intents (strings, or a flat Batch) into result dicts, keeping input order."""
    if not isinstance(texts, Batch):
        ids = ids if ids is not None else [text_id(t) for t in texts]
        texts = make_batch(texts, ids, constraints)
    encoded = encode_batch(texts, backend)
    load = orjson.loads if texts.fmt == "json" else msgpack.unpackb
    return [load(r) for r in encoded.to_list()]


def text_id(text: str) -> str:
    """A stable id for a text that came without one."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=10)
    return "text-" + digest.hexdigest()


def encode_result(result: dict[str, Any], fmt: str = "json") -> bytes:
    """Encode a result dict as compact JSON or msgpack, keeping its key order."""
    if fmt == "json":
        return orjson.dumps(result)
    if fmt == "msgpack":
        return msgpack.packb(result, use_bin_type=True)
    raise ValueError(f"unknown format {fmt!r} (json, msgpack)")


def stats() -> dict[str, Any]:
    """Counters since process start: batches, intents, backend use, start-up and GPU memory."""
    with _lock:
        snapshot = dict(_stats)
        first = dict(_first_batch_seconds)
    gpu = sys.modules.get("kernels.gpu")
    gpu_times = gpu.device_times.snapshot() if gpu is not None else None
    return {
        "batches": snapshot.pop("batches", 0),
        "intents": sum(v for k, v in snapshot.items() if k.startswith("intents.")),
        "backend_intents": {k[8:]: v for k, v in snapshot.items() if k.startswith("intents.")},
        "first_batch_seconds": first,  # compile or cache-load time, per backend
        "gpu_memory_bytes": gpu.memory_in_use() if gpu is not None else 0,
        # event-timed copies and kernels (zeros until the GPU backend is used)
        "gpu": gpu_times or dict.fromkeys(GPU_TIME_FIELDS, 0),
    }


def _count(backend: str, intents: int, batches: int = 0) -> None:
    with _lock:
        _stats[f"intents.{backend}"] += intents
        _stats["batches"] += batches


def gpu_available() -> bool:
    """Whether the GPU backend can run here (cupy importable, a CUDA device present)."""
    try:
        from . import gpu
    except ImportError:
        return False
    return gpu.available()


def choose_backend(backend: str, n_intents: int) -> str:
    """Resolve "auto": tiny batches stay on the CPU, large ones go to a GPU when there is one."""
    if backend != "auto":
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r} (auto, {', '.join(BACKENDS)})")
        return backend
    if n_intents >= AUTO_GPU_MIN_INTENTS and gpu_available():
        return "gpu"
    return "cpu"


def encode_batch(batch: Batch, backend: str = "auto", label: str | None = None) -> EncodedResults:
    """Parse every intent of a flat batch and return the encoded results, in order.

    `label` is the `parser.backend` written into each result (default: the backend used).
    """
    chosen = choose_backend(backend, len(batch))
    label = label or chosen
    started = time.perf_counter()
    if chosen == "reference":
        results = _reference_batch(batch, label)
    elif chosen == "cpu":
        from . import cpu

        results = cpu.encode_batch(batch, label)
    else:
        from . import gpu

        results = gpu.encode_batch(batch, label)
    with _lock:
        # the first batch of a backend pays for compiling (or loading) its kernels
        _first_batch_seconds.setdefault(chosen, time.perf_counter() - started)
    _count(chosen, len(batch), batches=1)
    return results


def _reference_batch(batch: Batch, label: str) -> EncodedResults:
    texts, ids, cons = batch_texts(batch), batch_ids(batch), batch_constraints(batch)
    parts = []
    for text, ident, con in zip(texts, ids, cons, strict=True):
        result = reference.parse(text, con, ident)
        result["parser"]["backend"] = label
        parts.append(encode_result(result, batch.fmt))
    data, offsets = pack(parts)
    return EncodedResults(data, offsets)
