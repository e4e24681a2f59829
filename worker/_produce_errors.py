"""What egress does when the broker fails a produced batch: retry, or stop the worker.

- retriable (the cluster may recover: a timeout, a leader change, a lost connection,
  a cancelled send): send the batch again after a backoff that doubles up to a cap, at most
  `max_attempts` sends in all; then stop the worker.
- permanent (no resend can succeed: MESSAGE_TOO_LARGE, an invalid record, no authorization):
  stop the worker at once. Egress holds only the encoded results, not the requests, so it
  cannot dead-letter them; results over the broker's limit are dead-lettered earlier, by the
  drains (`max_result_bytes`), so this one means that setting is above the broker's limit.

Stopping means: the batch's offsets stay unacked, so uncommitted; the worker exits 1 with
the reason, and a restart reads the records again. Never a silent loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.errors import KafkaError, KafkaTimeoutError, MessageSizeTooLargeError

# KafkaTimeoutError is not `retriable` in aiokafka, but it is what a send gets when the
# cluster did not answer within request_timeout_ms: often a broker restart, worth a retry
_ALSO_RETRIABLE = (KafkaTimeoutError,)


class ProduceFailed(RuntimeError):
    """The broker failed a batch for good (or too many times); the worker stops, exit 1,
    with the batch's input offsets uncommitted."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5  # sends of one batch in all, the first included
    first_backoff_s: float = 0.5
    max_backoff_s: float = 8.0

    def backoff_s(self, attempt: int) -> float:
        """The pause before send number `attempt + 1`."""
        return min(self.max_backoff_s, self.first_backoff_s * 2 ** (attempt - 1))


def is_retriable(error: BaseException | None) -> bool:
    """None stands for a cancelled send (the producer closing its connections)."""
    if error is None or isinstance(error, _ALSO_RETRIABLE):
        return True
    return isinstance(error, KafkaError) and bool(error.retriable)


def give_up(error: BaseException | None, records: int, attempt: int, topic: str) -> ProduceFailed:
    """The error that stops the worker, with the reason an operator needs."""
    what = "cancelled" if error is None else repr(error)
    if is_retriable(error):
        reason = f"still failing after {attempt} sends ({what}): is the cluster reachable?"
    else:
        reason = f"failed permanently ({what})"
    if isinstance(error, MessageSizeTooLargeError):
        reason += (": the broker's message.max.bytes (or the topic's max.message.bytes) is "
                   "below --max-result-bytes; lower it or raise the broker's limit")  # fmt: skip
    return ProduceFailed(
        f"producing {records} records to {topic} {reason}; stopping with their input offsets "
        "uncommitted, so a restart reads them again"
    )
