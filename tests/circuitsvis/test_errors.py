"""Bad input to the CircuitsVis drop-in: a clear interplay error naming the argument and the shape
CircuitsVis expects; a value we cannot draw faithfully is refused (ViewError), never drawn wrongly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from interplay import circuitsvis as cv
from interplay.errors import InterplayError, ShapeError, ViewError
from tests.circuitsvis.conftest import softmaxed

N = 6
TOKS = [f"t{i}" for i in range(N)]


@pytest.fixture
def pattern() -> np.ndarray:
    return softmaxed(np.random.default_rng(1), 3, N)


@pytest.mark.parametrize(("attention", "match"), [
    (np.ones((1, 3, N, N)) / N, r"\[n_heads, dest_tokens, src_tokens\].*4 axes \[1, 3, 6, 6\].*cache\['pattern', 0\]\[0\]"),
    (np.ones((N, N)) / N, r"\[n_heads, dest_tokens, src_tokens\].*2 axes.*attention_pattern"),
    (np.ones(N), r"attention must have shape \[n_heads, dest_tokens, src_tokens\]; got 1 axes"),
    (np.ones((3, N, N + 1)) / (N + 1), r"dest_tokens = src_tokens; got \[3, 6, 7\]"),
    (np.ones((3, N + 2, N + 2)) / (N + 2), r"attention covers 8 tokens.*tokens has 6"),
    ([[[1, 0], [0.5]]], r"attention must be .*\[n_heads, dest_tokens, src_tokens\]"),
    ("not an array", r"attention must be numbers of shape"),
])
def test_attention_shapes(attention: Any, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        cv.attention.attention_heads(attention=attention, tokens=TOKS)


def test_attention_values_the_view_cannot_draw(pattern: np.ndarray) -> None:
    with pytest.raises(ViewError, match=r"negative weights.*TokenHeatmapView\.from_arrays\(tokens, attention\[head\]"):
        cv.attention.attention_heads(pattern - pattern[::-1], TOKS)
    with pytest.raises(ViewError, match=r"rows must sum to 1.*softmaxed"):
        cv.attention.attention_heads(pattern * 2, TOKS)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"max_value": 0.5}, r"max_value=0\.5 cannot be honoured.*0\.\.1"),
    ({"max_value": float("nan")}, r"max_value must be a finite number"),
    ({"positive_color": "red"}, r"positive_color='red' cannot be honoured"),
    ({"mask_upper_tri": "yes"}, r"mask_upper_tri must be True, False or None"),
    ({"attention_head_names": ["a", "b"]}, r"attention_head_names has 2 entries but there are 3 heads"),
    ({"attention_head_names": "abc"}, r"attention_head_names must be a list of strings"),
])
def test_attention_options_we_cannot_honour(pattern: np.ndarray, kwargs: dict[str, Any], match: str) -> None:
    expected = ShapeError if "entries" in match else ViewError
    with pytest.raises(expected, match=match):
        cv.attention.attention_heads(pattern, TOKS, **kwargs)


def test_attention_pattern_options(pattern: np.ndarray) -> None:
    with pytest.raises(ViewError, match="show_axis_labels=False"):
        cv.attention.attention_pattern(TOKS, pattern[0], show_axis_labels=False)
    with pytest.raises(ShapeError, match=r"\[dest_tokens, src_tokens\]; got 3 axes"):
        cv.attention.attention_pattern(TOKS, pattern)


@pytest.mark.parametrize(("tokens", "match"), [
    ("one string", r"tokens must be a list of token strings.*got str"),
    ([1, 2, 3, 4, 5, 6], r"tokens must be a list of token strings.*holding \['int'\]"),
    ([], r"tokens is empty"),
])
def test_bad_tokens(pattern: np.ndarray, tokens: Any, match: str) -> None:
    with pytest.raises(ViewError, match=match):
        cv.attention.attention_heads(pattern, tokens)
    with pytest.raises(ViewError, match=match):
        cv.tokens.colored_tokens(tokens, np.ones(6))


@pytest.mark.parametrize(("values", "match"), [
    (np.ones(N + 1), r"values covers 7 tokens but tokens has 6 \(expected values of shape \[n_tokens\]"),
    (np.ones((2, N)), r"values must have shape \[n_tokens\]; got 2 axes"),
    (["a"] * N, r"values must be numbers of shape \[n_tokens\]"),
])
def test_colored_tokens_values(values: Any, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        cv.tokens.colored_tokens(TOKS, values)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"negative_color": "red", "positive_color": "blue"}, r"negative_color='red' \(red\), positive_color='blue' "
                                                          r"\(blue\).*CircuitsVis's default is the reverse"),
    ({"positive_color": "green"}, r"cannot draw positive_color='green' \(green\)"),
    ({"positive_color": "blue"}, r"positive_color='blue' \(blue\) with negative values"),
    ({"negative_color": "not-a-colour"}, r"negative_color='not-a-colour' is not a colour we can read"),
    ({"min_value": 2, "max_value": 1}, r"min_value \(2\) must be below max_value \(1\)"),
    ({"min_value": "0"}, r"min_value must be a finite number or None"),
])
def test_colour_options_we_cannot_honour(kwargs: dict[str, Any], match: str) -> None:
    values = np.linspace(-1, 1, N)
    with pytest.raises(ViewError, match=match):
        cv.tokens.colored_tokens(TOKS, values, **kwargs)


def test_colored_tokens_multi_shapes() -> None:
    with pytest.raises(ShapeError, match=r"values covers 3 tokens but tokens has 6 .*\[n_tokens, K\]"):
        cv.tokens.colored_tokens_multi(TOKS, np.ones((3, N)))  # [K, n_tokens]: transposed
    with pytest.raises(ShapeError, match=r"labels has 1 entries but there are 2 column of values"):
        cv.tokens.colored_tokens_multi(TOKS, np.ones((N, 2)), labels=["a"])


def test_visualize_model_performance_shapes() -> None:
    with pytest.raises(ShapeError, match=r"tokens must be integer token ids"):
        cv.tokens.visualize_model_performance(np.ones(N), TOKS, np.zeros((N, 10)))
    with pytest.raises(ShapeError, match=r"str_tokens has 5 strings but tokens has 6 ids"):
        cv.tokens.visualize_model_performance(np.arange(N), TOKS[:5], np.zeros((N, 10)))
    with pytest.raises(ShapeError, match=r"outside the vocabulary.*d_vocab = 4"):
        cv.tokens.visualize_model_performance(np.arange(N), TOKS, np.zeros((N, 4)))


def test_topk_tokens_input() -> None:
    acts = np.zeros((2, N, 3))
    with pytest.raises(ViewError, match=r"activations must be a list with one array \[n_layers, n_tokens, n_neurons\]"):
        cv.topk_tokens.topk_tokens([TOKS], acts)
    with pytest.raises(ShapeError, match=r"tokens has 2 samples but activations has 1"):
        cv.topk_tokens.topk_tokens([TOKS, TOKS], [acts])
    with pytest.raises(ShapeError, match=r"activations\[0\] covers 3 tokens but tokens has 6.*\[n_layers, n_tokens"):
        cv.topk_tokens.topk_tokens([TOKS], [np.zeros((2, 3, N))])  # [n_layers, n_neurons, n_tokens]: swapped
    with pytest.raises(ViewError, match=r"max_k must be a positive integer"):
        cv.topk_tokens.topk_tokens([TOKS], [acts], max_k=0)
    with pytest.raises(ViewError, match=r"tokens must be a list with one list of token strings per sample"):
        cv.topk_tokens.topk_tokens(TOKS, [acts])
    with pytest.raises(ViewError, match=r"exceed the 8 MiB.*slice of the neurons"):
        cv.topk_tokens.topk_tokens([TOKS], [np.zeros((12, N, 60_000), np.float32)])


def test_text_neuron_activations_input() -> None:
    with pytest.raises(ShapeError, match=r"activations must have shape \[n_tokens, n_layers, n_neurons\]"):
        cv.activations.text_neuron_activations(TOKS, np.zeros((N, 3)))
    with pytest.raises(ShapeError, match=r"second_dimension_labels has 1 entries but there are 3 neurons"):
        cv.activations.text_neuron_activations(TOKS, np.zeros((N, 2, 3)), second_dimension_labels=["x"])


def test_token_log_probs_input() -> None:
    lp = np.log(np.full((N, 10), 0.1))
    with pytest.raises(ShapeError, match=r"log_probs has 5 positions but token_indices has 6"):
        cv.logits.token_log_probs(np.arange(N), lp[:5], str)
    with pytest.raises(ShapeError, match=r"log_probs must have shape \[N, d_vocab\]"):
        cv.logits.token_log_probs(np.arange(N), lp[0], str)
    with pytest.raises(ViewError, match=r"top_k must be an integer in 1..d_vocab \(10\)"):
        cv.logits.token_log_probs(np.arange(N), lp, str, top_k=11)
    with pytest.raises(ViewError, match=r"to_string\(0\) returned int"):
        cv.logits.token_log_probs(np.arange(N), lp, lambda i: i)


def test_every_error_is_an_interplay_error() -> None:
    assert issubclass(ShapeError, InterplayError) and issubclass(ViewError, InterplayError)
