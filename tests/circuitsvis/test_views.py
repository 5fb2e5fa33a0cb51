"""Each CircuitsVis function gives the right interplay view holding the data CircuitsVis would draw:
on the shapes CircuitsVis's docs use, compared with the props the real CircuitsVis renders, and with
what the view sends to the page; torch tensors and numpy arrays give the same view."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from interplay import AttentionView, LogitLensView, TokenHeatmapView
from interplay import circuitsvis as cv
from interplay.circuitsvis._views import BoundedTokenHeatmapView
from interplay.errors import ViewError
from interplay.widgets._serialize import decode_array
from tests.circuitsvis.conftest import softmaxed
from tests.helpers import sent, wire


def state(view: Any) -> dict[str, Any]:
    """Everything a view syncs, payloads as (dtype, shape, bytes, vmin, vmax): comparable."""
    out = {}
    for name, value in view.get_state().items():
        if name.startswith("_") or name in ("layout", "comm_id"):
            continue
        if isinstance(value, dict) and "data" in value:
            value = (value["dtype"], tuple(value["shape"]), bytes(value["data"]), value["vmin"], value["vmax"])
        out[name] = value
    return out


# ------------------------------------------------------------------------------------------- attention
def test_attention_heads_shows_the_layer_as_circuitsvis_gets_it(rng: np.random.Generator, tokens: list[str],
                                                               circuitsvis_props: Any) -> None:
    pattern = softmaxed(rng, 12, len(tokens))
    view = cv.attention.attention_heads(attention=pattern, tokens=tokens)
    theirs = circuitsvis_props("attention", "attention_heads", attention=pattern, tokens=tokens)
    assert isinstance(view, AttentionView)
    assert theirs["_component"] == "AttentionHeads"
    assert view.tokens == theirs["tokens"] == tokens
    assert (view.n_layers, view.n_heads) == (1, 12)
    assert view.data.patterns is not None and view.data.patterns.shape == (1, 12, 20, 20)
    np.testing.assert_array_equal(view.data.patterns[0], np.asarray(theirs["attention"], np.float32))
    assert view.data.patterns[0] is pattern or np.shares_memory(view.data.patterns, pattern)  # held, not copied
    assert view.selected == {"layer": 0, "head": 0} and view.causal
    # what the page gets when it asks for head 5's pattern: the input, quantised to 1/254
    reply = view._pattern(0, 5)
    got = decode_array(reply["pattern"])
    assert reply["stride"] == 1 and got.shape == (20, 20)
    np.testing.assert_allclose(got, pattern[5], atol=0.5 / 254 + 1e-6)
    thumbs = sent(view, "thumbnails")
    assert thumbs.shape == (1, 12, 20, 20)  # 20 tokens: one cell per position
    np.testing.assert_allclose(thumbs[0], pattern, atol=0.5 / 254 + 1e-6)


def test_a_transformerlens_cache_slice_equals_numpy(rng: np.random.Generator, tokens: list[str]) -> None:
    """``cache["pattern", 0][0]``: a torch tensor [heads, dest, src] (with grad, any dtype) gives the
    same view as the numpy array."""
    scores = torch.randn(1, 4, len(tokens), len(tokens), requires_grad=True)
    mask = torch.triu(torch.ones(len(tokens), len(tokens), dtype=torch.bool), 1)
    cache_pattern = scores.masked_fill(mask, float("-inf")).softmax(-1)  # [batch, head, dest, src]
    from_torch = cv.attention.attention_heads(attention=cache_pattern[0], tokens=tokens)
    from_numpy = cv.attention.attention_heads(attention=cache_pattern[0].detach().numpy(), tokens=tokens)
    assert state(from_torch) == state(from_numpy)
    np.testing.assert_array_equal(from_torch.data.patterns, from_numpy.data.patterns)


def test_half_precision_patterns_that_do_not_sum_to_one_say_why(tokens: list[str]) -> None:
    """bfloat16 rounding moves row sums past the view's 1e-3 check: the error says so."""
    torch.manual_seed(0)
    pattern = torch.randn(4, len(tokens), len(tokens)).softmax(-1).to(torch.bfloat16)
    with pytest.raises(ViewError, match=r"rows must sum to 1.*attention is bfloat16.*float32"):
        cv.attention.attention_heads(attention=pattern, tokens=tokens)
    assert cv.attention.attention_heads(attention=pattern.float().softmax(-1), tokens=tokens).n_heads == 4


