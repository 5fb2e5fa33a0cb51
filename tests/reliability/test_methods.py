"""The catalogue of bad inputs to every method, result method and task generator (issue 18, area R2).

Each case is one mistake a person makes (a count out of range, a prompt of the wrong kind, a target
that is not one token, an unknown method/component/granularity, a batch index past the trace, a
metric returning None ...). It must raise one of our errors, raised by interplay's own code, whose
message names the argument, repeats the bad value and says what is accepted; after each case that
touched the demo model, the model is unharmed (no hook left, attention implementation restored, no
gradient, logits bit-identical: :func:`tests.reliability.conftest.expect_error`).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

import interplay
from interplay import tasks
from interplay.errors import (
    ComponentError,
    DictionaryError,
    HookNameError,
    InterplayError,
    MetricError,
    ProbeError,
    PromptError,
    PromptLengthError,
    ShapeError,
    TaskError,
)
from tests.reliability.conftest import case, expect_error

P = "When Mary and John went to the store, John gave a drink to"  # 15 tokens in the demo tokenizer
TEXTS = ["When Mary and John went to the store.", "The capital of France is Paris.", "Mary and John.", "The fox."]
Z = np.zeros(128, dtype=np.float32)  # a residual-stream vector of the demo model (d_model 128)


@functools.cache
def m() -> Any:
    """The demo model: the same object as the session-scoped ``demo_model`` fixture."""
    from tests.conftest import _CACHE

    if "demo" not in _CACHE:
        _CACHE["demo"] = interplay.load()
    return _CACHE["demo"]


@functools.cache
def ds() -> Any:
    return tasks.ioi(n=4)


@functools.cache
def tr2() -> Any:
    return m().run([P, "The capital of France is"])


@functools.cache
def dic() -> Any:
    return interplay.demo_dictionary("resid_post.1")


@functools.cache
def circ() -> Any:
    return interplay.circuit(m(), ds(), progress=False)


@functools.cache
def labels() -> list[list[str | None]]:
    """Token labels of TEXTS as the demo model tokenises them: "name" on names and places."""
    batch = m().tokenize(TEXTS)
    out = []
    for i, n in enumerate(batch.lengths):
        toks = m().tokenizer.convert_ids_to_tokens(batch.token_ids[i, :n].tolist())
        out.append(["name" if t.lstrip("Ġ") in ("Mary", "John", "Paris", "France") else None for t in toks])
    return out


def md() -> Any:
    return interplay.logit_diff(" Mary", " John")


def none_metric(logits: Any) -> Any:
    return None


def nan_metric(logits: Any) -> float:
    return float("nan")


ATTENTION = [
    case("attention batch past the trace", lambda: interplay.attention(tr2(), batch=5), InterplayError,
         r"batch=5", r"out of range", r"0\.\.1"),
    case("attention negative batch", lambda: interplay.attention(tr2(), batch=-1), InterplayError,
         r"batch=-1", r"0\.\.1"),
    case("attention keep_bytes negative", lambda: interplay.attention(m(), P, keep_bytes=-1), InterplayError,
         r"keep_bytes=-1", r">= 0"),
    case("attention cache_layers 0", lambda: interplay.attention(m(), P, cache_layers=0), InterplayError,
         r"cache_layers=0", r">= 1"),
    case("attention prompt an int", lambda: interplay.attention(m(), 3), PromptError,
         r"prompt", r"int", r"a string or a non-empty list of strings"),
    case("attention prompt bytes", lambda: interplay.attention(m(), b"abc"), PromptError,
         r"prompt", r"bytes", r"a string"),
    case("attention empty prompt", lambda: interplay.attention(m(), ""), PromptError, r"prompt", r"empty"),
    case("attention first argument None", lambda: interplay.attention(None, P), InterplayError,
         r"attention takes an interplay Model", r"NoneType", r"Trace"),
    case("logit_lens a trace and a prompt", lambda: interplay.logit_lens(m().run(P), P), InterplayError,
         r"logit_lens\(trace, prompt\)", r"one or the other"),
]

HEATMAP_LENS_DLA = [
    case("heatmap unknown reduce", lambda: interplay.heatmap(m(), P, reduce="median"), InterplayError,
         r"reduce='median'", r"'norm', 'mean', 'max'"),
    case("heatmap reduce an int", lambda: interplay.heatmap(m(), P, reduce=2), InterplayError,
         r"reduce=2", r"'norm', 'mean', 'max'"),
    case("heatmap misspelt key", lambda: interplay.heatmap(m(), P, key="resid_poost"), HookNameError,
         r"'resid_poost'", r"Did you mean", r"resid_post"),
    case("heatmap batch past the trace", lambda: interplay.heatmap(tr2(), "resid_post", batch=3), InterplayError,
         r"batch=3", r"2 prompts", r"0\.\.1"),
    case("heatmap first argument None", lambda: interplay.heatmap(None, P), InterplayError,
         r"heatmap takes an interplay Model", r"NoneType"),
    case("logit_lens k=0", lambda: interplay.logit_lens(m(), P, k=0), InterplayError,
         r"k=0", r"between 1 and the vocabulary size 1308"),
    case("logit_lens negative k", lambda: interplay.logit_lens(m(), P, k=-2), InterplayError,
         r"k=-2", r"between 1 and"),
    case("logit_lens k past the vocabulary", lambda: interplay.logit_lens(m(), P, k=10**6), InterplayError,
         r"k=1000000", r"vocabulary size 1308"),
    case("logit_lens fractional k", lambda: interplay.logit_lens(m(), P, k=2.5), InterplayError,
         r"k=2\.5", r"an integer"),
    case("logit_lens apply_ln a string", lambda: interplay.logit_lens(m(), P, apply_ln="yes"), InterplayError,
         r"apply_ln", r"'yes'", r"True or False"),
    case("logit_lens batch past the trace", lambda: interplay.logit_lens(tr2(), batch=2), InterplayError,
         r"batch=2", r"0\.\.1"),
    case("dla target of two tokens", lambda: interplay.direct_logit_attribution(m(), P, target="Mary Mary"),
         InterplayError, r"target='Mary Mary'", r"not a single token", r"one token"),
    case("dla target id past the vocabulary", lambda: interplay.direct_logit_attribution(m(), P, target=10**9),
         InterplayError, r"target=1000000000", r"ids 0\.\.1307"),
    case("dla target a float", lambda: interplay.direct_logit_attribution(m(), P, target=1.5), InterplayError,
         r"target must be", r"1\.5", r"token id in 0\.\.1307"),
    case("dla baseline of two tokens",
         lambda: interplay.direct_logit_attribution(m(), P, target=" Mary", baseline="John Mary"), InterplayError,
         r"baseline='John Mary'", r"not a single token", r"one token"),
    case("dla position past the prompt",
         lambda: interplay.direct_logit_attribution(m(), P, target=" Mary", position=99), InterplayError,
         r"position 99", r"out of range", r"15 tokens"),
    case("dla negative position past the prompt",
         lambda: interplay.direct_logit_attribution(m(), P, target=" Mary", position=-99), InterplayError,
         r"position -99", r"15 tokens"),
    case("dla position a word",
         lambda: interplay.direct_logit_attribution(m(), P, target=" Mary", position="last"), InterplayError,
         r"position must be an integer", r"'last'"),
    case("dla misspelt keyword", lambda: interplay.direct_logit_attribution(m(), P, target=" Mary", foo=3), TypeError,
         r"unexpected keyword argument\(s\) \['foo'\]", r"position=, batch="),
    case("dla batch past the trace",
         lambda: interplay.direct_logit_attribution(tr2(), target=" Mary", batch=7), InterplayError,
         r"batch=7", r"0\.\.1"),
]


def attr(*args: Any, **kw: Any) -> Any:
    return interplay.attribute(m(), *args, progress=False, **kw)


def gen(*args: Any, **kw: Any) -> Any:
    return interplay.attribute_generation(m(), *args, progress=False, **kw)


ATTRIBUTION = [
    case("attribute a list of prompts", lambda: attr([P, P], target=" Mary"), PromptError,
         r"explains one prompt string", r"a list of 2 prompts", r"once per prompt"),
    case("attribute prompt an int", lambda: attr(5, target=" Mary"), PromptError,
         r"one prompt string", r"a int"),
    case("attribute empty prompt", lambda: attr("", target=" Mary"), PromptError, r"prompt", r"empty"),
    case("attribute unknown method", lambda: attr(P, target=" Mary", method="shap"), InterplayError,
         r"method 'shap'", r"integrated_gradients", r"saliency"),
    case("attribute unknown score", lambda: attr(P, target=" Mary", score="lgt"), InterplayError,
         r"score must be one of", r"'lgt'", r"'logprob'"),
    case("attribute position past the prompt", lambda: attr(P, target=" Mary", position=99), InterplayError,
         r"position 99", r"positions 0\.\.14"),
    case("attribute negative position past the prompt", lambda: attr(P, target=" Mary", position=-99),
         InterplayError, r"position -99", r"-15\.\.-1"),
    case("attribute position a float", lambda: attr(P, target=" Mary", position=1.0), InterplayError,
         r"position 1\.0", r"positions 0\.\.14"),
    case("attribute n_steps 0", lambda: attr(P, target=" Mary", n_steps=0), InterplayError,
         r"n_steps", r"got 0", r"positive integer"),
    case("attribute negative n_steps", lambda: attr(P, target=" Mary", n_steps=-1), InterplayError,
         r"n_steps", r"-1", r"positive integer"),
    case("attribute misspelt parameter", lambda: attr(P, target=" Mary", n_stepz=3), InterplayError,
         r"n_stepz", r"it takes", r"n_steps"),
    case("attribute target of two tokens", lambda: attr(P, target="Mary John"), InterplayError,
         r"target='Mary John'", r"not a single token", r"one token"),
    case("attribute negative target id", lambda: attr(P, target=-5), InterplayError,
         r"target=-5", r"ids 0\.\.1307"),
    case("attribute a one-item target tuple", lambda: attr(P, target=(" Mary",)), InterplayError,
         r"\(token, other_token\)", r"got 1 items"),
    case("attribute internal_batch_size 0", lambda: attr(P, target=" Mary", internal_batch_size=0), InterplayError,
         r"internal_batch_size", r"got 0", r"positive integer"),
    case("attribute unknown integration", lambda: attr(P, target=" Mary", integration="simpson"), InterplayError,
         r"'simpson'", r"gausslegendre"),
    case("attribute baseline of many tokens", lambda: attr(P, target=" Mary", baseline="nothing-here-xx"),
         InterplayError, r"baseline='nothing-here-xx'", r"not a single token"),
    case("attribute baseline tensor of the wrong shape", lambda: attr(P, target=" Mary", baseline=Z[:3]),
         ShapeError, r"baseline has shape \(3,\)", r"\[15, 128\]"),
    case("saliency unknown norm", lambda: attr(P, target=" Mary", method="saliency", norm="l3"), InterplayError,
         r"norm", r"'l3'", r"'l2', 'l1' or 'sum'"),
    case("attribute target function returning None", lambda: attr(P, target=none_metric), ShapeError,
         r"target function", r"NoneType", r"one scalar per batch row"),
    case("attribute target function returning a vector", lambda: attr(P, target=lambda lg: lg[0, -1, :3]),
         ShapeError, r"target function", r"\(3,\)", r"one scalar per batch row"),
    case("attribute target function returning NaN", lambda: attr(P, target=lambda lg: lg[:, -1, 0] * float("nan")),
         MetricError, r"target function", r"nan", r"finite"),
    case("attribute prepend_bos a string", lambda: attr(P, target=" Mary", prepend_bos="y"), InterplayError,
         r"prepend_bos", r"'y'", r"True or False"),
    case("attribute first argument None", lambda: interplay.attribute(None, P, target=" Mary"), InterplayError,
         r"attribute takes an interplay Model", r"NoneType"),
    case("attribute_generation max_new_tokens 0", lambda: gen(P, max_new_tokens=0), InterplayError,
         r"max_new_tokens", r"got 0", r"positive integer"),
    case("attribute_generation negative max_new_tokens", lambda: gen(P, max_new_tokens=-3), InterplayError,
         r"max_new_tokens", r"-3", r"positive integer"),
    case("attribute_generation past the context", lambda: gen(P, max_new_tokens=10**6), InterplayError,
         r"max_new_tokens=1000000", r"context of 128 tokens"),
    case("attribute_generation a list of prompts", lambda: gen([P], max_new_tokens=2), PromptError,
         r"one prompt string", r"a list of 1 prompts"),
    case("attribute_generation stop_at_eos a string", lambda: gen(P, max_new_tokens=2, stop_at_eos="no"),
         InterplayError, r"stop_at_eos", r"'no'", r"True or False"),
    case("attribute_generation unknown method", lambda: gen(P, max_new_tokens=1, method="xx"), InterplayError,
         r"method 'xx'", r"integrated_gradients"),
    case("attribute_generation first argument None", lambda: interplay.attribute_generation(None, P),
         InterplayError, r"attribute_generation takes an interplay Model", r"NoneType"),
]


def patch(*args: Any, **kw: Any) -> Any:
    return interplay.patch(m(), *args, progress=False, **kw)


def ablate(*args: Any, **kw: Any) -> Any:
    return interplay.ablate(m(), *args, progress=False, **kw)


PATCHING = [
    case("patch unknown component", lambda: patch(ds(), component="resid"), ComponentError,
         r"component 'resid'", r"resid_pre", r"mlp_out"),
    case("patch unknown granularity", lambda: patch(ds(), by="pos"), ComponentError,
         r"by='pos'", r"layer_pos, layer"),
    case("patch a granularity list with an unknown axis", lambda: patch(ds(), component="z", by=["layer", "pos2"]),
         ComponentError, r"'pos2'", r"layer_head"),
    case("patch unknown direction", lambda: patch(ds(), direction="forward"), InterplayError,
         r"direction='forward'", r"'denoising'", r"'noising'"),
    case("patch unknown method", lambda: patch(ds(), method="fast"), InterplayError,
         r"method='fast'", r"'exact' or 'attribution'"),
    case("patch layer past the model", lambda: patch(ds(), layers=[9]), InterplayError,
         r"layer 9", r"4 layers \(0\.\.3\)"),
    case("patch negative layer", lambda: patch(ds(), layers=[-9]), InterplayError, r"layer -9", r"0\.\.3"),
    case("patch position past the prompts", lambda: patch(ds(), positions=[99]), InterplayError,
         r"position 99", r"15 tokens \(0\.\.14\)"),
    case("patch negative position past the prompts", lambda: patch(ds(), positions=[-99]), InterplayError,
         r"position -99", r"0\.\.14"),
    case("patch batch_size 0", lambda: patch(ds(), batch_size=0), InterplayError,
         r"batch_size=0", r"positive integer"),
    case("patch metric returning None", lambda: patch(ds(), metric=none_metric), MetricError,
         r"none_metric", r"returned None", r"one number"),
    case("patch metric returning NaN", lambda: patch(ds(), metric=nan_metric), MetricError,
         r"nan_metric", r"returned nan", r"finite number"),
    case("patch metric returning a vector", lambda: patch(ds(), metric=lambda lg: lg[0, :3]), MetricError,
         r"returned shape \(3,\)", r"one number per run"),
    case("patch metric a string", lambda: patch(ds(), metric="logit_diff"), MetricError,
         r"metric must be", r"got str", r"a function of the logits"),
    case("patch logit_diff of a two-token answer", lambda: patch(ds(), metric=interplay.logit_diff("Mary John", " John")),
         InterplayError, r"answer='Mary John'", r"not a single token"),
    case("patch logit_diff with the wrong number of answers",
         lambda: patch(ds(), metric=interplay.logit_diff([" Mary"] * 3, " John")), MetricError,
         r"3 answer tokens", r"4 prompts", r"one per prompt"),
    case("patch attribution with a metric returning None", lambda: patch(ds(), method="attribution", metric=none_metric),
         MetricError, r"returned None", r"one number"),
    case("patch without corrupted prompts", lambda: patch(P), PromptError,
         r"corrupted prompts are missing", r"corrupted="),
    case("patch corrupted an int", lambda: patch(P, 3, metric=md()), PromptError,
         r"corrupted must be", r"got 3", r"a list of strings"),
    case("patch pair of different token lengths", lambda: patch(P, "When Mary went", metric=md()), PromptLengthError,
         r"15 tokens", r"has 4", r"equal token lengths"),
    case("patch unequal numbers of clean and corrupted", lambda: patch([P, P], [P], metric=md()), PromptError,
         r"2 clean prompts but 1 corrupted", r"one corrupted twin per clean prompt"),
    case("patch normalize a string", lambda: patch(ds(), normalize="yes"), InterplayError,
         r"normalize", r"'yes'", r"True or False"),
    case("patch neuron layer past the model", lambda: patch(ds(), component="post", by="neuron", layer=9),
         InterplayError, r"layer 9", r"0\.\.3"),
    case("patch first argument None", lambda: interplay.patch(None, ds()), InterplayError,
         r"patch takes an interplay Model", r"NoneType"),
    case("ablate unknown how", lambda: ablate(ds(), how="max"), InterplayError,
         r"how='max'", r"'zero', 'mean', 'resample'"),
    case("ablate reference an int", lambda: ablate(ds(), reference=5), PromptError,
         r"reference must be", r"got 5", r"a list of strings"),
    case("ablate a reference that zeros ignore", lambda: ablate(ds(), how="zero", reference=[P]), InterplayError,
         r"reference=", r"how='zero'", r"how='mean' or how='resample'"),
    case("ablate seed a string", lambda: ablate(ds(), seed="a"), InterplayError,
         r"seed", r"'a'", r">= 0"),
    case("ablate per_position a string", lambda: ablate(ds(), per_position="a"), InterplayError,
         r"per_position", r"'a'", r"True or False"),
    case("ablate no prompts", lambda: ablate([], metric=md()), PromptError, r"prompts is an empty list"),
    case("ablate negative batch_size", lambda: ablate(ds(), batch_size=-1), InterplayError,
         r"batch_size=-1", r"positive integer"),
    case("ablate metric returning None", lambda: ablate(ds(), metric=none_metric), MetricError,
         r"returned None", r"one number"),
    case("ablate first argument None", lambda: interplay.ablate(None, ds()), InterplayError,
         r"ablate takes an interplay Model", r"NoneType"),
]


def steer(*args: Any, **kw: Any) -> Any:
    return interplay.steer(m(), *args, **kw)


STEERING = [
    case("steer negative max_new_tokens", lambda: steer(P, Z, layer=1, max_new_tokens=-3), InterplayError,
         r"max_new_tokens=-3", r">= 0"),
    case("steer layer past the model", lambda: steer(P, Z, layer=9), InterplayError,
         r"layer=9", r"0\.\.3"),
    case("steer vector of the wrong width", lambda: steer(P, np.zeros(64), layer=1), InterplayError,
         r"steering vector has 64 dimensions", r"d_model is 128"),
    case("steer vector with NaN", lambda: steer(P, np.full(128, np.nan), layer=1), InterplayError,
         r"steering vector", r"NaN"),
    case("steer coeff NaN", lambda: steer(P, Z, layer=1, coeff=float("nan")), InterplayError,
         r"coeff=nan", r"finite number"),
    case("steer coeff a string", lambda: steer(P, Z, layer=1, coeff="big"), InterplayError,
         r"coeff='big'", r"finite number"),
    case("steer position past the prompt", lambda: steer(P, Z, layer=1, positions=[99]), InterplayError,
         r"positions \[99\]", r"15 tokens"),
    case("steer positions a word", lambda: steer(P, Z, layer=1, positions="all"), InterplayError,
         r"positions='all'", r"an integer or a list of integers", r"0\.\.14"),
    case("steer positions holding a bool", lambda: steer(P, Z, layer=1, positions=[1, True]), InterplayError,
         r"positions=\[1, True\]", r"list of integers", r"-15\.\.-1"),
    case("steer component outside the residual stream", lambda: steer(P, Z, layer=1, component="z"), InterplayError,
         r"component='z'", r"'resid_pre', 'resid_mid', 'resid_post'"),
    case("steer top_k 0", lambda: steer(P, Z, layer=1, top_k=0), InterplayError, r"top_k=0", r">= 1"),
    case("steer a list of prompts", lambda: steer([P], Z, layer=1), PromptError,
         r"one non-empty prompt string", r"\['When Mary"),
    case("steer vector a word", lambda: steer(P, "happy", layer=1), InterplayError,
         r"steering vector must be", r"got str", r"\[d_model\] array"),
    case("steer first argument None", lambda: interplay.steer(None, P, Z, layer=1), InterplayError,
         r"steer takes an interplay Model", r"NoneType"),
    case("steering_vector layer past the model", lambda: interplay.steering_vector(m(), [P], ["x"], layer=9),
         InterplayError, r"layer=9", r"0\.\.3"),
    case("steering_vector position past a prompt",
         lambda: interplay.steering_vector(m(), [P], ["x y"], layer=1, position=99), InterplayError,
         r"position 99", r"15 tokens"),
    case("steering_vector position a word",
         lambda: interplay.steering_vector(m(), [P], ["x y"], layer=1, position="first"), InterplayError,
         r"position='first'", r"'mean'"),
    case("steering_vector no positive prompts", lambda: interplay.steering_vector(m(), [], ["x y"], layer=1),
         PromptError, r"positive is an empty list"),
]


def circuit(*args: Any, **kw: Any) -> Any:
    return interplay.circuit(m(), *args, progress=False, **kw)


CIRCUITS = [
    case("circuit unknown method", lambda: circuit(ds(), method="acdc"), InterplayError,
         r"method='acdc'", r"'eap'", r"'eap-ig'"),
    case("circuit steps 0", lambda: circuit(ds(), method="eap-ig", steps=0), InterplayError,
         r"steps=0", r"positive integer"),
    case("circuit fractional steps", lambda: circuit(ds(), method="eap-ig", steps=2.5), InterplayError,
         r"steps=2\.5", r"positive integer"),
    case("circuit batch_size 0", lambda: circuit(ds(), batch_size=0), InterplayError,
         r"batch_size=0", r"positive integer"),
    case("circuit metric returning None", lambda: circuit(ds(), metric=none_metric), MetricError,
         r"none_metric", r"returned None", r"one number"),
    case("circuit metric returning a vector", lambda: circuit(ds(), metric=lambda lg: lg[:, 0]), MetricError,
         r"returned shape \(4,\)", r"one number per run"),
    case("circuit qkv a string", lambda: circuit(ds(), qkv="yes"), InterplayError,
         r"qkv='yes'", r"True", r"False"),
    case("circuit no prompts", lambda: circuit([], [], metric=md()), PromptError, r"clean is an empty list"),
    case("circuit first argument None", lambda: interplay.circuit(None, ds()), InterplayError,
         r"first argument is an interplay Model", r"NoneType"),
    case("top_edges negative k", lambda: circ().top_edges(-5), InterplayError, r"k=-5", r">= 0"),
    case("top_edges fractional k", lambda: circ().top_edges(2.5), InterplayError, r"k=2\.5", r"int >= 0"),
    case("prune negative k", lambda: circ().prune(k=-1), InterplayError, r"k=-1", r">= 0"),
    case("prune both k and threshold", lambda: circ().prune(k=3, threshold=0.1), InterplayError,
         r"exactly one of k=", r"threshold="),
    case("prune threshold NaN", lambda: circ().prune(threshold=float("nan")), InterplayError,
         r"threshold=nan", r"finite number"),
    case("faithfulness unknown ablation", lambda: circ().faithfulness(k=5, ablation="zeroo"), InterplayError,
         r"ablation='zeroo'", r"'patch'", r"'mean'"),
    case("faithfulness mask of the wrong shape", lambda: circ().faithfulness(mask=np.ones(3, bool)), ShapeError,
         r"mask must be a bool array", r"\[21, 21\]", r"got bool \[3\]"),
    case("faithfulness negative k", lambda: circ().faithfulness(k=-1), InterplayError, r"k=-1", r">= 0"),
]


def probe(data: Any = None, **kw: Any) -> Any:
    return interplay.probe(m(), (TEXTS, labels()) if data is None else data, **kw)


def names_in_text_0() -> list[list[str | None]]:
    """Labels with names in the first text only: a split by text can leave one side with one class."""
    return [x if i == 0 else [None] * len(x) for i, x in enumerate(labels())]


PROBING = [
    case("probe held-out texts of one class", lambda: probe((TEXTS, names_in_text_0()), layers=[0], seed=0),
         ProbeError, r"held-out texts hold only 'other' tokens", r"larger test_size, or another seed"),
    case("probe training texts of one class", lambda: probe((TEXTS, names_in_text_0()), layers=[0], seed=1),
         ProbeError, r"training texts hold only one class", r"more texts or labels"),
    case("probe data an int", lambda: probe(5), ProbeError,
         r"probe data must be an AnnotatorView", r"\(texts, token_labels\)", r"got a int"),
    case("probe texts without labels", lambda: probe(TEXTS), ProbeError,
         r"\(texts, token_labels\)", r"got a list"),
    case("probe test_size 0", lambda: probe(test_size=0), ProbeError, r"test_size", r"between 0 and 1", r"not 0"),
    case("probe test_size True", lambda: probe(test_size=True), ProbeError, r"test_size", r"True"),
    case("probe negative l2", lambda: probe(l2=-1, layers=[0]), ProbeError, r"l2", r"-1", r">= 0"),
    case("probe layer past the model", lambda: probe(layers=[9]), ProbeError, r"layers \[9\]", r"layers 0\.\.3"),
    case("probe unknown component", lambda: probe(component="zz"), ProbeError,
         r"component 'zz'", r"Did you mean"),
    case("probe batch_size 0", lambda: probe(batch_size=0), ProbeError, r"batch_size", r"positive integer", r"0"),
    case("probe control a string", lambda: probe(control="no", layers=[0]), ProbeError,
         r"control", r"'no'", r"True or False"),
    case("probe seed a string", lambda: probe(seed="a", layers=[0]), ProbeError, r"seed", r"'a'", r"integer >= 0"),
    case("probe label nobody used", lambda: probe(label="place", layers=[0]), ProbeError,
         r"'place'", r"labels used: \['name'\]"),
    case("probe labels one short", lambda: probe((TEXTS, [x[:-1] for x in labels()]), layers=[0]), ProbeError,
         r"text 0 has 9 labelled token slots", r"10 tokens"),
    case("probe first argument None", lambda: interplay.probe(None, (TEXTS, [])), InterplayError,
         r"probe takes an interplay Model", r"NoneType"),
]


def steer_feature(*args: Any, **kw: Any) -> Any:
    return interplay.steer_feature(m(), P, dic(), *args, **kw)


def top(feature: Any = None, dataset: Any = None, **kw: Any) -> Any:
    return interplay.top_activations(m(), (dic(), 0) if feature is None else feature,
                                     [P] if dataset is None else dataset, progress=False, **kw)


def train(hook: Any = "resid_post.1", data: Any = None, **kw: Any) -> Any:
    kw.setdefault("steps", 1)
    return interplay.train_sae(m(), hook, [P] if data is None else data, progress=False, **kw)


FEATURES = [
    case("features k 0", lambda: interplay.features(m(), P, dic(), k=0), InterplayError, r"k=0", r">= 1"),
    case("features dictionary a string", lambda: interplay.features(m(), P, "sae"), DictionaryError,
         r"dictionary must be an interplay SAE or Transcoder", r"got a str"),
    case("features a list of prompts", lambda: interplay.features(m(), [P], dic()), PromptError,
         r"one non-empty prompt string", r"\['When Mary"),
    case("features top_k_examples 0", lambda: interplay.features(m(), P, dic(), top_k_examples=0), InterplayError,
         r"top_k_examples=0", r">= 1"),
    case("features first argument None", lambda: interplay.features(None, P, dic()), InterplayError,
         r"features takes an interplay Model", r"NoneType"),
    case("steer_feature latent past the dictionary", lambda: steer_feature(10**6, value=2.0), InterplayError,
         r"latent=1000000", r"0\.\.1023"),
    case("steer_feature negative latent", lambda: steer_feature(-1, value=2.0), InterplayError,
         r"latent=-1", r"0\.\.1023"),
    case("steer_feature fractional latent", lambda: steer_feature(1.5, value=2.0), InterplayError,
         r"latent=1\.5", r"an integer in 0\.\.1023"),
    case("steer_feature unknown mode", lambda: steer_feature(0, mode="boost"), InterplayError,
         r"mode='boost'", r"'scale', 'clamp', 'ablate', 'add'"),
    case("steer_feature negative max_new_tokens", lambda: steer_feature(0, value=2.0, max_new_tokens=-3),
         InterplayError, r"max_new_tokens=-3", r">= 0"),
    case("steer_feature clamp to NaN", lambda: steer_feature(0, mode="clamp", value=float("nan")), InterplayError,
         r"value=nan", r"finite number"),
    case("steer_feature keep_error a string", lambda: steer_feature(0, value=2.0, keep_error="y"), InterplayError,
         r"keep_error='y'", r"True", r"False"),
    case("steer_feature k 0", lambda: steer_feature(0, value=2.0, k=0), InterplayError, r"k=0", r">= 1"),
    case("steer_feature scale without a value", lambda: steer_feature(0), InterplayError,
         r"mode='scale'", r"needs value=", r"finite number"),
    case("top_activations k 0", lambda: top(k=0), InterplayError, r"k=0", r"positive integer"),
    case("top_activations latent past the dictionary", lambda: top((dic(), 10**6)), InterplayError,
         r"1000000", r"out of range 0\.\.1023"),
    case("top_activations negative context", lambda: top(context=(-1, 2)), InterplayError,
         r"context=\(-1, 2\)", r"two integers >= 0"),
    case("top_activations batch_size 0", lambda: top(batch_size=0), TaskError,
         r"batch_size", r"positive integer", r"got 0"),
    case("top_activations empty dataset", lambda: top(dataset=[]), TaskError,
         r"dataset holds no sequence", r"got \[\]", r"a non-empty list of texts"),
    case("top_activations dataset an int", lambda: top(dataset=5), TaskError,
         r"dataset must be a list of texts", r"got int"),
    case("top_activations n_bins 0", lambda: top(n_bins=0), InterplayError, r"n_bins=0", r"positive integer"),
    case("top_activations seq_len 0", lambda: top(seq_len=0), InterplayError, r"seq_len=0", r"positive integer"),
    case("top_activations feature a word", lambda: top("neuron"), InterplayError,
         r"feature='neuron'", r"a feature is one of"),
    case("top_activations negative logit_k", lambda: top(logit_k=-1), InterplayError,
         r"logit_k=-1", r"positive integer"),
    case("train_sae d_sae 0", lambda: train(d_sae=0), DictionaryError, r"d_sae=0", r"positive integers"),
    case("train_sae k 0", lambda: train(k=0), DictionaryError, r"k=0", r"1\.\.d_sae=1024"),
    case("train_sae steps 0", lambda: train(steps=0), TaskError, r"steps", r"positive integer", r"got 0"),
    case("train_sae negative lr", lambda: train(lr=-1), TaskError, r"lr", r"positive number", r"got -1"),
    case("train_sae unknown architecture", lambda: train(architecture="gated2"), DictionaryError,
         r"architecture='gated2'", r"'topk', 'relu'"),
    case("train_sae misspelt hook", lambda: train("resid_poost.1"), HookNameError,
         r"'resid_poost\.1'", r"Did you mean"),
    case("train_sae unknown option", lambda: train(l1=3), TaskError, r"\['l1'\]", r"l1_coef"),
    case("train_sae no data", lambda: train(data=[]), TaskError, r"data holds no token"),
    case("train_sae first argument None", lambda: interplay.train_sae(None, "resid_post.1", [P]), InterplayError,
         r"train_sae takes an interplay Model", r"NoneType"),
    case("train_transcoder layer past the model",
         lambda: interplay.train_transcoder(m(), 9, [P], steps=1, progress=False), TaskError,
         r"layer_or_hooks=9", r"layers 0\.\.3"),
    case("dictionary_metrics batch_size 0", lambda: interplay.dictionary_metrics(m(), dic(), [P], batch_size=0),
         TaskError, r"batch_size", r"positive integer", r"got 0"),
    case("dictionary_metrics negative dense_threshold",
         lambda: interplay.dictionary_metrics(m(), dic(), [P], dense_threshold=-1), TaskError,
         r"dense_threshold", r"between 0 and 1", r"got -1"),
    case("dictionary_metrics dense_threshold a string",
         lambda: interplay.dictionary_metrics(m(), dic(), [P], dense_threshold="a"), TaskError,
         r"dense_threshold", r"between 0 and 1", r"got 'a'"),
    case("dictionary_metrics max_tokens 0", lambda: interplay.dictionary_metrics(m(), dic(), [P], max_tokens=0),
         TaskError, r"max_tokens", r"positive integer or None", r"got 0"),
    case("dictionary_metrics dictionary a string", lambda: interplay.dictionary_metrics(m(), "x", [P]),
         DictionaryError, r"dictionary must be an interplay SAE or Transcoder", r"got str"),
    case("dictionary_metrics first argument None", lambda: interplay.dictionary_metrics(None, dic(), [P]),
         InterplayError, r"dictionary_metrics takes an interplay Model", r"NoneType"),
]



@functools.cache
def att() -> Any:
    return interplay.attention(m(), [P, "The capital of France is"])


@functools.cache
def sal() -> Any:
    return interplay.attribute(m(), P, target=" Mary", method="saliency", progress=False)


@functools.cache
def sae64() -> Any:
    """A dictionary made for a 64-wide hook, attached by name to the demo model's 128-wide one."""
    return interplay.SAE(64, 128, hook="blocks.1.hook_resid_post")


