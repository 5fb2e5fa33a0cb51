"""The project's base widget: bundled ESM from ``static/``, no unknown keyword arguments, and
edits from the page that fail validation refused (the good value is sent back) instead of lost in
a log."""

from __future__ import annotations

import logging
import pathlib
from typing import Any, TypeVar

import anywidget
import traitlets

from interplay._deprecation import warn
from interplay.errors import NeedsModelError, ViewError
from interplay.widgets._image import ImageExport

T = TypeVar("T")
STATIC = pathlib.Path(__file__).resolve().parents[1] / "static"
log = logging.getLogger("interplay")


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


def view_input(data: Any, source: Any, kind: type[T], view: str, hint: str) -> tuple[T, Any]:
    """The data (and source) a view was given. An old-style result object (``XView(result)``) is
    unwrapped for one release, with a DeprecationWarning; anything else raises, naming what the
    view shows and how to make it (``hint``)."""
    if not isinstance(data, kind) and isinstance(getattr(data, "data", None), kind) and hasattr(data, "session"):
        warn(f"{view}(result)", f"result.show() or {view}(result.data, result.session)", stacklevel=4)
        data, source = data.data, (data.session if source is None else source)
    if not isinstance(data, kind):
        raise ViewError(f"{view} shows a {kind.__name__} (result.data), not a {type(data).__name__}; {hint}")
    return data, source


def needs_model(what: str, hint: str) -> NeedsModelError:
    """The error a view without a source answers a drill-down with (shown in the view)."""
    return NeedsModelError(f"{what} needs a live model, and this view has none (it shows saved data). {hint}")


class BaseWidget(ImageExport, anywidget.AnyWidget):  # type: ignore[misc]
    """Rejects keyword arguments that are not traits, instead of silently ignoring a typo; every
    view has ``save_image(path, scale=2)`` (``_image.py``)."""

    def __init__(self, **kwargs: Any) -> None:
        unknown = [k for k in kwargs if not self.has_trait(k)]
        if unknown:
            allowed = sorted(n for n in self.trait_names(sync=True) if not n.startswith("_"))
            raise TypeError(f"{type(self).__name__} got unexpected argument(s) {unknown}; it takes {allowed}")
        super().__init__(**kwargs)
        self._init_image_export()

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Edits from the view: each one that fails validation is refused (the good value goes back
        to the view, and ``error`` says why when the view has that trait); the rest are applied."""
        good: dict[str, Any] = {}
        refused: list[str] = []
        for name, value in sync_data.items():
            if name not in self.keys:
                continue
            trait = self.traits()[name]
            try:
                from_json = trait.metadata.get("from_json", self._trait_from_json)
                trait._validate(self, from_json(value, self))
            except (traitlets.TraitError, ValueError, TypeError) as exc:
                refused.append(name)
                log.warning("interplay: %s.%s: edit from the view refused: %s", type(self).__name__, name, exc)
                if self.has_trait("error") and name != "error":
                    self.error = f"edit refused: {exc}"
                continue
            good[name] = value
        if good:
            super().set_state(good)
        for name in refused:
            self.send_state(name)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget's output, after an output of its own holding its saved view (``_fallback``):
        what a saved notebook shows once the kernel is gone."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            from interplay.widgets._fallback import display_fallback

            display_fallback(self)
        return bundle

    def to_html(self, path: Any = None, *, title: str | None = None, **embed: Any) -> Any:
        """This view as one self-contained HTML file (no network; opens from ``file://``): writes
        ``path`` and returns it, or returns the HTML text when ``path`` is None. ``embed``: what the
        view puts in the file beyond its state (see the view's ``_html_embed``, e.g. an
        AttentionView's ``heads=``)."""
        from interplay.widgets import _html

        text = _html.page([self], title=title if title is not None else (getattr(self, "title", "") or
                                                                          type(self).__name__),
                          options={0: embed})
        return text if path is None else _html.write_text_atomic(path, text)

    def _html_embed(self, **options: Any) -> Any:
        """What an exported file embeds beside the state (``_html.Embed``); this view takes no options."""
        from interplay.widgets._html import Embed

        if options:
            raise TypeError(f"{type(self).__name__}.to_html got unexpected option(s) {sorted(options)}; "
                            "it takes path and title")
        return Embed()
