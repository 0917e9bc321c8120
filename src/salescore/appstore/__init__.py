"""The app store: what the application itself owns (users, API tokens, web sessions and log-in
attempts, plans and their versions, import runs, quality reports, the audit log), in SQLite or
PostgreSQL through SQLAlchemy 2, with Alembic migrations shipped in ``migrations/``.

The warehouse (the canonical facts) is elsewhere: see :mod:`salescore.engine`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salescore.core.lazy import lazy_exports

if TYPE_CHECKING:  # the same names, for type checkers and the import contracts
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

# name → the module that defines it, imported on first use (a command that reads scores
# needs neither the password hashing of users nor the plans)
_WHERE = {
    "APP_DB_FILE": ("salescore.appstore.store", "APP_DB_FILE"),
    "IMPORT_STATUSES": ("salescore.appstore.models", "IMPORT_STATUSES"),
    "PLAN_STATUSES": ("salescore.appstore.models", "PLAN_STATUSES"),
    "ROLES": ("salescore.appstore.models", "ROLES"),
    "UNSET": ("salescore.appstore.users", "UNSET"),
    "ApiToken": ("salescore.appstore.models", "ApiToken"),
    "AppStore": ("salescore.appstore.store", "AppStore"),
    "AuditEntry": ("salescore.appstore.models", "AuditEntry"),
    "Base": ("salescore.appstore.models", "Base"),
    "ImportRun": ("salescore.appstore.models", "ImportRun"),
    "ImportStatus": ("salescore.appstore.models", "ImportStatus"),
    "LoginAttempt": ("salescore.appstore.models", "LoginAttempt"),
    "Plan": ("salescore.appstore.models", "Plan"),
    "PlanError": ("salescore.appstore.plans", "PlanError"),
    "PlanStatus": ("salescore.appstore.models", "PlanStatus"),
    "PlanVersion": ("salescore.appstore.models", "PlanVersion"),
    "QualityReport": ("salescore.appstore.models", "QualityReport"),
    "Role": ("salescore.appstore.models", "Role"),
    "User": ("salescore.appstore.models", "User"),
    "UserError": ("salescore.appstore.users", "UserError"),
    "WebSession": ("salescore.appstore.models", "WebSession"),
    "active_admins": ("salescore.appstore.users", "active_admins"),
    "add_plan_version": ("salescore.appstore.plans", "add_plan_version"),
    "adopt_plan_version": ("salescore.appstore.plans", "adopt_plan_version"),
    "audit_entries": ("salescore.appstore.audit", "audit_entries"),
    "authenticate": ("salescore.appstore.users", "authenticate"),
    "create_plan": ("salescore.appstore.plans", "create_plan"),
    "create_user": ("salescore.appstore.users", "create_user"),
    "decoy_verification": ("salescore.appstore.users", "decoy_verification"),
    "default_url": ("salescore.appstore.store", "default_url"),
    "document_checksum": ("salescore.appstore.plans", "document_checksum"),
    "find_plan": ("salescore.appstore.plans", "find_plan"),
    "find_token": ("salescore.appstore.users", "find_token"),
    "find_user": ("salescore.appstore.users", "find_user"),
    "find_user_by_login": ("salescore.appstore.users", "find_user_by_login"),
    "issue_token": ("salescore.appstore.users", "issue_token"),
    "list_tokens": ("salescore.appstore.users", "list_tokens"),
    "list_users": ("salescore.appstore.users", "list_users"),
    "record_audit": ("salescore.appstore.audit", "record_audit"),
    "revoke_token": ("salescore.appstore.users", "revoke_token"),
    "set_password": ("salescore.appstore.users", "set_password"),
    "sqlite_url": ("salescore.appstore.store", "sqlite_url"),
    "update_user": ("salescore.appstore.users", "update_user"),
    "user_for_token": ("salescore.appstore.users", "user_for_token"),
    "utcnow": ("salescore.appstore.timestamps", "utcnow"),
    "verify_password": ("salescore.appstore.users", "verify_password"),
}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())

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
