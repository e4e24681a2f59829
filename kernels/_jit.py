"""The one numba decorator of the kernels, with an on-disk cache that cannot go stale.

numba's cache notices when a function's own file changes, not when a constant it imports
from another file does. The kernels share constants across modules, so the cache lives in
a directory named by a hash of every kernel source file: any edit starts a fresh cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

_HERE = Path(__file__).parent


# Modules that are not compiled and define nothing compiled code reads: editing them keeps
# the cache. (gpu.py's kernels are checked by numba against gpu.py itself.)
_NOT_COMPILED = {"__init__.py", "_api.py", "batch.py", "corpus.py", "gpu.py"}


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
# Stage functions allocate nothing and return no arrays, so they run without reference
# counting (`_nrt=False`): otherwise every call that passes the tables or a view pays
# atomic increments and decrements, which cost more than the scan itself.
jit = numba.njit(cache=True, nogil=True, _nrt=False)
# Tiny helpers called per byte or per field: inlined where they are called, since a call
# passes every array argument as a bundle of scalars.
jit_inline = numba.njit(cache=True, nogil=True, _nrt=False, inline="always")
