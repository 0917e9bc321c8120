"""Webhook URLs and signing secrets encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key is ``SALESCORE_SECRET_KEY`` (a Fernet key, urlsafe base64 of 32 bytes) when set, else
the data folder's ``secret.key``, made on first use and readable by its owner alone. Losing the
key loses the stored URLs and secrets (enter them again); nothing else depends on it.

>>> vault = Vault(Fernet.generate_key())
>>> token = vault.encrypt("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
>>> b"abc" in token, vault.decrypt(token).endswith("key=abc")
(False, True)
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from salescore.core.errors import ConfigError

__all__ = ["KEY_ENV", "KEY_FILE", "Vault"]

KEY_ENV = "SALESCORE_SECRET_KEY"
KEY_FILE = "secret.key"


class Vault:
    """Encrypts and decrypts with one Fernet key."""

    def __init__(self, key: bytes | str) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(f"{KEY_ENV} is not a Fernet key (32 bytes, urlsafe base64)",
                              message_zh=f"{KEY_ENV} 不是有效的 Fernet 密钥") from None

    @classmethod
    def for_home(cls, home: Path) -> Vault:
        """The vault of data folder ``home``: the key from the environment, else its file."""
        key = os.environ.get(KEY_ENV)
        if key:
            return cls(key.encode())
        path = home / KEY_FILE
        if not path.exists():
            home.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise ConfigError("a stored webhook URL or secret cannot be decrypted with this "
                              "key: enter the channel again",
                              message_zh="无法用当前密钥解密已存的 Webhook 地址或密钥：请重新"
                                         "录入该渠道") from None

    def __repr__(self) -> str:
        return "Vault(<key hidden>)"
