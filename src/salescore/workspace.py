"""The one entry point that the web app and the CLI call.

A workspace is a data folder (``./salescore-data``, ``--home`` or ``SALESCORE_HOME``) holding the
organisation's settings (``salescore.yaml``), the warehouse (``warehouse.duckdb``) and the app
store (``app.sqlite``), unless ``SALESCORE_WAREHOUSE_URL`` / ``SALESCORE_APP_DB_URL`` point
elsewhere.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(Path(d)) as ws:
...     ws.settings.organisation.timezone
'UTC'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from salescore.appstore.store import AppStore, sqlite_url
from salescore.core.periods import Calendar
from salescore.engine.warehouse import TableInfo, Warehouse
from salescore.model.tables import TABLES
from salescore.model.org import OrgSettings, load_settings, settings_path, write_settings

HOME_ENV = "SALESCORE_HOME"
WAREHOUSE_ENV = "SALESCORE_WAREHOUSE_URL"
APP_DB_ENV = "SALESCORE_APP_DB_URL"
DEFAULT_HOME = Path("salescore-data")


@dataclass(frozen=True, slots=True)
class Locations:
    """Where a workspace's settings and stores are."""

    home: Path
    warehouse_url: str
    app_db_url: str

    @classmethod
    def resolve(cls, home: Path | str | None = None) -> Locations:
        """``home`` if given, else ``$SALESCORE_HOME``, else ``./salescore-data``."""
        folder = Path(home or os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().absolute()
        warehouse = os.environ.get(WAREHOUSE_ENV) or f"duckdb:///{folder / 'warehouse.duckdb'}"
        app_db = os.environ.get(APP_DB_ENV) or sqlite_url(folder / "app.sqlite")
        return cls(folder, warehouse, app_db)


class Workspace:
    """An open workspace: settings, warehouse and app store together."""

    def __init__(self, locations: Locations, settings: OrgSettings, warehouse: Warehouse,
                 app: AppStore) -> None:
        self.locations = locations
        self.settings = settings
        self.warehouse = warehouse
        self.app = app

    @classmethod
    def open(cls, home: Path | str | None = None, *, read_only: bool = False) -> Workspace:
        """Open an initialised workspace; settings are validated, stores created if missing."""
        locations = Locations.resolve(home)
        settings = load_settings(locations.home)
        warehouse = Warehouse.open(locations.warehouse_url, read_only=read_only)
        try:
            if not read_only:
                warehouse.create_tables()
            app = AppStore.open(locations.app_db_url)
        except BaseException:
            warehouse.close()
            raise
        return cls(locations, settings, warehouse, app)

    @classmethod
    def init(cls, home: Path | str | None = None, settings: OrgSettings | None = None, *,
             overwrite: bool = False) -> Workspace:
        """Create the data folder, write ``salescore.yaml`` (kept if it exists unless
        ``overwrite``), create the warehouse tables and migrate the app store."""
        locations = Locations.resolve(home)
        locations.home.mkdir(parents=True, exist_ok=True)
        if overwrite or not settings_path(locations.home).exists():
            write_settings(locations.home, settings or OrgSettings())
        return cls.open(locations.home)

    def save_settings(self, settings: OrgSettings) -> None:
        write_settings(self.locations.home, settings)
        self.settings = settings

    @property
    def calendar(self) -> Calendar:
        org = self.settings.organisation
        return Calendar(timezone=org.timezone, fiscal_year_start_month=org.fiscal_year_start_month)

    @property
    def locale(self) -> str:
        return self.settings.organisation.locale

    def table_info(self) -> list[TableInfo]:
        return self.warehouse.table_info()

    def clear_warehouse(self) -> None:
        """Delete every row of every canonical table (the demo starts from empty)."""
        with self.warehouse.transaction():
            for declared in reversed(TABLES):
                self.warehouse.execute_sql(f"DELETE FROM {declared.name}")

    def close(self) -> None:
        try:
            self.warehouse.close()
        finally:
            self.app.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
