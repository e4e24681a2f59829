"""The dead-letter record: the original bytes untouched, with why and where in headers."""

from __future__ import annotations

from dataclasses import dataclass

from .request import SCHEMA_VERSION

# Header names; values are UTF-8 bytes.
ERROR_CODE = "grump-error-code"
ERROR_MESSAGE = "grump-error-message"
ERROR_STAGE = "grump-error-stage"
SOURCE_TOPIC = "grump-source-topic"
SOURCE_PARTITION = "grump-source-partition"
SOURCE_OFFSET = "grump-source-offset"
SCHEMA_VERSION_HEADER = "grump-schema-version"

STAGES = ("decode", "validate", "parse", "encode")
_MAX_MESSAGE_BYTES = 1024


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Why one record could not be processed, and where it came from."""

    value: bytes
    error_code: str
    error_message: str
    stage: str
    topic: str
    partition: int
    offset: int

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers carrying everything but the original value."""
        message = self.error_message.encode("utf-8", "replace")[:_MAX_MESSAGE_BYTES]
        return [
            (SCHEMA_VERSION_HEADER, str(SCHEMA_VERSION).encode()),
            (ERROR_CODE, self.error_code.encode()),
            (ERROR_MESSAGE, message),
            (ERROR_STAGE, self.stage.encode()),
            (SOURCE_TOPIC, self.topic.encode()),
            (SOURCE_PARTITION, str(self.partition).encode()),
            (SOURCE_OFFSET, str(self.offset).encode()),
        ]

    @classmethod
    def from_record(cls, value: bytes, headers: list[tuple[str, bytes]]) -> DeadLetter:
        """Rebuild a dead letter from a consumed DLQ record."""
        h = {k: v.decode("utf-8", "replace") for k, v in headers}
        return cls(
            value=value,
            error_code=h[ERROR_CODE],
            error_message=h[ERROR_MESSAGE],
            stage=h[ERROR_STAGE],
            topic=h[SOURCE_TOPIC],
            partition=int(h[SOURCE_PARTITION]),
            offset=int(h[SOURCE_OFFSET]),
        )

    def to_dict(self) -> dict[str, object]:
        """The document form described by the `dlq` JSON Schema."""
        return {
            "v": SCHEMA_VERSION,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "stage": self.stage,
            "source": {"topic": self.topic, "partition": self.partition, "offset": self.offset},
            "value_utf8": self.value.decode("utf-8", "replace"),
            "value_bytes": len(self.value),
        }
