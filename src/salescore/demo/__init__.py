"""The synthetic demo organisation: realistic, deterministic, with planted effects to recover.

``salescore demo`` calls :func:`generate` (into the warehouse) or :func:`write_parquet`. Every
planted effect and its size is documented in ``docs/demo.md``; the numbers live in
:mod:`salescore.demo.params`.

>>> config = DemoConfig(scale="small", seed=7, locale="zh_CN")
>>> demo_settings(config).organisation.currency
'CNY'
"""

from __future__ import annotations

from salescore.demo.arrays import arrow_schema
from salescore.demo.config import DemoConfig, Scale, ScaleSpec, scale_spec
from salescore.demo.generator import (
    CHUNK_ROWS,
    DemoData,
    Progress,
    collect,
    demo_settings,
    generate,
    rep_traits,
    write_parquet,
)

__all__ = [
    "CHUNK_ROWS",
    "DemoConfig",
    "DemoData",
    "Progress",
    "Scale",
    "ScaleSpec",
    "arrow_schema",
    "collect",
    "demo_settings",
    "generate",
    "rep_traits",
    "scale_spec",
    "write_parquet",
]
