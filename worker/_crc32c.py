"""CRC-32C (Castagnoli), the checksum of a Kafka record batch.

Where the CPU has the instruction for it (x86-64 with SSE 4.2) the compiled loop feeds it
eight bytes at a time: 7.4 GB/s on the 2-core VM, against 1.4 GB/s for the table-driven
checksum aiokafka computes per batch (for 2.6 KB results, about 1.8 us of the parent's one
core per record). Elsewhere aiokafka's own function is used.
"""

from __future__ import annotations

import platform
from typing import Any

import llvmlite.binding as llvm
import numpy as np
from aiokafka.record.util import calc_crc32c
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import jit

HARDWARE = platform.machine() in ("x86_64", "AMD64") and bool(
    llvm.get_host_cpu_features().get("sse4.2", False)
)


def _instruction(name: str, width: int, numba_type: Any) -> Any:
    """A numba intrinsic calling LLVM's x86 CRC-32C instruction on a `width`-bit word."""

    @intrinsic
    def call(typingctx: Any, crc: Any, word: Any) -> Any:
        crc_bits = 64 if width == 64 else 32
        crc_type = types.uint64 if width == 64 else types.uint32

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            fnty = ir.FunctionType(ir.IntType(crc_bits), [ir.IntType(crc_bits), ir.IntType(width)])
            return builder.call(cgutils.get_or_insert_function(builder.module, fnty, name), args)

        return crc_type(crc_type, numba_type), codegen

    return call


_crc_u64 = _instruction("llvm.x86.sse42.crc32.64.64", 64, types.uint64)
_crc_u8 = _instruction("llvm.x86.sse42.crc32.32.8", 8, types.uint8)


@jit
def _crc32c_hardware(data):
    """Bytes one at a time up to an 8-byte boundary, then 8-byte words, then the tail."""
    n = len(data)
    head = min(n, (8 - data.ctypes.data % 8) % 8)
    crc = np.uint32(0xFFFFFFFF)
    for i in range(head):
        crc = _crc_u8(crc, data[i])
    words = (n - head) // 8
    wide = np.uint64(crc)
    if words:
        for word in data[head : head + words * 8].view(np.uint64):
            wide = _crc_u64(wide, word)
    crc = np.uint32(wide)
    for i in range(head + words * 8, n):
        crc = _crc_u8(crc, data[i])
    return crc ^ np.uint32(0xFFFFFFFF)


def crc32c(data: np.ndarray) -> int:
    """The CRC-32C of a uint8 array."""
    if HARDWARE:
        return int(_crc32c_hardware(data))
    return int(calc_crc32c(data))
