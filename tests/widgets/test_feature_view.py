"""FeatureView at the Python level: synced traits and their bounds, the cards of the features on
screen, paging answers (from the data, past k from the source or "needs a re-run with larger k"),
labels that reach Python and survive a reopen of their file, the steer request with and without a
source, and the HTML export (every card and page embedded, stepping allowed in the file)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from interplay.data.features import FeatureSteeringData, TopActivationsData
from interplay.errors import InterplayError, NeedsModelError, ViewError
from interplay.widgets._serialize import decode_array
from interplay.widgets.feature import FeatureView, TopActivationsSource

XSS = "<img src=x onerror=alert(1)>"
TABLE = [" the", " Mary", " John", " store", XSS, "\n", " gave", " a", " drink", " to", "(", ")"]


def make_data(n_features: int = 5, k: int = 12, context: tuple[int, int] = (3, 2), rare: int = 4,
              rare_n: int = 3, seed: int = 0, logits: bool = True) -> TopActivationsData:
    """A real TopActivationsData from small arrays: feature f's top value is ``f + 1`` and falls
    linearly with rank; feature ``rare`` was active on only ``rare_n`` tokens (fewer than k). The
    max token of feature 0's top example is the XSS string."""
    rng = np.random.default_rng(seed)
    n_ctx = context[0] + 1 + context[1]
    c = context[0]
    acts = np.array([[(f + 1) * (1 - r / (2 * k)) for r in range(k)] for f in range(n_features)], np.float32)
    acts[rare, rare_n:] = np.nan
    where = np.stack([np.arange(k)[None, :].repeat(n_features, 0), np.full((n_features, k), 5)], -1).astype(np.int64)
    ctx_tokens = rng.integers(0, len(TABLE), (n_features, k, n_ctx)).astype(np.int32)
    ctx_tokens[:, :, 0] = np.where(np.arange(k) % 3 == 0, -1, ctx_tokens[:, :, 0])  # some rows start the sequence
    ctx_tokens[0, 0, c] = TABLE.index(XSS)
    ctx_values = (rng.random((n_features, k, n_ctx)) * 0.5 * acts[:, :, None]).astype(np.float32)
    ctx_values[:, :, c] = acts
    ctx_values[ctx_tokens < 0] = np.nan
    ctx_tokens[rare, rare_n:] = -1
    ctx_values[rare, rare_n:] = np.nan
    where[rare, rare_n:] = -1
    n_bins, n_b, n_s = 6, 3, 2
    top = np.nan_to_num(np.nanmax(acts, 1))
    hist_edges = np.stack([np.linspace(0, m, n_bins + 1) for m in top]).astype(np.float32)
    hist_counts = rng.integers(1, 500, (n_features, n_bins)).astype(np.int64)
    hist_counts[:, 0] = 10_000
    n_active = hist_counts.sum(1)
    bucket_edges = np.stack([np.linspace(0, m, n_b + 1) for m in top]).astype(np.float32)
    q_acts = np.stack([[np.linspace(bucket_edges[f, b], bucket_edges[f, b + 1], n_s + 2)[1:-1]
                        for b in range(n_b)] for f in range(n_features)]).astype(np.float32)
    q_acts[:, 0, 1] = np.nan  # the lowest bucket has one sample
    q_where = np.zeros((n_features, n_b, n_s, 2), np.int64)
    q_ctx_tokens = rng.integers(0, len(TABLE), (n_features, n_b, n_s, n_ctx)).astype(np.int32)
    q_ctx_values = (rng.random((n_features, n_b, n_s, n_ctx)) * q_acts[..., None]).astype(np.float32)
    q_ctx_values[..., c] = q_acts
    q_ctx_tokens[:, 0, 1] = -1
    q_ctx_values[:, 0, 1] = np.nan
    logit_ids = logit_values = None
    if logits:
        logit_ids = np.stack([np.stack([np.array([1, 2, 3]) + f % 3, np.array([6, 7, 8])]) for f in range(n_features)])
        logit_values = np.stack([np.stack([[0.9, 0.5, 0.2], [-0.1, -0.4, -0.8]]) for _ in range(n_features)])
        logit_values = logit_values.astype(np.float32)
    return TopActivationsData(
        features=[f"L2.{i}" for i in range(n_features)],
        feature_meta={"kind": "sae", "hook": "blocks.2.hook_resid_post", "indices": list(range(n_features)),
                      "dictionary": "demo/resid_post.2"},
        context=list(context), n_tokens=123_456, table_ids=np.arange(len(TABLE), dtype=np.int64),
        token_table=list(TABLE), acts=acts, where=where, ctx_tokens=ctx_tokens, ctx_values=ctx_values,
        hist_edges=hist_edges, hist_counts=hist_counts, n_active=n_active, bucket_edges=bucket_edges,
        q_acts=q_acts, q_where=q_where, q_ctx_tokens=q_ctx_tokens, q_ctx_values=q_ctx_values,
        logit_ids=logit_ids, logit_values=logit_values,
        logit_note="through the unembedding with the final LayerNorm's scale frozen at 1 (W_dec @ W_U)",
        labels={"1": "names"}, notes=["a test dataset"])


