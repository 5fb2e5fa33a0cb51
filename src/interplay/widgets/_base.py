"""The project's base widget: bundled ESM from ``static/``, and no unknown keyword arguments."""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget

STATIC = pathlib.Path(__file__).resolve().parents[1] / "static"


def bundle(name: str) -> pathlib.Path | str:
    """The built JS module for a view. When the front end was never built, a module that shows
    how to build it in place of the view (so importing interplay still works)."""
    path = STATIC / f"{name}.js"
    if path.exists():
        return path
    message = (
        f"interplay: the front-end bundle {path.name} is missing. Build it with `npm install && "
        "npm run build` (or `make build`) in the repository, or install interplay from a wheel."
    )
    return (
        "export default { render({ el }) { const p = document.createElement('pre'); "
        f"p.className = 'interplay-error'; p.textContent = {message!r}; el.appendChild(p); }} }};"
    )


class BaseWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """Rejects keyword arguments that are not traits, instead of silently ignoring a typo."""

    def __init__(self, **kwargs: Any) -> None:
        unknown = [k for k in kwargs if not self.has_trait(k)]
        if unknown:
            allowed = sorted(n for n in self.trait_names(sync=True) if not n.startswith("_"))
            raise TypeError(f"{type(self).__name__} got unexpected argument(s) {unknown}; it takes {allowed}")
        super().__init__(**kwargs)
