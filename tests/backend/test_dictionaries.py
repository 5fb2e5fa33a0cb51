"""SAEs and transcoders: their activation conventions (SAELens's), their argument checks, and
splicing them into a forward pass (Model.run / Model.forward with dictionaries=), on the demo model
and on tiny random models of every family; and the MLP-input name ``blocks.L.ln2.hook_normalized``."""

from __future__ import annotations

from typing import Any

import pytest
import torch

import interplay
from interplay.backend.dictionaries import SAE, Dictionary, Transcoder, canonical_hook
from interplay.errors import DictionaryError, HookNameError
from tests.conftest import CAUSAL_FAMILIES, hook_counts

PROMPTS = ["When Mary and John went to the store, John gave a drink to", "The capital of France is"]


def _randomise(d: Dictionary, seed: int = 0, scale: float = 0.3) -> Dictionary:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in d.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)
            if name == "threshold":
                p.abs_()
    return d


def _loss(logits: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    lp = torch.log_softmax(logits[:, :-1].double(), dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
    m = mask[:, 1:].double()
    return -(lp * m).sum() / m.sum()


# -- the dictionaries themselves ------------------------------------------------------------------
@pytest.mark.parametrize("architecture", ["relu", "topk", "jumprelu"])
@pytest.mark.parametrize("b_dec_in", [False, True])
def test_encode_decode_follow_saelens_conventions(architecture: str, b_dec_in: bool) -> None:
    sae = _randomise(SAE(8, 24, hook="resid_post.1", architecture=architecture, k=5, apply_b_dec_to_input=b_dec_in))
    x = torch.randn(3, 7, 8)
    pre = (x - sae.b_dec if b_dec_in else x) @ sae.W_enc + sae.b_enc
    torch.testing.assert_close(sae.pre_activations(x), pre)
    if architecture == "relu":
        want = pre.relu()
    elif architecture == "topk":  # top k of the pre-activations, then ReLU (SAELens TopK)
        flat = pre.reshape(-1, 24)
        want = torch.zeros_like(flat)
        for row in range(flat.shape[0]):
            top = sorted(range(24), key=lambda j: -float(flat[row, j].detach()))[:5]
            want[row, top] = flat[row, top].relu()
        want = want.reshape(pre.shape)
    else:
        assert sae.threshold is not None
        want = pre.relu() * (pre > sae.threshold)
    acts = sae.encode(x)
    torch.testing.assert_close(acts, want)
    assert (acts >= 0).all()
    if architecture == "topk":
        assert ((acts > 0).sum(-1) <= 5).all() and ((acts > 0).sum(-1) > 0).any()
    torch.testing.assert_close(sae.decode(acts), acts @ sae.W_dec + sae.b_dec)
    torch.testing.assert_close(sae(x), sae.decode(acts))
    assert sae.W_enc.dtype == torch.float32 and sae.d_out == sae.d_in == 8 and sae.hook_out == sae.hook_in


def test_transcoder_maps_widths_with_an_optional_skip() -> None:
    tc = _randomise(Transcoder(8, 24, hook_in="mlp_in.0", hook_out="mlp_out.0", d_out=5, k=4, skip=True))
    assert (tc.kind, tc.hook_in, tc.hook_out) == ("transcoder", "blocks.0.ln2.hook_normalized", "blocks.0.hook_mlp_out")
    assert tc.W_dec.shape == (24, 5) and tc.W_skip is not None and tc.W_skip.shape == (8, 5)
    x = torch.randn(2, 3, 8)
    acts = tc.encode(x)
    torch.testing.assert_close(tc(x), acts @ tc.W_dec + tc.b_dec + x @ tc.W_skip)
    with pytest.raises(DictionaryError, match="skip connection: decode"):
        tc.decode(acts)
    plain = Transcoder(8, 24, hook_in="mlp_in.0", hook_out="mlp_out.0", architecture="relu")
    assert plain.W_skip is None and plain.d_out == 8 and not plain.apply_b_dec_to_input and plain.k is None
    assert plain.W_enc.shape == (8, 24)


def test_fresh_weights_are_a_usable_start() -> None:
    sae = SAE(16, 64, hook="blocks.0.hook_resid_post", architecture="relu")
    torch.testing.assert_close(sae.W_dec.norm(dim=-1), torch.ones(64))
    torch.testing.assert_close(sae.W_enc, sae.W_dec.T)
    assert not sae.b_enc.any() and not sae.b_dec.any()
    assert sae.threshold is None and sae.W_skip is None and sae.k is None
    assert SAE(16, 64, hook="resid_post.0").k == 32
    assert "architecture='topk', k=32" in repr(SAE(16, 64, hook="resid_post.0"))


def test_the_input_is_cast_to_the_dictionarys_dtype() -> None:
    sae = _randomise(SAE(8, 16, hook="resid_post.0", k=3))
    x = torch.randn(4, 8)
    assert sae.encode(x).dtype == torch.float32
    torch.testing.assert_close(sae.encode(x.to(torch.bfloat16)), sae.encode(x.to(torch.bfloat16).float()))
    assert SAE(8, 16, hook="resid_post.0", k=3, dtype=torch.float64).W_enc.dtype == torch.float64


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"architecture": "gated"}, r"architecture='gated'.*'relu', 'topk', 'jumprelu'"),
    ({"architecture": "standard"}, r"'standard' is 'relu'"),
    ({"k": 0}, r"k=0.*1\.\.d_sae=64"),
    ({"k": 65}, r"k=65.*1\.\.d_sae=64"),
    ({"k": 2.5}, r"k=2\.5"),
    ({"hook": "resid_post"}, r"hook='resid_post' names every layer.*'resid_post\.0'"),
    ({"hook": ""}, r"hook='' is not a hook point"),
    ({"hook": "blocks.-1.hook_resid_post"}, r"non-negative layer"),
    ({"hook": "resid_post.-1"}, r"hook='resid_post\.-1' is not a hook point"),
    ({"hook": 3}, r"hook=3 is not a hook point"),
    ({"apply_b_dec_to_input": "yes"}, r"apply_b_dec_to_input='yes'.*True and False"),
    ({"dtype": torch.int64}, r"dtype=torch\.int64.*floating-point"),
    ({"name": 5}, r"name=5"),
])
def test_bad_constructor_arguments_name_the_argument_and_what_is_accepted(kwargs: dict[str, Any], match: str) -> None:
    args = {"hook": "resid_post.0", **kwargs}
    with pytest.raises(DictionaryError, match=match):
        SAE(8, 64, **args)


