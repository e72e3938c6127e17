"""AES-256-GCM from the ``cryptography`` package: sealed field values, and data keys wrapped by the master key.

A sealed value is text, so that it takes a string field's place in the stored JSON:
``enc1:`` and the base64 of a random 96-bit nonce followed by the ciphertext and its tag.
The associated data binds it to its event and field, so that a ciphertext moved to
another event or field no longer opens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_PREFIX = "enc1:"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
_WRAP_CONTEXT = b"ledger-data-key:"


class CannotOpenError(Exception):
    """A sealed value or wrapped key did not open: wrong key, or bytes changed or moved."""


def is_sealed(value: object) -> bool:
    """Whether a stored field value is a sealed (encrypted) value."""
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def field_context(event_id: str, field: str) -> bytes:
    """Return the associated data of a field's value: its event and its name."""
    return b"%s\0%s" % (event_id.encode(), field.encode())


def new_key() -> bytes:
    """Return a fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)


class FieldCipher:
    """Seals and opens one customer's field values with that customer's data key."""

    __slots__ = ("_aead",)

    def __init__(self, data_key: bytes):
        self._aead = AESGCM(data_key)

    def seal(self, value: str, context: bytes) -> str:
        """Encrypt a value under a fresh nonce, bound to its context."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode(), context)
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, token: str, context: bytes) -> str:
        """Decrypt a sealed value; raise CannotOpenError if it was changed, moved or sealed with another key."""
        try:
            raw = base64.b64decode(token[len(SEALED_PREFIX) :], validate=True)
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise CannotOpenError("a sealed value does not open with its customer's key") from None


def master_key_id(master: bytes) -> str:
    """Return a short public name of a master key, stored beside each key it wraps (never the key itself)."""
    return hashlib.sha256(b"ledger-master-key-id\0" + master).hexdigest()[:16]


def wrap_key(master: bytes, data_key: bytes, stream_id: bytes) -> bytes:
    """Encrypt a data key under the master key, bound to its customer's stream id."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master).encrypt(nonce, data_key, _WRAP_CONTEXT + stream_id)


def unwrap_key(master: bytes, wrapped: bytes, stream_id: bytes) -> bytes:
    """Decrypt a wrapped data key; raise CannotOpenError under another master key or for another stream."""
    try:
        return AESGCM(master).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _WRAP_CONTEXT + stream_id)
    except (InvalidTag, ValueError):
        raise CannotOpenError("a data key does not open with this master key") from None
