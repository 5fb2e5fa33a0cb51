"""The saved view each displayed view writes into the notebook (widgets/_fallback.py), at the Python
level: what the output holds, its picture arriving after the cell, and the switch. The browser
cases (JupyterLab reopened, nbconvert, no JavaScript) are in tests/e2e/test_saved_notebook_e2e.py."""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.errors import ViewError
from interplay.widgets import _fallback, _image
from tests.widgets.test_html_export import payload_of
from tests.widgets.test_save_image import Wire as Page
from tests.widgets.test_save_image import tiny_png


def heatmap() -> Any:
    return interplay.TokenHeatmapView.from_arrays(["</script>", "b"], np.array([1.0, 2.0], np.float32))


def test_the_saved_view_holds_the_views_file_hidden_and_a_script() -> None:
    view = heatmap()
    text = _fallback.fallback_html(view)
    mid = view.model_id
    assert f'data-interplay-fallback="{mid}" style="display:none"' in text
    srcdoc = re.search(r'data-srcdoc="([^"]*)"', text)
    assert srcdoc is not None and "srcdoc=" not in text.replace("data-srcdoc=", "")  # loads only when revealed
    page = html.unescape(srcdoc.group(1))
    spec = payload_of(page)["views"][0]
    assert spec["kind"] == "TokenHeatmapView" and spec["state"]["tokens"] == ["</script>", "b"]
    script = text.split("<script>", 1)[1]
    assert script.count("</script>") == 1 and mid in script  # the token cannot end the script early
    assert "<h1" not in page  # compact: no page title in a notebook


def test_attention_saved_views_embed_a_smaller_budget() -> None:
    from tests.widgets.test_html_export import causal_patterns

    view = interplay.AttentionView.from_arrays([f"t{i}" for i in range(768)], causal_patterns(4, 4, 768),
                                               selected={"layer": 2, "head": 3})
    found = re.search(r'data-srcdoc="([^"]*)"', _fallback.fallback_html(view))
    assert found is not None
    page = html.unescape(found.group(1))
    heads = payload_of(page)["views"][0]["heads"]
    full = payload_of(view.to_html())["views"][0]["heads"]
    assert "2/3" in heads["keys"] and sum(len(b["b64"]) for b in heads["buffers"]) <= _fallback.ATTENTION_BYTES
    assert len(heads["keys"]) < len(full["keys"])


def test_the_picture_arrives_after_the_cell_and_updates_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a kernel: the saved view is displayed with a display id, a settled PNG is asked for, and
    the view's answer updates that output with the picture in front (hidden where scripts run)."""
    shown: list[tuple[dict[str, Any], dict[str, Any]]] = []

    class Handle:
        def update(self, obj: dict[str, Any], raw: bool = False) -> None:
            shown.append(({"update": True}, obj))

    def display(obj: dict[str, Any], raw: bool = False, display_id: Any = None) -> Handle:
        shown.append(({"display_id": display_id}, obj))
        return Handle()

    monkeypatch.setattr(_fallback, "_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", display)
    view = heatmap()
    page = Page(view)
    _fallback.display_fallback(view)
    assert shown[0][0] == {"display_id": True} and "data-interplay-fallback" in shown[0][1]["text/html"]
    [request] = page.requests()
    assert request["format"] == "png" and request["scale"] == 1 and request["settle"] is True
    png = tiny_png(30, 10)
    page.answer(request, png)
    assert shown[1][0] == {"update": True}
    updated = shown[1][1]["text/html"]
    assert updated.startswith(f'<img data-interplay-picture="{view.model_id}"') and updated.endswith(
        shown[0][1]["text/html"])
    assert "pic.style.display = 'none'" in updated  # the script hides the picture where it runs


def test_save_image_requests_do_not_settle() -> None:
    view = heatmap()
    page = Page(view)
    page.show()
    view.save_image("x.png")
    assert "settle" not in page.requests()[0]


def test_switch_and_no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: called.append(a))
    _fallback.display_fallback(heatmap())  # not in a kernel: nothing
    monkeypatch.setattr(_fallback, "_kernel", lambda: True)
    interplay.set_static_fallback(False)
    try:
        _fallback.display_fallback(heatmap())
    finally:
        interplay.set_static_fallback(True)
    assert called == []
    with pytest.raises(ViewError, match="True or False"):
        interplay.set_static_fallback("no")  # type: ignore[arg-type]
    assert _image.REQUEST == "interplay:snapshot"
