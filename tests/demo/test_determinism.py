"""Same config, same rows; another seed, other rows; nothing depends on the wall clock."""

from __future__ import annotations

from datetime import date

import pytest

from salescore.core.errors import ConfigError
from salescore.demo import DemoConfig, DemoData, collect, rep_traits, scale_spec
from salescore.model.tables import TABLE_NAMES


def test_same_seed_gives_identical_tables(small_en: DemoData) -> None:
    again = collect(small_en.config)
    for name in TABLE_NAMES:
        assert again[name].equals(small_en[name]), name
    assert rep_traits(small_en.config).equals(rep_traits(small_en.config))


def test_another_seed_gives_other_tables(small_en: DemoData) -> None:
    other = collect(DemoConfig(scale="small", seed=43, locale="en"))
    for name in TABLE_NAMES:
        if name in ("fx_rates", "teams"):
            continue
        assert not other[name].equals(small_en[name]), name
    # the shape of the organisation stays: the same team tree, the same number of reps
    assert other["teams"].equals(small_en["teams"])
    assert other["reps"].num_rows == small_en["reps"].num_rows == 50


def test_the_window_is_configurable() -> None:
    config = DemoConfig(end=date(2025, 6, 30), months=12)
    assert config.start == date(2024, 7, 1)
    data = collect(config)
    created = data["activities"].column("occurred_at").to_pylist()
    assert min(created).date() >= date(2024, 6, 30)  # local midnight in Berlin is 22:00 UTC
    assert max(created).date() <= date(2025, 6, 30)
    # half the months, about half the deals of the 24-month window
    assert 4_000 < data["opportunities"].num_rows < 7_000


def test_scales_grow() -> None:
    small, medium, large = (scale_spec(s) for s in ("small", "medium", "large"))
    assert (small.reps, small.opportunities, small.activities) == (50, 10_000, 150_000)
    assert (medium.reps, medium.opportunities, medium.activities) == (500, 500_000, 5_000_000)
    assert (large.reps, large.opportunities, large.activities) == (2_000, 5_000_000, 50_000_000)


def test_the_small_scale_lands_near_its_nominal_size(small_en: DemoData) -> None:
    assert small_en["reps"].num_rows == 50
    assert 9_500 < small_en["opportunities"].num_rows < 11_500
    assert 130_000 < small_en["activities"].num_rows < 170_000


@pytest.mark.parametrize("kwargs", [{"scale": "huge"}, {"locale": "fr"}, {"months": 2},
                                    {"seed": -1}])
def test_bad_configs_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        DemoConfig(**kwargs)  # type: ignore[arg-type]
