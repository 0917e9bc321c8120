"""The web server's own settings (not the organisation's: those are ``salescore.yaml``).

One class, read from the environment (``SALESCORE_``-prefixed) by :meth:`AppSettings.from_env`
or given to :func:`salescore.app.create_app` as it is.

>>> AppSettings().max_upload_bytes
104857600
>>> AppSettings.from_env({"SALESCORE_MAX_UPLOAD_MB": "5"}).max_upload_bytes
5242880
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AppSettings"]

_MB = 1 << 20


class AppSettings(BaseModel):
    """``max_upload_bytes``: the largest request body accepted (an import's file and mapping
    together), refused with 413 while it streams. ``secure_cookies``: always mark cookies
    Secure (behind a proxy that ends TLS); otherwise they are Secure when the request came over
    HTTPS. ``idle_minutes``: how long a signed-in browser session may stay unused (default:
    the accounts' own). ``uploads_kept``: keep uploaded files after their import.
    ``cache_seconds``: how long a read route's answer is kept at most (0: not at all; see
    :mod:`salescore.app.cache`): answers are keyed by the data stamp as well, so a change of
    data is never answered from before it; the time bounds only what another process changes
    that the stamp does not name (feedback written through another worker)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_upload_bytes: int = Field(default=100 * _MB, gt=0)
    secure_cookies: bool = False
    idle_minutes: int | None = Field(default=None, gt=0)
    uploads_kept: bool = False
    cache_seconds: float = Field(default=600, ge=0)
    today: date | None = None  # the day the pages take as today (tests, reproducible demos)
    nats_url: str | None = None  # consume events from NATS JetStream (issue 14) when set
    nats_subject: str = "salescore.events"
    nats_stream: str = "SALESCORE_EVENTS"
    nats_ack_wait: float = Field(default=30.0, gt=0)  # seconds before an unacked event is resent
    scheduler: bool = False  # alert checks, deliveries and reports on a schedule (issue 14)
    rescore_seconds: float = Field(default=2.0, ge=0)  # events re-score touched reps (0: off)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppSettings:
        """``SALESCORE_MAX_UPLOAD_MB``, ``SALESCORE_SECURE_COOKIES`` (1/true),
        ``SALESCORE_IDLE_MINUTES``, ``SALESCORE_KEEP_UPLOADS`` (1/true),
        ``SALESCORE_CACHE_SECONDS``, ``SALESCORE_TODAY`` (an ISO date), ``SALESCORE_NATS_URL``,
        ``SALESCORE_NATS_SUBJECT``, ``SALESCORE_NATS_STREAM`` and ``SALESCORE_NATS_ACK_WAIT``
        (seconds; events in),
        ``SALESCORE_SCHEDULER`` (1/true)."""
        env = os.environ if environ is None else environ
        data: dict[str, object] = {}
        if env.get("SALESCORE_MAX_UPLOAD_MB"):
            data["max_upload_bytes"] = int(float(env["SALESCORE_MAX_UPLOAD_MB"]) * _MB)
        if env.get("SALESCORE_SECURE_COOKIES"):
            data["secure_cookies"] = env["SALESCORE_SECURE_COOKIES"].lower() in ("1", "true",
                                                                                "yes")
        if env.get("SALESCORE_IDLE_MINUTES"):
            data["idle_minutes"] = int(env["SALESCORE_IDLE_MINUTES"])
        if env.get("SALESCORE_CACHE_SECONDS"):
            data["cache_seconds"] = float(env["SALESCORE_CACHE_SECONDS"])
        if env.get("SALESCORE_TODAY"):
            data["today"] = date.fromisoformat(env["SALESCORE_TODAY"])
        if env.get("SALESCORE_NATS_URL"):
            data["nats_url"] = env["SALESCORE_NATS_URL"]
        if env.get("SALESCORE_NATS_SUBJECT"):
            data["nats_subject"] = env["SALESCORE_NATS_SUBJECT"]
        if env.get("SALESCORE_NATS_STREAM"):
            data["nats_stream"] = env["SALESCORE_NATS_STREAM"]
        if env.get("SALESCORE_NATS_ACK_WAIT"):
            data["nats_ack_wait"] = float(env["SALESCORE_NATS_ACK_WAIT"])
        if env.get("SALESCORE_RESCORE_SECONDS"):
            data["rescore_seconds"] = float(env["SALESCORE_RESCORE_SECONDS"])
        if env.get("SALESCORE_SCHEDULER"):
            data["scheduler"] = env["SALESCORE_SCHEDULER"].lower() in ("1", "true", "yes")
        if env.get("SALESCORE_KEEP_UPLOADS"):
            data["uploads_kept"] = env["SALESCORE_KEEP_UPLOADS"].lower() in ("1", "true", "yes")
        return cls.model_validate(data)
