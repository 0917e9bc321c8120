"""The demo organisation's names for callers of the workspace, imported only when the demo is
wanted (the generator brings Faker and NumPy, which other commands do not need)."""

from __future__ import annotations

from salescore.demo import DemoConfig, demo_settings, write_parquet

__all__ = ["DemoConfig", "demo_settings", "write_parquet"]
