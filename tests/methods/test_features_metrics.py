"""dictionary_metrics against a brute-force loop, one sequence and one token at a time; latent_auroc
against counting pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from interplay.backend.dictionaries import SAE, Transcoder
from interplay.errors import DictionaryError, TaskError
from interplay.methods.features.metrics import dictionary_metrics, latent_auroc


def _sequences(model, n: int = 7, seed: int = 0) -> list[list[int]]:
    """Token-id rows of different lengths, BOS first (so padding and BOS exclusion both matter)."""
    rng = np.random.default_rng(seed)
    bos = model.tokenizer.bos_token_id
    vocab = model.cfg.d_vocab
    return [[bos] + [int(t) for t in rng.integers(2, vocab, size=int(rng.integers(3, 12)))] for _ in range(n)]


def _dictionaries(model) -> list:
    torch.manual_seed(0)
    d = model.cfg.d_model
    sae = SAE(d, 48, hook="blocks.0.hook_resid_post", k=6, apply_b_dec_to_input=True)
    tc = Transcoder(d, 40, hook_in="blocks.1.ln2.hook_normalized", hook_out="blocks.1.hook_mlp_out",
                    architecture="relu", skip=True)
    with torch.no_grad():
        for x in (sae, tc):
            for p in x.parameters():
                p.add_(0.05 * torch.randn_like(p))
    return [sae, tc]


def brute_force(model, dictionary, sequences, dense=0.1) -> dict:
    """One sequence per forward pass; the splice computes the reconstruction inside the hook."""
    bos = model.tokenizer.bos_token_id
    ys, recons, actives = [], [], []
    ce = {"clean": [], "spliced": [], "zero": []}
    for seq in sequences:
        ids = torch.tensor([seq])
        clean = model.forward(ids, capture=[dictionary.hook_in, dictionary.hook_out])
        x, y = clean.activations[dictionary.hook_in][0], clean.activations[dictionary.hook_out][0]
        captured = {}

        def grab(act, name, captured=captured):
            captured["x"] = act
            return None

        def splice(act, name, captured=captured, seq=seq):
            src = act if dictionary.hook_in == dictionary.hook_out else captured["x"]
            out = act.clone()
            for p in range(len(seq)):
                if seq[p] != bos:
                    out[0, p] = dictionary(src[0, p])
            return out

        def zero(act, name, seq=seq):
            out = act.clone()
            for p in range(len(seq)):
                if seq[p] != bos:
                    out[0, p] = 0
            return out

        hooks = {dictionary.hook_out: splice}
        if dictionary.hook_in != dictionary.hook_out:
            hooks = {dictionary.hook_in: grab, dictionary.hook_out: splice}
        runs = {"clean": clean, "spliced": model.forward(ids, interventions=hooks),
                "zero": model.forward(ids, interventions={dictionary.hook_out: zero})}
        for p, tok in enumerate(seq):
            if tok == bos:
                continue
            acts = dictionary.encode(x[p])
            actives.append((acts > 0).numpy())
            ys.append(y[p].double().numpy())
            recons.append(dictionary.decode(acts, x[p]).double().detach().numpy())
            if p + 1 < len(seq):
                for key, run in runs.items():
                    logp = torch.log_softmax(run.logits[0, p].double(), -1)
                    ce[key].append(-float(logp[seq[p + 1]]))
    y, r, on = np.array(ys), np.array(recons), np.array(actives)
    mean_ce = {k: float(np.mean(v)) for k, v in ce.items()}
    rate = on.mean(0)
    return {
        "n_tokens": len(ys),
        "l0": float(on.sum(1).mean()),
        "variance_explained": 1 - ((y - r) ** 2).sum() / ((y - y.mean(0)) ** 2).sum(),
        "mse": float(((y - r) ** 2).sum(1).mean()),
        "ce_clean": mean_ce["clean"], "ce_spliced": mean_ce["spliced"], "ce_zero_ablation": mean_ce["zero"],
        "ce_loss_recovered": (mean_ce["zero"] - mean_ce["spliced"]) / (mean_ce["zero"] - mean_ce["clean"]),
        "dead_fraction": float((rate == 0).mean()),
        "dense_fraction": float((rate > dense).mean()),
    }


@pytest.mark.parametrize("which", [0, 1], ids=["sae", "skip-transcoder"])
def test_metrics_equal_a_brute_force_loop(gpt2, which) -> None:
    d = _dictionaries(gpt2)[which]
    seqs = _sequences(gpt2)
    want = brute_force(gpt2, d, seqs)
    got = dictionary_metrics(gpt2, d, seqs, batch_size=3)
    assert got.n_tokens == want["n_tokens"] == sum(len(s) - 1 for s in seqs)  # BOS not counted
    for key, value in want.items():
        assert math.isclose(getattr(got, key), value, rel_tol=1e-5, abs_tol=1e-6), (key, getattr(got, key), value)
    assert got.firing_rate.shape == (d.d_sae,)
    assert set(got.to_dict()) == set(want)
    assert 0 < got.dead_fraction < 1 or which == 1  # the random TopK SAE leaves some latents unused


def test_a_perfect_dictionary_recovers_everything(gpt2) -> None:
    d = gpt2.cfg.d_model
    sae = SAE(d, 2 * d, hook="blocks.1.hook_resid_post", architecture="relu")
    with torch.no_grad():  # latents x+ and x-: relu(x) - relu(-x) = x exactly
        eye = torch.eye(d)
        sae.W_enc.copy_(torch.cat([eye, -eye], 1))
        sae.W_dec.copy_(torch.cat([eye, -eye], 0))
        sae.b_enc.zero_()
        sae.b_dec.zero_()
    m = dictionary_metrics(gpt2, sae, _sequences(gpt2, 5, seed=1), batch_size=2)
    assert m.variance_explained == pytest.approx(1.0, abs=1e-6)
    assert m.ce_loss_recovered == pytest.approx(1.0, abs=1e-5)
    assert m.ce_spliced == pytest.approx(m.ce_clean, abs=1e-5)
    assert m.ce_zero_ablation != m.ce_clean  # (a random model: zero-ablation may even help)
    assert m.l0 == pytest.approx(d, abs=0.5)  # every coordinate is nonzero: one of its two latents
    assert m.dead_fraction == 0.0 and m.dense_fraction == 1.0


def test_max_tokens_stops_after_the_batch_that_reaches_it(gpt2) -> None:
    sae = _dictionaries(gpt2)[0]
    seqs = _sequences(gpt2, 9)
    m = dictionary_metrics(gpt2, sae, seqs, batch_size=2, max_tokens=1)
    assert m.n_tokens == len(seqs[0]) + len(seqs[1]) - 2
    full = dictionary_metrics(gpt2, sae, seqs[:2], batch_size=2)
    assert m.to_dict() == full.to_dict()


def test_bad_arguments_raise_clear_errors(gpt2) -> None:
    sae = _dictionaries(gpt2)[0]
    with pytest.raises(TaskError, match="max_tokens"):
        dictionary_metrics(gpt2, sae, ["a b"], max_tokens=0)
    with pytest.raises(TaskError, match="dense_threshold"):
        dictionary_metrics(gpt2, sae, ["a b"], dense_threshold=2.0)
    with pytest.raises(DictionaryError, match="SAE or Transcoder"):
        dictionary_metrics(gpt2, torch.nn.Linear(2, 2), ["a b"])
    bos = gpt2.tokenizer.bos_token_id
    with pytest.raises(TaskError, match="no token to measure"):
        dictionary_metrics(gpt2, sae, [[bos], [bos]])


def test_latent_auroc_counts_pairs_with_ties_as_halves() -> None:
    rng = np.random.default_rng(3)
    acts = rng.integers(0, 4, size=(40, 5)).astype(float)  # many ties
    acts[:, 0] = 0.0
    labels = rng.integers(0, 2, size=40)
    labels[:2] = [0, 1]
    got = latent_auroc(acts, labels)
    pos, neg = acts[labels == 1], acts[labels == 0]
    for j in range(5):
        pairs = [(1.0 if p > q else 0.5 if p == q else 0.0) for p in pos[:, j] for q in neg[:, j]]
        assert got[j] == pytest.approx(np.mean(pairs))
    assert got[0] == 0.5
    perfect = latent_auroc(np.array([[0.0], [1.0], [2.0]]), np.array([0, 1, 1]))
    assert perfect[0] == 1.0
    assert latent_auroc(torch.tensor([[2.0], [0.0]]), [0, 1])[0] == 0.0
    with pytest.raises(TaskError, match="both classes"):
        latent_auroc(np.ones((3, 2)), [1, 1, 1])
    with pytest.raises(TaskError, match="acts"):
        latent_auroc(np.ones(3), [0, 1, 1])


@pytest.mark.parametrize("which", [0, 1], ids=["sae", "skip-transcoder"])
def test_the_splice_is_the_models_own_splice_without_the_error_term(gpt2, which) -> None:
    """Without BOS tokens the two agree exactly: the model's dictionaries= splice with include_error=False."""
    d = _dictionaries(gpt2)[which]
    texts = ["When Mary and John went to the store", "The capital of France is Paris.", "def f(x): return x"]
    assert all(gpt2.tokenizer.bos_token_id not in gpt2.tokenizer(t)["input_ids"] for t in texts)
    got = dictionary_metrics(gpt2, d, texts, batch_size=2)
    total, count = 0.0, 0
    for t in texts:
        ids = torch.tensor([gpt2.tokenizer(t)["input_ids"]])
        logits = gpt2.forward(ids, dictionaries=[d], include_error=False).logits[0, :-1].double()
        total += float(torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="sum"))
        count += ids.shape[1] - 1
    assert got.ce_spliced == pytest.approx(total / count, rel=1e-6)


def test_several_dictionaries_at_once_equal_one_at_a_time(gpt2) -> None:
    sae, tc = _dictionaries(gpt2)
    other = SAE(gpt2.cfg.d_model, 16, hook="blocks.0.hook_resid_post", k=2)  # shares the SAE's zero-ablated pass
    seqs = _sequences(gpt2, 6, seed=2)
    alone = [dictionary_metrics(gpt2, d, seqs, batch_size=4).to_dict() for d in (sae, tc, other)]
    as_list = dictionary_metrics(gpt2, [sae, tc, other], seqs, batch_size=4)
    as_dict = dictionary_metrics(gpt2, {"a": sae, "b": tc, "c": other}, seqs, batch_size=4)
    assert [m.to_dict() for m in as_list] == alone
    assert list(as_dict) == ["a", "b", "c"] and [m.to_dict() for m in as_dict.values()] == alone
    with pytest.raises(DictionaryError, match="non-empty"):
        dictionary_metrics(gpt2, [], seqs)
