"""A bounded map that forgets the least recently used entry first, safe to share between
threads: what every in-process cache of salescore keeps its answers in (compiled queries,
KPI tables, page views, API answers).

>>> kept = Lru[str, int](2)
>>> kept.put("a", 1); kept.put("b", 2)
>>> kept.get("a")           # "a" is now the most recently used
1
>>> kept.put("c", 3)        # so "b" goes
>>> kept.get("b") is None, len(kept)
(True, 2)
>>> kept.get("b", MISSING) is MISSING   # tells a kept None from nothing kept
True
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

__all__ = ["MISSING", "Lru"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MISSING: Any = object()
"""What :meth:`Lru.get` gives for a key not kept, when asked to tell it from a kept ``None``."""


class Lru(Generic[K, V]):
    """At most ``size`` values by key; reading or putting a key makes it the most recently
    used, and putting beyond ``size`` drops the least recently used."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"an Lru keeps at least one entry, not {size}")
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, default: Any = None) -> Any:
        """The value kept under ``key`` (now the most recently used), else ``default``."""
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key`` as the most recently used."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        """Forget ``key`` (nothing happens if it is not kept)."""
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def keys(self) -> list[K]:
        """The keys kept, least recently used first (a copy)."""
        with self._lock:
            return list(self._data)
