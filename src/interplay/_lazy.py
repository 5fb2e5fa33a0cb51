"""Module attributes imported on first use (so that importing a package stays cheap).

``__getattr__, __dir__ = lazy(__name__, globals(), {"name": "module.path", ...})`` in a package's
``__init__``: ``package.name`` imports ``module.path`` the first time and caches the attribute.
A value of ``"module.path:attr"`` takes ``attr`` from the module under another name; a value ending
in ``":"`` gives the module itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy(package: str, namespace: dict[str, Any], table: Mapping[str, str]
         ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    def __getattr__(name: str) -> Any:
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attr = table[name].partition(":")
        module = importlib.import_module(module_name)
        value = module if table[name].endswith(":") else getattr(module, attr or name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