class FakeSource:
    """A live source: steering returns a real FeatureSteeringData; examples past k are made up."""

    def __init__(self, paging: bool = True) -> None:
        self.calls: list[tuple[Any, ...]] = []
        if not paging:
            self.more_examples = None  # type: ignore[assignment]

    def steer(self, feature: int, prompt: str, mode: str, value: float, keep_error: bool) -> FeatureSteeringData:
        self.calls.append(("steer", feature, prompt, mode, value, keep_error))
        return FeatureSteeringData(
            prompt=prompt, feature=f"L2.{feature}", latent=feature, mode=mode, value=value, keep_error=keep_error,
            baseline_text=" the store", steered_text=f" {XSS} Mary", baseline_tokens=[" the", " store"],
            steered_tokens=[f" {XSS}", " Mary"], changes=[[" Mary", 0.1, 0.6], [" the", 0.5, 0.2]], kl=0.42,
            notes=["greedy, 2 tokens"])

    def more_examples(self, feature: int, start: int, count: int) -> dict[str, Any]:
        self.calls.append(("more", feature, start, count))
        n = min(count, 3)
        return {"tokens": [[None, " a", " b", f" m{start + i}", " c", "\n"] for i in range(n)],
                "values": np.tile(np.array([np.nan, 0.1, 0.2, 0.5, 0.1, 0.0], np.float32), (n, 1)),
                "acts": np.full(n, 0.5, np.float32), "where": np.full((n, 2), 7)}


def rows(answer: dict[str, Any]) -> list[list[str | None]]:
    """Example rows of an answer as token strings (None outside the sequence)."""
    idx = decode_array(answer["tokens"])
    return [[answer["table"][i] if i >= 0 else None for i in r] for r in idx.tolist()]


# ---------------------------------------------------------------------------------- traits


def test_traits_and_the_card_of_the_feature_on_screen() -> None:
    d = make_data()
    v = FeatureView(d, feature=2, page_size=4)
    assert v.n_features == 5 and v.feature == 2 and v.feature_names[2] == "L2.2" and v.context == [3, 2]
    assert list(v.cards) == ["2"] and v.labels == {"1": "names"} and v.live is False
    card = v.cards["2"]
    assert card["name"] == "L2.2" and card["n_active"] == int(d.n_active[2]) and card["n_tokens"] == 123_456
    assert card["density"] == pytest.approx(d.n_active[2] / 123_456)
    assert card["max_act"] == pytest.approx(3.0) and card["n_examples"] == 12 and card["k"] == 12
    ex = card["examples"]
    assert ex["n"] == 4 and ex["more"] == "data"
    np.testing.assert_array_equal(decode_array(ex["acts"]), d.acts[2, :4])
    np.testing.assert_array_equal(decode_array(ex["values"]), d.ctx_values[2, :4])
    assert rows(ex)[1] == [TABLE[i] if i >= 0 else None for i in d.ctx_tokens[2, 1]]
    assert ex["values"]["vmin"] == 0 and ex["values"]["vmax"] == pytest.approx(3.0)
    np.testing.assert_array_equal(decode_array(card["hist_counts"]), d.hist_counts[2])
    np.testing.assert_array_equal(decode_array(card["hist_edges"]), d.hist_edges[2])
    assert [b["n"] for b in card["buckets"]] == [1, 2, 2]
    assert card["bucket_edges"] == pytest.approx(d.bucket_edges[2].tolist())
    assert card["logits"]["promoted"] == [[" store", pytest.approx(0.9)], [XSS, pytest.approx(0.5)],
                                          ["\n", pytest.approx(0.2)]]
    assert [t for t, _ in card["logits"]["suppressed"]] == [" gave", " a", " drink"]
    expect_prompt = "".join(TABLE[i] for i in d.ctx_tokens[2, 0, :4] if i >= 0)
    assert card["prompt"] == expect_prompt
    assert "sae at blocks.2.hook_resid_post" in v.title and "123,456 tokens" in v.title


