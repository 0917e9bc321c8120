"""One generated small organisation per locale, shared by every demo test (generation is ~1 s)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from salescore.demo import DemoConfig, DemoData, collect, generate, rep_traits

END = date(2026, 10, 31)  # a fixed end: the same rows on any day (the default is yesterday)
EN = DemoConfig(scale="small", seed=42, locale="en", end=END)
ZH = DemoConfig(scale="small", seed=42, locale="zh_CN", end=END)


@pytest.fixture(scope="session")
def small_en() -> DemoData:
    return collect(EN)


@pytest.fixture(scope="session")
def small_zh() -> DemoData:
    return collect(ZH)


@pytest.fixture(scope="session", params=["en", "zh_CN"])
def small(request: pytest.FixtureRequest) -> DemoData:
    """Each locale's small organisation in turn."""
    return request.getfixturevalue("small_en" if request.param == "en" else "small_zh")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def small_en_chunks() -> list[tuple[str, pa.Table]]:
    """The chunks of the English organisation in the order ``generate`` yields them."""
    return list(generate(EN))


@pytest.fixture(scope="session")
def traits_en() -> pa.Table:
    return rep_traits(EN)
