"""Benchmark: exported HTML files (``view.to_html``), per view: the file's size, the time to write
it, and the time to open it from file:// in headless Chromium until every view has drawn.

Views: one of every kind of result on the bundled demo model, and an AttentionView of 12 layers x 12
heads from softmaxed random causal float32 patterns at 128 and 1024 tokens (default head budget and
``heads='all'``). Peer, in the same run: CircuitsVis's ``attention_heads`` HTML for one layer (12
heads) of the same patterns at 128 tokens: its size, and whether it opens with no network (it loads
its JavaScript from a CDN, so it cannot: we block every non-file request, as an offline laptop would).

Run: ``python bench/html_export.py [--sizes 128 1024]``
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.results.builders import BUILDERS  # noqa: E402
from tests.widgets.test_html_export import causal_patterns  # noqa: E402

LOCAL = re.compile(r"^(file|blob|data):")


def open_time(browser: Any, path: Path, selector: str, timeout_s: float = 30) -> tuple[float | None, int]:
    """Seconds from navigation to ``selector`` present (None: never within the timeout), and the
    number of network requests refused on the way."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    refused = []

    def route(r: Any) -> None:
        if LOCAL.match(r.request.url):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    try:
        page.wait_for_selector(selector, timeout=timeout_s * 1000, state="attached")
        seconds: float | None = time.perf_counter() - t0
    except Exception:
        seconds = None
    context.close()
    return seconds, len(refused)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="*", default=[128, 1024])
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    import interplay

    rows: list[tuple[str, float, float, float | None, int]] = []
    out = Path(tempfile.mkdtemp(prefix="interplay-bench-html-"))
    model = interplay.load()
    views: list[tuple[str, Any, dict[str, Any]]] = []
    for kind in sorted(set(BUILDERS) - {"SteeringResult"}):
        views.append((kind.replace("Result", "View"), BUILDERS[kind](model).show(), {}))
    for n in args.sizes:
        att = interplay.AttentionView.from_arrays([f"t{i}" for i in range(n)], causal_patterns(12, 12, n))
        views.append((f"AttentionView {n} tok", att, {}))
        views.append((f"AttentionView {n} tok, heads='all'", att, {"heads": "all"}))
    files = []
    for label, view, options in views:
        path = out / f"{len(files)}.html"
        t0 = time.perf_counter()
        if hasattr(view, "to_html"):
            view.to_html(path, **options)
        else:  # a Box of views (the DLA view with its attention)
            interplay.save_html(view, path)
        files.append((label, path, time.perf_counter() - t0))

    cv_file = None
    if 128 in args.sizes:
        try:
            import circuitsvis as cv

            pats = causal_patterns(1, 12, 128)[0]
            cv_file = out / "circuitsvis.html"
            cv_file.write_text(str(cv.attention.attention_heads(attention=pats, tokens=[f"t{i}" for i in range(128)])))
        except Exception as exc:  # the peer is optional
            print(f"circuitsvis: not measured ({type(exc).__name__}: {exc})")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for label, path, write_s in files:
            seconds, refused = open_time(browser, path, "#interplay-root[data-rendered='true']")
            rows.append((label, path.stat().st_size / 1e6, write_s, seconds, refused))
        if cv_file is not None:
            seconds, refused = open_time(browser, cv_file, "canvas, svg", timeout_s=15)
            rows.append(("CircuitsVis attention_heads 128 tok (1 layer)", cv_file.stat().st_size / 1e6, 0.0, seconds,
                         refused))
        browser.close()

    ours128 = next((r for r in rows if r[0] == "AttentionView 128 tok"), None)
    print(f"\n{'view':48} {'file MB':>8} {'write s':>8} {'open s':>8} {'net req':>8}")
    for label, mb, write_s, seconds, refused in rows:
        opened = f"{seconds:.2f}" if seconds is not None else "never"
        print(f"{label:48} {mb:8.3f} {write_s:8.2f} {opened:>8} {refused:8d}")
    if ours128 is not None and cv_file is not None:
        cv_row = rows[-1]
        print(f"\nbytes, ours (144 heads, 128 tok) / CircuitsVis (12 heads): {ours128[1] / cv_row[1]:.2f}x; "
              f"CircuitsVis offline: {'opens' if cv_row[3] is not None else 'never draws (its JS is on a CDN)'}")


if __name__ == "__main__":
    main()