def test_bidirectional_patterns_are_not_masked_unless_asked(rng: np.random.Generator, tokens: list[str]) -> None:
    pattern = softmaxed(rng, 3, len(tokens), causal=False)
    assert not cv.attention.attention_heads(pattern, tokens).causal
    assert cv.attention.attention_heads(pattern, tokens, mask_upper_tri=True).causal
    causal = softmaxed(rng, 3, len(tokens))
    assert not cv.attention.attention_heads(causal, tokens, mask_upper_tri=False).causal


def test_head_names_are_listed(rng: np.random.Generator, tokens: list[str]) -> None:
    names = ["prev", "induction", "dup"]
    view = cv.attention.attention_heads(softmaxed(rng, 3, len(tokens)), tokens, attention_head_names=names)
    assert view.notes[-1] == "heads: 0 = prev, 1 = induction, 2 = dup"


def test_options_with_no_effect_on_patterns_are_accepted(rng: np.random.Generator, tokens: list[str]) -> None:
    """CircuitsVis uses min_value and negative_color for negative values only: patterns have none."""
    pattern = softmaxed(rng, 2, len(tokens))
    plain = cv.attention.attention_heads(pattern, tokens)
    styled = cv.attention.attention_heads(pattern, tokens, max_value=1, min_value=-1, negative_color="green")
    assert state(plain) == state(styled)


def test_attention_patterns_and_attention_pattern(rng: np.random.Generator, tokens: list[str],
                                                 circuitsvis_props: Any) -> None:
    pattern = softmaxed(rng, 2, len(tokens))
    old = cv.attention.attention_patterns(tokens=tokens, attention=pattern)
    assert state(old) == state(cv.attention.attention_heads(pattern, tokens))
    one = cv.attention.attention_pattern(tokens=tokens, attention=torch.from_numpy(pattern[1]), show_axis_labels=True)
    theirs = circuitsvis_props("attention", "attention_pattern", tokens=tokens, attention=pattern[1])
    assert theirs["_component"] == "AttentionPattern"
    assert isinstance(one, AttentionView) and (one.n_layers, one.n_heads) == (1, 1)
    assert one.data.patterns is not None
    np.testing.assert_array_equal(one.data.patterns[0, 0], np.asarray(theirs["attention"], np.float32))
    assert one.selected == {"layer": 0, "head": 0}


def test_circuitsvis_own_test_input(circuitsvis_props: Any) -> None:
    """The example of CircuitsVis's own test (tests/test_attention.py): 2 tokens, one head, not causal."""
    view = cv.attention.attention_patterns(tokens=["a", "b"], attention=np.array([[[0, 1], [0, 1]]]))
    assert view.tokens == ["a", "b"] and not view.causal
    assert view.data.patterns is not None
    np.testing.assert_array_equal(view.data.patterns[0, 0], [[0, 1], [0, 1]])


# --------------------------------------------------------------------------------------------- tokens
def test_colored_tokens(rng: np.random.Generator, tokens: list[str], circuitsvis_props: Any) -> None:
    values = rng.standard_normal(len(tokens)).astype(np.float32)
    view = cv.tokens.colored_tokens(tokens, values)
    theirs = circuitsvis_props("tokens", "colored_tokens", tokens, values)
    assert isinstance(view, TokenHeatmapView) and not isinstance(view, BoundedTokenHeatmapView)
    assert view.tokens == theirs["tokens"]
    np.testing.assert_array_equal(sent(view, "values"), np.asarray([theirs["values"]], np.float32))
    assert view.row_labels == [""]
    assert view.scale == {"kind": "diverging", "cmap": "rdbu", "center": 0.0}  # signed: white at 0, as CircuitsVis
    positive = cv.tokens.colored_tokens(tokens, np.abs(values))
    assert positive.scale["kind"] == "sequential"
    lists = cv.tokens.colored_tokens(tokens, values.tolist())
    assert state(lists) == state(view) == state(cv.tokens.colored_tokens(tokens, torch.from_numpy(values)))


def test_circuitsvis_own_colored_tokens_example() -> None:
    view = cv.tokens.colored_tokens(tokens=["a", "b"], values=[1, 2])  # CircuitsVis's tests/test_tokens.py
    np.testing.assert_array_equal(view.array, [[1, 2]])


