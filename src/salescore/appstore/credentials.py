"""Password hashes and API token secrets: how they are made and checked, with the stdlib only.

A password is hashed with scrypt; the stored string carries the parameters and the salt, so that the
cost can be raised later without breaking stored hashes. A token secret is random (256 bits) and is
stored as its SHA-256 only: a fast hash is enough for a secret that cannot be guessed.

>>> stored = hash_password("correct horse")
>>> stored.startswith("scrypt$")
True
>>> password_matches(stored, "correct horse"), password_matches(stored, "wrong")
(True, False)
>>> secret = new_token_secret()
>>> secret.startswith(TOKEN_MARK), len(token_digest(secret))
(True, 64)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
# 2**15 * 8 * 128 bytes = 32 MiB of memory and about 0.1 s per hash on a laptop core.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# Larger than any cost we accept, smaller than what a hostile stored string could ask for.
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024

TOKEN_MARK = "sc_"  # lets secret scanners and people recognise a salescore token
TOKEN_PREFIX_CHARS = 8


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=MAX_SCRYPT_MEMORY
    )


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password``: ``scrypt$n$r$p$salt$key`` (base64url parts)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from; ``False`` for any malformed hash.

    Compares in constant time. A missing or unreadable hash never matches: it must not lock the
    caller out with an exception, nor let anyone in.
    """
    if not stored:
        return False
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
        # A shortened key would still match: scrypt's output for a smaller dklen is a prefix.
        if len(key) < KEY_BYTES or len(salt) < SALT_BYTES:
            return False
        candidate = _scrypt(password, salt, n, r, p, len(key))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(candidate, key)


def new_token_secret() -> str:
    """A fresh API token secret: ``sc_`` and 43 URL-safe characters (256 random bits)."""
    return TOKEN_MARK + secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    """The hex SHA-256 of a token secret: what the store keeps and looks tokens up by."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_prefix(secret: str) -> str:
    """The first characters of a secret, kept in clear so that a person can tell tokens apart."""
    return secret[:TOKEN_PREFIX_CHARS]
