"""Exceptions raised by the ring."""

from __future__ import annotations


class RingError(Exception):
    """Base class of the ring's own errors."""


class RecordTooLarge(RingError, ValueError):
    """A record exceeds the ring's ``max_record_bytes``; nothing of the call was pushed."""


class RingFull(RingError, TimeoutError):
    """A blocking push timed out; ``pushed`` says how many records did go in."""

    def __init__(self, message: str, pushed: int = 0) -> None:
        super().__init__(message)
        self.pushed = pushed


class RingClosed(RingError):
    """The ring object was closed in this process."""


class ClaimLost(RingError):
    """A released claim was no longer owned (a supervisor re-queued it as orphaned)."""
