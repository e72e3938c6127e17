"""Ledger configuration: a TOML file, overridden by environment variables."""

from __future__ import annotations

import os
import tomllib
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from commands.errors import ConfigurationError
from commands.event_fields import CurrencyCode
from commands.events_identity import IdentifierKind
from commands.events_privacy import DEFAULT_PURPOSES, Purpose
from commands.timeutil import load_timezone
from ledger.config_http import HttpSettings
from projections.lifecycle import LifecycleSettings
from projections.sla import SlaSettings
from projections.survey_stats import SatisfactionSettings

DEFAULT_CONFIG_FILE = "ledger.toml"


class LedgerSettings(BaseModel):
    """The ``[ledger]`` table: defaults applied to incoming events and storage durability."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    currency: CurrencyCode = "EUR"
    # NORMAL survives a process crash; FULL also survives power loss, at several times the cost per commit.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"

    @property
    def tz(self) -> tzinfo:
        """Return the timezone in which naive timestamps are read."""
        return load_timezone(self.timezone)


class PrivacySettings(BaseModel):
    """The ``[privacy]`` table: where the master key is (``LEDGER_MASTER_KEY`` or ``LEDGER_MASTER_KEY_FILE`` win)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master_key_file: str | None = None
    # The purposes a customer may consent to; consent events for any other are refused.
    consent_purposes: tuple[Purpose, ...] = Field(default=DEFAULT_PURPOSES, min_length=1)


class IdentitySettings(BaseModel):
    """The ``[identity]`` table: identifier kinds, how phone numbers are read, and what is never linked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Kinds beyond the built-in ones (email, phone, wechat_openid, loyalty_card, national_id): external systems' ids.
    kinds: tuple[IdentifierKind, ...] = ()
    # ISO 3166 region in which a phone number without a country code is read; None: such numbers are refused.
    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    # Values that name nobody, beyond the built-in placeholders (empty, null, anonymous, unknown, zeros, dashes).
    nobody_values: tuple[str, ...] = ()
    # Per kind: how many customers, one after another, may ever hold one identifier (national_id = 1: it never moves).
    max_holders: dict[IdentifierKind, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    # What an event naming its customer by an identifier nobody holds does: reject it, or create the customer.
    on_unknown: Literal["create", "reject"] = "reject"


class LedgerConfig(BaseModel):
    """Everything configurable, one table per area."""

    model_config = ConfigDict(extra="allow", frozen=True)

    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)
    satisfaction: SatisfactionSettings = Field(default_factory=SatisfactionSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)


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
