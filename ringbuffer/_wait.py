"""Sleeping and waking across processes on a 32-bit word in shared memory.

On Linux this is a futex: ``FUTEX_WAIT`` sleeps only while the word still holds the value
the caller saw, so a wake that lands between "check the ring" and "go to sleep" is never
lost. The shared (non-``_PRIVATE``) operations are used because waiters and wakers are
different processes mapping the same segment. Elsewhere a short exponential back-off
sleep stands in, which keeps the semantics (callers re-check their condition) at a
higher wake latency.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time

_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}.get(os.uname().machine)
_FUTEX_WAIT = 0
_FUTEX_WAKE = 1
_INT_MAX = 0x7FFFFFFF


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _load_syscall() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    if not sys.platform.startswith("linux") or _SYS_FUTEX is None:
        return None
    fn = ctypes.CDLL(None, use_errno=True).syscall
    fn.restype = ctypes.c_long
    return fn


_syscall = _load_syscall()
HAVE_FUTEX = _syscall is not None


def futex_wait(addr: int, expected: int, timeout: float | None) -> None:
    """Sleep while the int32 at ``addr`` equals ``expected``, at most ``timeout`` seconds.

    Returns on wake-up, timeout, signal or a changed value alike; callers re-check.
    """
    if _syscall is None:
        time.sleep(min(timeout if timeout is not None else 0.001, 0.001))
        return
    ts = None
    if timeout is not None:
        sec = max(timeout, 0.0)
        ts = ctypes.byref(_Timespec(int(sec), int((sec % 1.0) * 1e9)))
    _syscall(
        ctypes.c_long(_SYS_FUTEX or 0),  # not None once _syscall is loaded
        ctypes.c_void_p(addr),
        ctypes.c_int(_FUTEX_WAIT),
        ctypes.c_int(expected),
        ts,
        None,
        ctypes.c_int(0),
    )


def futex_wake(addr: int, count: int = _INT_MAX) -> None:
    """Wake up to ``count`` processes sleeping in :func:`futex_wait` on ``addr``."""
    if _syscall is None:
        return
    _syscall(
        ctypes.c_long(_SYS_FUTEX or 0),  # not None once _syscall is loaded
        ctypes.c_void_p(addr),
        ctypes.c_int(_FUTEX_WAKE),
        ctypes.c_int(count),
        None,
        None,
        ctypes.c_int(0),
    )
