"""Benchmark: what it costs to show attention, ours vs CircuitsVis, in real JupyterLab + Chromium.

For a 12-layer x 12-head GPT-2-shaped model (random weights) at several context lengths, we measure in
the same JupyterLab session: the bytes that travel over the kernel websocket to display the view (and,
for ours, to fetch the selected head's pattern), the time from running the cell that makes and shows
the view to the first paint (head grid + selected head's pattern drawn; for ours this includes the
in-kernel build, for CircuitsVis its HTML), and the time to switch heads. CircuitsVis's
``attention_heads`` gets one layer (12 heads) of the same patterns; ours shows all 144 heads.

Two rows of ours per length: ``model`` (``interplay.attention(model, prompt).show()``: one forward
pass that summarises every layer) and ``arrays`` (``AttentionView.from_arrays(tokens, patterns)`` on
softmaxed random causal float32 patterns of the same shape, numpy only). The timed cell records its
in-kernel build time (``time.perf_counter`` around the call that makes the view; the model, the
patterns and the imports come from the setup cell before), printed beside the bytes and the paint.

Run: ``python bench/attention_payload.py [--sizes 128 512 1024 4096] [--cv-sizes 128 512]
[--arrays-sizes 128 512 1024]`` (float32 patterns at 4,096 tokens take 9.7 GB: not by default)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, running_lab, write_notebook  # noqa: E402

SETUP = """
import json, pathlib, time
import torch, transformers as tf, interplay, numpy as np
torch.manual_seed(0)
N = __N__
cfg = tf.GPT2Config(n_layer=12, n_head=12, n_embd=96, n_positions=max(N, 1024), vocab_size=1000)
hf = tf.GPT2LMHeadModel(cfg).eval()
class Tok:
    bos_token_id = eos_token_id = pad_token_id = 0
    def __call__(self, text, add_special_tokens=True): return {"input_ids": [int(w) for w in text.split()]}
    def convert_ids_to_tokens(self, ids): return [f" t{i}" for i in ids]
    def decode(self, ids, **kw): return "".join(f" t{i}" for i in ids)