@pytest.mark.parametrize(("d_in", "d_sae", "match"), [(0, 16, "d_in=0"), (8, -1, "d_sae=-1"), (True, 16, "d_in=True"),
                                                        (8.0, 16, "d_in=8.0")])
def test_widths_are_positive_integers(d_in: Any, d_sae: Any, match: str) -> None:
    with pytest.raises(DictionaryError, match=match):
        SAE(d_in, d_sae, hook="resid_post.0")


def test_transcoder_argument_checks() -> None:
    with pytest.raises(DictionaryError, match="d_out=0"):
        Transcoder(8, 64, hook_in="mlp_in.0", hook_out="mlp_out.0", d_out=0)
    with pytest.raises(DictionaryError, match="skip=1"):
        Transcoder(8, 64, hook_in="mlp_in.0", hook_out="mlp_out.0", skip=1)  # type: ignore[arg-type]
    with pytest.raises(DictionaryError, match="hook_out='mlp_out'"):
        Transcoder(8, 64, hook_in="mlp_in.0", hook_out="mlp_out")


def test_inputs_of_the_wrong_width_are_refused() -> None:
    sae = SAE(8, 16, hook="resid_post.0", k=4, name="mine")
    with pytest.raises(DictionaryError, match=r"'mine' reads vectors of width d_in=8.*\(2, 9\)"):
        sae.encode(torch.zeros(2, 9))
    with pytest.raises(DictionaryError, match=r"d_sae=16"):
        sae.decode(torch.zeros(2, 8))


def test_canonical_hook_names() -> None:
    assert canonical_hook("resid_post.2") == "blocks.2.hook_resid_post"
    assert canonical_hook(("mlp_in", 1)) == "blocks.1.ln2.hook_normalized"
    assert canonical_hook("blocks.3.attn.hook_z") == "blocks.3.attn.hook_z"
    assert canonical_hook("ln_final") == "ln_final.hook_normalized"


# -- the MLP-input name ----------------------------------------------------------------------------
_MLP_NORM = {"gpt2": "ln_2", "neox": "post_attention_layernorm", "neox_sequential": "post_attention_layernorm",
             "llama": "post_attention_layernorm", "qwen2": "post_attention_layernorm",
             "mistral": "post_attention_layernorm", "gemma": "post_attention_layernorm",
             "gemma2": "pre_feedforward_layernorm"}


