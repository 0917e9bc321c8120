"""The Alembic environment of the app store.

:meth:`salescore.appstore.store.AppStore.upgrade` runs it with an open connection in
``config.attributes["connection"]``; the ``alembic`` command line works too, given
``sqlalchemy.url``. SQLite runs in batch mode, so that later migrations can alter tables that
SQLite cannot ALTER (Alembic copies and swaps them).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from salescore.appstore.models import full_metadata

target_metadata = full_metadata()


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Write the migrations as SQL (``alembic upgrade --sql``) for a DBA to read and run."""
    url = context.config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=bool(url and url.startswith("sqlite")),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the caller's connection, or through a new one to ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or pass a connection in config.attributes")
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as new_connection:
            _configure_and_run(new_connection)
            new_connection.commit()
    finally:
        engine.dispose()


# Alembic executes this file with its context set up; anything else (pytest's doctest collection,
# an editor) only imports it, and must not try to migrate.
if getattr(context, "_proxy", None) is not None:
    if context.is_offline_mode():
        run_offline()
    else:
        run_online()
