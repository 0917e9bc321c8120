"""Password hashes, token digests and session ids, without a database."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from salescore.appstore import credentials
from salescore.appstore.credentials import (
    hash_password,
    hash_scheme,
    needs_rehash,
    new_csrf_token,
    new_session_id,
    new_token_secret,
    password_matches,
    scrypt_hash,
    token_digest,
    token_prefix,
)


@pytest.fixture(autouse=True)
def real_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real Argon2id parameters (the suite runs with the lowest cost: tests/conftest.py)."""
    monkeypatch.setattr(credentials, "_hasher", PasswordHasher)


def test_password_hash_is_argon2id_salted_and_self_describing() -> None:
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second
    empty, scheme, version, params, salt, key = first.split("$")
    assert (empty, scheme, version) == ("", "argon2id", "v=19")
    assert params == "m=65536,t=3,p=4"  # argon2-cffi's RFC 9106 low-memory profile
    assert len(salt) == 22 and len(key) == 43  # 16 and 32 bytes in unpadded base64
    assert "same password" not in first
    assert password_matches(first, "same password") and password_matches(second, "same password")
    assert not password_matches(first, "same Password")
    assert not needs_rehash(first) and hash_scheme(first) == "argon2id"


def test_old_scrypt_hashes_still_verify_and_ask_to_be_rehashed() -> None:
    old = scrypt_hash("s3cret-pass")
    assert old.startswith("scrypt$32768$8$1$")
    assert password_matches(old, "s3cret-pass") and not password_matches(old, "s3cret-pasS")
    assert needs_rehash(old) and hash_scheme(old) == "scrypt"


def test_argon2_hash_with_weaker_parameters_asks_to_be_rehashed() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw")
    assert password_matches(weak, "pw")
    assert needs_rehash(weak)


def test_malformed_hashes_never_match() -> None:
    good = hash_password("pw")
    old = scrypt_hash("pw")
    for stored in (
        None,
        "",
        "pw",
        "bcrypt$x",
        good.replace("argon2id", "argon2zz"),
        good[:-5],
        "$argon2id$v=19$m=65536,t=3,p=4$AAAA",
        old.replace("scrypt", "md5"),
        old[:-5],
        "scrypt$3$8$1$AAAA$AAAA",
        "scrypt$x$8$1$AAAA$AAAA",
    ):
        assert not password_matches(stored, "pw"), stored


def test_token_digest_is_plain_sha256() -> None:
    assert token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    secrets = {new_token_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("sc_") and len(s) == 46 and token_prefix(s) == s[:8] for s in secrets)


def test_session_ids_and_csrf_tokens_are_random_and_long() -> None:
    ids = {new_session_id() for _ in range(50)} | {new_csrf_token() for _ in range(50)}
    assert len(ids) == 100 and all(len(value) == 43 for value in ids)
