"""view.to_html / interplay.save_html at the Python level: what the file holds, escaping, the
attention view's head budget, the embedded drill-downs, and clear errors."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.errors import InterplayError, ViewError
from interplay.widgets import _html

EVIL = "</script><img src=x onerror=alert(1)>&amp;"


def payload_of(text: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="interplay-export">(.*?)</script>', text, re.S)
    assert m is not None
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def decode(b: dict[str, Any]) -> bytes:
    raw = base64.b64decode(b["b64"])
    return gzip.decompress(raw) if b.get("gzip") else raw


def causal_patterns(n_layers: int, n_heads: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n_layers, n_heads, n, n)).astype(np.float32) * 3
    logits[..., ~np.tril(np.ones((n, n), bool))] = -np.inf
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


def test_the_file_holds_module_state_and_buffers() -> None:
    values = np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 12)
    view = interplay.TokenHeatmapView.from_arrays([f"t{i}" for i in range(12)], values, title="two rows")
    text = view.to_html()
    assert text.startswith("<!DOCTYPE html>") and "<title>two rows</title>" in text
    p = payload_of(text)
    assert p["format"] == _html.FORMAT and len(p["views"]) == 1
    spec = p["views"][0]
    assert spec["kind"] == "TokenHeatmapView" and p["modules"][spec["module"]] == view._esm
    assert "_esm" not in spec["state"] and spec["state"]["tokens"] == view.tokens
    # the buffers put back where the state says give the view's own wire payload
    [path] = spec["buffer_paths"]
    assert path == ["values", "data"]
    got = np.frombuffer(decode(spec["buffers"][0]), dtype=spec["state"]["values"]["dtype"])
    np.testing.assert_array_equal(got.reshape(spec["state"]["values"]["shape"]), values)
    assert spec["python_traits"] == [] and spec["answers"] == [] and spec["heads"] is None


def test_model_text_stays_data_never_markup(tmp_path: Path) -> None:
    view = interplay.TokenHeatmapView.from_arrays([EVIL, "b"], np.array([1.0, 2.0]), title=EVIL)
    text = interplay.save_html(view, tmp_path / "x.html", title=EVIL).read_text(encoding="utf-8")
    head, body = text.split('<script type="application/json" id="interplay-export">', 1)
    payload, rest = body.split("</script>", 1)
    assert "<" not in payload and ">" not in payload and "&" not in payload  # nothing can end the script
    assert EVIL not in head  # the title went in escaped
    assert payload_of(text)["views"][0]["state"]["tokens"][0] == EVIL  # and comes back exact
    assert "<script" not in rest.split('<script type="module">', 1)[1].split("</script>")[0]


def test_save_html_dedupes_modules_and_keeps_order(tmp_path: Path) -> None:
    a = interplay.TokenHeatmapView.from_arrays(["a", "b"], np.array([1.0, 2.0]))
    b = interplay.TokenHeatmapView.from_arrays(["c", "d"], np.array([3.0, 4.0]))
    att = interplay.AttentionView.from_arrays(["x", "y", "z"], causal_patterns(1, 2, 3))
    path = interplay.save_html([a, att, b], tmp_path / "three.html", title="three")
    p = payload_of(path.read_text(encoding="utf-8"))
    assert [v["kind"] for v in p["views"]] == ["TokenHeatmapView", "AttentionView", "TokenHeatmapView"]
    assert [v["state"]["tokens"] for v in p["views"]][::2] == [["a", "b"], ["c", "d"]]
    assert len(p["modules"]) == 2
    assert not list(tmp_path.glob(".three.html.*"))  # written through a temporary file, which is gone


def test_attention_embeds_heads_within_the_budget() -> None:
    pats = causal_patterns(2, 3, 40)
    view = interplay.AttentionView.from_arrays([f"t{i}" for i in range(40)], pats, selected={"layer": 1, "head": 2})
    spec = payload_of(view.to_html())["views"][0]
    heads = spec["heads"]
    assert heads["n"] == 40 and len(heads["keys"]) == 6 and "6 of 6 heads" in spec["note"]
    codes = np.frombuffer(decode(heads["buffers"][heads["keys"].index("1/2")]), np.uint8).reshape(40, 40)
    np.testing.assert_array_equal(codes, _html_quantize(pats[1, 2]))
    # a budget: the selected head always comes first
    one = len(_html.encode_buffer(_html_quantize(pats[1, 2]).tobytes())["b64"])
    spec = payload_of(view.to_html(max_bytes=one))["views"][0]
    assert spec["heads"]["keys"] == ["1/2"] and "1 of 6 heads" in spec["note"]
    two = view._head_order()[:2]
    assert two[0] == (1, 2)
    assert payload_of(view.to_html(heads=2))["views"][0]["heads"]["keys"] == sorted(f"{a}/{b}" for a, b in two)
    assert sorted(payload_of(view.to_html(heads=[(0, 1), (1, 0)]))["views"][0]["heads"]["keys"]) == ["0/1", "1/0"]
    none = payload_of(view.to_html(heads=0))["views"][0]
    assert none["heads"] is None and "No head pattern" in none["note"]
    assert len(payload_of(view.to_html(heads="all", max_bytes=0))["views"][0]["heads"]["keys"]) == 6


def _html_quantize(x: np.ndarray) -> np.ndarray:
    from interplay.widgets._serialize import quantize_u8

    return quantize_u8(x, 0.0, 1.0)


def test_heads_order_follows_the_table() -> None:
    """Without a selection, the heads embedded first are those the table lists first."""
    pats = causal_patterns(2, 2, 16, seed=3)
    view = interplay.AttentionView.from_arrays([f"t{i}" for i in range(16)], pats)
    first = np.asarray(view.data.scores[0]).reshape(-1)
    best = int(np.argmax(first))
    keys = payload_of(view.to_html(heads=1))["views"][0]["heads"]["keys"]
    assert keys == [f"{best // 2}/{best % 2}"]


@pytest.mark.parametrize("heads", ["some", -1, [(0, 9)], [(0,)], 1.5, True])
def test_bad_heads_are_named(heads: Any) -> None:
    view = interplay.AttentionView.from_arrays(["a", "b"], causal_patterns(1, 2, 2))
    with pytest.raises(InterplayError, match="heads"):
        view.to_html(heads=heads)


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    view = interplay.TokenHeatmapView.from_arrays(["a"], np.array([1.0]))
    with pytest.raises(TypeError, match=r"unexpected option.*'heads'"):
        view.to_html(heads=3)
    with pytest.raises(ViewError, match="not a str"):
        interplay.save_html("view", tmp_path / "x.html")
    with pytest.raises(ViewError, match="no views"):
        interplay.save_html([], tmp_path / "x.html")
    with pytest.raises(ViewError, match="not a int"):
        interplay.save_html([view, 3], tmp_path / "x.html")
    with pytest.raises(ViewError, match=r"folder .* does not exist"):
        view.to_html(tmp_path / "missing" / "x.html")
    with pytest.raises(ViewError, match="is a folder"):
        view.to_html(tmp_path)
    with pytest.raises(ViewError, match="title must be a string"):
        interplay.save_html(view, tmp_path / "x.html", title=3)  # type: ignore[arg-type]
    with pytest.raises(ViewError, match="path must be a file path"):
        interplay.save_html(view, 3)  # type: ignore[arg-type]


def test_traits_python_observes_are_listed(gpt2: Any) -> None:
    """An edit the page cannot compute (Python reacts to it) is undone in the file and explained."""
    spec = payload_of(interplay.logit_lens(gpt2, "one two three").show().to_html())["views"][0]
    assert spec["python_traits"] == ["apply_ln", "mode", "target"]


def test_request_keys_match_the_page() -> None:
    """The key a request is replayed by: the same text as js/export/answers.ts requestKey."""
    assert _html.request_key("node", {"prompt": 0, "name": "L1H2"}) == '["node",{"name":"L1H2","prompt":0}]'
    assert _html.request_key("x", {"b": {"d": 1, "c": [1, "é"]}}) == '["x",{"b":{"c":[1,"é"],"d":1}}]'


def test_circuit_embeds_every_node_and_k() -> None:
    from tests.widgets.test_circuit_view import _data

    view = interplay.CircuitView(_data())
    spec = payload_of(view.to_html())["views"][0]
    nodes = {a["params"]["name"] for a in spec["answers"] if a["method"] == "node"}
    assert nodes == {n.name for n in view.data.graph.nodes}
    ks = sorted(a["params"]["k"] for a in spec["answers"] if a["method"] == "faithfulness")
    assert ks == list(range(view._n_sent + 1))
    a = next(a for a in spec["answers"] if a["method"] == "node" and a["result"]["kind"] == "head")
    assert a["result"] == json.loads(json.dumps(view.answer("node", a["params"])))  # the same answer as live
    assert a["key"] == _html.request_key("node", a["params"])
    fewer = payload_of(view.to_html(faithfulness_every=5))["views"][0]
    assert sorted(x["params"]["k"] for x in fewer["answers"] if x["method"] == "faithfulness") == \
        list(range(0, view._n_sent + 1, 5))
    with pytest.raises(InterplayError, match="faithfulness_every"):
        view.to_html(faithfulness_every=0)


def test_attention_at_1024_tokens_stays_under_5_mb(tmp_path: Path) -> None:
    """The size budget the issue sets: 12 x 12 heads, 1024 tokens, default export < 5 MB."""
    pats = causal_patterns(12, 12, 1024)
    view = interplay.AttentionView.from_arrays([f"t{i}" for i in range(1024)], pats)
    path = view.to_html(tmp_path / "a.html")
    size = path.stat().st_size
    spec = payload_of(path.read_text(encoding="utf-8"))["views"][0]
    assert size < 5_000_000, size
    assert len(spec["heads"]["keys"]) >= 3  # the budget buys several heads in full


def test_annotator_file_says_edits_stay_in_the_page(tmp_path: Path) -> None:
    view = interplay.AnnotatorView.from_texts([["a", "b"]], labels=["x"], path=tmp_path / "labels.jsonl")
    assert view.saved_to
    spec = payload_of(view.to_html())["views"][0]
    assert spec["state"]["saved_to"] == "" and "stay in this page" in spec["note"]
    assert view.saved_to  # the live view is untouched