@pytest.mark.parametrize("family", CAUSAL_FAMILIES)
def test_mlp_in_is_the_normalised_input_of_the_mlp(model: Any, family: str) -> None:
    layer = 1
    src = "resid_pre" if family == "neox" else "resid_mid"  # parallel NeoX: the MLP reads resid_pre
    t = model.run(PROMPTS, capture=[("mlp_in", layer), (src, layer), ("mlp_out", layer)])
    norm = getattr(model.layout.block(layer), _MLP_NORM[family])
    with torch.no_grad():
        want = norm(t[src, layer])
    torch.testing.assert_close(t["mlp_in", layer], want)
    assert t["mlp_in", layer].shape == (2, t.token_ids.shape[1], model.cfg.d_model)
    names = model.hook_names
    assert names.index(f"blocks.{layer}.ln2.hook_normalized") < names.index(f"blocks.{layer}.mlp.hook_post")
    assert f"blocks.{layer}.ln2.hook_normalized" in model.resolve("all")


@pytest.mark.parametrize("family", ["bert"])
def test_post_ln_bert_has_no_mlp_in(model: Any) -> None:
    assert not any(n.endswith("ln2.hook_normalized") for n in model.hook_names)
    with pytest.raises(HookNameError, match="this architecture has no such activation"):
        model.resolve(("mlp_in", 0))


def test_an_intervention_on_mlp_in_changes_the_mlp_output(demo_model: Any) -> None:
    t = demo_model.run(PROMPTS[0], capture=[("mlp_in", 2), ("mlp_out", 2)],
                       interventions=[(("mlp_in", 2), lambda a, n: torch.zeros_like(a))])
    assert not t["mlp_in", 2].any()
    mlp = demo_model.layout.mlp(2)
    with torch.no_grad():
        torch.testing.assert_close(t["mlp_out", 2], mlp(torch.zeros(1, 1, demo_model.cfg.d_model)).expand_as(t["mlp_out", 2]))


# -- splicing --------------------------------------------------------------------------------------
def test_an_sae_with_its_error_term_leaves_the_demo_models_logits(demo_model: Any) -> None:
    hook = "blocks.2.hook_resid_post"
    sae = _randomise(SAE(128, 512, hook=hook, k=16), scale=0.05)
    plain = demo_model.run(PROMPTS, capture=[hook])
    t = demo_model.run(PROMPTS, capture=[hook], dictionaries={hook: sae})
    torch.testing.assert_close(t.logits, plain.logits, atol=1e-5, rtol=0)
    acts, recon, error = (t[f"{hook}.sae.{k}"] for k in ("acts", "recon", "error"))
    n = t.token_ids.shape[1]
    assert acts.shape == (2, n, 512) and recon.shape == error.shape == (2, n, 128)
    assert ((acts > 0).sum(-1) <= 16).all()
    torch.testing.assert_close(acts, sae.encode(plain[hook]))
    torch.testing.assert_close(recon, sae(plain[hook]))
    torch.testing.assert_close(recon + error, plain[hook])
    torch.testing.assert_close(t[hook], plain[hook], atol=1e-5, rtol=0)
    keys = t.keys()
    assert keys[keys.index(hook) + 1:keys.index(hook) + 4] == [f"{hook}.sae.{k}" for k in ("acts", "recon", "error")]
    assert f"{hook}.sae.acts" in t


def test_without_the_error_term_the_model_runs_on_the_reconstruction(demo_model: Any) -> None:
    hook = "blocks.1.hook_resid_mid"
    sae = _randomise(SAE(128, 256, hook=hook, architecture="relu"), scale=0.1)
    b = demo_model.tokenize(PROMPTS)
    plain = demo_model.forward(b.token_ids, b.attention_mask).logits
    spliced = demo_model.forward(b.token_ids, b.attention_mask, dictionaries=[sae], include_error=False)
    by_hand = demo_model.forward(b.token_ids, b.attention_mask, interventions={hook: lambda a, n: sae(a)}).logits
    torch.testing.assert_close(spliced.logits, by_hand, atol=1e-5, rtol=0)
    loss = _loss(spliced.logits, b.token_ids, b.attention_mask)
    assert abs(loss - _loss(plain, b.token_ids, b.attention_mask)) > 0.05
    torch.testing.assert_close(loss, _loss(by_hand, b.token_ids, b.attention_mask))
    assert not spliced.activations[f"{hook}.sae.error"].eq(0).all()


