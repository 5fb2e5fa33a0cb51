"""Labels are never lost: label tokens in a real JupyterLab (default settings: no widget state
saved), kill the kernel with SIGKILL in the middle of labelling, restart it from the page, run the
cell again with the same path, and every label made before the kill is back, on screen and in
Python."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import (
    ARTIFACTS,
    KERNEL_STATUS,
    Lab,
    error_outputs,
    open_and_run,
    wait_idle,
    write_notebook,
)

ROOT = ".interplay-annotator"
NEW_ROOT = f"{ROOT}:not([data-before-kill])"
TEXTS = ["When Mary and John went to the store", "Then John gave a drink to Mary"]


def _edits(path: Path, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    """Wait until the labels file holds ``count`` edits (each is written before Python takes it)."""
    deadline = time.time() + timeout
    edits: list[dict[str, Any]] = []
    while time.time() < deadline:
        if path.exists():
            edits = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()[1:] if x.endswith("}")]
            if len(edits) >= count:
                return edits
        time.sleep(0.05)
    raise AssertionError(f"the labels file has {len(edits)} edits, expected {count}: {edits}")


def _underlines(page: Any, root: str) -> dict[int, list[str]]:
    """Each token's labels as the view draws them (the text on screen)."""
    got = page.eval_on_selector_all(
        f"{root} .interplay-ann-token",
        "els => els.map(e => [Number(e.dataset.pos), [...e.querySelectorAll('.interplay-ann-underline')]"
        ".map(u => u.dataset.label).sort()])")
    return {pos: labels for pos, labels in got if labels}


def _token(page: Any, pos: int) -> Any:
    return page.locator(f"{ROOT} .interplay-ann-token[data-pos='{pos}']")


def _default_widget_settings(lab: Lab) -> None:
    """JupyterLab's default: the widget manager does not save widget state in the notebook
    (another test may have turned it on for this server)."""
    settings = lab.root.parent / "settings" / "@jupyter-widgets" / "jupyterlab-manager" / "plugin.jupyterlab-settings"
    settings.unlink(missing_ok=True)


