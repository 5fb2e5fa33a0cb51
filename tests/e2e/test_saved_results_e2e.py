"""Saved results shown in real JupyterLab by a kernel that has no model and never imports torch: every
kind of result renders its view, and what needs the model says so in the view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, Lab, error_outputs, open_and_run, wait_for_file, write_notebook
from tests.results.builders import BUILDERS

#: the view's root and a canvas that must show colours once it has drawn (None: text only)
ROOTS = {
    "AttentionResult": (".interplay-attention", "canvas.interplay-attention-grid"),
    "HeatmapResult": (".interplay-token-heatmap", "canvas.interplay-heatmap-canvas"),
    "LogitLensResult": (".interplay-logit-lens", "canvas.interplay-lens-canvas"),
    "DLAResult": (".interplay-dla", "canvas.interplay-dla-canvas"),
    "AttributionResult": (".interplay-attribution", None),
    "PatchingResult": (".interplay-patching", "canvas.interplay-patching-canvas"),
    "SteeringResult": (".interplay-steering", None),
    "CircuitResult": (".interplay-circuit", None),
    "ProbeResult": (".interplay-token-heatmap", "canvas.interplay-heatmap-canvas"),
    "TopActivationsResult": (".interplay-feature", "canvas.interplay-feature-hist"),
    "PromptFeaturesResult": (".interplay-prompt-features", None),
    "FeatureSteeringResult": (".interplay-feature-steering", None),
}


@pytest.fixture(scope="module")
def saved(lab: Lab) -> list[str]:
    """Every kind of result, computed on the bundled demo model in this (test) process and saved
    into the notebook server's folder; the notebook's kernel only loads the files."""
    import interplay

    model = interplay.load()
    kinds = sorted(BUILDERS)
    for kind in kinds:
        BUILDERS[kind](model).save(lab.root / f"{kind}.interplay")
    return kinds


def test_every_saved_result_renders_without_a_model(page: Any, lab: Lab, saved: list[str]) -> None:
    out = lab.root / "saved_modules.json"
    out.unlink(missing_ok=True)
    cells = ["import sys, json, pathlib, interplay\n"
             f"results = {{k: interplay.load_result(k + '.interplay') for k in {saved!r}}}"]
    cells += [f"results[{kind!r}].show()" for kind in saved]
    cells.append("pathlib.Path('saved_modules.json').write_text(json.dumps({m: m in sys.modules for m in "
                 "['torch', 'transformers', 'interplay.backend', 'interplay.methods']}))")
    name = write_notebook(lab, "saved_results.ipynb", cells)
    open_and_run(page, lab, name)
    assert json.loads(wait_for_file(out)) == {"torch": False, "transformers": False, "interplay.backend": False,
                                              "interplay.methods": False}
    assert not error_outputs(page)
    ARTIFACTS.mkdir(exist_ok=True)
    seen: dict[str, int] = {}
    for kind in saved:  # the notebook's cells show them in this order
        root, canvas = ROOTS[kind]
        nth = seen[root] = seen.get(root, -1) + 1  # the probe's view is the second token heatmap
        page.wait_for_selector(root, timeout=30_000)
        assert page.locator(root).count() > nth, kind
        if canvas is not None:
            page.wait_for_function(f"() => {{ const c = document.querySelectorAll('{root} {canvas}')[{nth}]; "
                                   "return c && c.width > 0; }", timeout=15_000)
            assert _colours(page, f"{root} {canvas}", nth) >= 2, f"{kind}: the view drew nothing"
        page.locator(root).nth(nth).screenshot(path=str(ARTIFACTS / f"saved_{kind}.png"))
    # what needs the model says so, in the view
    page.locator(".interplay-logit-lens input.interplay-lens-target").first.fill(" Mary")
    page.locator(".interplay-logit-lens input.interplay-lens-target").first.press("Enter")
    err = page.locator(".interplay-logit-lens .interplay-target-error").first
    err.wait_for(state="visible", timeout=10_000)
    assert "needs a live model" in (err.text_content() or "")
    cell = page.locator(".interplay-patching canvas.interplay-patching-canvas").first
    cell.scroll_into_view_if_needed()
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    page.wait_for_function("() => (document.querySelector('.interplay-patching').textContent || '')"
                           ".includes('needs a live model')", timeout=10_000)
    assert page.errors == []  # type: ignore[attr-defined]


def _colours(page: Any, selector: str, nth: int) -> int:
    """Distinct colours on the ``nth`` canvas matching ``selector``."""
    return int(page.evaluate(
        """([sel, i]) => { const c = document.querySelectorAll(sel)[i]; if (!c || !c.width) return 0;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const s = new Set();
            for (let k = 0; k < d.length; k += 16) if (d[k + 3] > 0) s.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
            return s.size; }""", [selector, nth]))


def test_saved_files_hold_no_model(saved: list[str], lab: Lab) -> None:
    """A result file is data: a few hundred KB at most here, numpy members and one JSON header."""
    import zipfile

    for kind in saved:
        path = Path(lab.root / f"{kind}.interplay")
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        assert names[0] == "interplay.json" and all(n.endswith(".npy") for n in names[1:]), (kind, names)
        assert path.stat().st_size < 2_000_000, (kind, path.stat().st_size)
