"""Issue 18, area R3: every view constructor and synced trait set from Python and from the page, and
requests from the page with malformed parameters, each refused with an error that names the
argument, the bad value and what is accepted. The views are built from a tiny random GPT-2 (or from
arrays); no model is touched by a case, so none is snapshotted.

From the page, an edit goes through ``BaseWidget.set_state`` (what the comm calls): the edit is
refused, the good value stays and is sent back to the page. A request goes through
``_on_custom_msg`` (what the comm calls): the answer is ``ok: false`` with the same message, nothing
is cached, and the view still answers a good request afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from interplay.errors import AnnotationError, InterplayError, NeedsModelError, ShapeError, ViewError
from interplay.widgets.traits import SelectionError
from tests.reliability.conftest import TALLY, case, expect_error

_VIEWS: dict[str, Any] = {}


def _model() -> Any:
    import interplay
    from tests.conftest import _CACHE, build_tokenizer, make_hf_model

    if "gpt2" not in _CACHE:
        tok = build_tokenizer()
        _CACHE["gpt2"] = interplay.load(make_hf_model("gpt2", len(tok)), tok)
    return _CACHE["gpt2"]


def result(kind: str) -> Any:
    """One live result of ``kind`` (built once per module from the tiny GPT-2)."""
    from tests.results.builders import BUILDERS

    if kind not in _VIEWS:
        _VIEWS[kind] = BUILDERS[kind](_model())
    return _VIEWS[kind]


def view(kind: str) -> Any:
    """A fresh view of the result of ``kind`` (with its live session)."""
    if kind == "DLAResult":
        return result(kind).show(attention=False)
    shown = result(kind).show()
    return shown.prompt_view if kind == "PromptFeaturesResult" else shown


def data(kind: str) -> Any:
    return result(kind).data


def heatmap() -> Any:
    from interplay.widgets.token_heatmap import TokenHeatmapView

    return TokenHeatmapView.from_arrays(["a", "b", "c"], np.arange(6, dtype=np.float32).reshape(2, 3),
                                        labels=["r0", "r1"])


def attention() -> Any:
    from interplay.widgets.attention import AttentionView

    patterns = np.tril(np.ones((2, 2, 4, 4), np.float32))
    patterns /= patterns.sum(-1, keepdims=True)
    return AttentionView.from_arrays(["a", "b", "c", "d"], patterns)


def feature_data() -> Any:
    from tests.widgets.test_feature_view import make_data

    return make_data(n_features=4, rare=3)


def feature(**kwargs: Any) -> Any:
    """A FeatureView of 4 features from arrays (no model, no source)."""
    from interplay.widgets.feature import FeatureView

    return FeatureView(feature_data(), **kwargs)


def annotator() -> Any:
    from interplay.widgets.annotator import AnnotatorView

    return AnnotatorView.from_texts([["a", "b", "c"], ["d", "e"]], ["name", "place"])


def _setter(make: Callable[[], Any], trait: str, value: Any) -> Callable[[], Any]:
    def call() -> None:
        setattr(make(), trait, value)
    return call


def _new(cls_path: str, *args: Any, **kwargs: Any) -> Callable[[], Any]:
    def call() -> Any:
        import importlib

        module, name = cls_path.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        resolved = [a() if callable(a) and getattr(a, "_lazy", False) else a for a in args]
        return cls(*resolved, **kwargs)
    return call


def lazy(fn: Callable[[], Any]) -> Callable[[], Any]:
    fn._lazy = True  # type: ignore[attr-defined]
    return fn


W = "interplay.widgets."
Z = np.zeros((2, 3))

# ---------------------------------------------------------------------- constructors and Python sets
PYTHON = [
    # constructors: the wrong data
    case("heatmap-not-data", _new(W + "token_heatmap.TokenHeatmapView", Z), ViewError,
         r"TokenHeatmapView", r"ndarray", r"TokenHeatmapData", r"from_arrays"),
    case("attention-not-data", _new(W + "attention.AttentionView", Z), ViewError,
         r"AttentionView", r"ndarray", r"AttentionData"),
    case("lens-not-data", _new(W + "logit_lens.LogitLensView", Z), ViewError, r"LogitLensView", r"ndarray",
         r"LogitLensData"),
    case("dla-not-data", _new(W + "dla.DLAView", "dla"), ViewError, r"DLAView", r"str", r"DLAData"),
    case("attribution-not-data", _new(W + "attribution.AttributionView", [1, 2]), ViewError,
         r"AttributionView", r"list", r"AttributionData"),
    case("patching-not-data", _new(W + "patching.PatchingView", {}), ViewError, r"PatchingView", r"dict",
         r"PatchingData"),
    case("circuit-not-data", _new(W + "circuit.CircuitView", None), ViewError, r"CircuitView", r"NoneType",
         r"CircuitData"),
    case("annotator-not-data", _new(W + "annotator.AnnotatorView", ["text"]), AnnotationError,
         r"AnnotatorView", r"list", r"AnnotationData", r"from_texts"),
    case("feature-not-data", _new(W + "feature.FeatureView", Z), ViewError, r"FeatureView", r"ndarray",
         r"TopActivationsData"),
    case("prompt-features-not-data", _new(W + "prompt_features.PromptFeaturesView", Z), ViewError,
         r"PromptFeaturesView", r"ndarray", r"PromptFeaturesData"),
    case("dla-given-lens-data", lambda: __import__("interplay.widgets.dla", fromlist=["x"]).DLAView(
        data("LogitLensResult")), ViewError, r"DLAView", r"LogitLensData", r"DLAData"),
    # constructors: a misspelt keyword
    case("heatmap-misspelt-kwarg", lambda: type(heatmap())(heatmap().data, titel="x"), TypeError,
         r"titel", r"takes \[.*'title'"),
    case("dla-misspelt-kwarg", _new(W + "dla.DLAView", lazy(lambda: data("DLAResult")), selectd=None), TypeError,
         r"selectd", r"takes \[.*'selected'"),
    # constructors: arrays that do not fit
    case("heatmap-values-vs-tokens", lambda: type(heatmap()).from_arrays(["a", "b"], np.zeros(3)), InterplayError,
         r"values", r"3", r"2"),
    case("heatmap-values-3d", lambda: type(heatmap()).from_arrays(["a", "b"], np.zeros((1, 1, 2))), InterplayError,
         r"values", r"\[1, 1, 2\]", r"\[n_tokens\] or \[n_rows, n_tokens\]"),
    case("heatmap-labels-count", lambda: type(heatmap()).from_arrays(["a", "b"], np.zeros((2, 2)), labels=["x"]),
         InterplayError, r"labels", r"1", r"2"),
    case("heatmap-bad-cmap", lambda: type(heatmap()).from_arrays(["a"], np.zeros(1), cmap="rainbowz"),
         InterplayError, r"cmap", r"rainbowz", r"viridis|auto"),
    case("attention-patterns-rank", lambda: type(attention()).from_arrays(["a", "b"], np.zeros((2, 2, 2))),
         InterplayError, r"patterns", r"\(2, 2, 2\)|3", r"layer, head, query, key|4"),
    case("attention-patterns-vs-tokens", lambda: type(attention()).from_arrays(["a", "b", "c"],
                                                                                np.ones((1, 1, 2, 2)) / 2),
         InterplayError, r"tokens|patterns", r"3", r"2"),
    case("attention-ctor-selected-range", lambda: type(attention())(attention().data, selected={"layer": 7, "head": 0}),
         SelectionError, r"selected\['layer'\]", r"7", r"0\.\.1"),
    case("circuit-max-edges-zero", lambda: type(view("CircuitResult"))(data("CircuitResult"), max_edges=0),
         InterplayError, r"max_edges", r"0", r">= 1"),
    case("circuit-k-negative", lambda: type(view("CircuitResult"))(data("CircuitResult"), k=-2), InterplayError,
         r"\bk\b", r"-2", r">= 0|0\.\."),
    case("circuit-k-float", lambda: type(view("CircuitResult"))(data("CircuitResult"), k=2.5), InterplayError,
         r"\bk\b", r"2\.5", r"whole number.*int >= 0"),
    case("feature-ctor-feature-range", lambda: feature(feature=99),
         SelectionError, r"feature", r"99", r"0\.\.3"),
    case("feature-ctor-page-size", lambda: feature(page_size=0),
         ViewError, r"page_size", r"0", r"1\.\.\d+"),
    case("annotator-bad-cmap", lambda: type(annotator()).from_texts([["a"]], ["x"], cmap="nope"), InterplayError,
         r"cmap", r"nope", r"auto|viridis"),
    # sets from Python
    case("heatmap-selected-pos", _setter(heatmap, "selected", {"row": 0, "pos": 3}), SelectionError,
         r"selected\['pos'\]", r"3", r"0\.\.2"),
    case("heatmap-selected-unknown-key", _setter(heatmap, "selected", {"row": 0, "pos": 0, "head": 1}),
         SelectionError, r"selected", r"unknown keys \['head'\]", r"'row'.*'pos'"),
    case("attention-selected-missing", _setter(attention, "selected", {"layer": 0}), SelectionError,
         r"selected", r"missing \['head'\]", r"'layer'.*'head'"),
    case("attention-selected-not-dict", _setter(attention, "selected", [0, 1]), SelectionError,
         r"selected", r"\[0, 1\]", r"'layer'.*'head'.*or None"),
    case("attention-selected-bool", _setter(attention, "selected", {"layer": True, "head": 0}), SelectionError,
         r"selected\['layer'\]", r"True", r"integer"),
    case("attention-query-range", _setter(attention, "query", 4), SelectionError, r"query", r"4", r"0\.\.3"),
    case("attention-query-str", _setter(attention, "query", "2"), SelectionError, r"query", r"'2'", r"integer"),
    case("attention-batch-index", _setter(attention, "batch_index", 3), SelectionError, r"batch_index", r"3",
         r"0\.\.0"),
    case("lens-selected-layer", lambda: setattr(view("LogitLensResult"), "selected", {"layer": 99, "pos": 0}),
         SelectionError, r"selected\['layer'\]", r"99", r"0\.\.\d"),
    case("lens-selected-pos-negative", lambda: setattr(view("LogitLensResult"), "selected", {"layer": 0, "pos": -1}),
         SelectionError, r"selected\['pos'\]", r"-1", r"0\.\.\d+"),
    case("lens-mode-unknown", lambda: setattr(view("LogitLensResult"), "mode", "top2_prob"), ViewError,
         r"mode", r"top2_prob", r"top1_prob.*kl"),
    case("dla-selected-head", lambda: setattr(view("DLAResult"), "selected", {"layer": 0, "head": 99}),
         SelectionError, r"selected\['head'\]", r"99", r"0\.\.\d"),
    case("dla-selected-float", lambda: setattr(view("DLAResult"), "selected", {"layer": 0.5, "head": 0}),
         SelectionError, r"selected\['layer'\]", r"0\.5", r"integer"),
    case("attribution-selected-first-token", lambda: setattr(view("AttributionResult"), "selected", 0),
         SelectionError, r"selected", r"= 0", r"1\.\.\d+"),
    case("attribution-selected-past-end", lambda: setattr(view("AttributionResult"), "selected", 500),
         SelectionError, r"selected", r"500", r"1\.\.\d+"),
    case("patching-selected-col", lambda: setattr(view("PatchingResult"), "selected", {"row": 0, "col": 99}),
         SelectionError, r"selected\['col'\]", r"99", r"0\.\.\d+"),
    case("patching-top-k", lambda: setattr(view("PatchingResult"), "top_k", 0), ViewError, r"top_k", r"0",
         r">= 1|1\.\."),
    case("circuit-selected-node", lambda: setattr(view("CircuitResult"), "selected", {"node": "L9.H9"}),
         SelectionError, r"selected\['node'\]", r"L9\.H9", r"is not one of"),
    case("circuit-k-range", lambda: setattr(view("CircuitResult"), "k", 10**6), SelectionError, r"k", r"1000000",
         r"0\.\.\d+"),
    case("circuit-prompt-index", lambda: setattr(view("CircuitResult"), "prompt_index", 5), SelectionError,
         r"prompt_index", r"5", r"0\.\.1"),
    case("annotator-index", _setter(annotator, "index", 2), AnnotationError, r"index", r"2", r"2 texts|0\.\.1"),
    case("annotator-record-unknown-label", _setter(annotator, "annotations", [
        {"text": 0, "start": 0, "end": 1, "label": "colour"}]), AnnotationError, r"label", r"colour",
        r"name.*place"),
    case("annotator-record-not-dict", _setter(annotator, "annotations", ["a"]), AnnotationError, r"'a'|str",
         r"record|annotation", r"text|label"),
    case("feature-feature-range", lambda: setattr(feature(), "feature", 4), SelectionError,
         r"feature", r"4", r"0\.\.3"),
    case("feature-shown-twice", lambda: setattr(feature(), "shown", [1, 1]), SelectionError,
         r"shown", r"\[1, 1\]", r"twice"),
    case("prompt-features-selected-pos", lambda: setattr(view("PromptFeaturesResult"), "selected",
                                                         {"pos": 99, "latent": 0}),
         SelectionError, r"selected\['pos'\]", r"99", r"0\.\.\d+"),
    case("prompt-features-token-negative", lambda: setattr(view("PromptFeaturesResult"), "token", -1),
         SelectionError, r"token", r"-1", r"0\.\.\d+"),
]



def _cv(module: str, fn: str, *args: Any, **kwargs: Any) -> Callable[[], Any]:
    def call() -> Any:
        import importlib

        return getattr(importlib.import_module(f"interplay.circuitsvis.{module}"), fn)(*args, **kwargs)
    return call


CIRCUITSVIS = [
    case("cv-heads-rank", _cv("attention", "attention_heads", np.zeros((2, 2)), ["a", "b"]), ShapeError,
         r"attention", r"2 axes \[2, 2\]", r"\[n_heads, dest_tokens, src_tokens\]"),
    case("cv-heads-tokens", _cv("attention", "attention_heads", np.zeros((1, 2, 2)), ["a", "b", "c"]), ShapeError,
         r"attention covers 2 tokens", r"tokens has 3", r"dest_tokens = src_to"),
    case("cv-heads-str", _cv("attention", "attention_heads", "x", ["a"]), ShapeError, r"attention", r"str",
         r"numbers of shape"),
    case("cv-pattern-tokens-int", _cv("attention", "attention_pattern", 5, np.zeros((2, 2))), ViewError,
         r"tokens", r"int", r"list of token strings"),
    case("cv-head-names", _cv("attention", "attention_heads", np.zeros((1, 2, 2)), ["a", "b"],
                              attention_head_names=["x", "y"]),
         ShapeError, r"attention_head_names", r"2 entries", r"1 heads"),
    case("cv-colored-length", _cv("tokens", "colored_tokens", ["a", "b"], [1.0]), ShapeError, r"values",
         r"covers 1 tokens", r"n_tokens = len\(tokens\) = 2"),
    case("cv-colored-min-value", _cv("tokens", "colored_tokens", ["a", "b"], [1.0, 2.0], min_value="low"),
         ViewError, r"min_value", r"'low'", r"finite number or None"),
    case("cv-colored-colour", _cv("tokens", "colored_tokens", ["a", "b"], [1.0, 2.0], positive_color="notacolor"),
         ViewError, r"positive_color", r"notacolor", r"CSS colour name"),
    case("cv-neuron-rank", _cv("activations", "text_neuron_activations", ["a", "b"], np.zeros(3)), ShapeError,
         r"activations", r"1 axes \[3\]", r"\[n_tokens, n_layers, n_neurons\]"),
    case("cv-neuron-dimension-name", _cv("activations", "text_neuron_activations", [["a", "b"]],
                                         [np.zeros((2, 2, 2))], first_dimension_name=3),
         ViewError, r"first_dimension_name", r"\b3\b", r"a string .* or None"),
    case("cv-topk-max-k", _cv("topk_tokens", "topk_tokens", [["a", "b"]], [np.zeros((2, 2, 2))], max_k=0),
         ViewError, r"max_k", r"\b0\b", r"positive integer"),
]


@pytest.mark.parametrize("c", CIRCUITSVIS)
def test_a_bad_circuitsvis_call_is_named(c: Any) -> None:
    expect_error(c)


@pytest.mark.parametrize("c", PYTHON)
def test_constructor_or_python_set_is_refused(c: Any) -> None:
    expect_error(c)


# ------------------------------------------------------------------------------ edits from the page
class _Refusals(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[-1], BaseException):
            self.errors.append(record.args[-1])


def page_edit(make: Callable[[], Any], trait: str, value: Any) -> Callable[[], Any]:
    """The edit as the comm delivers it (``set_state`` with the JSON value): it must be refused, the
    good value must stay and be sent back to the page; the refusal is then raised for the case."""
    def call() -> None:
        w = make()
        before = w.get_state(trait)[trait]
        sent_back: list[Any] = []
        w.send_state = lambda key=None: sent_back.append(key)
        handler = _Refusals()
        logger = logging.getLogger("interplay")
        logger.addHandler(handler)
        try:
            w.set_state({trait: value})
        finally:
            logger.removeHandler(handler)
        after = w.get_state(trait)[trait]
        assert after == before or (isinstance(before, dict) and "data" in before), "a refused edit changed the view"
        assert trait in sent_back, f"the good value of {trait} was not sent back to the page"
        if w.has_trait("error"):
            assert "edit refused" in w.error
        assert handler.errors, f"the edit {trait}={value!r} from the page was accepted"
        raise handler.errors[0]
    return call


PAGE = [
    case("page-heatmap-selected-pos", page_edit(heatmap, "selected", {"row": 0, "pos": 9}), SelectionError,
         r"selected\['pos'\]", r"9", r"0\.\.2"),
    case("page-heatmap-selected-string", page_edit(heatmap, "selected", "row 0"), SelectionError, r"selected",
         r"'row 0'", r"'row'.*'pos'"),
    case("page-attention-selected-head", page_edit(attention, "selected", {"layer": 0, "head": 2}), SelectionError,
         r"selected\['head'\]", r"2", r"0\.\.1"),
    case("page-attention-query-float", page_edit(attention, "query", 1.5), SelectionError, r"query", r"1\.5",
         r"integer"),
    case("page-attention-batch-index", page_edit(attention, "batch_index", 1), SelectionError, r"batch_index",
         r"1", r"0\.\.0"),
    case("page-lens-selected-unknown-key", page_edit(lambda: view("LogitLensResult"), "selected",
                                                     {"layer": 0, "pos": 0, "x": 1}),
         SelectionError, r"selected", r"unknown keys \['x'\]", r"'layer'.*'pos'"),
    case("page-lens-mode", page_edit(lambda: view("LogitLensResult"), "mode", "entropy"), ViewError, r"mode",
         r"entropy", r"top1_prob.*kl"),
    case("page-dla-selected-layer", page_edit(lambda: view("DLAResult"), "selected", {"layer": 50, "head": 0}),
         SelectionError, r"selected\['layer'\]", r"50", r"0\.\.\d"),
    case("page-attribution-selected", page_edit(lambda: view("AttributionResult"), "selected", 0),
         SelectionError, r"selected", r"0", r"1\.\.\d+"),
    case("page-patching-selected-row", page_edit(lambda: view("PatchingResult"), "selected", {"row": -1, "col": 0}),
         SelectionError, r"selected\['row'\]", r"-1", r"0\.\.\d+"),
    case("page-patching-top-k", page_edit(lambda: view("PatchingResult"), "top_k", -4), ViewError, r"top_k",
         r"-4", r">= 1|1\.\."),
    case("page-circuit-k", page_edit(lambda: view("CircuitResult"), "k", -1), SelectionError, r"k", r"-1",
         r"0\.\.\d+"),
    case("page-circuit-node", page_edit(lambda: view("CircuitResult"), "selected", {"node": 3}), SelectionError,
         r"selected\['node'\]", r"3", r"is not one of"),
    case("page-annotator-index", page_edit(annotator, "index", 7), AnnotationError, r"index", r"7", r"2 texts"),
    case("page-annotator-record-span", page_edit(annotator, "annotations", [
        {"text": 0, "start": 2, "end": 1, "label": "name"}]), AnnotationError, r"start|end", r"2|1",
        r"start < end|before|<"),
    case("page-feature-shown-range", page_edit(feature, "shown", [0, 12]),
         SelectionError, r"shown|feature", r"12", r"0\.\.3"),
    case("page-heatmap-values-no-shape", page_edit(heatmap, "values", {"dtype": "float32", "data": b"\0" * 4}),
         ViewError, r"payload", r"\['data', 'dtype'\]", r"'dtype', 'shape' and 'data'"),
    case("page-heatmap-values-dtype", page_edit(heatmap, "values", {"dtype": "complex64", "shape": [1],
                                                                   "data": b"\0" * 8}),
         ViewError, r"dtype", r"'complex64'", r"float32"),
    case("page-heatmap-values-bytes", page_edit(heatmap, "values", {"dtype": "float32", "shape": [2, 3],
                                                                   "data": b"\0" * 5}),
         ViewError, r"shape \[2, 3\]", r"got 5", r"needs 24 bytes"),
    case("page-prompt-features-latent", page_edit(lambda: view("PromptFeaturesResult"), "selected",
                                                  {"pos": 0, "latent": 10**6}),
         SelectionError, r"selected\['latent'\]", r"1000000", r"0\.\.\d+"),
]


@pytest.mark.parametrize("c", PAGE)
def test_edit_from_the_page_is_refused_and_the_good_value_sent_back(c: Any) -> None:
    expect_error(c)


def test_a_plain_trait_of_the_wrong_type_from_the_page_is_refused() -> None:
    w = view("PatchingResult")
    sent_back: list[Any] = []
    w.send_state = lambda key=None: sent_back.append(key)
    w.set_state({"top_k": "ten", "selected": {"row": 0, "col": 0}})
    assert w.top_k == 10 and "top_k" in sent_back and "edit refused" in w.error and "'ten'" in w.error
    assert w.selected == {"row": 0, "col": 0}  # the good edit of the same message is applied


# --------------------------------------------------------------------------------- requests from JS
def ask(w: Any, method: Any, params: Any) -> dict[str, Any]:
    """One request as the comm delivers it; the one reply."""
    replies: list[dict[str, Any]] = []
    w.send = lambda content, buffers=None: replies.append(content)
    w._on_custom_msg(w, {"type": "interplay:request", "id": "r1", "method": method, "params": params}, [])
    if len(replies) != 1:
        TALLY["replies lost"] += 1
    assert len(replies) == 1, f"{len(replies)} replies to one request"
    return replies[0]


def request(make: Callable[[], Any], method: Any, params: Any, good: tuple[str, dict[str, Any]] | None = None
            ) -> Callable[[], Any]:
    """The request through the comm path: ``ok: false``, nothing cached, and the view answers a good
    request afterwards; then the same request through ``answer`` (what the comm path calls) raises
    the error for the case."""
    def call() -> Any:
        w = make()
        reply = ask(w, method, params)
        assert reply["ok"] is False and reply["id"] == "r1", reply
        assert not w._rpc_cache, "a refused request was cached"
        if good is not None:
            assert ask(w, *good)["ok"] is True, "the view no longer answers a good request"
        try:
            w.answer(method, params)
        except InterplayError as exc:
            assert str(exc) in reply["error"], (str(exc), reply["error"])
            raise
    return call


ATT_OK = ("pattern", {"layer": 0, "head": 0})
FEAT_OK = ("card", {"feature": 0})
CIRC_OK = ("faithfulness", {"k": 1})
REQUESTS = [
    case("rpc-unknown-method", request(attention, "patern", {"layer": 0, "head": 0}, ATT_OK), InterplayError,
         r"unknown request 'patern'", r"'column', 'pattern', 'row'"),
    case("rpc-method-not-str", request(attention, 7, {}, ATT_OK), InterplayError, r"request method", r"7",
         r"'pattern'"),
    case("rpc-params-not-object", request(attention, "pattern", [0, 0], ATT_OK), InterplayError, r"params",
         r"\[0, 0\]", r"object|dict"),
    case("rpc-missing-param", request(attention, "pattern", {"layer": 0}, ATT_OK), InterplayError,
         r"pattern", r"missing.*'head'", r"takes.*layer.*head"),
    case("rpc-unknown-param", request(attention, "pattern", {"layer": 0, "head": 0, "heda": 1}, ATT_OK),
         InterplayError, r"unknown.*'heda'", r"pattern", r"takes.*layer.*head"),
    case("rpc-layer-string", request(attention, "pattern", {"layer": "0", "head": 0}, ATT_OK), InterplayError,
         r"layer", r"'0'", r"integer"),
    case("rpc-layer-float", request(attention, "row", {"layer": 0.5, "head": 0, "query": 0}, ATT_OK),
         InterplayError, r"layer", r"0\.5", r"integer"),
    case("rpc-layer-range", request(attention, "pattern", {"layer": 2, "head": 0}, ATT_OK), InterplayError,
         r"layer", r"\b2\b", r"0\.\.1"),
    case("rpc-head-negative", request(attention, "column", {"layer": 0, "head": -1, "key": 0}, ATT_OK),
         InterplayError, r"head", r"-1", r"0\.\.1"),
    case("rpc-window-reversed", request(attention, "pattern", {"layer": 0, "head": 0, "q0": 3, "q1": 1}, ATT_OK),
         InterplayError, r"window", r"q\[3:1\]", r"4 x 4"),
    case("rpc-max-side-zero", request(attention, "pattern", {"layer": 0, "head": 0, "max_side": 0}, ATT_OK),
         InterplayError, r"max_side", r"\b0\b", r">= 1"),
    case("rpc-query-range", request(attention, "row", {"layer": 0, "head": 0, "query": 4}, ATT_OK), InterplayError,
         r"query", r"4", r"0\.\.3"),
    case("rpc-key-null", request(attention, "column", {"layer": 0, "head": 0, "key": None}, ATT_OK), InterplayError,
         r"key", r"None", r"integer"),
    case("rpc-attribute-target-pos", request(lambda: view("AttributionResult"), "attribute",
                                             {"target_pos": 0, "method": "saliency"}),
         InterplayError, r"target_pos", r"\b0\b", r"1\.\.\d+|>= 1"),
    case("rpc-attribute-method", request(lambda: view("AttributionResult"), "attribute",
                                         {"target_pos": 2, "method": "shap"}),
         InterplayError, r"method", r"'shap'", r"saliency"),
    case("rpc-matrix-score", request(lambda: view("AttributionResult"), "matrix",
                                     {"method": "saliency", "score": "prob2"}),
         InterplayError, r"score", r"'prob2'", r"logit"),
    case("rpc-faithfulness-k", request(lambda: view("CircuitResult"), "faithfulness", {"k": -3}, CIRC_OK),
         InterplayError, r"\bk\b", r"-3", r">= 0"),
    case("rpc-faithfulness-k-string", request(lambda: view("CircuitResult"), "faithfulness", {"k": "5"}, CIRC_OK),
         InterplayError, r"\bk\b", r"'5'", r"whole number.*int >= 0"),
    case("rpc-faithfulness-ablation", request(lambda: view("CircuitResult"), "faithfulness",
                                              {"k": 2, "ablation": "zero!"}, CIRC_OK),
         InterplayError, r"ablation", r"zero!", r"'patch'"),
    case("rpc-node-unknown", request(lambda: view("CircuitResult"), "node", {"name": "L7.H0"}, CIRC_OK),
         InterplayError, r"node", r"L7\.H0", r"L0\.H0|nodes"),
    case("rpc-node-prompt", request(lambda: view("CircuitResult"), "node", {"name": "L0.H0", "prompt": 9}, CIRC_OK),
         InterplayError, r"prompt", r"9", r"0\.\.1"),
    case("rpc-card-feature", request(feature, "card", {"feature": 4}, FEAT_OK),
         SelectionError, r"feature", r"4", r"0\.\.3"),
    case("rpc-examples-count", request(feature, "examples",
                                       {"feature": 0, "start": 0, "count": 0}, FEAT_OK),
         ViewError, r"count", r"0", r">= 1"),
    case("rpc-examples-start", request(feature, "examples",
                                       {"feature": 0, "start": -2, "count": 3}, FEAT_OK),
         ViewError, r"start", r"-2", r">= 0"),
    case("rpc-steer-mode", request(feature, "steer",
                                   {"feature": 0, "prompt": "hi", "mode": "boost"}, FEAT_OK),
         ViewError, r"mode", r"'boost'", r"scale"),
    case("rpc-steer-prompt", request(feature, "steer", {"feature": 0, "prompt": ""},
                                     FEAT_OK),
         ViewError, r"prompt", r"''|empty", r"non-empty string"),
    case("rpc-window-past-end", request(attention, "pattern", {"layer": 0, "head": 0, "k1": 99}, ATT_OK),
         InterplayError, r"window", r"k\[0:99\]", r"k1 <= 4"),
    case("rpc-node-name-int", request(lambda: view("CircuitResult"), "node", {"name": 5}, CIRC_OK), InterplayError,
         r"node|name", r"\b5\b", r"L0\.H0|nodes|string"),
    case("rpc-attribute-target-pos-str", request(lambda: view("AttributionResult"), "attribute",
                                                 {"target_pos": "3", "method": "saliency"}),
         InterplayError, r"target_pos", r"'3' \(a str\)", r"an integer in 1\.\.\d+"),
    case("rpc-matrix-method", request(lambda: view("AttributionResult"), "matrix", {"method": "lime"}),
         InterplayError, r"method", r"'lime'", r"saliency"),
    case("rpc-card-feature-bool", request(feature, "card", {"feature": True}, FEAT_OK), SelectionError,
         r"feature", r"True", r"integer"),
    case("rpc-examples-count-over", request(feature, "examples", {"feature": 0, "start": 0, "count": 10**6},
                                            FEAT_OK),
         ViewError, r"count", r"1000000", r"<= \d+"),
    case("rpc-steer-value-nan", request(feature, "steer", {"feature": 0, "prompt": "hi", "value": float("nan")},
                                        FEAT_OK),
         ViewError, r"value", r"nan", r"finite number"),
    case("rpc-steer-keep-error", request(feature, "steer", {"feature": 0, "prompt": "hi", "keep_error": "yes"},
                                         FEAT_OK),
         ViewError, r"keep_error", r"'yes'", r"true or false"),
    case("rpc-cell-col", request(lambda: view("PatchingResult"), "cell", {"row": 0, "col": "3"}), ViewError,
         r"col", r"'3'", r"0\.\.\d+"),
    case("rpc-cell-k", request(lambda: view("PatchingResult"), "cell", {"row": 0, "col": 0, "k": -1}), InterplayError,
         r"\bk\b", r"-1", r"positive integer"),
    case("rpc-cell-prompt", request(lambda: view("PatchingResult"), "cell", {"row": 0, "col": 0, "prompt": 7}),
         InterplayError, r"prompt", r"7", r"0\.\.1"),
]


@pytest.mark.parametrize("c", REQUESTS)
def test_malformed_request_is_answered_ok_false(c: Any) -> None:
    expect_error(c)


def test_a_request_without_a_model_says_so_and_the_view_still_answers() -> None:
    from interplay.widgets.patching import PatchingView

    w = PatchingView(data("PatchingResult"))
    reply = ask(w, "cell", {"row": 0, "col": 0})
    assert reply["ok"] is False and "needs a live model" in reply["error"]
    with pytest.raises(NeedsModelError):
        w.answer("cell", {"row": 0, "col": 0})


def test_a_reply_over_the_message_cap_is_refused_never_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    from interplay.widgets import _rpc

    w = attention()
    monkeypatch.setattr(_rpc, "MAX_MESSAGE_BYTES", 10)  # a 4 x 4 u8 pattern plus its JSON is more
    reply = ask(w, "pattern", {"layer": 0, "head": 0})
    assert reply["ok"] is False and reply["id"] == "r1"
    assert "reply" in reply["error"] and "message limit" in reply["error"] and "pattern" in reply["error"]
    assert "result" not in reply and not w._rpc_cache
    monkeypatch.undo()
    assert ask(w, "pattern", {"layer": 0, "head": 0})["ok"] is True


def test_an_array_over_the_message_cap_is_an_interplay_error() -> None:
    from interplay.widgets._serialize import MAX_MESSAGE_BYTES, encode_array

    big = np.zeros(MAX_MESSAGE_BYTES // 4 + 1, np.float32)
    c = case("encode-over-cap", lambda: encode_array(big, ["x"]), ViewError, r"MiB", r"8 MiB message limit",
             r"u8-linear|pieces")
    expect_error(c.values[0])


def test_shapes_checked_at_the_boundary_are_shape_errors() -> None:
    from interplay.widgets.token_heatmap import TokenHeatmapView

    c = case("heatmap-values-object", lambda: TokenHeatmapView.from_arrays(["a"], [object()]),
             (ShapeError, InterplayError), r"values", r"object", r"number|float|numeric")
    expect_error(c.values[0])