model = interplay.load(hf, Tok(), device="cpu")
half = torch.randint(1, 1000, (N // 2,)).tolist()
prompt = " ".join(str(i) for i in (half + half)[:N])
"""
OURS = SETUP + """
attention = interplay.attention  # imports happen once per kernel, outside the timed cell
"""
OURS_SHOW = """
t0 = time.perf_counter()
view = attention(model, prompt).show()
pathlib.Path("__NAME__.json").write_text(json.dumps({"build_s": time.perf_counter() - t0}))
view.selected = {"layer": 0, "head": 0}
view
"""
ARRAYS = """
import json, pathlib, sys, time
import numpy as np, interplay
N = __N__
rng = np.random.default_rng(0)
half = rng.integers(1, 1000, N // 2).tolist()
tokens = [f" t{i}" for i in (half + half)[:N]]
patterns = np.empty((12, 12, N, N), np.float32)
above = np.triu(np.ones((N, N), bool), 1)
for layer in range(12):
    s = rng.standard_normal((12, N, N), dtype=np.float32) * 3
    s[:, above] = -np.inf
    s -= s.max(-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(-1, keepdims=True)
    patterns[layer] = s
del s
AttentionView = interplay.AttentionView  # imports happen once per kernel, outside the timed cell
"""
ARRAYS_SHOW = """
t0 = time.perf_counter()
view = AttentionView.from_arrays(tokens, patterns)
build = time.perf_counter() - t0
assert "torch" not in sys.modules
pathlib.Path("__NAME__.json").write_text(json.dumps({"build_s": build}))
view.selected = {"layer": 0, "head": 0}
view
"""
CV = SETUP + """
import circuitsvis as cv
pattern = model.run(prompt, capture=("pattern", 0))["pattern", 0][0]
tokens = model.run(prompt).tokens
"""
OURS_PAINTED = """() => {
  const g = document.querySelector('.interplay-attention canvas.interplay-attention-grid');
  const p = document.querySelector('.interplay-attention canvas.interplay-pattern-canvas');
  const busy = document.querySelector('.interplay-attention .interplay-busy');
  const painted = (c) => { if (!c || !c.width) return false; const d = c.getContext('2d')
    .getImageData(0, 0, c.width, c.height).data; for (let i = 3; i < d.length; i += 64) if (d[i]) return true; return false; };
  return painted(g) && painted(p) && !(busy && busy.offsetParent !== null);
}"""
CV_PAINTED = """() => { const out = window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-OutputArea-output');
  const last = out[out.length - 1]; if (!last) return false;
  return [...last.querySelectorAll('canvas, svg, td, [style*="background"]')].length > 0; }"""


def run_cells(page: Any, lab: Any, name: str, setup: str, display: str, painted: str, timeout_s: float) -> tuple[float, int]:
    """Run the setup cell, then time the display cell from Run to first paint; bytes received meanwhile."""
    write_notebook(lab, name, [setup, display.replace("__NAME__", name)])
    page.goto(f"{lab.url}/lab/tree/{name}?reset")
    page.wait_for_selector(".jp-Notebook")
    page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget; const k = w && w.sessionContext"
                           " && w.sessionContext.session && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
                           timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell-and-select-next')")
    page.wait_for_timeout(500)
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=600_000)
    page.evaluate("() => { window.__interplayBytes = 0; }")
    t0 = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
    try:
        page.wait_for_function(painted, timeout=timeout_s * 1000, polling="raf")
        elapsed = time.perf_counter() - t0
    except Exception:
        elapsed = float("nan")
    page.wait_for_timeout(500)
    return elapsed, int(page.evaluate("() => window.__interplayBytes || 0"))


def count_bytes(page: Any) -> None:
    """Count websocket bytes received by the page (set up before the notebook opens)."""
    page.add_init_script("""(() => { window.__interplayBytes = 0; const Orig = window.WebSocket;
      window.WebSocket = function (...args) { const ws = new Orig(...args);
        ws.addEventListener('message', (e) => { const d = e.data;
          window.__interplayBytes += typeof d === 'string' ? new TextEncoder().encode(d).length : (d.byteLength || d.size || 0); });
        return ws; }; window.WebSocket.prototype = Orig.prototype; Object.assign(window.WebSocket, Orig); })();""")


SWITCH_JS = """() => new Promise((resolve, reject) => {
  const root = document.querySelector('.interplay-attention');
  const canvas = root.querySelector('canvas.interplay-pattern-canvas');
  const [layer, head] = canvas.dataset.head.split('/').map(Number);
  const target = `${layer}/${head + 1}`;
  const t0 = performance.now();
  const done = () => canvas.dataset.head === target && canvas.dataset.loaded === '1';
  const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(performance.now() - t0); } });
  obs.observe(canvas, { attributes: true });
  setTimeout(() => { obs.disconnect(); reject(new Error('no switch within 30 s')); }, 30000);
  root.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
  root.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
})"""


def switch_heads_ms(page: Any) -> float:
    """Median in-page time from selecting the next head (arrow + Enter, as a person steps through
    heads) to its pattern being drawn: measured with performance.now() in the page, from the key
    events to the canvas reporting the new head's pattern loaded (no pixel read-back in the loop)."""
    times = []
    page.locator(".interplay-attention").first.focus()
    for _ in range(5):
        page.wait_for_timeout(300)  # a person's pause between heads (lets the prefetch arrive)
        times.append(float(page.evaluate(SWITCH_JS)))
    times.sort()
    return times[len(times) // 2]


def measure_ours(browser: Any, lab: Any, name: str, setup: str, show: str) -> tuple[int, float, float, float]:
    """(bytes, Run-to-first-paint s of the cell that builds and shows the view, in-kernel build s,
    switch ms) of one of our views."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    count_bytes(page)
    paint, received = run_cells(page, lab, name, setup, show, OURS_PAINTED, 120)
    switch = switch_heads_ms(page) if not math.isnan(paint) else float("nan")
    page.close()
    record = lab.root / f"{name}.json"
    build = json.loads(record.read_text())["build_s"] if record.exists() else float("nan")
    return received, paint, build, switch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 512, 1024, 4096])
    ap.add_argument("--cv-sizes", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--arrays-sizes", type=int, nargs="+", default=[128, 512, 1024])
    ap.add_argument("--cv-timeout", type=float, default=90)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, running_lab(Path(tmp)) as lab, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for n in args.sizes:
            ours = {"model": measure_ours(browser, lab, f"ours{n}.ipynb", OURS.replace("__N__", str(n)), OURS_SHOW)}
            if n in args.arrays_sizes:
                ours["arrays"] = measure_ours(browser, lab, f"arrays{n}.ipynb", ARRAYS.replace("__N__", str(n)),
                                              ARRAYS_SHOW)
            cv_s, cv_b = float("nan"), None
            if n in args.cv_sizes:
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                count_bytes(page)
                cv_s, cv_b = run_cells(page, lab, f"cv{n}.ipynb", CV.replace("__N__", str(n)),
                                       "cv.attention.attention_heads(attention=pattern, tokens=tokens)", CV_PAINTED,
                                       args.cv_timeout)
                page.close()
            rows += [(n, path, *measured, cv_b, cv_s) for path, measured in ours.items()]
            print(f"  measured {n} tokens", flush=True)
        browser.close()
    print("\nAttention view: 12 layers x 12 heads, JupyterLab + headless Chromium (same session)\n")
    print("| tokens | ours: path | ours: bytes | CircuitsVis (1 layer): bytes | bytes ratio | ours: build (kernel) "
          "| ours: Run to first paint | CV: Run to first paint | paint ratio | ours: switch head |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, path, ob, os_, build, sw, cb, cs in rows:
        ratio = f"1/{cb / ob:.0f}" if cb else "-"
        cvb = f"{cb / 1e6:.2f} MB" if cb else "not run"
        cvs = "never (timeout)" if cb and math.isnan(cs) else (f"{cs:.2f} s" if not math.isnan(cs) else "-")
        paint_ratio = f"1/{cs / os_:.1f}" if cb and not math.isnan(cs) and os_ > 0 else "-"
        print(f"| {n} | {path} | {ob / 1e6:.2f} MB | {cvb} | {ratio} | {build:.2f} s | {os_:.2f} s | {cvs} "
              f"| {paint_ratio} | {sw:.0f} ms |")


if __name__ == "__main__":
    main()
