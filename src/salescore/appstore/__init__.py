"""The app store: what the application itself owns (users, API tokens, web sessions and log-in
attempts, plans and their versions, import runs, quality reports, the audit log), in SQLite or
PostgreSQL through SQLAlchemy 2, with Alembic migrations shipped in ``migrations/``.

The warehouse (the canonical facts) is elsewhere: see :mod:`salescore.engine`.
"""

from __future__ import annotations

from salescore.appstore import coaching as coaching  # its tables join Base.metadata
from salescore.appstore.audit import audit_entries, record_audit
from salescore.appstore.models import (
    IMPORT_STATUSES,
    PLAN_STATUSES,
    ROLES,
    ApiToken,
    AuditEntry,
    Base,
    ImportRun,
    ImportStatus,
    LoginAttempt,
    Plan,
    PlanStatus,
    PlanVersion,
    QualityReport,
    Role,
    User,
    WebSession,
)
from salescore.appstore.plans import (
    PlanError,
    add_plan_version,
    adopt_plan_version,
    create_plan,
    document_checksum,
    find_plan,
)
from salescore.appstore.store import APP_DB_FILE, AppStore, default_url, sqlite_url
from salescore.appstore.timestamps import utcnow
from salescore.appstore.users import (
    UNSET,
    UserError,
    active_admins,
    authenticate,
    create_user,
    decoy_verification,
    find_token,
    find_user,
    find_user_by_login,
    issue_token,
    list_tokens,
    list_users,
    revoke_token,
    set_password,
    update_user,
    user_for_token,
    verify_password,
)

__all__ = [
    "APP_DB_FILE",
    "IMPORT_STATUSES",
    "PLAN_STATUSES",
    "ROLES",
    "UNSET",
    "ApiToken",
    "AppStore",
    "AuditEntry",
    "Base",
    "ImportRun",
    "ImportStatus",
    "LoginAttempt",
    "Plan",
    "PlanError",
    "PlanStatus",
    "PlanVersion",
    "QualityReport",
    "Role",
    "User",
    "UserError",
    "WebSession",
    "active_admins",
    "add_plan_version",
    "adopt_plan_version",
    "audit_entries",
    "authenticate",
    "create_plan",
    "create_user",
    "decoy_verification",
    "default_url",
    "document_checksum",
    "find_plan",
    "find_token",
    "find_user",
    "find_user_by_login",
    "issue_token",
    "list_tokens",
    "list_users",
    "record_audit",
    "revoke_token",
    "set_password",
    "sqlite_url",
    "update_user",
    "user_for_token",
    "utcnow",
    "verify_password",
]
