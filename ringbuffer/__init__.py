"""Shared-memory, lock-free, multi-producer multi-consumer ring of variable-length records.

Producers ``push``/``push_many`` byte records from any process; consumers ``claim_batch``
a zero-copy run (one contiguous ``uint8`` buffer + ``int64`` offsets, n + 1 entries) and
``release`` it. A supervisor's ``reclaim_dead`` re-queues claims of dead consumers and
unblocks slots abandoned by dead producers. The ring knows bytes only.
"""

from ._errors import ClaimLost, RecordTooLarge, RingClosed, RingError, RingFull
from ._ring import Claim, Ring, RingStats

__all__ = [
    "Claim",
    "ClaimLost",
    "RecordTooLarge",
    "Ring",
    "RingClosed",
    "RingError",
    "RingFull",
    "RingStats",
]
