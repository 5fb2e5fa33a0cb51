"""CircuitView in real JupyterLab: the graph renders; the top-k slider changes the visible edges and
Python reports the faithfulness on release; clicking a head shows its attention pattern. A circuit
loaded from a file (no model) renders the same graph, lists a clicked node's edges and says that
the pattern, the attribution and the faithfulness need a live model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from interplay.tasks.dataset import DEMO_MODEL_DIR
from tests.e2e.conftest import (
    ARTIFACTS,
    Lab,
    canvas_colours,
    error_outputs,
    open_and_run,
    wait_for_file,
    write_notebook,
)

SETUP = (
    "import json, pathlib, torch, interplay\n"
    "torch.set_num_threads(1)\n"
    "model = interplay.load()\n"
    "ds = interplay.tasks.ioi(n=16, seed=0)\n"
    "c = interplay.circuit(model, ds, method='eap', progress=False)\n"
)

VISIBLE = ("() => [...document.querySelectorAll('.interplay-circuit path.interplay-circuit-edge')]"
           ".filter(p => p.style.display !== 'none').length")


def test_circuit_graph_slider_and_head_details(page: Any, lab: Lab) -> None:
    (lab.root / "circuit_k.json").unlink(missing_ok=True)
    name = write_notebook(lab, "circuit.ipynb", [
        SETUP,
        "view = c.show(k=30)\n"
        "view.observe(lambda ch: pathlib.Path('circuit_k.json').write_text(json.dumps(ch['new'])), names='k')\n"
        "view",
    ])
    open_and_run(page, lab, name)
    root = ".interplay-circuit"
    page.wait_for_selector(f"{root} svg.interplay-circuit-svg g.interplay-circuit-node", timeout=30_000)
    assert not error_outputs(page)
    n_nodes = page.locator(f"{root} g.interplay-circuit-node").count()
    cfg = json.loads((DEMO_MODEL_DIR / "config.json").read_text())
    assert n_nodes == 1 + cfg["n_layer"] * (cfg["n_head"] + 1) + 1  # input, every head and MLP, logits
    before = page.evaluate(VISIBLE)
    assert 0 < before <= 30
    # drag the slider down to 20 edges: fewer edges drawn at once, then faithfulness from Python on release
    page.eval_on_selector(f"{root} input.interplay-circuit-k",
                          "el => { el.value = '20'; el.dispatchEvent(new Event('input')); }")
    after = page.evaluate(VISIBLE)
    assert 0 < after < before
    page.eval_on_selector(f"{root} input.interplay-circuit-k", "el => el.dispatchEvent(new Event('change'))")
    assert json.loads(wait_for_file(lab.root / "circuit_k.json")) == 20
    page.wait_for_function(
        "() => (document.querySelector('.interplay-circuit-faith')?.textContent || '').includes('(top 20,')",
        timeout=60_000)
    # back to 40 edges for the picture, then click head L0.H0
    page.eval_on_selector(f"{root} input.interplay-circuit-k",
                          "el => { el.value = '40'; el.dispatchEvent(new Event('input')); el.dispatchEvent(new Event('change')); }")
    page.locator(f"{root} g.interplay-circuit-node[data-name='L0.H0']").click()
    page.wait_for_selector(f"{root} canvas.interplay-circuit-pattern", timeout=60_000)
    assert canvas_colours(page, f"{root} canvas.interplay-circuit-pattern") >= 3, "the pattern is blank"
    assert "L0.H0" in (page.locator(f"{root} .interplay-circuit-detail-title").text_content() or "")
    assert "direct logit attribution" in (page.locator(f"{root} .interplay-circuit-dla").text_content() or "")
    page.wait_for_function(
        "() => (document.querySelector('.interplay-circuit-faith')?.textContent || '').includes('top 40')",
        timeout=60_000)
    # hover a node: edges off its paths dim
    page.locator(f"{root} g.interplay-circuit-node[data-name='logits']").hover()
    svg_text = page.evaluate("() => document.querySelector('.interplay-circuit svg').outerHTML")
    assert "L0.H0" in svg_text
    assert not page.errors  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(5, 5)
    page.locator(root).first.screenshot(path=str(ARTIFACTS / "circuit_graph.png"))
    # exports: a PNG and an SVG file come down
    for which, suffix in (("png", ".png"), ("svg", ".svg")):
        with page.expect_download(timeout=30_000) as dl:
            page.locator(f"{root} button.interplay-circuit-{which}").click()
        path = dl.value.path()
        assert dl.value.suggested_filename == f"circuit{suffix}"
        data = Path(path).read_bytes()
        assert data[:4] == b"\x89PNG" if which == "png" else data.startswith(b"<svg")


def test_a_saved_circuit_renders_and_lists_edges_without_a_model(page: Any, lab: Lab) -> None:
    name = write_notebook(lab, "circuit_saved.ipynb", [
        SETUP + "c.prune(k=30).save('circuit_saved.interplay')\n",
        "loaded = interplay.load_result('circuit_saved.interplay')\n"
        "assert loaded.session is None\n"
        "loaded.show()",
    ])
    open_and_run(page, lab, name)
    root = ".interplay-circuit"
    page.wait_for_selector(f"{root} svg.interplay-circuit-svg g.interplay-circuit-node", timeout=30_000)
    assert not error_outputs(page)
    assert 0 < page.evaluate(VISIBLE) <= 30
    page.wait_for_function(
        "() => (document.querySelector('.interplay-circuit-faith')?.textContent || '').includes('needs a live model')",
        timeout=30_000)
    page.locator(f"{root} g.interplay-circuit-node[data-name='L0.H0']").click()
    page.wait_for_selector(f"{root} .interplay-circuit-detail-note", timeout=30_000)
    detail = page.locator(f"{root} .interplay-circuit-detail").text_content() or ""
    assert "L0.H0" in detail and "strongest outgoing edges" in detail
    assert "needs a live model" in (page.locator(f"{root} .interplay-circuit-detail-note").text_content() or "")
    assert page.locator(f"{root} canvas.interplay-circuit-pattern").count() == 0
    assert (page.locator(f"{root} .interplay-error").first.text_content() or "") == ""
    assert not page.errors  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(root).first.screenshot(path=str(ARTIFACTS / "circuit_graph_saved.png"))


def test_circuit_graph_is_readable_at_144_heads(page: Any, lab: Lab) -> None:
    """A 12 x 12 model with a few hundred edges: every head label drawn, none overlapping."""
    name = write_notebook(lab, "circuit_big.ipynb", [
        "import torch, interplay, transformers as tf\n"
        "torch.set_num_threads(1)\n"
        "demo = interplay.load()\n"
        "cfg = tf.GPT2Config(n_layer=12, n_head=12, n_embd=96, n_positions=64, vocab_size=demo.cfg.d_vocab, bos_token_id=0, eos_token_id=0)\n"
        "torch.manual_seed(0)\n"
        "big = interplay.load(tf.GPT2LMHeadModel(cfg).eval(), demo.tokenizer)\n"
        "c = interplay.circuit(big, interplay.tasks.ioi(n=4, seed=0), progress=False)\n",
        "c.show(k=300)",
    ])
    open_and_run(page, lab, name)
    root = ".interplay-circuit"
    page.wait_for_selector(f"{root} g.interplay-circuit-node", timeout=60_000)
    assert not error_outputs(page)
    assert page.locator(f"{root} g.interplay-circuit-node").count() == 1 + 12 * 13 + 1
    assert page.evaluate(VISIBLE) > 50
    overlaps = page.evaluate("""() => {
        const boxes = [...document.querySelectorAll('.interplay-circuit g.interplay-circuit-node text')]
          .map(t => t.getBoundingClientRect()).filter(b => b.width > 0);
        let n = 0;
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i], b = boxes[j];
          if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) n++;
        }
        return n; }""")
    assert overlaps == 0
    page.locator(root).first.screenshot(path=str(ARTIFACTS / "circuit_graph_12x12.png"))
