"""The master key: read from ``LEDGER_MASTER_KEY`` (base64), ``LEDGER_MASTER_KEY_FILE`` or ``[privacy] master_key_file``.

The master key only wraps the customers' data keys; it never touches an event.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.privacy.cipher import KEY_BYTES, master_key_id, new_key
from ledger.privacy.errors import MasterKeyError

KEY_ENV = "LEDGER_MASTER_KEY"
KEY_FILE_ENV = "LEDGER_MASTER_KEY_FILE"


@dataclass(frozen=True, slots=True)
class MasterKey:
    """The 256-bit master key and its public id (stored beside every key it wraps)."""

    secret: bytes
    key_id: str

    def __repr__(self) -> str:  # never print the secret
        return f"MasterKey(key_id={self.key_id!r})"

    @classmethod
    def from_text(cls, text: str, where: str) -> MasterKey:
        """Decode the base64 of a 32-byte key; raise MasterKeyError naming where it came from."""
        try:
            secret = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyError(f"{where}: the master key is not base64") from None
        if len(secret) != KEY_BYTES:
            raise MasterKeyError(f"{where}: the master key must be {KEY_BYTES} bytes, found {len(secret)}")
        return cls(secret, master_key_id(secret))


def load_master_key(configured_file: str | None, environ: dict[str, str] | None = None) -> MasterKey | None:
    """Return the configured master key, or None when none is configured (personal data is then stored in clear)."""
    settings: Mapping[str, str] = os.environ if environ is None else environ
    if settings.get(KEY_ENV):
        return MasterKey.from_text(settings[KEY_ENV], KEY_ENV)
    file = settings.get(KEY_FILE_ENV) or configured_file
    if not file:
        return None
    return read_key_file(Path(file))


def read_key_file(path: Path) -> MasterKey:
    """Read a master key file (the base64 of the key on one line)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise MasterKeyError(f"{path}: cannot read the master key file: {error.__class__.__name__}") from None
    return MasterKey.from_text(text, str(path))


def create_key_file(path: Path) -> MasterKey:
    """Write a new random master key to a new file that only its owner can read; never overwrite one."""
    secret = new_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise MasterKeyError(f"{path}: a file is already there; a master key is never overwritten") from None
    except OSError as error:
        raise MasterKeyError(f"{path}: cannot create the master key file: {error.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(base64.b64encode(secret).decode() + "\n")
    return MasterKey(secret, master_key_id(secret))
