"""The web server and REST API (FastAPI): :func:`create_app`; started by ``salescore serve``.

It imports only :mod:`salescore.workspace` and :mod:`salescore.core` (an import-linter
contract): every read goes through ``ws.session(scope)``, the scope made from the signed-in
user's role (:meth:`salescore.core.access.Principal.scope`).
"""

from __future__ import annotations

from salescore.app.main import API_PREFIX, create_app, create_app_from_env
from salescore.app.settings import AppSettings

__all__ = ["API_PREFIX", "AppSettings", "create_app", "create_app_from_env"]