def test_min_and_max_value_fix_the_colour_limits(rng: np.random.Generator, tokens: list[str]) -> None:
    values = rng.uniform(-0.5, 0.8, len(tokens)).astype(np.float32)
    view = cv.tokens.colored_tokens(tokens, values, min_value=-1, max_value=2)
    assert isinstance(view, BoundedTokenHeatmapView) and isinstance(view, TokenHeatmapView)
    payload = wire(view, "values")
    assert (payload["vmin"], payload["vmax"]) == (-1.0, 2.0)
    assert view.scale == {"kind": "diverging", "cmap": "rdbu", "center": 0.0}
    np.testing.assert_array_equal(sent(view, "values")[0], values)  # the values themselves are untouched
    view.values = values * 10  # new values keep the limits the user fixed
    assert (wire(view, "values")["vmin"], wire(view, "values")["vmax"]) == (-1.0, 2.0)
    # one bound given: the other is the values' own extreme, as in CircuitsVis
    only_max = cv.tokens.colored_tokens(tokens, values, max_value=5)
    assert (wire(only_max, "values")["vmin"], wire(only_max, "values")["vmax"]) == (float(values.min()), 5.0)
    sequential = cv.tokens.colored_tokens(tokens, np.abs(values), min_value=0, max_value=1)
    assert sequential.scale["kind"] == "sequential" and wire(sequential, "values")["vmin"] == 0.0


@pytest.mark.parametrize(("negative", "positive", "cmap"), [
    ("blue", "red", "rdbu"), ("#0000ff", "rgb(200, 0, 0)", "rdbu"), (None, "crimson", "rdbu"),
    ("purple", "orange", "puor"), ("rebeccapurple", "#f80", "puor"),
])
def test_colours_map_onto_our_colour_maps(negative: str | None, positive: str, cmap: str, tokens: list[str],
                                          rng: np.random.Generator) -> None:
    values = rng.standard_normal(len(tokens))
    view = cv.tokens.colored_tokens(tokens, values, negative_color=negative, positive_color=positive)
    assert view.scale == {"kind": "diverging", "cmap": cmap, "center": 0.0}


def test_positive_blue_alone_is_the_blues_map(tokens: list[str], rng: np.random.Generator) -> None:
    view = cv.tokens.colored_tokens(tokens, rng.uniform(0, 1, len(tokens)), positive_color="blue")
    assert view.scale == {"kind": "sequential", "cmap": "blues", "center": None}


def test_colored_tokens_multi(rng: np.random.Generator, tokens: list[str], circuitsvis_props: Any) -> None:
    values = torch.randn(len(tokens), 3)
    view = cv.tokens.colored_tokens_multi(tokens, values, labels=["logit", "log prob", "prob"])
    theirs = circuitsvis_props("tokens", "colored_tokens_multi", tokens, values, ["logit", "log prob", "prob"])
    assert isinstance(view, TokenHeatmapView) and not isinstance(view, BoundedTokenHeatmapView)
    assert view.row_labels == theirs["labels"]
    np.testing.assert_array_equal(sent(view, "values"), np.asarray(theirs["values"], np.float32).T)
    default = cv.tokens.colored_tokens_multi(tokens, values.numpy())  # CircuitsVis itself needs a tensor here
    assert default.row_labels == ["0", "1", "2"]
    np.testing.assert_array_equal(default.array, view.array)


