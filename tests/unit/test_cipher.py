"""The ciphers of personal data: sealed values bound to their event and field, wrapped data keys, masks, master keys."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from ledger.privacy.cipher import (
    CannotOpenError,
    FieldCipher,
    field_context,
    is_sealed,
    master_key_id,
    new_key,
    unwrap_key,
    wrap_key,
)
from ledger.privacy.errors import MasterKeyError
from ledger.privacy.masking import mask
from ledger.privacy.master_key import KEY_ENV, KEY_FILE_ENV, create_key_file, load_master_key


def test_a_sealed_value_opens_only_in_its_own_event_and_field():
    cipher = FieldCipher(new_key())
    sealed = cipher.seal("ana@example.com", field_context("E-1", "email"))
    assert is_sealed(sealed) and "ana" not in sealed
    assert cipher.open(sealed, field_context("E-1", "email")) == "ana@example.com"
    for moved in (field_context("E-2", "email"), field_context("E-1", "name")):
        with pytest.raises(CannotOpenError):
            cipher.open(sealed, moved)
    with pytest.raises(CannotOpenError):
        FieldCipher(new_key()).open(sealed, field_context("E-1", "email"))


def test_each_value_gets_its_own_nonce():
    cipher = FieldCipher(new_key())
    context = field_context("E-1", "note")
    assert cipher.seal("same", context) != cipher.seal("same", context)


def test_a_changed_ciphertext_does_not_open():
    cipher = FieldCipher(new_key())
    sealed = cipher.seal("text", field_context("E-1", "note"))
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(CannotOpenError):
        cipher.open(flipped, field_context("E-1", "note"))


def test_a_data_key_unwraps_only_with_its_master_key_and_stream():
    master, data_key, stream = new_key(), new_key(), os.urandom(16)
    wrapped = wrap_key(master, data_key, stream)
    assert unwrap_key(master, wrapped, stream) == data_key
    with pytest.raises(CannotOpenError):
        unwrap_key(new_key(), wrapped, stream)
    with pytest.raises(CannotOpenError):
        unwrap_key(master, wrapped, os.urandom(16))
    assert master_key_id(master) == master_key_id(master) != master_key_id(new_key())


@pytest.mark.parametrize(
    ("field", "value", "masked"),
    [
        ("email", "john@example.com", "j***@example.com"),
        ("phone", "+86 10 1234 5678", "***78"),
        ("name", "Ana Li", "A*** L***"),
        ("note", "called about the order", "***"),
        ("changes.email", "x@y.org", "x***@y.org"),
    ],
)
def test_masks_keep_enough_to_recognise(field, value, masked):
    assert mask(field, value) == masked


def test_the_master_key_comes_from_the_environment_or_a_file(tmp_path):
    secret = base64.b64encode(new_key()).decode()
    assert load_master_key(None, {}) is None
    assert load_master_key(None, {KEY_ENV: secret}).secret == base64.b64decode(secret)
    key = create_key_file(tmp_path / "master.key")
    assert stat.S_IMODE((tmp_path / "master.key").stat().st_mode) == 0o600
    assert load_master_key(None, {KEY_FILE_ENV: str(tmp_path / "master.key")}) == key
    assert load_master_key(str(tmp_path / "master.key"), {}) == key
    assert "secret" not in repr(key) and key.key_id in repr(key)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({KEY_ENV: "not base64!"}, "not base64"),
        ({KEY_ENV: base64.b64encode(b"short").decode()}, "must be 32 bytes"),
        ({KEY_FILE_ENV: "/nonexistent/master.key"}, "cannot read the master key file"),
    ],
)
def test_an_unusable_master_key_is_one_clear_error(environ, message):
    with pytest.raises(MasterKeyError, match=message) as raised:
        load_master_key(None, environ)
    assert raised.value.exit_code == 1


def test_a_master_key_file_is_never_overwritten(tmp_path):
    create_key_file(tmp_path / "master.key")
    before = (tmp_path / "master.key").read_bytes()
    with pytest.raises(MasterKeyError, match="never overwritten"):
        create_key_file(tmp_path / "master.key")
    assert (tmp_path / "master.key").read_bytes() == before
