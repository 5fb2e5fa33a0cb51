"""Benchmark: a burst of requests from a view (someone scrolling through every head), answered by the
Python side exactly as the comm delivers them (``widget._on_custom_msg`` once per message).

The view is an ``AttentionView`` (``--source arrays``: ``from_arrays`` on softmaxed random causal
patterns, 12 layers x 12 heads by default; ``--source model``: ``interplay.attention(model, prompt)``
on the bundled demo model, whose patterns are computed per layer on request). The requests ask for
the pattern of one head in a window of 128 queries (half the tokens if fewer), head after head, a window further down on each pass,
every tenth one going back to a head seen before (a cache hit). Printed: requests/s, the p50 / p99
latency of one answer, the peak Python memory while answering (tracemalloc) and the cache's size,
replies lost (must be 0), and how many requests the view cancelled (rpc.ts does not cancel superseded
requests: every request is answered and the view draws the one it now shows; identical requests in
flight are shared).

Run: ``python bench/request_burst.py [--requests 1000] [--tokens 256] [--source arrays|model]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.reliability.test_faults import burst_view, scroll_requests  # noqa: E402


def live_view(n_tokens: int) -> Any:
    import interplay

    model = interplay.load()
    words = ["When", "Mary", "and", "John", "went", "to", "the", "store,", "John", "gave", "a", "drink", "to", "Mary."]
    n_words = min(n_tokens, (model.cfg.n_ctx or n_tokens) * 2 // 3)  # a word is one or two tokens
    prompt = " ".join(words[i % len(words)] for i in range(n_words))
    view = interplay.attention(model, prompt).show()
    return view


def run(n_requests: int, n_tokens: int, source: str) -> dict[str, float]:
    view = burst_view(12, 12, n_tokens) if source == "arrays" else live_view(n_tokens)
    n_tok = len(view.tokens)
    window = min(128, n_tok // 2)
    requests = scroll_requests(n_requests, view.n_layers, view.n_heads, n_tok, window)
    answered: list[str] = []
    errors: list[str] = []

    def send(content: dict[str, Any], buffers: Any = None) -> None:
        answered.append(content["id"])
        if not content["ok"]:
            errors.append(content["error"])

    view.send = send
    latencies = []
    tracemalloc.start()
    t0 = time.perf_counter()
    for msg in requests:
        t = time.perf_counter()
        view._on_custom_msg(view, msg, [])
        latencies.append(time.perf_counter() - t)
    total = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    in_order = answered == [m["id"] for m in requests]
    q = statistics.quantiles(latencies, n=100)
    return {"requests": n_requests, "tokens": n_tok, "window": window, "requests_per_s": n_requests / total,
            "p50_ms": q[49] * 1e3, "p99_ms": q[98] * 1e3, "peak_mib": peak / 2**20,
            "cached_replies": len(view._rpc_cache), "lost": n_requests - len(answered), "errors": len(errors),
            "in_order": float(in_order), "cancelled": 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--source", choices=("arrays", "model"), default="arrays")
    args = ap.parse_args()
    r = run(args.requests, args.tokens, args.source)
    print(f"{r['requests']:.0f} requests ({args.source}, {r['tokens']:.0f} tokens, {r['window']:.0f}-query windows)")
    print(f"  throughput   {r['requests_per_s']:,.0f} requests/s")
    print(f"  latency      p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms")
    print(f"  peak memory  {r['peak_mib']:.1f} MiB (tracemalloc), {r['cached_replies']:.0f} replies cached")
    print(f"  replies lost {r['lost']:.0f}, errors {r['errors']:.0f}, in order: {'yes' if r['in_order'] else 'NO'}")
    print(f"  cancelled    {r['cancelled']} (the view does not cancel superseded requests; each is answered)")
    if r["lost"] or r["errors"] or not r["in_order"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