RESULTS_AND_WIDTHS = [
    case("top_activations direction of the wrong width",
         lambda: interplay.top_activations(m(), np.zeros(64), [P], hook="resid_post.1", progress=False), ShapeError,
         r"direction has 64 dimensions", r"width 128"),
    case("features dictionary of the wrong width", lambda: interplay.features(m(), P, sae64()), DictionaryError,
         r"d_in=64", r"width 128"),
    case("steer_feature dictionary of the wrong width", lambda: interplay.steer_feature(m(), P, sae64(), 0, value=2.0),
         DictionaryError, r"d_in=64", r"width 128"),
    case("dictionary_metrics dictionary of the wrong width", lambda: interplay.dictionary_metrics(m(), sae64(), [P]),
         DictionaryError, r"d_in=64", r"\(1, 15, 128\)"),
    case("top_activations dictionary of the wrong width", lambda: top((sae64(), 0)), DictionaryError,
         r"d_in=64", r"width 128"),
    case("AttentionResult.layer past the model", lambda: att().layer(9), InterplayError, r"layer 9", r"0\.\.3"),
    case("AttentionResult.layer a string", lambda: att().layer("a"), InterplayError, r"layer 'a'", r"0\.\.3"),
    case("AttentionResult.sequence past the batch", lambda: att().sequence(5), InterplayError,
         r"batch=5", r"0\.\.1"),
    case("AttributionResult.explain past the prompt", lambda: sal().explain(99), InterplayError,
         r"index 99", r"tokens 1\.\.15"),
    case("AttributionResult.explain a float", lambda: sal().explain(2.5), InterplayError,
         r"index 2\.5", r"an integer in 1\.\.15"),
    case("AttributionResult.explain unknown method", lambda: sal().explain(3, "shap"), InterplayError,
         r"method 'shap'", r"saliency"),
    case("AttributionResult.rerun unknown score", lambda: sal().rerun(score="xx"), InterplayError,
         r"score must be one of", r"'xx'"),
    case("CircuitResult.select both k and threshold", lambda: circ().select(k=2, threshold=0.1), InterplayError,
         r"exactly one of k=", r"threshold="),
    case("CircuitResult.faithfulness_curve negative k", lambda: circ().faithfulness_curve([-1, 3]), InterplayError,
         r"ks\[i\]=-1", r">= 0"),
    case("CircuitResult.faithfulness_curve of a string", lambda: circ().faithfulness_curve("abc"), InterplayError,
         r"ks\[i\]='a'", r"int >= 0"),
    case("CircuitResult.to_dict negative max_edges", lambda: circ().to_dict(max_edges=-1), InterplayError,
         r"max_edges=-1", r">= 0"),
    case("CircuitResult.with_faithfulness negative k", lambda: circ().with_faithfulness(k=-2), InterplayError,
         r"k=-2", r">= 0"),
    case("CircuitResult.circuit_metric unknown ablation", lambda: circ().circuit_metric(k=3, ablation="x"),
         InterplayError, r"ablation='x'", r"'patch'", r"'mean'"),
    case("Result.replace of an unknown field", lambda: circ().replace(nonexistent=3), InterplayError,
         r"nonexistent=", r"not fields of CircuitData", r"scores"),
    case("DLAResult.show attention a string",
         lambda: interplay.direct_logit_attribution(m(), P, target=" Mary").show(attention="no"), InterplayError,
         r"attention", r"'no'", r"True or False"),
]

