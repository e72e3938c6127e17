"""Ledger configuration: a TOML file, overridden by environment variables."""

from __future__ import annotations

import os
import tomllib
from datetime import tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, ValidationInfo, field_validator

from ledger.errors import ConfigurationError
from ledger.events import CurrencyCode, Severity
from ledger.timeutil import load_timezone

DEFAULT_CONFIG_FILE = "ledger.toml"


class LedgerSettings(BaseModel):
    """The ``[ledger]`` table: defaults applied to incoming events and storage durability."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    currency: CurrencyCode = "EUR"
    # NORMAL survives a process crash; FULL also survives power loss, about 3x slower per commit.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"

    @property
    def tz(self) -> tzinfo:
        """Return the timezone in which naive timestamps are read."""
        return load_timezone(self.timezone)


class LifecycleSettings(BaseModel):
    """The ``[lifecycle]`` table: the rules of the customer life cycle stages (README, "Projections")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_gap_days: PositiveInt = 90
    min_purchase_days_for_gap: PositiveInt = 3
    termination_gap_multiple: PositiveInt = 3
    termination_min_days: PositiveInt = 365
    at_risk_gap_multiple: PositiveInt = 2
    development_tenure_days: PositiveInt = 90
    maturity_min_purchase_days: PositiveInt = 4
    maturity_tenure_days: PositiveInt = 365
    spend_window_days: PositiveInt = 180
    spend_ratio: Decimal = Field(default=Decimal("0.85"), ge=0)


DEFAULT_FIRST_RESPONSE_HOURS = {Severity.CRITICAL: 4, Severity.HIGH: 24, Severity.MEDIUM: 48, Severity.LOW: 72}
DEFAULT_RESOLUTION_DAYS = {Severity.CRITICAL: 1, Severity.HIGH: 3, Severity.MEDIUM: 7, Severity.LOW: 14}


class SlaSettings(BaseModel):
    """The ``[sla]`` table: complaint targets per severity; a severity left out keeps its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_response_hours: dict[Severity, PositiveInt] = Field(default_factory=lambda: dict(DEFAULT_FIRST_RESPONSE_HOURS))
    resolution_days: dict[Severity, PositiveInt] = Field(default_factory=lambda: dict(DEFAULT_RESOLUTION_DAYS))

    @field_validator("first_response_hours", "resolution_days", mode="before")
    @classmethod
    def _keep_defaults(cls, targets: Any, info: ValidationInfo) -> Any:
        defaults = DEFAULT_FIRST_RESPONSE_HOURS if info.field_name == "first_response_hours" else DEFAULT_RESOLUTION_DAYS
        return {**{s.value: hours for s, hours in defaults.items()}, **targets} if isinstance(targets, dict) else targets


class LedgerConfig(BaseModel):
    """Everything configurable, one table per area."""

    model_config = ConfigDict(extra="allow", frozen=True)

    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> LedgerConfig:
    """Load the TOML file (explicit path, $LEDGER_CONFIG, or ./ledger.toml if present) and env overrides."""
    environ = dict(os.environ) if environ is None else environ
    explicit = path or environ.get("LEDGER_CONFIG")
    file = Path(explicit) if explicit else Path(DEFAULT_CONFIG_FILE)
    raw: dict[str, Any] = {}
    if explicit or file.exists():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"{file}: configuration file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigurationError(f"{file}: not valid TOML: {error}") from None
    settings = dict(raw.get("ledger", {}))
    for key in ("timezone", "currency", "sqlite_synchronous"):
        if f"LEDGER_{key.upper()}" in environ:
            settings[key] = environ[f"LEDGER_{key.upper()}"]
    raw["ledger"] = settings
    try:
        config = LedgerConfig.model_validate(raw)
        config.ledger.tz  # noqa: B018  (fail now on an unknown timezone, not at the first event)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(f"{file}: {where}: {first['msg']}") from None
    return config