@pytest.mark.parametrize("family", CAUSAL_FAMILIES)
@pytest.mark.parametrize("hook", ["resid_post", "mlp_out", "attn_out", "z", "post", "mlp_in"])
def test_splicing_on_every_family(model: Any, family: str, hook: str) -> None:
    """The error term gives the plain logits; without it the run equals replacing the activation by
    the reconstruction with a plain intervention (per-head hook_z flattened to n_heads * d_head)."""
    name = model.resolve((hook, 1))[0]
    width = {"z": model.cfg.n_heads * model.cfg.d_head, "post": model.cfg.d_mlp}.get(hook, model.cfg.d_model)
    sae = _randomise(SAE(width, 2 * width, hook=name, k=6), seed=3, scale=0.2)
    b = model.tokenize(PROMPTS)
    plain = model.forward(b.token_ids, b.attention_mask).logits
    with_error = model.forward(b.token_ids, b.attention_mask, dictionaries=sae).logits
    torch.testing.assert_close(with_error, plain, atol=1e-5, rtol=0)

    def replace(a: torch.Tensor, n: str) -> torch.Tensor:
        flat = a.reshape(*a.shape[:2], -1)
        return sae(flat).reshape(a.shape)

    by_hand = model.forward(b.token_ids, b.attention_mask, interventions={name: replace}).logits
    without = model.forward(b.token_ids, b.attention_mask, dictionaries=sae, include_error=False).logits
    torch.testing.assert_close(without, by_hand, atol=1e-5, rtol=0)
    assert not torch.allclose(without, plain, atol=1e-3)
    assert hook_counts(model.hf_model) == 0


@pytest.mark.parametrize("family", ["gpt2", "neox", "llama", "gemma2"])
def test_a_transcoder_replaces_the_mlp(model: Any, family: str) -> None:
    d = model.cfg.d_model
    tc = _randomise(Transcoder(d, 3 * d, hook_in=("mlp_in", 1), hook_out=("mlp_out", 1), k=8, skip=True), seed=5, scale=0.2)
    b = model.tokenize(PROMPTS)
    plain = model.forward(b.token_ids, b.attention_mask, capture=[("mlp_in", 1), ("mlp_out", 1)])
    out = model.forward(b.token_ids, b.attention_mask, dictionaries=[tc])
    torch.testing.assert_close(out.logits, plain.logits, atol=1e-5, rtol=0)
    pre = "blocks.1.hook_mlp_out.transcoder"
    x_in, target = plain.activations["blocks.1.ln2.hook_normalized"], plain.activations["blocks.1.hook_mlp_out"]
    torch.testing.assert_close(out.activations[f"{pre}.acts"], tc.encode(x_in))
    torch.testing.assert_close(out.activations[f"{pre}.recon"], tc(x_in))
    torch.testing.assert_close(out.activations[f"{pre}.error"], target - tc(x_in))

    seen: dict[str, torch.Tensor] = {}
    by_hand = model.forward(b.token_ids, b.attention_mask, interventions={
        ("mlp_in", 1): lambda a, n: seen.__setitem__("x", a),
        ("mlp_out", 1): lambda a, n: tc(seen["x"]),
    }).logits
    without = model.forward(b.token_ids, b.attention_mask, dictionaries=[tc], include_error=False).logits
    torch.testing.assert_close(without, by_hand, atol=1e-5, rtol=0)
    assert not torch.allclose(without, plain.logits, atol=1e-3)


