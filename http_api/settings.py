"""The HTTP API's limits: the ``[http]`` table, then ``LEDGER_HTTP_*`` variables, which ``serve`` sets for its workers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

from ledger import ConfigurationError
from ledger.config_http import HttpSettings

ENV_PREFIX = "LEDGER_HTTP_"
# The file of the rate limit's buckets that every worker of one server shares (set by ``serve``).
RATE_STATE_ENV = "LEDGER_HTTP_RATE_STATE"
_DEFAULTS = HttpSettings()


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Limits and thresholds of one API process (each worker reads the same environment); see ``HttpSettings``."""

    batch_limit: int = _DEFAULTS.batch_limit
    max_body_bytes: int = _DEFAULTS.max_body_bytes
    max_event_bytes: int = _DEFAULTS.max_event_bytes
    rate_limit: float = _DEFAULTS.rate_limit
    rate_burst: int = _DEFAULTS.rate_burst
    ready_max_lag: int = _DEFAULTS.ready_max_lag
    max_wait: float = _DEFAULTS.max_wait

    @classmethod
    def from_config(cls, http: HttpSettings) -> ApiSettings:
        """Return the limits of a configuration's ``[http]`` table."""
        table = http.model_dump()
        return cls(**{field.name: table[field.name] for field in fields(cls)})

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, base: ApiSettings | None = None) -> ApiSettings:
        """Read each setting from LEDGER_HTTP_<NAME> (e.g. LEDGER_HTTP_RATE_LIMIT=50), keeping base's for the rest."""
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
        return replace(base or cls(), **values)  # type: ignore[arg-type]

    def with_overrides(self, **values: float | None) -> ApiSettings:
        """Return these settings with every value given (not None) replaced."""
        return replace(self, **{name: value for name, value in values.items() if value is not None})  # type: ignore[arg-type]

    def to_environ(self) -> dict[str, str]:
        """Return the environment variables that make workers read these settings."""
        return {ENV_PREFIX + name.upper(): str(value) for name, value in asdict(self).items()}

    @property
    def burst(self) -> int:
        """Return the bucket size of the rate limit: rate_burst, or one second's worth."""
        return self.rate_burst or max(1, int(self.rate_limit))
