"""The backend's catalogue of bad inputs (issue 18, area R1): load, run, trace indexing, interventions,
names and dictionaries.

Each case is one distinct mistake a user makes; it must raise one of our errors whose message names the
bad argument, repeats the bad value and says what is accepted, and leave the demo model unharmed (no
hook left, attention implementation restored, no gradient, logits bit-identical).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

import interplay
from interplay.errors import DictionaryError, HookNameError, InterplayError, PromptError, ShapeError
from tests.conftest import make_hf_model
from tests.reliability.conftest import Case, case, expect_error

P = "When Mary and John went to the store"
ACCEPT = r"accepted"


def _sae(layer: int = 1, d_in: int = 128, **kw: Any) -> interplay.SAE:
    return interplay.SAE(d_in, 64, hook=f"resid_post.{layer}", k=4, **kw)


def _iv(fn: Any, name: Any = ("resid_post", 1)) -> list[tuple[Any, Any]]:
    return [(name, fn)]


class _ShortTokenizer:
    """Another model's tokenizer that under-reports its size: its ids pass the load-time check and run past
    the embedding table at run time."""

    def __init__(self, tok: Any, size: int) -> None:
        self._tok, self._size = tok, size

    def __len__(self) -> int:
        return self._size

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._tok(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tok, name)


def _dir(tmp: Path, name: str, config: Any, filename: str = "config.json") -> Path:
    d = tmp / name
    d.mkdir()
    (d / filename).write_text(config if isinstance(config, str) else json.dumps(config))
    return d


LOAD = [
    case("load: a local path that does not exist",
         lambda c: interplay.load(c.tmp / "no-such-model"), InterplayError,
         r"model=", r"no-such-model", r"does not exist", r"local path, not a hub name", ACCEPT),
    case("load: a relative path that does not exist",
         lambda c: interplay.load("./models/nope"), InterplayError, r"model='\./models/nope'", r"does not exist", ACCEPT),
    case("load: a file, not a directory",
         lambda c: interplay.load(Path(interplay.__file__)), InterplayError, r"model=", r"__init__\.py", r"is a file", ACCEPT),
    case("load: a directory without config.json",
         lambda c: interplay.load(c.tmp), InterplayError, r"model=", r"without config\.json", ACCEPT),
    case("load: a config.json that is not JSON",
         lambda c: interplay.load(_dir(c.tmp, "broken", "{not json")), InterplayError,
         r"model=", r"broken", r"could not be read", ACCEPT),
    case("load: an unsupported architecture",
         lambda c: interplay.load(_dir(c.tmp, "t5", {"model_type": "t5"})), InterplayError, r"t5", r"(?i)support"),
    case("load: a hub name not in the offline cache",
         lambda c: interplay.load("no-such-org-xyz/no-such-model-xyz"), InterplayError,
         r"model='no-such-org-xyz/no-such-model-xyz'", r"hub name", ACCEPT),
    case("load: an empty name", lambda c: interplay.load(""), InterplayError, r"model=''", r"empty", ACCEPT),
    case("load: an int for the model", lambda c: interplay.load(3), InterplayError,
         r"model must be", r"got 3 \(a int\)", r"hub name"),
    case("load: a list of names", lambda c: interplay.load(["gpt2"]), InterplayError,
         r"model must be", r"\['gpt2'\] \(a list\)", r"hub name"),
    case("load: a plain torch.nn.Module without .config",
         lambda c: interplay.load(torch.nn.Linear(2, 2), c.tok), InterplayError,
         r"model=Linear", r"no Hugging Face config", ACCEPT),
    case("load: a model object without its tokenizer",
         lambda c: interplay.load(c.m.hf_model), InterplayError, r"tokenizer=None", r"needs its tokenizer", ACCEPT),
    case("load: tokenizer='gpt2' (a name, not an object)",
         lambda c: interplay.load(c.m.hf_model, "gpt2"), InterplayError,
         r"tokenizer='gpt2'", r"a name, not a tokenizer", r"AutoTokenizer\.from_pretrained\('gpt2'\)"),
    case("load: a tokenizer that is not one",
         lambda c: interplay.load(c.m.hf_model, {"vocab": 3}), InterplayError,
         r"tokenizer=\{'vocab': 3\}", r"a dict", r"not a tokenizer", ACCEPT),
    case("load: the tokenizer of another model (more tokens than embedding rows)",
         lambda c: interplay.load(make_hf_model("gpt2", 100), c.tok), InterplayError,
         r"tokenizer has \d+ tokens", r"embedding table has 100 rows", r"another model", ACCEPT),
    case("load: dtype='float33'", lambda c: interplay.load(c.m.hf_model, c.m.tokenizer, dtype="float33"), InterplayError,
         r"dtype='float33'", r"not a dtype", ACCEPT, r"float32"),
    case("load: an integer dtype", lambda c: interplay.load(c.m.hf_model, c.m.tokenizer, dtype=torch.int64), InterplayError,
         r"dtype=torch\.int64", r"not a floating-point dtype", ACCEPT),
    case("load: dtype=32", lambda c: interplay.load(c.m.hf_model, c.m.tokenizer, dtype=32), InterplayError,
         r"dtype=32", r"it is a int", ACCEPT, r"floating-point"),
    case("load: device='gpu'", lambda c: interplay.load(c.m.hf_model, c.m.tokenizer, device="gpu"), InterplayError,
         r"device='gpu'", r"not a device", ACCEPT, r"'cuda'"),
    case("load: device=3.5", lambda c: interplay.load(c.m.hf_model, c.m.tokenizer, device=3.5), InterplayError,
         r"device=3\.5 \(a float\)", r"not a device", ACCEPT, r"'cpu'"),
    case("load: device='tpu:0' (a device type we do not run on)",
         lambda c: interplay.load(c.m.hf_model, c.m.tokenizer, device="xla:0"), InterplayError,
         r"device='xla:0'", ACCEPT, r"'cpu'"),
    case("load: from_pretrained options with a model object",
         lambda c: interplay.load(c.m.hf_model, c.m.tokenizer, backend="torch"), InterplayError,
         r"backend='torch'", r"means nothing for a model object", r"accepted with a model object: tokenizer, device, dtype"),
    case("load: device_map with a model object",
         lambda c: interplay.load(c.m.hf_model, c.m.tokenizer, device_map="auto"), InterplayError,
         r"device_map='auto'", r"means nothing for a model object", ACCEPT),
    case("load: a misspelt option (devce=)", lambda c: interplay.load("demo", devce="cpu"), InterplayError,
         r"devce='cpu'", r"unknown option", r"Did you mean 'device'", r"Accepted"),
    case("load: a misspelt option (torch_dtyp=)", lambda c: interplay.load("demo", torch_dtyp="float32"), InterplayError,
         r"torch_dtyp='float32'", r"unknown option", r"'dtype'", r"Accepted"),
    case("Model(): not a model object", lambda c: interplay.Model("gpt2", c.tok), InterplayError,
         r"model must be a torch model object", r"got 'gpt2' \(a str\)"),
]

RUN = [
    case("run: a bytes prompt", lambda c: c.m.run(b"hello"), PromptError,
         r"prompts must be", r"bytes b'hello'", r"decode it first"),
    case("run: an int prompt", lambda c: c.m.run(3), PromptError, r"prompts must be", r"got 3 \(a int\)", r"a string"),
    case("run: None as the prompt", lambda c: c.m.run(None), PromptError, r"prompts must be", r"None", r"a string"),
    case("run: an empty prompt", lambda c: c.m.run(""), PromptError, r"prompts is empty", r"a string"),
    case("run: an empty list", lambda c: c.m.run([]), PromptError, r"prompts must be", r"got \[\]", r"non-empty list"),
    case("run: a set of prompts", lambda c: c.m.run({"a"}), PromptError, r"prompts must be", r"\{'a'\} \(a set\)", r"list"),
    case("run: a number inside the list", lambda c: c.m.run([P, 7]), PromptError,
         r"prompts\[1\]", r"a int \(7\)", r"list of strings"),
    case("run: an empty string inside the list", lambda c: c.m.run([P, ""]), PromptError,
         r"prompts\[1\] is empty", r"list of strings"),
    case("run: a prompt longer than the context", lambda c: c.m.run("Mary " * 300), PromptError,
         r"prompt 0 has \d+ tokens", r"context is 128", r"accepted: at most 128 tokens"),
    case("run: prepend_bos='yes'", lambda c: c.m.run(P, prepend_bos="yes"), PromptError,
         r"prepend_bos", r"'yes' \(a str\)", r"True or False"),
    case("run: grad='yes'", lambda c: c.m.run(P, grad="yes"), InterplayError, r"grad", r"'yes'", r"True or False"),
    case("run: detach=1", lambda c: c.m.run(P, detach=1), InterplayError, r"detach", r"got 1 \(a int\)", r"True or False"),
    case("run: capture=3", lambda c: c.m.run(P, capture=3), HookNameError,
         r"capture must be", r"got 3 \(a int\)", r"'resid_post'"),
    case("run: capture=[3]", lambda c: c.m.run(P, capture=[3]), HookNameError,
         r"capture", r"got 3", r"non-empty string or \(name, layer\)"),
    case("run: capture as a dict", lambda c: c.m.run(P, capture={"resid_post": 1}), HookNameError,
         r"capture must be", r"\{'resid_post': 1\} \(a dict\)", r"list of them"),
    case("run: capture a misspelt name", lambda c: c.m.run(P, capture="resid_pst"), HookNameError,
         r"capture", r"'resid_pst'", r"Did you mean", r"Short names"),
    case("run: capture a layer out of range", lambda c: c.m.run(P, capture=("resid_post", 9)), HookNameError,
         r"capture", r"layer 9", r"4 layers \(0\.\.3\)"),
    case("run: capture with the layer as a string", lambda c: c.m.run(P, capture=("resid_post", "1")), HookNameError,
         r"capture", r"'1'", r"Short names"),
    case("run: capture with a bool layer", lambda c: c.m.run(P, capture=("resid_post", True)), HookNameError,
         r"capture", r"\('resid_post', True\)", r"\(short_name, layer\)"),
    case("run: capture a full name with a negative layer", lambda c: c.m.run(P, capture="blocks.-9.hook_resid_post"),
         HookNameError, r"capture", r"layer -9", r"\(0\.\.3\)"),
    case("run: capture a dictionary's latents that are not spliced",
         lambda c: c.m.run(P, capture="blocks.1.hook_resid_post.sae.acts"), HookNameError,
         r"capture", r"sae\.acts", r"full names look like"),
]

INTERVENTIONS = [
    case("interventions=fn without a name", lambda c: c.m.run(P, interventions=lambda a, n: a), InterplayError,
         r"interventions=<function", r"no name", r"\(name, fn\) pairs"),
    case("interventions a string", lambda c: c.m.run(P, interventions="resid_post"), InterplayError,
         r"interventions='resid_post' \(a str\)", r"\(name, fn\) pairs"),
    case("interventions a number", lambda c: c.m.run(P, interventions=5), InterplayError,
         r"interventions=5 \(a int\)", r"\(name, fn\) pairs"),
    case("interventions: a list of names", lambda c: c.m.run(P, interventions=["resid_post"]), InterplayError,
         r"interventions holds 'resid_post'", r"not a \(name, fn\) pair", ACCEPT),
    case("interventions: a triple", lambda c: c.m.run(P, interventions=[("resid_post", lambda a, n: a, 2)]), InterplayError,
         r"interventions holds \('resid_post'", r"not a \(name, fn\) pair", ACCEPT),
    case("interventions: the function is a number", lambda c: c.m.run(P, interventions=_iv(3)), InterplayError,
         r"intervention for \('resid_post', 1\)", r"is 3 \(a int\)", r"fn\(activation, name\)"),
    case("interventions: {name: None}", lambda c: c.m.run(P, interventions={"resid_post": None}), InterplayError,
         r"intervention for 'resid_post'", r"None", r"fn\(activation, name\)"),
    case("interventions: a one-argument function", lambda c: c.m.run(P, interventions=_iv(lambda a: a)), InterplayError,
         r"intervention for \('resid_post', 1\)", r"<lambda>\(a\)", r"fn\(activation, name\) \(two arguments\)"),
    case("interventions: a misspelt name", lambda c: c.m.run(P, interventions=_iv(lambda a, n: a, "resdi_post")),
         HookNameError, r"interventions", r"'resdi_post'", r"Did you mean"),
    case("interventions: a layer out of range", lambda c: c.m.run(P, interventions=_iv(lambda a, n: a, ("z", 4))),
         HookNameError, r"interventions", r"layer 4", r"\(0\.\.3\)"),
    case("intervention returns a bool tensor", lambda c: c.m.run(P, interventions=_iv(lambda a, n: a > 0)), ShapeError,
         r"intervention on 'blocks\.1\.hook_resid_post'", r"a bool tensor", r"floating-point tensor", r"act \* \(act > 0\)"),
    case("intervention returns an integer tensor", lambda c: c.m.run(P, interventions=_iv(lambda a, n: a.long())),
         ShapeError, r"intervention on 'blocks\.1\.hook_resid_post'", r"int64 tensor", r"floating-point tensor"),
    case("intervention returns a complex tensor",
         lambda c: c.m.run(P, interventions=_iv(lambda a, n: a.to(torch.complex64))), ShapeError,
         r"intervention on", r"complex64", r"floating-point tensor"),
    case("intervention returns the wrong shape", lambda c: c.m.run(P, interventions=_iv(lambda a, n: a[..., :3])),
         ShapeError, r"intervention on 'blocks\.1\.hook_resid_post'", r"shape \(1, \d+, 3\)", r"shape \(1, \d+, 128\)"),
    case("intervention returns one position", lambda c: c.m.run(P, interventions=_iv(lambda a, n: a[:, -1])),
         ShapeError, r"intervention on", r"shape \(1, 128\)", r"activation's shape \(1, \d+, 128\)"),
    case("intervention returns a float", lambda c: c.m.run(P, interventions=_iv(lambda a, n: 0.0)), ShapeError,
         r"intervention on", r"returned 0\.0 \(a float\)", r"floating-point tensor"),
    case("intervention returns a numpy array", lambda c: c.m.run(P, interventions=_iv(lambda a, n: a.numpy())), ShapeError,
         r"intervention on", r"\(a ndarray\)", r"floating-point tensor"),
    case("intervention returns a meta tensor",
         lambda c: c.m.run(P, interventions=_iv(lambda a, n: torch.empty(a.shape, device="meta"))), ShapeError,
         r"intervention on", r"meta device", ACCEPT),
    case("intervention on the pattern returns the wrong shape",
         lambda c: c.m.run(P, interventions=_iv(lambda a, n: a[:, :2], ("pattern", 0))), ShapeError,
         r"blocks\.0\.attn\.hook_pattern", r"shape \(1, 2,", r"activation's shape \(1, 4,"),
    case("intervention on z returns a bool tensor",
         lambda c: c.m.run(P, interventions=_iv(lambda a, n: a != 0, ("z", 2))), ShapeError,
         r"blocks\.2\.attn\.hook_z", r"bool tensor", r"floating-point"),
]

TRACE = [
    case("trace[name] not captured", lambda c: c.m.run(P, capture=("resid_post", 1))["resid_post", 2], HookNameError,
         r"'blocks\.2\.hook_resid_post' was not captured", r"captured: blocks\.1\.hook_resid_post",
         r"capture=\[\('resid_post', 2\)\]"),
    case("trace[name] of every layer", lambda c: c.m.run(P, capture="resid_post")["resid_post"], HookNameError,
         r"'resid_post' names 4 activations", r"\('resid_post', 0\)", r"trace\.stack"),
    case("trace[3]", lambda c: c.m.run(P, capture="resid_post")[3], HookNameError,
         r"trace\[3\]", r"got 3", r"non-empty string or \(name, layer\)"),
    case("trace[a slice]", lambda c: c.m.run(P, capture="resid_post")[0:2], HookNameError,
         r"trace\[slice\(0, 2, None\)\]", r"non-empty string or \(name, layer\)"),
    case("trace[name, '1']", lambda c: c.m.run(P, capture="resid_post")["resid_post", "1"], HookNameError,
         r"trace\[\('resid_post', '1'\)\]", r"\(short_name, layer\)"),
    case("trace[name, layer, extra]", lambda c: c.m.run(P, capture="resid_post")["resid_post", 1, 2], HookNameError,
         r"trace\[\('resid_post', 1, 2\)\]", r"\(short_name, layer\)"),
    case("trace[name, 99]", lambda c: c.m.run(P, capture="resid_post")["resid_post", 99], HookNameError,
         r"trace\[", r"layer 99", r"\(0\.\.3\)"),
    case("trace[a misspelt name]", lambda c: c.m.run(P, capture="resid_post")["resid_pst", 1], HookNameError,
         r"trace\[", r"'resid_pst'", r"Did you mean: 'resid_post'"),
    case("trace.stack(3)", lambda c: c.m.run(P, capture="resid_post").stack(3), HookNameError,
         r"trace\[3\]", r"non-empty string"),
    case("model.resolve(None)", lambda c: c.m.resolve(None), HookNameError,
         r"names must be", r"got None \(a NoneType\)", r"'resid_post'"),
    case("model.resolve(1.0 layer)", lambda c: c.m.resolve(("resid_post", 1.0)), HookNameError,
         r"\('resid_post', 1\.0\)|got 1\.0", r"\(name, layer\)|\(short_name, layer\)"),
    case("to_str_tokens given a list", lambda c: c.m.to_str_tokens(["a", "b"]), PromptError,
         r"prompt must be a string", r"\['a', 'b'\]", r"one at a time"),
    case("tokenize bytes", lambda c: c.m.tokenize(b"x"), PromptError, r"prompts", r"bytes b'x'", r"decode"),
    case("unembed a list", lambda c: c.m.unembed([1.0]), ShapeError, r"unembed\(x\)", r"a list", r"d_model=128"),
    case("unembed the wrong width", lambda c: c.m.unembed(torch.zeros(2, 5)), ShapeError,
         r"unembed\(x\)", r"shape \(2, 5\)", r"\[\.\.\., d_model=128\]"),
]

FORWARD = [
    case("forward: float ids", lambda c: c.m.forward(torch.zeros(1, 3)), ShapeError,
         r"ids must be a 2-D integer tensor", r"torch\.float32"),
    case("forward: 1-D ids", lambda c: c.m.forward(torch.zeros(3, dtype=torch.long)), ShapeError,
         r"ids must be a 2-D integer tensor", r"1-D torch\.int64"),
    case("forward: ids as a list", lambda c: c.m.forward([[1, 2]]), ShapeError,
         r"ids must be a 2-D integer tensor", r"a list"),
    case("forward: no tokens", lambda c: c.m.forward(torch.zeros(1, 0, dtype=torch.long)), ShapeError,
         r"ids has shape \(1, 0\)", r"at least one"),
    case("forward: an id past the embedding table", lambda c: c.m.forward(torch.tensor([[5, 99999]])), PromptError,
         r"ids holds the token id 99999", r"accepted ids are 0\.\.\d+"),
    case("forward: a negative id", lambda c: c.m.forward(torch.tensor([[-1, 5]])), PromptError,
         r"ids holds the token id -1", r"accepted ids are 0\.\."),
    case("forward: more positions than the context", lambda c: c.m.forward(torch.ones(1, 500, dtype=torch.long)),
         PromptError, r"ids has 500 positions", r"context is 128", r"at most"),
    case("forward: a mask of another shape",
         lambda c: c.m.forward(torch.tensor([[1, 2]]), torch.ones(1, 3, dtype=torch.long)), ShapeError,
         r"mask must be", r"\(1, 2\)", r"got \(1, 3\)"),
    case("forward: keep_positions past the end", lambda c: c.m.forward(torch.tensor([[1, 2]]), keep_positions=[5]),
         ShapeError, r"keep_positions holds 5", r"accepted positions are 0\.\.1"),
    case("forward: keep_positions as floats", lambda c: c.m.forward(torch.tensor([[1, 2]]), keep_positions=[0.5]),
         ShapeError, r"keep_positions must be", r"\[0\.5\]"),
    case("run: a tokenizer whose ids run past the embedding (caught at run)",
         lambda c: interplay.Model(make_hf_model("gpt2", 100), _ShortTokenizer(c.tok, 90)).run("Émile naïve café"),
         PromptError, r"ids holds the token id \d+", r"accepted ids are 0\.\.99", r"tokenizer"),
]

DICTIONARIES = [
    case("dictionaries='sae' (a string)", lambda c: c.m.run(P, dictionaries="sae"), DictionaryError,
         r"dictionaries must be", r"'sae' \(a str\)", r"SAE or Transcoder"),
    case("dictionaries=[3]", lambda c: c.m.run(P, dictionaries=[3]), DictionaryError,
         r"dictionaries holds 3 \(a int\)", r"accepted: interplay\.SAE"),
    case("dictionaries: an SAE of another width", lambda c: c.m.run(P, dictionaries=_sae(1, d_in=64)), DictionaryError,
         r"d_in=64", r"width 128", r"another model"),
    case("dictionaries: an SAE at a layer the model lacks", lambda c: c.m.run(P, dictionaries=_sae(9)), DictionaryError,
         r"blocks\.9\.hook_resid_post", r"layer 9", r"\(0\.\.3\)"),
    case("dictionaries: keyed at another hook", lambda c: c.m.run(P, dictionaries={"resid_post.0": _sae(1)}),
         DictionaryError, r"dictionaries=\{'resid_post\.0'", r"made for 'blocks\.1\.hook_resid_post'"),
    case("dictionaries: keyed at every layer", lambda c: c.m.run(P, dictionaries={"resid_post": _sae(1)}),
         DictionaryError, r"dictionaries=\{'resid_post'", r"names 4 hooks", r"e\.g\. 'blocks\.2\.hook_resid_post'"),
    case("dictionaries: two at one hook", lambda c: c.m.run(P, dictionaries=[_sae(1), _sae(1)]), DictionaryError,
         r"two dictionaries replace 'blocks\.1\.hook_resid_post'", r"one per hook"),
    case("dictionaries: include_error='no'", lambda c: c.m.run(P, dictionaries=_sae(1), include_error="no"),
         DictionaryError, r"include_error='no'", r"True and False"),
    case("dictionaries: an SAE on the attention pattern",
         lambda c: c.m.run(P, dictionaries=interplay.SAE(128, 8, hook="pattern.0", k=2)), DictionaryError,
         r"blocks\.0\.attn\.hook_pattern", r"not supported"),
    case("dictionaries: a transcoder reading after it writes",
         lambda c: c.m.run(P, dictionaries=interplay.Transcoder(128, 8, hook_in="mlp_out.0", hook_out="mlp_in.0", k=2)),
         DictionaryError, r"reads 'blocks\.0\.hook_mlp_out'", r"hook_in must come before hook_out"),
    case("dictionaries: an intervention on latents not spliced",
         lambda c: c.m.run(P, interventions=[("blocks.1.hook_resid_post.sae.acts", lambda a, n: a)]), DictionaryError,
         r"'blocks\.1\.hook_resid_post\.sae\.acts'", r"pass that dictionary in dictionaries=", r"spliced latents here: none"),
    case("dictionaries: a latent intervention returning bools",
         lambda c: c.m.run(P, dictionaries=_sae(1), interventions=[("blocks.1.hook_resid_post.sae.acts",
                                                                    lambda a, n: a > 0)]),
         DictionaryError, r"sae\.acts'", r"bool tensor", r"floating-point tensor of the activation's shape \(1, \d+, 64\)"),
    case("dictionaries: a latent intervention of the wrong shape",
         lambda c: c.m.run(P, dictionaries=_sae(1), interventions=[("blocks.1.hook_resid_post.sae.acts",
                                                                    lambda a, n: a[..., :3])]),
         DictionaryError, r"sae\.acts'", r"shape \(1, \d+, 3\)", r"shape \(1, \d+, 64\)"),
    case("SAE: d_in=0", lambda c: interplay.SAE(0, 4, hook="resid_post.0"), DictionaryError,
         r"d_in=0", r"positive integers"),
    case("SAE: d_sae a float", lambda c: interplay.SAE(128, 4.0, hook="resid_post.0", k=2), DictionaryError,
         r"d_sae=4\.0", r"positive integers"),
    case("SAE: a hook of every layer", lambda c: interplay.SAE(128, 64, hook="resid_post", k=2), DictionaryError,
         r"hook='resid_post'", r"names every layer", r"'resid_post\.0'"),
    case("SAE: a hook given as a number", lambda c: interplay.SAE(128, 64, hook=3, k=2), DictionaryError,
         r"hook=3", r"not a hook point", r"'resid_post\.2'"),
    case("SAE: architecture='gated'", lambda c: interplay.SAE(128, 4, hook="resid_post.0", architecture="gated"),
         DictionaryError, r"architecture='gated'", r"accepted: 'relu', 'topk', 'jumprelu'"),
    case("SAE: k=0", lambda c: interplay.SAE(128, 4, hook="resid_post.0", k=0), DictionaryError,
         r"k=0", r"1\.\.d_sae=4"),
    case("SAE: an integer dtype", lambda c: interplay.SAE(128, 4, hook="resid_post.0", k=2, dtype=torch.int32),
         DictionaryError, r"dtype=torch\.int32", r"not a floating-point dtype", ACCEPT),
    case("SAE: device='gpu'", lambda c: interplay.SAE(128, 4, hook="resid_post.0", k=2, device="gpu"), DictionaryError,
         r"device='gpu'", r"not a device", ACCEPT),
    case("SAE.encode of the wrong width", lambda c: _sae(1).encode(torch.zeros(3, 5)), DictionaryError,
         r"width d_in=128", r"shape \(3, 5\)"),
    case("SAE.decode of the wrong width", lambda c: _sae(1).decode(torch.zeros(3, 5)), DictionaryError,
         r"\[\.\.\., d_sae=64\]", r"got \(3, 5\)"),
    case("Transcoder: skip='y'", lambda c: interplay.Transcoder(128, 4, hook_in="mlp_in.0", hook_out="mlp_out.0", k=2,
                                                                 skip="y"), DictionaryError,
         r"skip='y'", r"True and False"),
    case("load_dictionary: a missing directory", lambda c: interplay.load_dictionary(c.tmp / "nope"), DictionaryError,
         r"path_or_name=", r"nope' does not exist", r"accepted: a directory holding cfg\.json", r"'demo/resid_post\.0'"),
    case("load_dictionary: an unknown demo name", lambda c: interplay.load_dictionary("demo/nope"), DictionaryError,
         r"path_or_name='demo/nope'", r"does not exist", r"'demo/resid_post\.0'"),
    case("load_dictionary: a number", lambda c: interplay.load_dictionary(3), DictionaryError,
         r"path_or_name=3", r"a directory \(str or Path\)"),
    case("load_dictionary: a file", lambda c: interplay.load_dictionary(Path(interplay.__file__)), DictionaryError,
         r"path_or_name=", r"is a file, not a directory", ACCEPT),
    case("load_dictionary: dtype='float33'", lambda c: interplay.load_dictionary("demo/resid_post.0", dtype="float33"),
         DictionaryError, r"dtype='float33'", ACCEPT),
    case("load_dictionary: device='gpu'", lambda c: interplay.load_dictionary("demo/resid_post.0", device="gpu"),
         DictionaryError, r"device='gpu'", ACCEPT),
    case("load_dictionary: a directory without weights",
         lambda c: interplay.load_dictionary(_dir(c.tmp, "dict", {"d_in": 3}, "cfg.json")), DictionaryError,
         r"has no sae_weights\.safetensors", r"holds cfg\.json and sae_weights\.safetensors"),
    case("demo_dictionary: an unknown name", lambda c: interplay.demo_dictionary("resid_post.9"), DictionaryError,
         r"name='resid_post\.9'", r"the bundled ones are: 'resid_post\.0'"),
]

CASES = LOAD + RUN + INTERVENTIONS + TRACE + FORWARD + DICTIONARIES


@pytest.fixture
def ctx(demo_model: Any, tokenizer: Any, tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(m=demo_model, tok=tokenizer, tmp=tmp_path)


def _bound(c: Case, ctx: SimpleNamespace) -> Case:
    call = c.call
    return dataclasses.replace(c, call=lambda: call(ctx))  # type: ignore[call-arg]


@pytest.mark.parametrize("c", LOAD)
def test_load(c: Case, ctx: SimpleNamespace) -> None:
    expect_error(_bound(c, ctx), ctx.m)


@pytest.mark.parametrize("c", RUN)
def test_run(c: Case, ctx: SimpleNamespace) -> None:
    expect_error(_bound(c, ctx), ctx.m)


@pytest.mark.parametrize("c", INTERVENTIONS)
def test_interventions(c: Case, ctx: SimpleNamespace) -> None:
    expect_error(_bound(c, ctx), ctx.m)


@pytest.mark.parametrize("c", TRACE)
def test_trace_and_names(c: Case, ctx: SimpleNamespace) -> None:
    expect_error(_bound(c, ctx), ctx.m)


@pytest.mark.parametrize("c", FORWARD)
def test_forward(c: Case, ctx: SimpleNamespace) -> None:
    expect_error(_bound(c, ctx), ctx.m)


@pytest.mark.parametrize("c", DICTIONARIES)
def test_dictionaries(c: Case, ctx: SimpleNamespace) -> None:
    expect_error(_bound(c, ctx), ctx.m)


def test_the_catalogue_is_large_and_distinct() -> None:
    ids = [p.values[0].id for p in CASES]
    assert len(ids) >= 60 and len(set(ids)) == len(ids)


def test_a_refused_model_object_is_not_moved_or_cast(demo_model: Any) -> None:
    """A bad device or dtype is refused before the model object is touched."""
    before = (demo_model.device, demo_model.dtype)
    for bad in ({"device": "gpu"}, {"dtype": "float33"}, {"dtype": torch.int8}):
        with pytest.raises(InterplayError):
            interplay.load(demo_model.hf_model, demo_model.tokenizer, **bad)
    assert (demo_model.device, demo_model.dtype) == before


def test_what_is_still_accepted(demo_model: Any) -> None:
    """The checks refuse mistakes, not the forms users rely on."""
    t = demo_model.run((P, "Mary"), capture=None, interventions=None)
    assert t.logits is not None and t.logits.shape[0] == 2
    out = demo_model.run(P, capture=[("resid_post", 1)], interventions={("resid_post", 1): lambda a, n: a * 1.0})
    assert out["resid_post", 1].dtype == demo_model.dtype
    half = demo_model.run(P, interventions=[(("resid_post", 1), lambda a, n: a.half())])
    assert half.logits is not None
    assert interplay.SAE(128, 8, hook="resid_post.0", k=2, dtype="float64").W_enc.dtype == torch.float64
    ids = demo_model.tokenize(P).token_ids
    assert demo_model.forward(ids, keep_positions=[]).logits.shape[1] == 0  # type: ignore[union-attr]
    f = demo_model.forward(ids, keep_positions=[-1])
    assert f.logits is not None
    torch.testing.assert_close(f.logits[:, 0], demo_model.forward(ids).logits[:, -1])  # type: ignore[index]
