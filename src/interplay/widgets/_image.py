"""``view.save_image(path, scale=2)``: an image of what a shown view shows now (its twin is
``js/lib/save_image.ts``; the picture itself is made by ``js/lib/snapshot.ts``).

The image comes from the browser, because only the page knows the view's current state (zoom,
scroll, the head in the detail pane, hover-free). Python sends the shown view(s) a custom message
``{"type": "interplay:snapshot", "id", "format", "scale"}``; a view answers with
``{"type": "interplay:snapshot-result", "id", "ok", ...}`` and the file's bytes as a binary buffer,
and Python writes the file atomically (a temporary file in the same folder, then a rename).

The kernel reads that answer only once the cell that asked has finished (it handles one message at
a time), so ``save_image`` cannot wait for it: it returns an :class:`ImageRequest` at once, which
says whether the file has been written (``done``, ``ok``, ``error``, its repr; ``result()`` gives
the path or raises why not; ``add_done_callback(fn)``). A view that is not shown anywhere yet keeps
the request pending: it is sent again when a view of this widget is rendered, and the file is
written when that view answers. Each rendered view announces itself
(``{"type": "interplay:snapshot-view", "event": "shown" | "hidden"}``), which is how the repr
knows how many views were asked.
"""

from __future__ import annotations

import math
import numbers
import os
import pathlib
import struct
import tempfile
import uuid
from collections.abc import Callable
from typing import Any

from interplay.errors import ViewError

REQUEST = "interplay:snapshot"
RESULT = "interplay:snapshot-result"
VIEW = "interplay:snapshot-view"
FORMATS = {".svg": "svg", ".png": "png"}
MAX_SCALE = 8
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_format(path: pathlib.Path) -> str:
    """``"svg"`` or ``"png"`` from the path's suffix; anything else raises ViewError."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        accepted = ", ".join(repr(s) for s in FORMATS)
        shown = repr(path.suffix) if path.suffix else "no suffix"
        raise ViewError(f"save_image: path {str(path)!r} has {shown}; the format comes from the suffix, "
                        f"accepted: {accepted}")
    return fmt


def check_scale(scale: Any) -> float:
    """A positive, finite number of at most MAX_SCALE device pixels per CSS pixel."""
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not math.isfinite(float(scale)) \
            or not 0 < float(scale) <= MAX_SCALE:
        raise ViewError(f"save_image: scale must be a number in (0, {MAX_SCALE}] (device pixels per CSS pixel), "
                        f"not {scale!r}")
    return float(scale)


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header (None if ``data`` is not a PNG)."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def write_bytes_atomic(path: pathlib.Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder (never half a file)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


class ImageRequest:
    """A ``save_image`` in flight: the file is written when a shown view answers, which happens after
    the cell that asked has finished. ``done`` / ``ok`` / ``error`` / ``result()`` say how it went."""

    def __init__(self, path: pathlib.Path, fmt: str, scale: float, request_id: str, owner: str,
                 sink: Callable[[bytes], None] | None = None) -> None:
        self.path = path
        #: where the bytes go instead of ``path`` (the saved view's picture in the notebook)
        self.sink = sink
        #: the view answers once its own requests to Python have settled (a picture "as shown")
        self.settle = sink is not None
        self.format = fmt
        self.scale = scale
        self.id = request_id
        self.owner = owner
        self.state = "pending"
        self.error: ViewError | None = None
        self.width: int | None = None
        self.height: int | None = None
        self.css_size: tuple[float, float] | None = None
        self.notes: list[str] = []
        self.views_asked = 0
        self._callbacks: list[Callable[[ImageRequest], None]] = []

    @property
    def done(self) -> bool:
        """True once the file is written or the request failed."""
        return self.state != "pending"

    @property
    def ok(self) -> bool:
        """True once the file is written."""
        return self.state == "written"

    def result(self) -> pathlib.Path:
        """The written file's path; raises the error if it failed, or ViewError while pending."""
        if self.error is not None:
            raise self.error
        if not self.ok:
            raise ViewError(f"{self.path.name} is not written yet: {self._pending_reason()}")
        return self.path

    def add_done_callback(self, fn: Callable[[ImageRequest], None]) -> None:
        """Call ``fn(request)`` when the file is written or the request fails (now, if it is done)."""
        if self.done:
            fn(self)
        else:
            self._callbacks.append(fn)

    def _pending_reason(self) -> str:
        if self.views_asked == 0:
            return (f"the {self.owner} is not shown anywhere yet; display it (the request is sent again when "
                    "it is rendered, and the file is written when the view answers)")
        views = "view" if self.views_asked == 1 else "views"
        return (f"sent to {self.views_asked} shown {views}; the file is written when one answers, after the "
                "cell that asked has finished")

    def _finish(self, state: str, error: ViewError | None = None) -> None:
        self.state = state
        self.error = error
        for fn in self._callbacks:
            fn(self)
        self._callbacks.clear()

    def __repr__(self) -> str:
        head = f"ImageRequest({str(self.path)!r}, {self.format} at {self.scale:g}x)"
        if self.state == "pending":
            return f"{head}: pending: {self._pending_reason()}"
        if self.error is not None:
            return f"{head}: failed: {self.error}"
        size = f"{self.width} x {self.height} px" if self.width is not None else "written"
        css = f" ({self.css_size[0]:g} x {self.css_size[1]:g} CSS px)" if self.css_size else ""
        notes = f"; {'; '.join(self.notes)}" if self.notes else ""
        return f"{head}: written, {size}{css}{notes}"


