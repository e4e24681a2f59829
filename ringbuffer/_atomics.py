"""Atomic operations on elements of numpy integer arrays, usable from ``@njit`` code.

numba exposes no CPU atomics for arrays, so each operation here is a numba ``@intrinsic``
that emits the matching LLVM instruction (``load atomic``, ``store atomic``, ``cmpxchg``,
``atomicrmw``) on the element pointer. Orderings are explicit and never ``monotonic``
(relaxed): loads are ``acquire``, stores are ``release``, read-modify-writes are
``seq_cst``. Because the operations act on memory, they work across processes that map
the same shared-memory segment.

All functions take ``(array, index, ...)`` where ``array`` is a C-contiguous 1-d numpy
array of a signed or unsigned integer dtype and ``index`` an integer; bounds are *not*
checked (the callers compute indices from validated layouts).
"""

from __future__ import annotations

from typing import Any

from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["cas", "fetch_add", "load_acquire", "store_release"]


def _check(ary: Any) -> bool:
    return isinstance(ary, types.Array) and ary.ndim == 1 and isinstance(ary.dtype, types.Integer)


def _element_ptr(context: Any, builder: Any, sig: Any, args: Any) -> Any:
    aryty = sig.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    idx = context.cast(builder, args[1], sig.args[1], types.intp)
    return cgutils.get_item_pointer(context, builder, aryty, ary, [idx])


def _align(context: Any, aryty: Any) -> int:
    return context.get_abi_sizeof(context.get_data_type(aryty.dtype))


@intrinsic
def _load_acquire(typingctx: Any, ary: Any, idx: Any) -> Any:
    if not (_check(ary) and isinstance(idx, types.Integer)):
        return None
    sig = ary.dtype(ary, idx)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        ptr = _element_ptr(context, builder, sig, args)
        return builder.load_atomic(ptr, "acquire", _align(context, sig.args[0]))

    return sig, codegen


@intrinsic
def _store_release(typingctx: Any, ary: Any, idx: Any, val: Any) -> Any:
    if not (_check(ary) and isinstance(idx, types.Integer) and isinstance(val, types.Integer)):
        return None
    sig = types.void(ary, idx, val)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        ptr = _element_ptr(context, builder, sig, args)
        v = context.cast(builder, args[2], sig.args[2], sig.args[0].dtype)
        builder.store_atomic(v, ptr, "release", _align(context, sig.args[0]))
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _cas(typingctx: Any, ary: Any, idx: Any, expected: Any, new: Any) -> Any:
    ok = isinstance(expected, types.Integer) and isinstance(new, types.Integer)
    if not (_check(ary) and isinstance(idx, types.Integer) and ok):
        return None
    sig = ary.dtype(ary, idx, expected, new)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        ptr = _element_ptr(context, builder, sig, args)
        dt = sig.args[0].dtype
        exp = context.cast(builder, args[2], sig.args[2], dt)
        val = context.cast(builder, args[3], sig.args[3], dt)
        pair = builder.cmpxchg(ptr, exp, val, "seq_cst", "seq_cst")
        return builder.extract_value(pair, 0)

    return sig, codegen


@intrinsic
def _fetch_add(typingctx: Any, ary: Any, idx: Any, val: Any) -> Any:
    if not (_check(ary) and isinstance(idx, types.Integer) and isinstance(val, types.Integer)):
        return None
    sig = ary.dtype(ary, idx, val)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        ptr = _element_ptr(context, builder, sig, args)
        v = context.cast(builder, args[2], sig.args[2], sig.args[0].dtype)
        return builder.atomic_rmw("add", ptr, v, "seq_cst")

    return sig, codegen


@njit(inline="always", nogil=True, cache=True)
def load_acquire(ary: Any, idx: int) -> int:
    """Return ``ary[idx]``; later reads cannot be reordered before this one.

    Lowering: ``load atomic <T>, ptr acquire``. Pairs with :func:`store_release` so that
    everything written before the release store is visible after this load sees its value.
    """
    return _load_acquire(ary, idx)


@njit(inline="always", nogil=True, cache=True)
def store_release(ary: Any, idx: int, val: int) -> None:
    """Set ``ary[idx] = val``; earlier writes cannot be reordered after this one.

    Lowering: ``store atomic <T> val, ptr release``. Used to publish data written before it.
    """
    _store_release(ary, idx, val)


@njit(inline="always", nogil=True, cache=True)
def cas(ary: Any, idx: int, expected: int, new: int) -> int:
    """If ``ary[idx] == expected`` set it to ``new``, atomically; return the old value.

    The swap happened iff the returned value equals ``expected``.
    Lowering: ``cmpxchg ptr, expected, new seq_cst seq_cst`` (a full barrier).
    """
    return _cas(ary, idx, expected, new)


@njit(inline="always", nogil=True, cache=True)
def fetch_add(ary: Any, idx: int, val: int) -> int:
    """Atomically add ``val`` to ``ary[idx]`` (wrapping) and return the old value.

    Lowering: ``atomicrmw add ptr, val seq_cst`` (a full barrier).
    """
    return _fetch_add(ary, idx, val)
