"""How the worker's Kafka clients reach a secured cluster: TLS and SASL, as aiokafka takes them.

Managed clusters (and most production ones) refuse plaintext: every client the worker
starts (consumer and producer) gets the same options from one `Security` value, so the
two can never disagree. A client configured for SASL or TLS never falls back to plaintext:
against a broker that does not offer it, it fails to connect.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True, slots=True)
class Security:
    # named as the worker settings they come from (`WorkerConfig.security`)
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)  # never in logs or tracebacks
    ssl_cafile: str = ""  # empty: the system's trusted CAs
    ssl_certfile: str = ""  # client certificate (mutual TLS), optional
    ssl_keyfile: str = ""

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol.endswith("SSL")

    def problems(self) -> list[str]:
        """What makes these settings unusable, in words (empty when they are fine)."""
        found = []
        protocol = self.security_protocol
        if protocol not in SECURITY_PROTOCOLS:
            found.append(f"security protocol {protocol!r} not in {SECURITY_PROTOCOLS}")
        if self.uses_sasl:
            if self.sasl_mechanism not in SASL_MECHANISMS:
                found.append(f"SASL mechanism {self.sasl_mechanism!r} not in {SASL_MECHANISMS}")
            if not self.sasl_username or not self.sasl_password:
                found.append(f"{protocol} needs a SASL username and password")
        if self.uses_tls:
            for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
                path = getattr(self, name)
                if path and not Path(path).is_file():
                    found.append(f"{name} {path!r} is not a readable file")
            if self.ssl_keyfile and not self.ssl_certfile:
                found.append("ssl_keyfile is given without ssl_certfile")
        return found

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaConsumer / AIOKafkaProducer."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.uses_sasl:
            options.update(sasl_mechanism=self.sasl_mechanism,
                           sasl_plain_username=self.sasl_username,
                           sasl_plain_password=self.sasl_password)  # fmt: skip
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        return options

    def ssl_context(self) -> ssl.SSLContext:
        """Verifying context: the broker's certificate and host name are always checked."""
        return create_ssl_context(
            cafile=self.ssl_cafile or None,
            certfile=self.ssl_certfile or None,
            keyfile=self.ssl_keyfile or None,
        )
