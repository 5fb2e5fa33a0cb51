"""Benchmark: the CircuitsVis drop-in vs CircuitsVis itself, the same notebook cell, in real JupyterLab.

The timed cell is what a TransformerLens notebook runs, with only the import changed:
``import circuitsvis as cv`` (CircuitsVis 1.43: HTML with its React bundle and the data inlined as
JSON) or ``from interplay import circuitsvis as cv`` (our views: binary payloads over the widget
comm), then ``cv.attention.attention_heads(attention=pattern, tokens=tokens)`` on one layer of 12
heads ([12, n, n] softmaxed causal torch patterns, as ``cache["pattern", 0][0]``) or
``cv.tokens.colored_tokens(tokens, values)`` on n random values. For each we measure the bytes the
page receives over the kernel websocket and the time from Run to first paint (ours: the head grid and
head 0's pattern drawn, or the heatmap canvas; CircuitsVis: its output's first canvas, SVG or
coloured element). The setup cell (torch, the patterns) runs before, untimed; the import is timed.
CircuitsVis's ``_repr_html_`` first probes the network (1 s timeout; offline here), included in its time.

Run: ``python bench/circuitsvis_dropin.py [--attention 64 128 256] [--colored 256 4096] [--timeout 120]``
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.attention_payload import CV_PAINTED, OURS_PAINTED  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, KERNEL_STATUS, running_lab, write_notebook  # noqa: E402

SETUP = """
import torch
torch.manual_seed(0)
N = __N__
tokens = [f" t{i}" for i in torch.randint(0, 1000, (N,)).tolist()]
scores = torch.randn(1, 12, N, N) * 3
scores.masked_fill_(torch.triu(torch.ones(N, N, dtype=torch.bool), 1), float("-inf"))
pattern = scores.softmax(-1)[0]  # [n_heads, dest, src], as cache["pattern", 0][0]
values = torch.randn(N)
"""
CALLS = {"attention_heads": "cv.attention.attention_heads(attention=pattern, tokens=tokens)",
         "colored_tokens": "cv.tokens.colored_tokens(tokens, values)"}
IMPORTS = {"ours": "from interplay import circuitsvis as cv\n", "circuitsvis": "import circuitsvis as cv\n"}
HEATMAP_PAINTED = """() => { const c = document.querySelector('.interplay-token-heatmap canvas.interplay-heatmap-canvas');
  if (!c || !c.width) return false; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 64) if (d[i]) return true; return false; }"""
PAINTED = {("ours", "attention_heads"): OURS_PAINTED, ("ours", "colored_tokens"): HEATMAP_PAINTED,
           ("circuitsvis", "attention_heads"): CV_PAINTED, ("circuitsvis", "colored_tokens"): CV_PAINTED}


def time_cell(page: Any, lab: Any, name: str, setup: str, display: str, painted: str,
              timeout_s: float) -> tuple[float, int]:
    """Run ``setup``, then time ``display`` from Run to ``painted`` (NaN if not within ``timeout_s``),
    with the websocket bytes the page receives meanwhile (counted in Python, from Playwright's frame
    events: a page whose main thread a slow renderer holds cannot be asked)."""
    received = [0]

    def on_frame(data: str | bytes) -> None:
        received[0] += len(data.encode()) if isinstance(data, str) else len(data)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    write_notebook(lab, name, [setup, display])
    page.goto(f"{lab.url}/lab/tree/{name}?reset")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(f"({KERNEL_STATUS})() === 'idle'", timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell-and-select-next')")
    page.wait_for_timeout(500)
    page.wait_for_function(f"({KERNEL_STATUS})() === 'idle'", timeout=600_000)
    received[0] = 0
    t0 = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
    try:
        page.wait_for_function(painted, timeout=timeout_s * 1000, polling="raf")
        elapsed = time.perf_counter() - t0
    except PlaywrightTimeoutError:
        elapsed = float("nan")
    page.wait_for_timeout(500)
    return elapsed, received[0]


def measure(browser: Any, lab: Any, who: str, function: str, n: int, timeout_s: float) -> tuple[float, int]:
    """(Run to first paint in s, NaN if never within ``timeout_s``; bytes received) of one cell,
    in a fresh browser context (closed after, even while CircuitsVis is still rendering)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    try:
        return time_cell(context.new_page(), lab, f"{who}_{function}_{n}.ipynb", SETUP.replace("__N__", str(n)),
                         IMPORTS[who] + CALLS[function], PAINTED[who, function], timeout_s)
    finally:
        context.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attention", type=int, nargs="*", default=[64, 128, 256])
    ap.add_argument("--colored", type=int, nargs="*", default=[256, 4096])
    ap.add_argument("--timeout", type=float, default=120, help="seconds to wait for CircuitsVis's first paint")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    jobs = [("attention_heads", n) for n in args.attention] + [("colored_tokens", n) for n in args.colored]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, running_lab(Path(tmp)) as lab, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for function, n in jobs:
            ours = measure(browser, lab, "ours", function, n, 60)
            theirs = measure(browser, lab, "circuitsvis", function, n, args.timeout)
            rows.append((function, n, ours, theirs))
            print(f"  measured {function} at {n} tokens: ours {ours}, CircuitsVis {theirs}", flush=True)
        browser.close()

    def paint(s: float) -> str:
        return f"never (timeout {args.timeout:.0f} s)" if math.isnan(s) else f"{s:.2f} s"

    print("\nCircuitsVis drop-in: the same cell with `from interplay import circuitsvis as cv` vs "
          "`import circuitsvis as cv`, JupyterLab + headless Chromium (same session)\n")
    print("| function | tokens | ours: bytes | CircuitsVis: bytes | bytes ratio | ours: Run to first paint "
          "| CircuitsVis: Run to first paint | paint ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for function, n, (os_, ob), (cs, cb) in rows:
        ratio = f"1/{cb / ob:.0f}" if ob else "-"
        pratio = f"1/{cs / os_:.1f}" if not math.isnan(cs) and not math.isnan(os_) and os_ > 0 else "-"
        print(f"| {function} | {n} | {ob / 1e6:.3f} MB | {cb / 1e6:.3f} MB | {ratio} | {paint(os_)} | {paint(cs)} "
              f"| {pratio} |")


if __name__ == "__main__":
    main()
