"""``view.save_image(path, scale=2)`` (widgets/_image.py) without a browser: the message each view
sends, the file written atomically from a simulated answer arriving through the widget's comm, a
request made before any view was shown (sent again when one is), and every bad argument."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.errors import InterplayError, ViewError
from interplay.widgets import _image
from interplay.widgets._image import ImageRequest, png_size


def heatmap() -> Any:
    return interplay.TokenHeatmapView.from_arrays(["<b>", " the", "\n"], np.arange(6, dtype=np.float32).reshape(2, 3))


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00\xff" * width for _ in range(height))
    return (_image.PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Wire:
    """The widget's comm, both ways: what Python sent, and messages 'from the page'."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.sent: list[tuple[dict[str, Any], list[Any]]] = []
        view.comm.send = self._capture

    def _capture(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        if data.get("method") == "custom":
            self.sent.append((data["content"], list(buffers or [])))

    def requests(self) -> list[dict[str, Any]]:
        return [c for c, _ in self.sent if c.get("type") == _image.REQUEST]

    def from_page(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """Deliver a custom message as ipywidgets does when the page sends one."""
        self.view._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                               "buffers": [memoryview(b) for b in buffers or []]})

    def show(self, view_id: str = "v1") -> None:
        self.from_page({"type": _image.VIEW, "event": "shown", "view": view_id})

    def answer(self, request: dict[str, Any], data: bytes, **extra: Any) -> None:
        self.from_page({"type": _image.RESULT, "id": request["id"], "ok": True, "format": request["format"],
                        "css_width": 300, "css_height": 100, "notes": [], **extra}, [data])


VIEWS = ["TokenHeatmapView", "AttentionView", "LogitLensView", "DLAView", "AttributionView", "PatchingView",
         "CircuitView", "AnnotatorView"]


@pytest.mark.parametrize("name", VIEWS)
def test_every_view_has_save_image(name: str) -> None:
    cls = getattr(interplay, name)
    assert callable(cls.save_image)
    assert cls.save_image is interplay.TokenHeatmapView.save_image  # one implementation, not eight


def test_the_request_message_and_a_png_written_from_the_answer(tmp_path: Path) -> None:
    view = heatmap()
    wire = Wire(view)
    wire.show()
    req = view.save_image(tmp_path / "fig.png", scale=2)
    assert isinstance(req, ImageRequest)
    [msg] = wire.requests()
    assert msg == {"type": "interplay:snapshot", "id": req.id, "format": "png", "scale": 2.0}
    assert not req.done and not req.ok and req.error is None
    assert "pending" in repr(req) and "sent to 1 shown view" in repr(req)
    with pytest.raises(ViewError, match="not written yet"):
        req.result()
    assert not (tmp_path / "fig.png").exists()
    seen: list[ImageRequest] = []
    req.add_done_callback(seen.append)

    data = tiny_png(600, 200)
    wire.answer(msg, data, width=600, height=200, css_width=300, css_height=100)
    assert req.done and req.ok and seen == [req]
    assert (tmp_path / "fig.png").read_bytes() == data
    assert req.result() == (tmp_path / "fig.png").resolve()
    assert (req.width, req.height) == (600, 200)
    assert "written, 600 x 200 px (300 x 100 CSS px)" in repr(req)
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]  # no temporary file left behind
    # a second view's later answer to the same request changes nothing
    wire.answer(msg, tiny_png(1, 1))
    assert (tmp_path / "fig.png").read_bytes() == data


def test_an_svg_and_its_format_from_the_suffix(tmp_path: Path) -> None:
    view = heatmap()
    wire = Wire(view)
    wire.show()
    req = view.save_image(str(tmp_path / "fig.SVG"), scale=1.5)
    [msg] = wire.requests()
    assert (msg["format"], msg["scale"]) == ("svg", 1.5)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="450" height="150"></svg>'
    wire.answer(msg, svg, width=450, height=150, notes=["1 of 3 canvases could not be redrawn at 1.5x and are upscaled"])
    assert (tmp_path / "fig.SVG").read_bytes() == svg
    assert "upscaled" in repr(req)