class ImageExport:
    """Mixed into the base widget: ``save_image`` and the messages that answer it."""

    _image_views: set[str]
    _image_pending: dict[str, ImageRequest]
    comm: Any
    send: Callable[..., None]
    on_msg: Callable[..., None]

    def _init_image_export(self) -> None:
        self._image_views = set()
        self._image_pending = {}
        self.on_msg(self._on_image_msg)

    def save_image(self, path: str | os.PathLike[str], scale: float = 2) -> ImageRequest:
        """Save what the shown view shows now (selection, zoom, scroll, sort, the head in the detail
        pane) as an SVG or PNG file, chosen by the suffix of ``path``; ``scale`` is device pixels per
        CSS pixel (a PNG of a 600 x 300 view at ``scale=2`` is 1200 x 600 px; an SVG opens at that size
        and holds the view's canvases at that resolution).

        The view must be shown in a notebook: the picture comes from the page. The file is written
        when the view answers, which is after the current cell has finished, so this returns an
        :class:`ImageRequest` at once: its repr, ``done``, ``ok`` and ``result()`` say when the file is
        there (check it in a later cell); a view not shown yet is asked once it is rendered.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise ViewError(f"save_image: path must be a str or os.PathLike ending in .svg or .png, "
                            f"not {type(path).__name__}")
        target = pathlib.Path(os.fspath(path)).expanduser()
        fmt = image_format(target)
        value = check_scale(scale)
        target = target.resolve()
        if target.is_dir():
            raise ViewError(f"save_image: {target} is a folder; give the path of a .svg or .png file")
        if not target.parent.is_dir():
            raise ViewError(f"save_image: cannot write {target}: the folder {target.parent} does not exist")
        if getattr(self, "comm", None) is None:
            raise ViewError(f"save_image: this {type(self).__name__} was closed; it has no view to draw the image")
        request = ImageRequest(target, fmt, value, uuid.uuid4().hex, type(self).__name__)
        self._image_pending[request.id] = request
        request.views_asked = len(self._image_views)
        self._send_image_request(request)
        return request

    def _request_picture(self, sink: Callable[[bytes], None], scale: float = 1.0) -> ImageRequest:
        """A PNG of the shown view at ``scale``, handed to ``sink`` when a view answers (asked now,
        and again when a view is rendered)."""
        request = ImageRequest(pathlib.Path("picture.png"), "png", check_scale(scale), uuid.uuid4().hex,
                               type(self).__name__, sink=sink)
        self._image_pending[request.id] = request
        request.views_asked = len(self._image_views)
        self._send_image_request(request)
        return request

    def _send_image_request(self, request: ImageRequest) -> None:
        message = {"type": REQUEST, "id": request.id, "format": request.format, "scale": request.scale}
        self.send({**message, "settle": True} if request.settle else message)

    def _on_image_msg(self, _widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == VIEW:
            self._on_view_event(content)
        elif kind == RESULT:
            self._on_image_result(content, list(buffers or []))

    def _on_view_event(self, content: dict[str, Any]) -> None:
        view = str(content.get("view", ""))
        if content.get("event") == "hidden":
            self._image_views.discard(view)
            return
        if content.get("event") != "shown":
            return
        self._image_views.add(view)
        for request in list(self._image_pending.values()):  # asked before this view was rendered
            request.views_asked = len(self._image_views)
            self._send_image_request(request)

    def _on_image_result(self, content: dict[str, Any], buffers: list[Any]) -> None:
        request = self._image_pending.pop(str(content.get("id", "")), None)
        if request is None:  # another view answered first, or not ours
            return
        if content.get("ok") is not True:
            message = content.get("error") or "no reason given"
            request._finish("failed", ViewError(f"save_image: the view could not make {request.path.name}: {message}"))
            return
        data = bytes(buffers[0]) if buffers else b""
        problem = self._check_bytes(request, data)
        if problem:
            request._finish("failed", ViewError(f"save_image: the view's answer for {request.path.name} {problem}"))
            return
        try:
            if request.sink is not None:
                request.sink(data)
            else:
                write_bytes_atomic(request.path, data)
        except OSError as exc:
            request._finish("failed", ViewError(f"save_image: cannot write {request.path}: {exc}"))
            return
        size = png_size(data) if request.format == "png" else None
        width, height = size if size else (content.get("width"), content.get("height"))
        request.width = int(width) if isinstance(width, (int, float)) else None
        request.height = int(height) if isinstance(height, (int, float)) else None
        css_w, css_h = content.get("css_width"), content.get("css_height")
        if isinstance(css_w, (int, float)) and isinstance(css_h, (int, float)):
            request.css_size = (float(css_w), float(css_h))
        notes = content.get("notes")
        request.notes = [str(n) for n in notes] if isinstance(notes, list) else []
        request._finish("written")

    @staticmethod
    def _check_bytes(request: ImageRequest, data: bytes) -> str:
        if not data:
            return "held no bytes"
        if request.format == "png" and png_size(data) is None:
            return "is not a PNG file"
        if request.format == "svg" and not data.lstrip().startswith(b"<svg"):
            return "is not an SVG document"
        return ""
