"""Package exports imported on first use, so that a command imports only what it uses.

>>> __getattr__, __dir__ = lazy_exports("pkg", {"sqrt": ("math", "sqrt")}, {})
>>> __getattr__("sqrt")(9.0)
3.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: Mapping[str, tuple[str, str]], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package``: name → (module, attribute),
    imported on first use, then kept in ``namespace`` (the package's ``globals()``)."""

    def __getattr__(name: str) -> Any:
        try:
            module, attr = where[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(import_module(module), attr)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
