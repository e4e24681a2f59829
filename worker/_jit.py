"""The numba decorator of the worker's compiled request path, with a cache that cannot go stale.

numba's on-disk cache of a function notices edits to the function's own file only, yet
a compiled caller embeds the code of the compiled functions it calls from other files.
So these functions cache in a directory named by a hash of every file they compile from:
any edit there starts a fresh cache.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba

_ROOT = Path(__file__).parent.parent
_SOURCES = ("worker/_columns.py", "worker/_crc32c.py", "worker/_fast_json.py",
            "worker/_fast_requests.py", "worker/_record_batch.py", "worker/_record_reader.py",
            "worker/_requests.py", "schemas/request.py")  # fmt: skip


def _cache_dir() -> str:
    digest = hashlib.blake2b(numba.__version__.encode(), digest_size=8)
    for name in _SOURCES:
        digest.update(name.encode() + (_ROOT / name).read_bytes())
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "grump-stream"
    )
    return os.path.join(base, "worker-" + digest.hexdigest())


_CACHE_DIR = _cache_dir()


def jit(fn: Callable[..., Any] | None = None, *, nrt: bool = False, inline: bool = False) -> Any:
    """njit, by default without reference counting: most of these functions allocate
    nothing, and counting references costs atomic operations on every call that passes an
    array. `inline` helpers are compiled into their callers (no call, no counting)."""

    def decorate(function: Callable[..., Any]) -> Any:
        saved = numba.config.CACHE_DIR
        numba.config.CACHE_DIR = _CACHE_DIR  # read when the function is decorated
        try:
            return numba.njit(cache=True, nogil=True, _nrt=nrt,
                              inline="always" if inline else "never")(function)  # fmt: skip
        finally:
            numba.config.CACHE_DIR = saved

    return decorate(fn) if fn is not None else decorate