def test_labels_survive_a_killed_kernel(page: Any, lab: Lab) -> None:
    _default_widget_settings(lab)
    labels_file = lab.root / "durable.jsonl"
    for f in (labels_file, lab.root / "kernel.pid", lab.root / "resumed.json"):
        f.unlink(missing_ok=True)
    name = write_notebook(lab, "durable.ipynb", [
        "import json, os, pathlib, interplay\n"
        "pathlib.Path('kernel.pid').write_text(str(os.getpid()))",
        f"w = interplay.AnnotatorView.from_texts({TEXTS!r}, labels=['name', 'verb', 'place'], path='durable.jsonl',\n"
        "                                        title='durable labels')\n"
        "w",
        "pathlib.Path('resumed.json').write_text(json.dumps(w.annotations))",
    ])
    open_and_run(page, lab, name)
    page.wait_for_selector(f"{ROOT} .interplay-ann-token", timeout=30_000)
    assert not error_outputs(page)
    assert json.loads(labels_file.read_text().splitlines()[0])["format"] == "interplay.labels"
    assert page.locator(f"{ROOT} .interplay-ann-saved").inner_text() == "saved to durable.jsonl"
    # label by click, keyboard, a keyboard span and a removal; each edit reaches the file
    _token(page, 1).click()
    page.locator(f"{ROOT} .interplay-ann-label[data-label='name']").click()
    _edits(labels_file, 1)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("2")  # token 3: verb
    _edits(labels_file, 2)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("3")  # tokens 4..6: place
    _edits(labels_file, 3)
    _token(page, 0).click()
    page.locator(f"{ROOT} .interplay-ann-label[data-label='verb']").click()  # token 0: verb
    _edits(labels_file, 4)
    _token(page, 1).click()
    page.keyboard.press("Backspace")  # the name on token 1 removed
    _edits(labels_file, 5)
    page.keyboard.press("PageDown")
    page.wait_for_function(f"() => document.querySelectorAll('{ROOT} .interplay-ann-token').length === 7")
    _token(page, 1).click()
    page.keyboard.press("1")  # text 1, token 1 (" John"): name
    edits = _edits(labels_file, 6)
    assert all(e["from"] == "view" for e in edits)
    before = {0: {0: ["verb"], 3: ["verb"], 4: ["place"], 5: ["place"], 6: ["place"]}, 1: {1: ["name"]}}
    assert _underlines(page, ROOT) == before[1]
    page.eval_on_selector(ROOT, "el => { el.dataset.beforeKill = '1'; }")  # the old view, to tell it from the new
    page.evaluate(WATCH_STATUS)
    # in the middle of labelling: one more label, and the kernel is killed as it is sent
    pid = int((lab.root / "kernel.pid").read_text())
    page.keyboard.press("ArrowRight")
    page.keyboard.press("2")
    os.kill(pid, signal.SIGKILL)
    # the page learns the kernel died (and the server starts a new one): accept its dialog
    page.wait_for_function("() => window.__statuses.some(s => s === 'autorestarting' || s === 'dead')"
                           " || document.querySelector('.jp-Dialog') !== null", timeout=30_000)
    _accept_dialog(page)
    page.wait_for_function(f"({KERNEL_STATUS})() === 'idle'", timeout=60_000)
    # then restart the kernel from the page (Kernel > Restart Kernel...), and run the notebook again
    page.evaluate("() => { window.__statuses = []; }")
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Kernel$")).click(timeout=10_000)
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Restart Kernel")).first.click(timeout=10_000)
    page.locator(".jp-Dialog .jp-mod-accept").click(timeout=10_000)
    page.wait_for_function(f"() => window.__statuses.includes('restarting') && ({KERNEL_STATUS})() === 'idle'",
                           timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(timeout=10_000)
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(timeout=10_000)
    wait_idle(page, 60)
    assert int((lab.root / "kernel.pid").read_text()) != pid, "a new kernel ran the notebook"
    page.wait_for_selector(f"{NEW_ROOT} .interplay-ann-token", timeout=30_000)
    assert not error_outputs(page)
    # every label made before the kill is in Python...
    resumed = json.loads((lab.root / "resumed.json").read_text())
    got = {(r["text"], r["start"], r["end"], r["label"]) for r in resumed}
    made = {(0, 0, 1, "verb"), (0, 3, 4, "verb"), (0, 4, 7, "place"), (1, 1, 2, "name")}
    last = (1, 2, 3, "verb")  # the label pressed as the kernel died: there or not, never half
    assert got in (made, made | {last}), got
    assert {r["tokens"][0] for r in resumed if r["text"] == 0} == {"When", " John", " went"}
    # ... and on screen: text 0 as the new view draws it, then text 1
    page.mouse.move(5, 5)
    shown = _underlines(page, NEW_ROOT)
    assert shown == before[0], shown
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(NEW_ROOT).first.screenshot(path=str(ARTIFACTS / "annotator_durable_resumed.png"))
    page.locator(NEW_ROOT).focus()
    page.keyboard.press("PageDown")
    page.wait_for_function(f"() => document.querySelectorAll('{NEW_ROOT} .interplay-ann-token').length === 7")
    shown = _underlines(page, NEW_ROOT)
    assert shown in (before[1], {**before[1], 2: ["verb"]}), shown
    page.mouse.move(5, 5)
    page.locator(NEW_ROOT).first.screenshot(path=str(ARTIFACTS / "annotator_durable_resumed_text1.png"))
    nb = json.loads((lab.root / name).read_text())
    assert "widgets" not in nb.get("metadata", {}), "the labels came from the file, not from saved widget state"


WATCH_STATUS = """() => {
    window.__statuses = [];
    const sc = window.jupyterapp.shell.currentWidget.sessionContext;
    sc.statusChanged.connect((_, status) => { window.__statuses.push(status); });
}"""


def _accept_dialog(page: Any) -> None:
    """JupyterLab's "kernel restarting" dialog, when it shows (it may come a moment later)."""
    with contextlib.suppress(Exception):
        page.locator(".jp-Dialog .jp-mod-accept").first.click(timeout=3_000)
