"""The canonical warehouse tables and the organisation's settings, each declared once."""

from __future__ import annotations

from salescore.model.tables import TABLES, Column, DataType, Table, table

__all__ = ["TABLES", "Column", "DataType", "Table", "table"]
