"""FeatureView in real JupyterLab: the dashboard draws (histogram, token rows with the max token
centred, an `<img onerror>` token as text), arrow keys change ``feature`` in Python, scrolling the
examples to the bottom pages more in (and the "more" button pages past k from the source), a typed
label reaches Python and its file, and the Steer button shows the two generations from a fake
source. Without a source, steering says it needs a live model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import (
    ARTIFACTS,
    Lab,
    canvas_colours,
    error_outputs,
    open_and_run,
    python_state,
    write_notebook,
)

XSS = "<img src=x onerror=alert(1)>"
ROOT = ".interplay-feature"
SETUP = (
    "import json, pathlib\n"
    "from tests.widgets.test_feature_view import make_data, FakeSource\n"
    "from interplay.widgets.feature import FeatureView\n"
)


def card(f: int) -> str:
    return f'{ROOT} .interplay-feature-card[data-feature="{f}"]'


def rows(page: Any, f: int) -> int:
    return int(page.locator(f"{card(f)} .interplay-feature-top .interplay-feature-example").count())




def test_feature_view_steps_pages_labels_and_steers(page: Any, lab: Lab) -> None:
    for name in ("feature_state.json", "feature_labels.json"):
        (lab.root / name).unlink(missing_ok=True)
    nb = write_notebook(lab, "feature_view.ipynb", [
        SETUP,
        "view = FeatureView(make_data(k=40), FakeSource(), page_size=16, path='feature_labels.json')\n"
        "def dump(_=None):\n"
        "    pathlib.Path('feature_state.json').write_text(json.dumps({'feature': view.feature, 'labels': view.labels}))\n"
        "view.observe(dump, names=['feature', 'labels'])\n"
        "view",
    ])
    open_and_run(page, lab, nb)
    page.wait_for_selector(f"{card(0)} .interplay-feature-top .interplay-feature-example", timeout=30_000)
    assert not error_outputs(page)
    assert rows(page, 0) == 16
    first = page.locator(f"{card(0)} .interplay-feature-top .interplay-feature-example").first
    assert first.locator(".interplay-feature-max").text_content() == XSS
    assert page.locator(f"{ROOT} img").count() == 0, "a token string became markup"
    # the max token sits in the middle of its row
    row_box, max_box = first.bounding_box(), first.locator(".interplay-feature-max").bounding_box()
    centre = max_box["x"] + max_box["width"] / 2 - row_box["x"]
    assert abs(centre - row_box["width"] / 2) < max_box["width"], (centre, row_box["width"])
    hist = f"{card(0)} canvas.interplay-feature-hist"
    assert canvas_colours(page, hist) >= 2, "the histogram is blank"
    box = page.locator(hist).bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.5)
    readout = page.locator(f"{card(0)} .interplay-feature-hist-readout").text_content() or ""
    assert readout.startswith("0 – 0.167: 10,000 tokens"), readout
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "feature_view.png"))

    # arrow keys step the feature, in Python too
    page.locator(f"{ROOT} .interplay-feature-title").first.click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert python_state(lab.root / "feature_state.json", lambda s: s["feature"] == 2)["feature"] == 2
    page.wait_for_selector(f"{card(2)} .interplay-feature-top .interplay-feature-example", timeout=20_000)
    assert page.locator(f"{card(2)} .interplay-feature-name").text_content() == "#2 L2.2"
    assert page.locator(f"{ROOT} .interplay-feature-card").count() == 1

    # scrolling to the bottom pages in the next examples; the button pages past k from the source
    lst = f"{card(2)} .interplay-feature-top .interplay-feature-examples"
    page.locator(lst).hover()
    page.mouse.wheel(0, 2000)
    page.wait_for_function(f"() => document.querySelectorAll('{lst} .interplay-feature-example').length === 32",
                           timeout=20_000)
    page.locator(lst).evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_function(f"() => document.querySelectorAll('{lst} .interplay-feature-example').length === 40",
                           timeout=20_000)
    page.locator(f"{card(2)} .interplay-feature-top button.interplay-feature-more").click()
    page.wait_for_function(f"() => document.querySelectorAll('{lst} .interplay-feature-example').length === 43",
                           timeout=20_000)
    assert page.locator(f"{lst} .interplay-feature-example").nth(42).locator(".interplay-feature-max") \
        .text_content() == " m42"

    # a typed label reaches Python and its file
    label = page.locator(f"{card(2)} input.interplay-feature-label")
    label.fill("opening brackets")
    label.press("Enter")
    state = python_state(lab.root / "feature_state.json", lambda s: s["labels"].get("2") == "opening brackets")
    assert state["labels"] == {"1": "names", "2": "opening brackets"}
    assert json.loads((lab.root / "feature_labels.json").read_text())["labels"]["2"] == "opening brackets"

    # steering shows both generations from the source
    prompt = page.locator(f"{ROOT} textarea.interplay-feature-steer-prompt")
    assert prompt.input_value() != ""
    page.select_option(f"{ROOT} select.interplay-feature-steer-mode", "clamp")
    page.locator(f"{ROOT} button.interplay-feature-steer-run").click()
    page.wait_for_selector(f"{ROOT} .interplay-feature-gen-steered", timeout=20_000)
    steered = page.locator(f"{ROOT} .interplay-feature-gen-steered .interplay-feature-gen-text").text_content() or ""
    baseline = page.locator(f"{ROOT} .interplay-feature-gen-baseline .interplay-feature-gen-text").text_content() or ""
    assert steered.endswith(f" {XSS} Mary") and baseline.endswith(" the store")
    assert page.locator(f"{ROOT} .interplay-feature-changes tr").count() == 3
    assert page.locator(f"{ROOT} img").count() == 0
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "feature_view_steered.png"))
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]


def test_feature_view_without_a_source_says_steering_needs_a_model(page: Any, lab: Lab) -> None:
    nb = write_notebook(lab, "feature_saved.ipynb", [SETUP, "FeatureView(make_data()).shown = [0, 3]\n"
                                                            "v = FeatureView(make_data())\nv.shown = [1, 3]\nv"])
    open_and_run(page, lab, nb)
    page.wait_for_selector(f"{card(3)} .interplay-feature-top .interplay-feature-example", timeout=30_000)
    assert [page.locator(f"{ROOT} .interplay-feature-card").nth(i).get_attribute("data-feature")
            for i in range(3)] == ["1", "3", "0"]
    assert "needs a live model" in (page.locator(f"{ROOT} .interplay-feature-steer-live").text_content() or "")
    page.locator(f"{ROOT} button.interplay-feature-steer-run").click()
    page.wait_for_function(
        f"() => (document.querySelector('{ROOT} .interplay-feature-steer-error')?.textContent || '')"
        ".includes('needs a live model')", timeout=20_000)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "feature_view_side_by_side.png"))
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]


def test_an_exported_feature_view_steps_and_pages_from_the_file(chromium: Any, tmp_path: Path) -> None:
    from interplay.widgets.feature import FeatureView
    from tests.e2e.test_html_export_e2e import LOCAL, open_file
    from tests.widgets.test_feature_view import FakeSource, make_data

    path = FeatureView(make_data(k=24), FakeSource(), page_size=12).to_html(tmp_path / "feature.html")
    context, page, requests = open_file(chromium, path)
    try:
        page.wait_for_selector(f"{card(0)} .interplay-feature-top .interplay-feature-example", timeout=20_000)
        assert rows(page, 0) == 12
        page.locator(f"{ROOT} .interplay-feature-title").first.click()
        page.keyboard.press("ArrowRight")  # feature 1's card comes from the file
        page.wait_for_selector(f"{card(1)} .interplay-feature-top .interplay-feature-example", timeout=20_000)
        assert page.locator(f"{card(1)} .interplay-feature-name").text_content() == "#1 L2.1"
        lst = f"{card(1)} .interplay-feature-top .interplay-feature-examples"
        page.locator(lst).evaluate("el => { el.scrollTop = el.scrollHeight; }")
        page.wait_for_function(f"() => document.querySelectorAll('{lst} .interplay-feature-example').length === 24",
                               timeout=20_000)
        page.locator(f"{card(1)} .interplay-feature-top button.interplay-feature-more").click()  # past k: needs the kernel
        page.wait_for_function(
            f"() => (document.querySelector('{card(1)} .interplay-feature-more-note')?.textContent || '')"
            ".includes('needs a live model')", timeout=20_000)
        page.locator(f"{ROOT} button.interplay-feature-steer-run").click()
        page.wait_for_function(
            f"() => (document.querySelector('{ROOT} .interplay-feature-steer-error')?.textContent || '')"
            ".includes('needs a live model')", timeout=20_000)
        assert page.locator(f"{ROOT} img").count() == 0
        page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "feature_view_export.png"))
        assert [u for u in requests if not LOCAL.match(u)] == [] and page.errors == []
    finally:
        context.close()
