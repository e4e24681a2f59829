"""Compiling the cpu kernels: one process per cache at a time, a cold compile split over two.

The cpu backend's two entry points take over a minute to compile from scratch, one after
the other: numba compiles under one lock per process. On a cold cache a helper process
compiles one of them (`start`) while this process compiles the other; both write numba's
disk cache, and this process then loads the helper's code instead of compiling it. A warm
cache starts no helper. A helper that fails costs nothing but the time: the caller
compiles the function itself on its first call, as it would have. Processes that start
together on one cache (a replica's drains) take turns (`one_at_a_time`): the first
compiles, the others wait and load.

    python -m kernels._compile_apart REQUEST   # the helper; REQUEST: base64 of a pickle
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import importlib
import logging
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

log = logging.getLogger(__name__)

HELPER_TIMEOUT_S = 900  # a compile that takes longer is abandoned: the caller compiles instead


class Helper(NamedTuple):
    process: subprocess.Popen
    errors: IO[bytes]  # its stderr: a file, not a pipe, so nothing needs draining meanwhile


@contextlib.contextmanager
def one_at_a_time(directory: str) -> Iterator[None]:
    """Hold the compile lock of the cache in `directory`: processes compiling into one cache
    take turns, so the first compiles and the rest load what it cached (no lock where the
    directory cannot be written; numba caches nothing there either)."""
    try:
        os.makedirs(directory, exist_ok=True)
        lock = open(os.path.join(directory, "compile.lock"), "ab")  # noqa: SIM115
    except OSError:
        yield
        return
    with lock:  # closing the file releases the lock
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def start(dispatcher: Any, args: tuple) -> Helper | None:
    """Compile `dispatcher` for the types of `args` in a helper process, unless this process
    has that code already or numba's disk cache holds it (then None)."""
    if load_cached(dispatcher, args):
        return None
    sig = _signature(dispatcher, args)
    func = dispatcher.py_func
    request = base64.b64encode(pickle.dumps((func.__module__, func.__qualname__, sig)))
    # the helper imports the package from where this process found it
    root = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    errors = tempfile.TemporaryFile()  # noqa: SIM115  (closed by `finish`)
    process = subprocess.Popen(
        [sys.executable, "-m", __name__, request.decode()], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=errors, env={**os.environ, "PYTHONPATH": path},
    )  # fmt: skip
    return Helper(process, errors)


def load_cached(dispatcher: Any, args: tuple) -> bool:
    """Whether `dispatcher` has code for the types of `args`, here or in numba's disk cache.

    Cached code is loaded, as numba's own `Dispatcher.compile` does on a cache hit (so the
    first call does not read it again). True where numba's internals differ: then no helper
    is started and no lock taken, as before either existed."""
    sig = _signature(dispatcher, args)
    if sig in dispatcher.overloads:
        return True
    try:
        cres = dispatcher._cache.load_overload(sig, dispatcher.targetctx)
        if cres is None:
            return False
        dispatcher._cache_hits[sig] += 1
        dispatcher.targetctx.insert_user_function(cres.entry_point, cres.fndesc, [cres.library])
        dispatcher.add_overload(cres)
    except AttributeError:
        log.warning("numba's dispatcher has changed: compiling without a helper", exc_info=True)
    return True


def finish(helper: Helper | None) -> bool:
    """Wait for a helper from `start`; whether it compiled (and cached) its function."""
    if helper is None:
        return False
    process, errors = helper
    try:
        process.wait(timeout=HELPER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with errors:
        if process.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace")[-500:]
            log.warning("compile helper failed (rc %s); compiling here instead: %s",
                        process.returncode, tail)  # fmt: skip
    return process.returncode == 0


def stop(helper: Helper | None) -> None:
    """End a helper from `start` that is no longer wanted (its caller failed or was stopped)."""
    if helper is not None:
        helper.process.kill()
        helper.process.wait()
        helper.errors.close()


def _signature(dispatcher: Any, args: tuple) -> tuple:
    return tuple(dispatcher.typeof_pyval(a) for a in args)


def main() -> None:
    module, name, sig = pickle.loads(base64.b64decode(sys.argv[1]))
    getattr(importlib.import_module(module), name).compile(sig)


if __name__ == "__main__":
    main()
