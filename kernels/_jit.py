"""The kernels' numba decorators, with an on-disk cache that cannot go stale.

numba's cache notices when a function's own file changes, not when a constant it imports
from another file does. The kernels share constants across modules, so the cache lives in
a directory named by a hash of every kernel source file: any edit starts a fresh cache.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numba
from numba.core import types
from numba.core.extending import overload
from numba.core.registry import CPUDispatcher

_HERE = Path(__file__).parent


# Modules that are not compiled and define nothing compiled code reads: editing them keeps
# the cache. (gpu.py's kernels are checked by numba against gpu.py itself.)
_NOT_COMPILED = {
    "__init__.py",
    "_api.py",
    "_arenas.py",
    "_compile_apart.py",
    "_pinned.py",
    "batch.py",
    "corpus.py",
    "gpu.py",
}


def _sources_digest() -> str:
    digest = hashlib.blake2b(numba.__version__.encode(), digest_size=8)
    for path in sorted(_HERE.rglob("*.py")):
        name = path.relative_to(_HERE).as_posix()
        if name not in _NOT_COMPILED:
            digest.update(name.encode() + path.read_bytes())
    return digest.hexdigest()


def _cache_dir() -> str:
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "grump-stream"
    )
    return os.path.join(base, "numba-" + _sources_digest())


CACHE_DIR = _cache_dir()
numba.config.CACHE_DIR = CACHE_DIR  # read when each cached function below is decorated


class _OneOverload(CPUDispatcher):
    """A dispatcher that compiles one overload per argument type, not one per int constant.

    numba types a constant argument (`0`, a module-level row number) as a literal and
    compiles the callee, and its whole call tree, once per value. Ints lose nothing by
    being plain: LLVM still folds them where it inlines the callee. Bool constants stay
    literal: they pick whole code paths (the writer's size-or-write `w`), and folding
    those before LLVM keeps the write pass fast."""

    def get_call_template(self, args: tuple, kws: dict) -> tuple:
        args = tuple(_plain(a) for a in args)
        kws = {k: _plain(v) for k, v in kws.items()}
        return super().get_call_template(args, kws)


def _plain(t: types.Type) -> types.Type:
    return t if isinstance(t, types.BooleanLiteral) else types.unliteral(t)


# Only other compiled code calls these functions (`cpu._parse`, `cpu._write` are the entry
# points), so they need no wrappers to be called from Python: each costs compile time.
_INNER = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}


def _njit(**options: object) -> Callable[[Callable], _OneOverload]:
    def decorate(func: Callable) -> _OneOverload:
        # numba.njit checks and completes the options; the dispatcher is built from them
        plain = numba.njit(cache=True, nogil=True, _nrt=False, **_INNER, **options)(func)
        dispatcher = _OneOverload(py_func=func, targetoptions=plain.targetoptions)
        dispatcher.enable_caching()
        return dispatcher

    return decorate


# Stage functions allocate nothing and return no arrays, so they run without reference
# counting (`_nrt=False`): otherwise every call that passes the tables or a view pays
# atomic increments and decrements, which cost more than the scan itself.
# Each one is compiled once to its own LLVM module, which every caller links in and
# optimises again (so a deep chain of calls re-optimises the tree below it at each level).
# `forceinline` is set either way, since a callee inherits its caller's when unset.
jit = _njit(forceinline=False)
# Tiny helpers called per byte or per field: inlined by LLVM (`alwaysinline`) where they
# are called, since a call passes every array argument as a bundle of scalars. Inlining
# them earlier, in numba's IR (`inline="always"`), types and lowers their body again at
# every call site, nested helpers within helpers: minutes of compile time.
jit_inline = _njit(forceinline=True)
# A layer with one caller that only calls on (a wrapper, a dispatch over cases): merged
# into its caller's numba IR, so it adds no module that links and re-optimises the whole
# tree below it once more.
jit_merged = _njit(inline="always")


def on_gpu() -> bool:
    """Whether the compiled code that calls this runs on the GPU: a constant of each target,
    for the few helpers whose best form differs (the CPU folds eight byte loads into one
    unaligned load; a GPU thread cannot make an unaligned one and keeps a loop of bytes)."""
    return False


@overload(on_gpu, target="cpu")
def _on_cpu_target() -> Callable[[], bool]:
    return lambda: False


@overload(on_gpu, target="cuda")
def _on_cuda_target() -> Callable[[], bool]:
    return lambda: True