def test_visualize_model_performance_equals_circuitsvis(rng: np.random.Generator, tokens: list[str],
                                                       circuitsvis_props: Any) -> None:
    ids = torch.randint(0, 50, (1, len(tokens)))
    logits = torch.randn(1, len(tokens), 50) * 3
    view = cv.tokens.visualize_model_performance(ids, tokens, logits)
    theirs = circuitsvis_props("tokens", "visualize_model_performance", ids, tokens, logits)
    assert theirs["_component"] == "ColoredTokensMulti"
    assert view.tokens == theirs["tokens"] == tokens[1:]
    assert view.row_labels == theirs["labels"] == ["logits", "log_probs", "probs"]
    np.testing.assert_allclose(view.array, np.asarray(theirs["values"]).T, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------- neurons, logits
def test_topk_tokens_on_circuitsvis_own_example(circuitsvis_props: Any) -> None:
    """CircuitsVis's tests/test_topk_tokens.py: two samples of [n_layers, n_tokens, n_neurons]."""
    tokens = [["a", "b", "c", "d", "e"], ["f", "g", "h"]]
    acts = [np.arange(30).reshape(2, 5, 3).astype(np.float32), np.arange(12).reshape(2, 3, 2).astype(np.float32)]
    box = cv.topk_tokens.topk_tokens(tokens=tokens, activations=acts, sample_labels=["first", "second"])
    theirs = circuitsvis_props("topk_tokens", "topk_tokens", tokens=tokens, activations=acts)
    views = list(box.children)
    assert all(isinstance(v, TokenHeatmapView) for v in views) and len(views) == 2
    assert [v.tokens for v in views] == tokens and [v.title for v in views] == ["first", "second"]
    assert views[0].row_labels == [f"Layer {layer} Neuron {n}" for layer in range(2) for n in range(3)]
    for view, act, top in zip(views, acts, theirs["topkVals"], strict=True):
        np.testing.assert_array_equal(view.array, act.transpose(0, 2, 1).reshape(-1, act.shape[1]))
        # CircuitsVis's top-k of each (layer, neuron) are the largest values of our row
        ours_top = -np.sort(-view.array.reshape(act.shape[0], act.shape[2], -1), axis=-1)
        np.testing.assert_array_equal(ours_top[..., :len(top[0])].transpose(0, 2, 1), np.asarray(top))
    one = cv.topk_tokens.topk_tokens([tokens[0]], [torch.from_numpy(acts[0])], first_dimension_labels=["emb", "L1"])
    assert isinstance(one, TokenHeatmapView) and one.row_labels[3] == "L1 Neuron 0"


def test_text_neuron_activations(rng: np.random.Generator, tokens: list[str]) -> None:
    acts = rng.standard_normal((len(tokens), 2, 4)).astype(np.float32)  # [tokens, layers, neurons]
    view = cv.activations.text_neuron_activations(tokens, acts, second_dimension_labels=list("abcd"))
    assert isinstance(view, TokenHeatmapView) and view.tokens == tokens
    assert view.row_labels[:2] == ["Layer 0 a", "Layer 0 b"] and len(view.row_labels) == 8
    np.testing.assert_array_equal(view.array[5], acts[:, 1, 1])
    assert state(view) == state(cv.activations.text_neuron_activations(tokens, torch.from_numpy(acts),
                                                                       second_dimension_labels=list("abcd")))
    box = cv.activations.text_neuron_activations([tokens, tokens[:5]], [acts, acts[:5]])
    assert [len(v.tokens) for v in box.children] == [20, 5]


def test_token_log_probs_equals_circuitsvis(tokens: list[str], circuitsvis_props: Any) -> None:
    vocab = [f"w{i}" for i in range(60)]
    ids = torch.randint(0, 60, (len(tokens),))
    log_probs = torch.randn(len(tokens), 60).log_softmax(-1)
    view = cv.logits.token_log_probs(ids, log_probs, vocab.__getitem__, top_k=5)
    theirs = circuitsvis_props("logits", "token_log_probs", ids, log_probs, vocab.__getitem__, top_k=5)
    assert isinstance(view, LogitLensView)
    assert view.tokens == theirs["prompt"][:-1] and view.layer_labels == ["output"]
    assert view.data.top_tokens[0] == theirs["topKTokens"]
    np.testing.assert_allclose(view.data.top_probs[0], np.exp(np.asarray(theirs["topKLogProbs"])), rtol=1e-6)
    np.testing.assert_array_equal(sent(view, "top_probs")[0], view.data.top_probs[0])
    assert state(view) == state(cv.logits.token_log_probs(ids.numpy(), log_probs.numpy(), vocab.__getitem__, top_k=5))


def test_topk_samples_names_the_closest_views() -> None:
    with pytest.raises(ViewError, match=r"TokenHeatmapView\.from_arrays.*text_neuron_activations"):
        cv.topk_samples.topk_samples(tokens=[[[["a", "b"]]]], activations=[[[[0.1, 0.2]]]])


def test_facade_and_subpackage_import() -> None:
    import interplay

    assert interplay.circuitsvis is cv
    assert cv.attention.attention_heads.__module__ == "interplay.circuitsvis.attention"


def test_the_bounded_heatmap_syncs_the_traits_of_a_heatmap() -> None:
    """It is drawn by the TokenHeatmapView's own TypeScript view: same traits, same bundle."""
    assert BoundedTokenHeatmapView.class_trait_names(sync=True) == TokenHeatmapView.class_trait_names(sync=True)
    assert BoundedTokenHeatmapView._esm == TokenHeatmapView._esm