def test_the_file_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "fig.png"
    target.write_bytes(b"the old figure")
    view = heatmap()
    wire = Wire(view)
    wire.show()
    req = view.save_image(target)
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        # at the moment of the rename the whole new file exists beside the old one, which is intact
        assert Path(src).parent == tmp_path and Path(src).read_bytes() == data
        assert target.read_bytes() == b"the old figure"
        replaced.append((src, dst))
        real_replace(src, dst)

    data = tiny_png(4, 2)
    monkeypatch.setattr(_image.os, "replace", spy)
    wire.answer(wire.requests()[0], data)
    assert len(replaced) == 1 and req.ok and target.read_bytes() == data

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_image.os, "replace", broken)
    req2 = view.save_image(target)
    wire.answer(wire.requests()[1], tiny_png(8, 8))
    assert req2.done and not req2.ok and isinstance(req2.error, ViewError) and "disk full" in str(req2.error)
    assert target.read_bytes() == data  # the earlier file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]  # the temporary file is removed
    with pytest.raises(ViewError, match="disk full"):
        req2.result()


def test_a_request_before_the_view_is_shown_is_sent_again_when_it_is(tmp_path: Path) -> None:
    view = heatmap()
    wire = Wire(view)
    req = view.save_image(tmp_path / "early.png")
    assert "not shown anywhere yet" in repr(req) and "display it" in repr(req)
    assert len(wire.requests()) == 1  # sent anyway (a view may be rendering right now)
    wire.show("v1")
    assert len(wire.requests()) == 2 and wire.requests()[1]["id"] == req.id
    assert "sent to 1 shown view" in repr(req)
    wire.answer(wire.requests()[1], tiny_png(2, 2))
    assert req.ok
    wire.show("v2")  # nothing pending: nothing sent again
    assert len(wire.requests()) == 2
    wire.from_page({"type": _image.VIEW, "event": "hidden", "view": "v1"})
    assert view._image_views == {"v2"}


def test_an_error_from_the_view_and_a_bad_answer_fail_clearly(tmp_path: Path) -> None:
    view = heatmap()
    wire = Wire(view)
    wire.show()
    req = view.save_image(tmp_path / "big.png", scale=8)
    wire.from_page({"type": _image.RESULT, "id": req.id, "ok": False, "error": "a 40000 x 800 px image is too large"})
    assert req.done and not req.ok and "too large" in str(req.error) and "failed" in repr(req)
    assert isinstance(req.error, InterplayError)
    req2 = view.save_image(tmp_path / "not.png")
    wire.answer(wire.requests()[1], b"<svg/>")
    assert "is not a PNG file" in str(req2.error)
    req3 = view.save_image(tmp_path / "empty.svg")
    wire.answer(wire.requests()[2], b"")
    assert "held no bytes" in str(req3.error)
    assert list(tmp_path.iterdir()) == []


def test_other_messages_are_ignored(tmp_path: Path) -> None:
    view = heatmap()
    wire = Wire(view)
    wire.from_page({"type": _image.RESULT, "id": "nobody-asked", "ok": True}, [b"x"])
    wire.from_page({"type": "interplay:request", "id": "r", "method": "nothing"})
    wire.from_page({"type": "something else"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path, match", [
    ("fig.jpg", r"has '\.jpg'.*accepted: '\.svg', '\.png'"),
    ("fig", r"has no suffix.*accepted: '\.svg', '\.png'"),
    ("fig.svg.gz", r"'\.gz'"),
])
def test_bad_suffix(tmp_path: Path, path: str, match: str) -> None:
    with pytest.raises(ViewError, match=match):
        heatmap().save_image(tmp_path / path)


@pytest.mark.parametrize("scale", [0, -1, 8.5, float("nan"), float("inf"), "2", True, None])
def test_bad_scale(tmp_path: Path, scale: Any) -> None:
    with pytest.raises(ViewError, match=r"scale must be a number in \(0, 8\] \(device pixels per CSS pixel\), not "):
        heatmap().save_image(tmp_path / "x.png", scale=scale)


def test_good_scales(tmp_path: Path) -> None:
    view = heatmap()
    for scale in (0.5, 1, 8, np.float32(3)):
        assert view.save_image(tmp_path / "x.png", scale=scale).scale == float(scale)


def test_bad_path_folder_and_closed_view(tmp_path: Path) -> None:
    view = heatmap()
    with pytest.raises(ViewError, match="does not exist"):
        view.save_image(tmp_path / "missing" / "x.png")
    (tmp_path / "d.png").mkdir()
    with pytest.raises(ViewError, match="is a folder"):
        view.save_image(tmp_path / "d.png")
    with pytest.raises(ViewError, match=r"must be a str or os\.PathLike"):
        view.save_image(42)  # type: ignore[arg-type]
    view.close()
    with pytest.raises(ViewError, match="was closed"):
        view.save_image(tmp_path / "x.png")


def test_png_size() -> None:
    assert png_size(tiny_png(7, 3)) == (7, 3)
    assert png_size(b"<svg/>") is None