def test_dictionaries_combine_with_each_other_captures_and_interventions(gpt2: Any) -> None:
    d = gpt2.cfg.d_model
    sae = _randomise(SAE(d, 64, hook="resid_post.0", k=4), seed=1, scale=0.2)
    tc = _randomise(Transcoder(d, 64, hook_in="mlp_in.1", hook_out="mlp_out.1", architecture="jumprelu"), seed=2, scale=0.2)
    b = gpt2.tokenize(PROMPTS)
    seen: dict[str, torch.Tensor] = {}
    by_hand = gpt2.forward(b.token_ids, b.attention_mask, capture=["resid_post"], interventions={
        ("resid_post", 0): lambda a, n: sae(a * 0.5),
        ("mlp_in", 1): lambda a, n: seen.__setitem__("x", a),
        ("mlp_out", 1): lambda a, n: tc(seen["x"]),
    })
    out = gpt2.forward(b.token_ids, b.attention_mask, capture=["resid_post", "blocks.0.hook_resid_post.sae.acts"],
                       interventions={("resid_post", 0): lambda a, n: a * 0.5},  # the user's runs first
                       dictionaries={"blocks.0.hook_resid_post": sae, "mlp_out.1": tc}, include_error=False)
    torch.testing.assert_close(out.logits, by_hand.logits, atol=1e-5, rtol=0)
    # a captured value is the one the model went on with: here the reconstruction
    torch.testing.assert_close(out.activations["blocks.0.hook_resid_post"], out.activations["blocks.0.hook_resid_post.sae.recon"])
    for name in by_hand.activations:
        torch.testing.assert_close(out.activations[name], by_hand.activations[name], atol=1e-5, rtol=0)
    assert {"blocks.0.hook_resid_post.sae.acts", "blocks.1.hook_mlp_out.transcoder.acts"} <= set(out.activations)


def test_an_intervention_on_the_latents_edits_them_before_decoding(demo_model: Any) -> None:
    hook = "blocks.2.hook_resid_post"
    sae = _randomise(SAE(128, 256, hook=hook, architecture="relu"), scale=0.1)
    plain = demo_model.run(PROMPTS[0], capture=[hook], dictionaries=[sae])
    acts = plain[f"{hook}.sae.acts"]
    latent = int(acts[0].sum(0).argmax())

    def ablate(a: torch.Tensor, name: str) -> torch.Tensor:
        assert name == f"{hook}.sae.acts"
        a = a.clone()
        a[..., latent] = 0
        return a

    t = demo_model.run(PROMPTS[0], capture=[hook], dictionaries=[sae], interventions={f"{hook}.sae.acts": ablate})
    edited = acts.clone()
    edited[..., latent] = 0
    torch.testing.assert_close(t[f"{hook}.sae.acts"], edited)
    torch.testing.assert_close(t[f"{hook}.sae.error"], plain[f"{hook}.sae.error"])  # the unedited latents' error
    torch.testing.assert_close(t[hook], sae.decode(edited) + plain[f"{hook}.sae.error"])
    by_hand = demo_model.run(PROMPTS[0], interventions={hook: lambda a, n: a - acts[..., latent, None] * sae.W_dec[latent]})
    torch.testing.assert_close(t.logits, by_hand.logits, atol=1e-4, rtol=0)
    with pytest.raises(DictionaryError, match=r"pass that dictionary in dictionaries= \(spliced latents here: none\)"):
        demo_model.run(PROMPTS[0], interventions={f"{hook}.sae.acts": ablate})
    with pytest.raises(DictionaryError, match=r"returned shape \(3,\)"):
        demo_model.run(PROMPTS[0], dictionaries=[sae], interventions={f"{hook}.sae.acts": lambda a, n: torch.zeros(3)})


def test_with_grad_the_latents_and_the_error_term_stay_in_the_graph(demo_model: Any) -> None:
    hook = "blocks.1.hook_resid_post"
    sae = _randomise(SAE(128, 256, hook=hook, k=12), scale=0.1)
    target = demo_model.tokenizer(" Mary")["input_ids"][0]
    plain = demo_model.run(PROMPTS[0], capture=[hook], grad=True, detach=False)
    g_plain = torch.autograd.grad(plain.logits[0, -1, target], plain[hook])[0]
    t = demo_model.run(PROMPTS[0], dictionaries=[sae], grad=True, detach=False)
    acts, error = t[f"{hook}.sae.acts"], t[f"{hook}.sae.error"]
    assert acts.requires_grad and error.requires_grad and error.is_leaf
    metric = t.logits[0, -1, target]
    torch.testing.assert_close(metric, plain.logits[0, -1, target], atol=1e-5, rtol=0)
    g_err, g_acts = torch.autograd.grad(metric, [error, acts])
    torch.testing.assert_close(g_err, g_plain, atol=1e-5, rtol=1e-4)  # the error node's gradient: d metric / d activation
    torch.testing.assert_close(g_acts, g_plain @ sae.W_dec.T, atol=1e-5, rtol=1e-4)
    detached = demo_model.run(PROMPTS[0], dictionaries=[sae])
    assert not detached[f"{hook}.sae.acts"].requires_grad and detached.logits is not None


