"""AnnotatorView in real JupyterLab: label by click, keyboard and drag, undo/redo, records reach Python
with the right offsets, Python's labels appear, and labels survive saving and reopening the notebook."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from tests.e2e.conftest import ARTIFACTS, Lab, error_outputs, execute, open_and_run, write_notebook

XSS = "<img src=x onerror=alert(1)>"
ROOT = ".interplay-annotator"
TOKEN = f"{ROOT} .interplay-ann-token"


def _records(lab: Lab, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    """Wait until Python's annotations (written by an observer) have ``count`` records."""
    path = lab.root / "annotations.json"
    deadline = time.time() + timeout
    recs: list[dict[str, Any]] = []
    while time.time() < deadline:
        if path.exists():
            try:
                recs = json.loads(path.read_text())
            except json.JSONDecodeError:
                recs = []
            if len(recs) == count:
                return recs
        time.sleep(0.1)
    raise AssertionError(f"Python has {len(recs)} records, expected {count}: {recs}")


def _underlines(page: Any, pos: int) -> list[str]:
    return list(page.eval_on_selector_all(
        f"{TOKEN}[data-pos='{pos}'] .interplay-ann-underline", "els => els.map(e => e.dataset.label)"))


def _save_widget_state(lab: Lab) -> None:
    settings = lab.root.parent / "settings" / "@jupyter-widgets" / "jupyterlab-manager"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))


def test_annotator_labels_round_trip(page: Any, lab: Lab) -> None:
    _save_widget_state(lab)
    (lab.root / "annotations.json").unlink(missing_ok=True)
    name = write_notebook(lab, "annotate.ipynb", [
        "import json, pathlib, interplay\n"
        f"texts = ['When Mary and John went to the store', ['Then', ' John', ' gave', {XSS!r}, ' to', ' Mary']]\n"
        "w = interplay.AnnotatorView.from_texts(texts, labels=['name', 'verb', 'place'], title='e2e annotator')\n"
        "w.observe(lambda ch: pathlib.Path('annotations.json').write_text(json.dumps(ch['new'])), names='annotations')\n"
        "w",
    ])
    open_and_run(page, lab, name)
    page.wait_for_selector(TOKEN, timeout=30_000)
    assert not error_outputs(page)
    assert page.locator(TOKEN).count() == 8
    # click a token, then a label button
    page.locator(f"{TOKEN}[data-pos='1']").click()
    page.locator(f"{ROOT} .interplay-ann-label[data-label='name']").click()
    recs = _records(lab, 1)
    assert recs[0] == {"text": 0, "start": 1, "end": 2, "char_start": 4, "char_end": 9, "label": "name", "tokens": [" Mary"]}
    assert _underlines(page, 1) == ["name"]
    # keyboard only: focus is on the view (visible), arrows move, a number key labels
    focused = page.evaluate("() => document.activeElement && document.activeElement.classList.contains('interplay-annotator')")
    assert focused
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("2")
    recs = _records(lab, 2)
    assert recs[1]["start"] == 3 and recs[1]["label"] == "verb" and recs[1]["tokens"] == [" John"]
    # a span by drag: tokens 4..6, labelled 3 (place); overlapping a new name label on token 6
    box4 = page.locator(f"{TOKEN}[data-pos='4']").bounding_box()
    box6 = page.locator(f"{TOKEN}[data-pos='6']").bounding_box()
    page.mouse.move(box4["x"] + 4, box4["y"] + 6)
    page.mouse.down()
    page.mouse.move(box4["x"] + box4["width"] + 4, box4["y"] + 6, steps=3)
    page.mouse.move(box6["x"] + 6, box6["y"] + 6, steps=3)
    page.mouse.up()
    page.keyboard.press("3")
    recs = _records(lab, 3)
    assert (recs[2]["start"], recs[2]["end"], recs[2]["label"]) == (4, 7, "place")
    text = "When Mary and John went to the store"
    assert text[recs[2]["char_start"]:recs[2]["char_end"]] == " went to the"
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")  # token 6, inside the place span
    page.keyboard.press("1")
    _records(lab, 4)
    assert sorted(_underlines(page, 6)) == ["name", "place"]  # overlapping labels, stacked
    # undo and redo
    page.keyboard.press("z")
    _records(lab, 3)
    page.keyboard.press("Control+z")
    _records(lab, 2)
    page.keyboard.press("Control+Shift+Z")
    recs = _records(lab, 3)
    assert recs[2]["label"] == "place"
    # Python adds a label: it appears; Python's bad edit raises and changes nothing
    execute(page, "w.add('verb', 0)")
    _records(lab, 4)
    page.wait_for_function(f"() => document.querySelectorAll(\"{TOKEN}[data-pos='0'] .interplay-ann-underline\").length === 1")
    assert _underlines(page, 0) == ["verb"]
    execute(page, "try:\n    w.add('nope', 0)\nexcept ValueError as e:\n    pathlib.Path('err.txt').write_text(str(e))")
    assert "not one of the labels" in (lab.root / "err.txt").read_text()
    assert len(_records(lab, 4)) == 4
    # the second text: tokens are text, never HTML
    page.locator(ROOT).focus()
    page.keyboard.press("PageDown")
    page.wait_for_function(f"() => document.querySelectorAll('{TOKEN}').length === 6")
    assert page.locator(f"{ROOT} img").count() == 0 and page.locator("img[src='x']").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]
    page.keyboard.press("PageUp")
    page.wait_for_function(f"() => document.querySelectorAll('{TOKEN}').length === 8")
    page.locator(f"{TOKEN}[data-pos='2']").click()
    page.mouse.move(5, 5)  # no tooltip over the screenshot
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "annotator.png"))
    # save (with widget state), stop the kernel, reopen: the labels are still there
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    deadline = time.time() + 20
    saved: dict[str, Any] = {}
    while time.time() < deadline:
        nb = json.loads((lab.root / name).read_text())
        saved = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
        if saved:
            break
        time.sleep(0.2)
    states = [s["state"] for s in saved.get("state", {}).values() if "annotations" in s.get("state", {})]
    assert states and len(states[0]["annotations"]) == 4, "the labels were not saved with the notebook"
    with urllib.request.urlopen(f"{lab.url}/api/sessions") as r:
        for session in json.loads(r.read()):
            req = urllib.request.Request(f"{lab.url}/api/sessions/{session['id']}", method="DELETE")
            urllib.request.urlopen(req).close()
    page.goto(f"{lab.url}/lab/tree/{name}?reset")
    page.wait_for_selector(TOKEN, timeout=60_000)
    page.wait_for_function(f"() => document.querySelectorAll('{ROOT} .interplay-ann-underline').length >= 6")
    assert _underlines(page, 0) == ["verb"] and _underlines(page, 1) == ["name"]
    assert sorted(_underlines(page, 5)) == ["place"]
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "annotator_reloaded.png"))
