"""Password hashes and token digests, without a database."""

from __future__ import annotations

from salescore.appstore.credentials import (
    hash_password,
    new_token_secret,
    password_matches,
    token_digest,
    token_prefix,
)


def test_password_hash_is_salted_and_self_describing() -> None:
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")
    assert (len(salt), len(key)) == (22, 43)  # 16 and 32 bytes in unpadded base64
    assert password_matches(first, "same password") and password_matches(second, "same password")


def test_malformed_hashes_never_match() -> None:
    good = hash_password("pw")
    for stored in (
        None,
        "",
        "pw",
        "bcrypt$x",
        good.replace("scrypt", "md5"),
        good[:-5],
        "scrypt$3$8$1$AAAA$AAAA",
        "scrypt$x$8$1$AAAA$AAAA",
    ):
        assert not password_matches(stored, "pw"), stored


def test_token_digest_is_plain_sha256() -> None:
    assert token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    secrets = {new_token_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("sc_") and len(s) == 46 and token_prefix(s) == s[:8] for s in secrets)