def test_a_float32_sae_reads_a_bfloat16_model() -> None:
    model = interplay.load(dtype="bfloat16")
    hook = "blocks.2.hook_resid_post"
    sae = _randomise(SAE(128, 256, hook=hook, k=8), scale=0.1)
    plain = model.run(PROMPTS[0], capture=[hook])
    t = model.run(PROMPTS[0], capture=[hook], dictionaries=[sae])
    assert t[f"{hook}.sae.acts"].dtype == torch.float32 and t[hook].dtype == torch.bfloat16
    assert torch.equal(t[hook], plain[hook]) and torch.equal(t.logits, plain.logits)


def test_a_width_that_does_not_match_the_hook_names_both(demo_model: Any) -> None:
    with pytest.raises(DictionaryError, match=r"d_in=64, but 'blocks\.0\.hook_resid_post' on this model has width 128"):
        demo_model.run("hi", dictionaries=[SAE(64, 128, hook="resid_post.0", name="small")])
    with pytest.raises(DictionaryError, match=r"d_in=128, but 'blocks\.0\.mlp\.hook_post' on this model has width 512"):
        demo_model.run("hi", dictionaries=[SAE(128, 256, hook="post.0")])
    tc = Transcoder(128, 256, hook_in="mlp_in.0", hook_out="post.0")
    with pytest.raises(DictionaryError, match=r"d_out=128, but 'blocks\.0\.mlp\.hook_post' on this model has width 512"):
        demo_model.run("hi", dictionaries=[tc])


def test_bad_dictionaries_arguments(demo_model: Any) -> None:
    sae = SAE(128, 256, hook="resid_post.0")
    with pytest.raises(DictionaryError, match=r"made for 'blocks\.0\.hook_resid_post', not 'blocks\.1\.hook_resid_post'"):
        demo_model.run("hi", dictionaries={"resid_post.1": sae})
    with pytest.raises(DictionaryError, match="names 4 hooks"):
        demo_model.run("hi", dictionaries={"resid_post": sae})
    with pytest.raises(DictionaryError, match=r"two dictionaries replace 'blocks\.0\.hook_resid_post'"):
        demo_model.run("hi", dictionaries=[sae, SAE(128, 256, hook="resid_post.0")])
    with pytest.raises(DictionaryError, match=r"accepted: interplay.SAE, interplay.Transcoder"):
        demo_model.run("hi", dictionaries=[torch.nn.Linear(2, 2)])  # type: ignore[list-item]
    with pytest.raises(DictionaryError, match=r"got 3 \(a int\)"):
        demo_model.run("hi", dictionaries=3)  # type: ignore[arg-type]
    with pytest.raises(DictionaryError, match="include_error=1"):
        demo_model.run("hi", dictionaries=[sae], include_error=1)  # type: ignore[arg-type]
    with pytest.raises(DictionaryError, match=r"computes after 'blocks\.0\.hook_mlp_out'"):
        demo_model.run("hi", dictionaries=[Transcoder(128, 256, hook_in="resid_post.1", hook_out="mlp_out.0")])
    with pytest.raises(DictionaryError, match=r"which this model does not have.*out of range"):
        demo_model.run("hi", dictionaries=[SAE(128, 256, hook="resid_post.7")])
    with pytest.raises(DictionaryError, match="holds no vectors"):
        demo_model.run("hi", dictionaries=[SAE(128, 256, hook="pattern.0")])


class _Exploding(SAE):
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("this dictionary failed mid-forward")


def test_a_dictionary_that_raises_leaves_no_hook_and_the_same_logits(demo_model: Any) -> None:
    b = demo_model.tokenize(PROMPTS)
    before = demo_model.forward(b.token_ids, b.attention_mask).logits
    good = SAE(128, 256, hook="resid_post.0")
    with pytest.raises(RuntimeError, match="failed mid-forward"):
        demo_model.forward(b.token_ids, b.attention_mask, capture=["resid_post"],
                           dictionaries=[good, _Exploding(128, 256, hook="resid_post.2")])
    assert hook_counts(demo_model.hf_model) == 0
    assert torch.equal(demo_model.forward(b.token_ids, b.attention_mask).logits, before)
