"""The HTTP API's settings: from ``LEDGER_HTTP_*`` environment variables, which ``serve``'s options set for its workers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from ledger import ConfigurationError

ENV_PREFIX = "LEDGER_HTTP_"


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Limits and thresholds of one API process (each worker reads the same environment)."""

    # Events in one POST /v1/events; more is answered 413.
    batch_limit: int = 1000
    # A request body beyond this is answered 413 before it is parsed.
    max_body_bytes: int = 16 * 1024 * 1024
    # One event's JSON beyond this is rejected alone, with its size as the reason.
    max_event_bytes: int = 64 * 1024
    # Requests per second per API key and worker (0: unlimited), with bursts up to rate_burst.
    rate_limit: float = 0.0
    rate_burst: int = 0
    # /readyz fails while a projection is more events than this behind the log.
    ready_max_lag: int = 10_000
    # The longest long-poll of GET /v1/log, in seconds.
    max_wait: float = 30.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Read each setting from LEDGER_HTTP_<NAME> (e.g. LEDGER_HTTP_RATE_LIMIT=50), keeping defaults for the rest."""
        environ = os.environ if environ is None else environ
        values: dict[str, int | float] = {}
        for field in fields(cls):
            text = environ.get(ENV_PREFIX + field.name.upper())
            if text is None or text == "":
                continue
            kind = float if field.type in ("float", float) else int
            try:
                values[field.name] = kind(text)
            except ValueError:
                raise ConfigurationError(f"{ENV_PREFIX}{field.name.upper()}: not a number: {text!r}") from None
            if values[field.name] < 0:
                raise ConfigurationError(f"{ENV_PREFIX}{field.name.upper()}: must not be negative")
        return cls(**values)  # type: ignore[arg-type]

    def with_overrides(self, **values: float | None) -> ApiSettings:
        """Return these settings with every value given (not None) replaced."""
        return replace(self, **{name: value for name, value in values.items() if value is not None})  # type: ignore[arg-type]

    def to_environ(self) -> dict[str, str]:
        """Return the environment variables that make workers read these settings."""
        return {ENV_PREFIX + field.name.upper(): str(getattr(self, field.name)) for field in fields(self)}

    @property
    def burst(self) -> int:
        """Return the bucket size of the rate limit: rate_burst, or one second's worth."""
        return self.rate_burst or max(1, int(self.rate_limit))
