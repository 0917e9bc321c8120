"""Password hashes, API token secrets and web session ids: how they are made and checked.

A password is hashed with Argon2id (argon2-cffi's :class:`~argon2.PasswordHasher`, its default
RFC 9106 parameters); the stored string carries the parameters and the salt, so that the cost can be
raised later without breaking stored hashes. Hashes that earlier versions made with scrypt
(``scrypt$n$r$p$salt$key``) still verify, and :func:`needs_rehash` says to replace them at the next
successful log-in. A token secret or a session id is random (256 bits) and is stored as its SHA-256
only: a fast hash is enough for a secret that cannot be guessed.

>>> stored = hash_password("correct horse")
>>> stored.startswith("$argon2id$"), needs_rehash(stored)
(True, False)
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
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ARGON2_MARK = "$argon2"
SCRYPT_SCHEME = "scrypt"
SCHEME = "argon2id"  # what new hashes use
# The scrypt parameters of the hashes earlier versions wrote (read only, never written now).
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# Larger than any cost we accept, smaller than what a hostile stored string could ask for.
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024

TOKEN_MARK = "sc_"  # lets secret scanners and people recognise a salescore token
TOKEN_PREFIX_CHARS = 8


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=MAX_SCRYPT_MEMORY
    )


def hash_password(password: str) -> str:
    """A new salted Argon2id hash of ``password`` (the PHC string, ``$argon2id$v=19$...``)."""
    return _hasher().hash(password)


def scrypt_hash(password: str) -> str:
    """A salted scrypt hash as earlier versions stored it: only to test reading old hashes."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return f"{SCRYPT_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def _scrypt_matches(stored: str, password: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCRYPT_SCHEME:
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


def password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from; ``False`` for any malformed hash.

    Reads Argon2 and the older scrypt hashes. A missing or unreadable hash never matches: it must
    not lock the caller out with an exception, nor let anyone in.
    """
    if not stored:
        return False
    if stored.startswith(ARGON2_MARK):
        try:
            return _hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    return _scrypt_matches(stored, password)


def needs_rehash(stored: str | None) -> bool:
    """Whether a hash that just matched should be replaced: any scrypt hash, or an Argon2 hash
    made with other parameters than today's."""
    if not stored or not stored.startswith(ARGON2_MARK):
        return True
    try:
        return _hasher().check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def hash_scheme(stored: str | None) -> str | None:
    """The scheme of a stored hash (``argon2id``, ``scrypt``), for the audit log; never the hash."""
    if not stored:
        return None
    if stored.startswith(ARGON2_MARK):
        return stored.split("$")[1]
    return stored.split("$", 1)[0]


def new_token_secret() -> str:
    """A fresh API token secret: ``sc_`` and 43 URL-safe characters (256 random bits)."""
    return TOKEN_MARK + secrets.token_urlsafe(32)


def new_session_id() -> str:
    """A fresh web session id: 43 URL-safe characters (256 random bits)."""
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    """A fresh CSRF token for one web session (256 random bits)."""
    return secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    """The hex SHA-256 of a token secret or session id: what the store keeps and looks up by."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_prefix(secret: str) -> str:
    """The first characters of a secret, kept in clear so that a person can tell tokens apart."""
    return secret[:TOKEN_PREFIX_CHARS]
