"""The ``[http]`` table of the configuration: ``ledger serve``'s address and workers, and the HTTP API's limits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HttpSettings(BaseModel):
    """Read by ``ledger serve``; its options and the ``LEDGER_HTTP_<NAME>`` variables win over the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Events in one POST /v1/events; more is answered 413.
    batch_limit: int = Field(default=1000, ge=1)
    # A request body beyond this is answered 413 before it is parsed.
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    # One event's JSON beyond this is rejected alone, with its size as the reason.
    max_event_bytes: int = Field(default=64 * 1024, ge=1)
    # Requests per second per API key, over all workers of one server (0: unlimited), with bursts up to rate_burst.
    rate_limit: float = Field(default=0.0, ge=0)
    rate_burst: int = Field(default=0, ge=0)
    # /readyz fails while a projection is more events than this behind the log.
    ready_max_lag: int = Field(default=10_000, ge=0)
    # The longest long-poll of GET /v1/log, in seconds.
    max_wait: float = Field(default=30.0, ge=0)
