"""The bounded map every in-process cache keeps its answers in."""

from __future__ import annotations

import threading

import pytest

from salescore.core.lru import MISSING, Lru


def test_the_least_recently_used_goes_first() -> None:
    kept = Lru[str, int](3)
    for i, key in enumerate("abc"):
        kept.put(key, i)
    assert kept.get("a") == 0  # read: now the most recently used
    kept.put("d", 3)
    assert kept.keys() == ["c", "a", "d"]
    kept.put("c", 9)  # put again: the newest, the value replaced
    kept.put("e", 4)
    assert kept.keys() == ["d", "c", "e"]
    assert kept.get("c") == 9 and "a" not in kept and len(kept) == 3


def test_a_kept_none_is_told_from_nothing_kept() -> None:
    kept = Lru[str, int | None](2)
    kept.put("none", None)
    assert kept.get("none", MISSING) is None
    assert kept.get("other", MISSING) is MISSING
    assert kept.get("other") is None
    kept.pop("none")
    kept.pop("never")
    assert kept.get("none", MISSING) is MISSING


def test_it_keeps_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Lru(0)


def test_threads_putting_and_reading_keep_it_bounded() -> None:
    kept = Lru[int, int](50)

    def work(start: int) -> None:
        for i in range(start, start + 2000):
            kept.put(i % 120, i)
            kept.get((i * 7) % 120)

    threads = [threading.Thread(target=work, args=(n * 1000,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kept) == 50 == len(set(kept.keys()))
    kept.clear()
    assert len(kept) == 0