def test_stepping_and_several_side_by_side() -> None:
    v = FeatureView(make_data())
    v.feature = 3
    assert list(v.cards) == ["3"]
    v.shown = [1, 4]
    assert v.displayed() == [1, 4, 3] and list(v.cards) == ["1", "4", "3"]
    v.feature = 4
    assert list(v.cards) == ["1", "4"]
    assert v.cards["4"]["n_examples"] == 3 and v.cards["4"]["examples"]["more"] == "none"


@pytest.mark.parametrize("bad", [5, -1, 2.5, True, "1"])
def test_a_bad_feature_from_python_raises_a_view_error(bad: Any) -> None:
    v = FeatureView(make_data())
    with pytest.raises(ViewError, match=r"FeatureView\.feature"):
        v.feature = bad
    assert v.feature == 0
    with pytest.raises(ViewError, match=r"out of range: 0\.\.4"):
        FeatureView(make_data(), feature=9)


def test_bad_shown_and_arguments_are_named() -> None:
    v = FeatureView(make_data())
    with pytest.raises(ViewError, match="out of range"):
        v.shown = [1, 7]
    with pytest.raises(ViewError, match="twice"):
        v.shown = [1, 1]
    with pytest.raises(ViewError, match="at most 8"):
        FeatureView(make_data(n_features=10)).shown = list(range(9))
    with pytest.raises(ViewError, match="page_size=0"):
        FeatureView(make_data(), page_size=0)
    with pytest.raises(ViewError, match="shows a TopActivationsData"):
        FeatureView(np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected argument"):
        FeatureView(make_data(), featur=1)


def test_a_bad_feature_from_the_page_is_refused_and_the_good_value_sent_back() -> None:
    v = FeatureView(make_data())
    sent_back: list[Any] = []
    v.send_state = lambda key=None: sent_back.append(key)  # type: ignore[method-assign]
    v.set_state({"feature": 99})
    assert v.feature == 0 and "feature" in sent_back and "out of range" in v.error
    v.set_state({"feature": 3})
    assert v.feature == 3 and v.error == "" and list(v.cards) == ["3"]


# ---------------------------------------------------------------------------------- paging


def test_paging_from_the_data_then_past_k() -> None:
    d = make_data()
    v = FeatureView(d, page_size=5)
    a = v.answer("examples", {"feature": 1, "start": 5, "count": 5})
    assert a["n"] == 5 and a["more"] == "data"
    np.testing.assert_array_equal(decode_array(a["acts"]), d.acts[1, 5:10])
    assert rows(a)[0] == [TABLE[i] if i >= 0 else None for i in d.ctx_tokens[1, 5]]
    last = v.answer("examples", {"feature": 1, "start": 10, "count": 5})
    assert last["n"] == 2 and last["more"] == "rerun"
    with pytest.raises(NeedsModelError, match=r"past the top 12 of feature 1 need a re-run with larger k.*k=24"):
        v.answer("examples", {"feature": 1, "start": 12, "count": 5})
    rare = v.answer("examples", {"feature": 4, "start": 3, "count": 5})
    assert rare["n"] == 0 and rare["more"] == "none"
    with pytest.raises(ViewError, match="count=0"):
        v.answer("examples", {"feature": 1, "start": 0, "count": 0})
    with pytest.raises(ViewError, match="out of range"):
        v.answer("examples", {"feature": 5, "start": 0, "count": 2})


def test_paging_past_k_asks_the_source() -> None:
    src = FakeSource()
    v = FeatureView(make_data(), src, page_size=5)
    assert v.more_source is True and v.live is True
    assert v.answer("examples", {"feature": 1, "start": 10, "count": 5})["more"] == "source"
    a = v.answer("examples", {"feature": 1, "start": 12, "count": 5})
    assert src.calls == [("more", 1, 12, 5)]
    assert a["n"] == 3 and a["more"] == "none"
    assert rows(a)[2] == [None, " a", " b", " m14", " c", "\n"]
    assert np.isnan(decode_array(a["values"])[0, 0])


def test_a_numpy_source_pages_from_a_larger_run() -> None:
    big, small = make_data(k=12), make_data(k=6)
    v = FeatureView(small, TopActivationsSource(big), page_size=3)
    assert v.live is False and v.more_source is True
    a = v.answer("examples", {"feature": 2, "start": 6, "count": 3})
    np.testing.assert_array_equal(decode_array(a["acts"]), big.acts[2, 6:9])
    with pytest.raises(NeedsModelError, match="needs a live model"):
        v.answer("steer", {"feature": 0, "prompt": "x", "mode": "scale", "value": 2.0, "keep_error": True})


# ---------------------------------------------------------------------------------- labels


def test_a_label_from_the_page_reaches_python() -> None:
    v = FeatureView(make_data())
    v.set_state({"labels": {"1": "names", "3": "closing bracket " + XSS}})
    assert v.labels == {"1": "names", "3": "closing bracket " + XSS}
    v.set_state({"labels": {"1": "", "3": "x"}})
    assert v.labels == {"3": "x"}
    v.send_state = lambda key=None: None  # type: ignore[method-assign]
    v.set_state({"labels": {"9": "no such feature"}})
    assert v.labels == {"3": "x"} and "not a feature index" in v.error
    with pytest.raises(ViewError, match="a label is a string"):
        v.labels = {"2": 5}


def test_labels_are_durable_and_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    d = make_data()
    v = FeatureView(d, path=path)
    assert v.saved_to == str(path) and v.path == path
    assert json.loads(path.read_text())["labels"] == {"1": "names"}  # the data's labels seed a new file
    v.set_state({"labels": {**v.labels, "2": "brackets"}})
    v.label(4, "rare thing")
    on_disk = json.loads(path.read_text())
    assert on_disk["labels"] == {"1": "names", "2": "brackets", "4": "rare thing"}
    assert on_disk["format"] == "interplay.feature-labels" and on_disk["n_features"] == 5
    del v
    again = FeatureView(d, path=path)  # e.g. after a kernel restart
    assert again.labels == {"1": "names", "2": "brackets", "4": "rare thing"}
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


def test_a_labels_file_of_other_features_or_damaged_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    FeatureView(make_data(), path=path).label(2, "x")
    before = path.read_bytes()
    with pytest.raises(ViewError, match="labels of other features"):
        FeatureView(make_data(n_features=6), path=path)
    assert path.read_bytes() == before
    path.write_text("{not json")
    with pytest.raises(ViewError, match="is not a feature labels file"):
        FeatureView(make_data(), path=path)
    assert path.read_text() == "{not json"
    with pytest.raises(ViewError, match="is a folder"):
        FeatureView(make_data(), path=tmp_path)


def test_a_label_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    v = FeatureView(make_data(), path=folder / "labels.json")
    (folder / "labels.json").unlink()
    folder.rmdir()
    v.send_state = lambda key=None: None  # type: ignore[method-assign]
    v.set_state({"labels": {"0": "lost?"}})
    assert v.labels == {"1": "names"} and "cannot write the labels" in v.error


# ---------------------------------------------------------------------------------- steering


STEER = {"feature": 2, "prompt": "When Mary", "mode": "clamp", "value": 5.0, "keep_error": False}


def test_steer_with_a_source_returns_both_generations_and_is_kept() -> None:
    src = FakeSource()
    v = FeatureView(make_data(), src)
    a = v.answer("steer", STEER)
    assert src.calls == [("steer", 2, "When Mary", "clamp", 5.0, False)]
    assert a["baseline_text"] == " the store" and a["steered_text"] == f" {XSS} Mary"
    assert a["changes"] == [[" Mary", 0.1, 0.6], [" the", 0.5, 0.2]] and a["kl"] == pytest.approx(0.42)
    assert a["index"] == 2 and a["mode"] == "clamp" and a["keep_error"] is False
    assert v.steering == a  # survives a saved notebook
    json.dumps(a)  # plain JSON


def test_steer_without_a_source_needs_a_live_model_and_bad_params_are_named() -> None:
    v = FeatureView(make_data())
    with pytest.raises(NeedsModelError, match=r"Steering feature 2 \(L2.2\) needs a live model"):
        v.answer("steer", STEER)
    src_view = FeatureView(make_data(), FakeSource())
    for bad, match in [({"mode": "boost"}, "mode='boost'; accepted: scale, clamp, ablate, add"),
                       ({"value": float("nan")}, "finite number"), ({"prompt": ""}, "non-empty"),
                       ({"feature": 8}, "out of range"), ({"keep_error": "yes"}, "true or false")]:
        with pytest.raises(ViewError, match=re.escape(match) if "(" not in match else match):
            src_view.answer("steer", {**STEER, **bad})


def test_requests_answer_over_the_comm_with_binary_buffers() -> None:
    v = FeatureView(make_data(), page_size=3)
    sent: list[tuple[Any, Any]] = []
    v.send = lambda content, buffers=None: sent.append((content, buffers))  # type: ignore[method-assign]
    v._on_custom_msg(v, {"type": "interplay:request", "id": "r1", "method": "examples",
                         "params": {"feature": 0, "start": 3, "count": 3}}, [])
    content, buffers = sent[-1]
    assert content["ok"] is True and content["id"] == "r1" and len(buffers) == 4
    assert ["tokens", "data"] in content["buffer_paths"]
    v._on_custom_msg(v, {"type": "interplay:request", "id": "r2", "method": "steer", "params": STEER}, [])
    assert sent[-1][0]["ok"] is False and "needs a live model" in sent[-1][0]["error"]


# ---------------------------------------------------------------------------------- export


def test_html_export_embeds_every_card_and_page(tmp_path: Path) -> None:
    from interplay.widgets._html import request_key

    v = FeatureView(make_data(), FakeSource(), page_size=5)
    text = v.to_html(tmp_path / "f.html").read_text()
    payload = json.loads(re.search(r'id="interplay-export">(.*?)</script>', text, re.S).group(1))  # type: ignore[union-attr]
    spec = payload["views"][0]
    keys = {a["key"] for a in spec["answers"]}
    for f in range(5):
        assert request_key("card", {"feature": f}) in keys
    assert request_key("examples", {"feature": 1, "start": 5, "count": 5}) in keys
    assert request_key("examples", {"feature": 1, "start": 10, "count": 5}) in keys
    assert request_key("examples", {"feature": 4, "start": 5, "count": 5}) not in keys  # it has 3
    assert "feature" not in spec["python_traits"] and "shown" not in spec["python_traits"]
    assert spec["state"]["live"] is False and spec["state"]["saved_to"] == ""
    assert XSS not in text  # "<" is escaped inside the JSON: token strings stay data
    with pytest.raises(ViewError, match="max_features=0"):
        v.to_html(max_features=0)
    small = json.loads(re.search(r'id="interplay-export">(.*?)</script>', v.to_html(max_features=2),  # type: ignore[union-attr]
                                 re.S).group(1))
    assert sum(a["method"] == "card" for a in small["views"][0]["answers"]) == 2
    v.shown = [3, 1]
    tiny = json.loads(re.search(r'id="interplay-export">(.*?)</script>', v.to_html(max_bytes=0),  # type: ignore[union-attr]
                                re.S).group(1))["views"][0]
    assert [a["params"]["feature"] for a in tiny["answers"] if a["method"] == "card"] == [3]  # on screen first
    assert "holds 1 of the 5 features" in tiny["note"]
    with pytest.raises(ViewError, match="max_bytes=-1"):
        v.to_html(max_bytes=-1)


def test_a_source_that_returns_the_wrong_thing_is_named() -> None:
    class Bad(FakeSource):
        def steer(self, *a: Any) -> Any:  # type: ignore[override]
            return {"not": "data"}

    with pytest.raises(InterplayError, match="not a FeatureSteeringData"):
        FeatureView(make_data(), Bad()).answer("steer", STEER)
