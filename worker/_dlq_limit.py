"""The dead-letter safety valve (off by default: `--dlq-max-ratio 1`).

A worker that suddenly dead-letters most of what it reads is more likely broken (a bad
deploy, a producer writing the wrong format to the topic) than fed a few bad records, and
quietly moving a whole topic to the DLQ is hard to undo. With a limit set, the worker stops
instead: the claim that passes it is not sent, so its records stay uncommitted and are read
again once the cause is fixed.
"""

from __future__ import annotations

import numpy as np

MIN_RECORDS = 100  # a partition's first few bad records never trip the limit
WINDOW = 10_000  # counts are halved past this, so the share follows recent records


class DeadLetterRatioExceeded(RuntimeError):
    """More than the allowed share of a partition's recent records were dead-lettered."""


class DeadLetterLimit:
    def __init__(self, max_ratio: float = 1.0) -> None:
        self.max_ratio = max_ratio
        self._counts: dict[int, tuple[float, float]] = {}  # partition -> (records, dead)

    def check(self, partitions: np.ndarray, dead: np.ndarray) -> None:
        """Count records (input partition, dead-lettered or not) about to be sent; raise
        when a partition's dead share passes the limit."""
        if self.max_ratio >= 1.0:
            return
        for partition in np.unique(partitions).tolist():
            mine = partitions == partition
            records, bad = self._counts.get(partition, (0.0, 0.0))
            records, bad = records + int(mine.sum()), bad + int(dead[mine].sum())
            if records > WINDOW:
                records, bad = records / 2, bad / 2
            self._counts[partition] = (records, bad)
            if records >= MIN_RECORDS and bad / records > self.max_ratio:
                raise DeadLetterRatioExceeded(
                    f"input partition {partition}: {bad / records:.0%} of its recent records "
                    f"were dead-lettered (limit {self.max_ratio:.0%}, --dlq-max-ratio); "
                    "stopping so they are not all moved to the DLQ — unsent records stay "
                    "uncommitted and are read again after a restart"
                )