MODEL_CASES = (ATTENTION + HEATMAP_LENS_DLA + ATTRIBUTION + PATCHING + STEERING + CIRCUITS + PROBING + FEATURES
               + RESULTS_AND_WIDTHS)


@pytest.mark.parametrize("c", MODEL_CASES)
def test_a_bad_input_to_a_method_is_refused_and_the_model_unharmed(c: Any, demo_model: Any) -> None:
    assert m() is demo_model
    expect_error(c, demo_model)


@functools.cache
def small_tokenizer() -> Any:
    """The tests' 398-token BPE tokenizer: it splits most task words into pieces."""
    from tests.conftest import build_tokenizer

    return build_tokenizer()


NO_MODEL_CASES = [
    case("induction seq_len too long for the tokenizer's words",
         lambda: tasks.induction(seq_len=20, tokenizer=small_tokenizer()), TaskError,
         r"tokenizer", r"only 13 of 350 words", r"seq_len=20 needs 2 \* seq_len \+ 2", r"tokenizer=None"),
    case("ioi with a tokenizer that splits every name", lambda: tasks.ioi(tokenizer=small_tokenizer()), TaskError,
         r"tokenizer", r"only 0 of 15 test names", r"tokenizer=None"),
    case("brackets with a tokenizer that splits the answer", lambda: tasks.brackets(tokenizer=small_tokenizer()),
         TaskError, r"tokenizer argument", r"' \]' is not a single token", r"tokenizer=None"),
    case("token_prob of a float", lambda: interplay.token_prob(3.5), MetricError,
         r"token_prob\(token=\)", r"3\.5", r"a token \(a string"),
    case("logit_diff of None", lambda: interplay.logit_diff(None, " John"), MetricError,
         r"logit_diff\(answer=\)", r"None", r"a token"),
    case("logit_diff of an empty list", lambda: interplay.logit_diff([], " John"), MetricError,
         r"logit_diff\(answer=\)", r"\[\]", r"non-empty list"),
    case("logit_diff with an empty wrong token in a list", lambda: interplay.logit_diff(" Mary", [" John", ""]),
         MetricError, r"logit_diff\(wrong=\)\[1\]", r"''", r"a token"),
    case("ioi n 0", lambda: tasks.ioi(n=0), TaskError, r"n must be a positive integer", r"got 0"),
    case("ioi negative n", lambda: tasks.ioi(n=-1), TaskError, r"n must be a positive integer", r"got -1"),
    case("ioi n a string", lambda: tasks.ioi(n="5"), TaskError, r"n must be a positive integer", r"got '5'"),
    case("ioi unknown split", lambda: tasks.ioi(split="dev"), TaskError,
         r"split must be one of \('train', 'test'\)", r"got 'dev'"),
    case("ioi unknown order", lambda: tasks.ioi(order="xyz"), TaskError,
         r"order must be one of \('ABBA', 'BABA', 'both'\)", r"got 'xyz'"),
    case("ioi template index past the list", lambda: tasks.ioi(templates=[999]), TaskError,
         r"templates", r"index 999", r"0 to 31"),
    case("ioi unknown template text", lambda: tasks.ioi(templates=["no placeholders"]), TaskError,
         r"templates", r"'no placeholders'", r"ioi_templates\('test'\)"),
    case("ioi no templates", lambda: tasks.ioi(templates=[]), TaskError,
         r"templates must not be empty", r"templates=None"),
    case("ioi seed a string", lambda: tasks.ioi(seed="a"), TaskError, r"seed must be an integer", r"got 'a'"),
    case("facts fractional seed", lambda: tasks.facts(seed=1.5), TaskError, r"seed must be an integer", r"1\.5"),
    case("ioi tokenizer a name", lambda: tasks.ioi(tokenizer="gpt2"), TaskError,
         r"tokenizer must be None", r"'gpt2'", r"AutoTokenizer\.from_pretrained"),
    case("brackets tokenizer an int", lambda: tasks.brackets(tokenizer=3), TaskError,
         r"tokenizer must be None", r"got 3", r"tokenizers\.Tokenizer"),
    case("induction seq_len past the word list", lambda: tasks.induction(seq_len=3000), TaskError,
         r"seq_len must be an integer from 3 to 174", r"got 3000"),
    case("induction seq_len 0", lambda: tasks.induction(seq_len=0), TaskError, r"seq_len", r"from 3 to", r"got 0"),
    case("induction seq_len a string", lambda: tasks.induction(seq_len="20"), TaskError,
         r"seq_len", r"from 3 to", r"got '20'"),
    case("induction unknown kind", lambda: tasks.induction(kind="words"), TaskError,
         r"kind must be one of \('random', 'sentence'\)", r"got 'words'"),
    case("facts unknown relation", lambda: tasks.facts(relation="capitals"), TaskError,
         r"relation", r"'capitals'", r"'capital', 'language', 'profession', 'all'"),
    case("facts n 0", lambda: tasks.facts(n=0), TaskError, r"n must be a positive integer", r"got 0"),
    case("brackets negative n", lambda: tasks.brackets(n=-1), TaskError, r"n must be a positive integer", r"-1"),
    case("brackets unknown split", lambda: tasks.brackets(split="val"), TaskError, r"split must be one of", r"'val'"),
    case("ioi_templates unknown split", lambda: tasks.ioi_templates("x"), TaskError, r"split must be one of", r"'x'"),
    case("fact_templates unknown relation", lambda: tasks.fact_templates("x", "test"), TaskError,
         r"relation", r"'x'", r"'capital', 'language', 'profession'"),
]


@pytest.mark.parametrize("c", NO_MODEL_CASES)
def test_a_bad_input_to_a_metric_or_task_generator_is_refused(c: Any) -> None:
    expect_error(c)


def test_the_catalogue_holds_distinct_mistakes() -> None:
    ids = [p.values[0].id for p in MODEL_CASES + NO_MODEL_CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 80
