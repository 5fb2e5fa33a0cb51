"""train_sae / train_transcoder on a tiny GPT-2 from a config: they learn, they are deterministic, and an
interrupted run resumed from its checkpoint ends with the same weights as one never interrupted."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from interplay.backend.dictionaries import SAE, Transcoder
from interplay.errors import DictionaryError, TaskError
from interplay.methods.features import train as train_mod
from interplay.methods.features.metrics import dictionary_metrics
from interplay.methods.features.train import (
    TrainConfig,
    geometric_median,
    train_dictionaries,
    train_sae,
    train_transcoder,
)

# small enough to run in a second, with several buffers per run and the data wrapped around
FAST = {"d_sae": 64, "k": 4, "batch_tokens": 32, "buffer_tokens": 96, "batch_size": 4, "progress": False}


def _data(model, n: int = 30, seed: int = 0) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    bos = model.tokenizer.bos_token_id
    return [[bos] + [int(t) for t in rng.integers(2, model.cfg.d_vocab, size=int(rng.integers(4, 10)))]
            for _ in range(n)]


def _weights(d) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in d.state_dict().items()}


def _same(a, b) -> bool:
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_train_sae_learns_with_unit_decoder_rows(gpt2) -> None:
    data = _data(gpt2, 60)
    sae = train_sae(gpt2, "resid_post.0", data, steps=150, lr=5e-3, **FAST)
    assert isinstance(sae, SAE) and sae.hook_in == "blocks.0.hook_resid_post" and sae.k == 4
    assert sae.apply_b_dec_to_input and not sae.training
    assert torch.allclose(sae.W_dec.norm(dim=-1), torch.ones(64), atol=1e-5)
    trained = dictionary_metrics(gpt2, sae, data)
    untrained = SAE(gpt2.cfg.d_model, 64, hook="blocks.0.hook_resid_post", k=4, apply_b_dec_to_input=True)
    assert trained.variance_explained > 0.6
    assert trained.variance_explained > dictionary_metrics(gpt2, untrained, data).variance_explained + 0.3
    assert trained.l0 <= 4


def test_training_is_deterministic_for_a_seed(gpt2) -> None:
    data = _data(gpt2)
    a = train_sae(gpt2, "resid_post.1", data, steps=12, seed=3, **FAST)
    b = train_sae(gpt2, "resid_post.1", data, steps=12, seed=3, **FAST)
    c = train_sae(gpt2, "resid_post.1", data, steps=12, seed=4, **FAST)
    assert _same(a, b)
    assert not _same(a, c)


def test_b_dec_starts_at_the_geometric_median() -> None:
    pts = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [10.0, 10.0]])
    med = geometric_median(pts, iterations=500, eps=1e-10)
    # the summed distance is smallest there: any small move makes it larger
    cost = lambda p: float((pts - p).norm(dim=-1).sum())  # noqa: E731
    for step in ([1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3]):
        assert cost(med) < cost(med + torch.tensor(step))
    line = torch.tensor([[0.0], [1.0], [5.0]])
    assert float(geometric_median(line, iterations=500)) == pytest.approx(1.0, abs=1e-3)  # the 1-D median


def _interrupt_at(monkeypatch, step: int) -> list[int]:
    seen: list[int] = []
    original = TrainConfig.lr_at

    def lr_at(self, s):
        seen.append(s)
        if s == step:
            raise KeyboardInterrupt
        return original(self, s)

    monkeypatch.setattr(TrainConfig, "lr_at", lr_at)
    return seen


@pytest.mark.parametrize("kind", ["sae", "transcoder"])
def test_an_interrupted_run_resumed_equals_an_uninterrupted_one(gpt2, tmp_path, monkeypatch, kind) -> None:
    data = _data(gpt2, 25)  # about 170 tokens: 23 steps of 32 tokens wrap around the data and span many buffers

    def run(**kw):
        if kind == "sae":
            return train_sae(gpt2, "resid_post.1", data, steps=23, checkpoint_every=5, **FAST, **kw)
        return train_transcoder(gpt2, 0, data, steps=23, checkpoint_every=5, skip=True, **FAST, **kw)

    whole = run()
    seen = _interrupt_at(monkeypatch, 13)
    with pytest.raises(KeyboardInterrupt):
        run(checkpoint=tmp_path)
    assert (tmp_path / train_mod.CHECKPOINT_FILE).exists()
    monkeypatch.undo()
    saved = torch.load(tmp_path / train_mod.CHECKPOINT_FILE, weights_only=True)
    assert saved["step"] == 10 and saved["chunk_index"] > 0  # the last checkpoint, in a later buffer
    seen = _interrupt_at(monkeypatch, -1)
    resumed = run(checkpoint=tmp_path)
    assert seen[0] == 10 and seen[-1] == 22  # it continued from step 10, not from the start
    assert _same(whole, resumed)
    assert torch.load(tmp_path / train_mod.CHECKPOINT_FILE, weights_only=True)["step"] == 23
    # a finished run's checkpoint gives its weights back without training
    seen.clear()
    again = run(checkpoint=tmp_path)
    assert seen == [] and _same(whole, again)
    fresh = run(checkpoint=tmp_path, resume=False)  # starts over (and overwrites the checkpoint)
    assert seen[0] == 0 and _same(whole, fresh)


def test_a_checkpoint_of_another_run_is_refused(gpt2, tmp_path) -> None:
    data = _data(gpt2)
    train_sae(gpt2, "resid_post.0", data, steps=4, checkpoint=tmp_path, **FAST)
    with pytest.raises(DictionaryError, match=r"another run.*steps"):
        train_sae(gpt2, "resid_post.0", data, steps=6, checkpoint=tmp_path, **FAST)
    (tmp_path / train_mod.CHECKPOINT_FILE).write_bytes(b"not a checkpoint")
    with pytest.raises(DictionaryError, match="cannot be read"):
        train_sae(gpt2, "resid_post.0", data, steps=4, checkpoint=tmp_path, **FAST)


def test_train_transcoder_maps_mlp_in_to_mlp_out(gpt2) -> None:
    data = _data(gpt2, 40)
    tc = train_transcoder(gpt2, -1, data, steps=60, lr=5e-3, skip=True, **FAST)
    assert isinstance(tc, Transcoder)
    assert (tc.hook_in, tc.hook_out) == ("blocks.1.ln2.hook_normalized", "blocks.1.hook_mlp_out")
    assert tc.W_skip is not None and float(tc.W_skip.detach().abs().sum()) > 0
    assert dictionary_metrics(gpt2, tc, data).variance_explained > 0.5
    pair = train_transcoder(gpt2, ("blocks.0.hook_resid_mid", "blocks.0.hook_resid_post"), data, steps=2, **FAST)
    assert pair.hook_in == "blocks.0.hook_resid_mid"


def test_several_dictionaries_train_on_one_stream(gpt2) -> None:
    data = _data(gpt2)
    d = gpt2.cfg.d_model
    alone = train_sae(gpt2, "resid_post.0", data, steps=8, **FAST)
    pair = [SAE(d, 64, hook="blocks.0.hook_resid_post", k=4, apply_b_dec_to_input=True),
            Transcoder(d, 64, hook_in="blocks.1.ln2.hook_normalized", hook_out="blocks.1.hook_mlp_out", k=4)]
    opts = {k: v for k, v in FAST.items() if k not in ("d_sae", "k", "progress")}
    train_dictionaries(gpt2, pair, data, steps=8, progress=False, **opts)
    assert _same(alone, pair[0])  # the same batches, the same initialisation: the same weights


def test_relu_training_and_the_progress_bar(gpt2, capsys) -> None:
    sae = train_sae(gpt2, "resid_post.0", _data(gpt2), architecture="relu", steps=5, progress=True, l1_coef=0.1,
                    **{k: v for k, v in FAST.items() if k != "progress"})
    assert sae.architecture == "relu" and sae.k is None
    assert "training" in capsys.readouterr().err


def test_bad_arguments_raise_clear_errors(gpt2) -> None:
    data = _data(gpt2)
    with pytest.raises(DictionaryError, match=r"jumprelu.*cannot be trained"):
        train_sae(gpt2, "resid_post.0", data, architecture="jumprelu", **FAST)
    with pytest.raises(TaskError, match="steps must be a positive integer"):
        train_sae(gpt2, "resid_post.0", data, steps=0, **FAST)
    with pytest.raises(TaskError, match="buffer_tokens"):
        train_sae(gpt2, "resid_post.0", data, **{**FAST, "buffer_tokens": 8})
    with pytest.raises(TaskError, match="unknown training options"):
        train_sae(gpt2, "resid_post.0", data, steps=2, learning_rate=1.0, **FAST)
    with pytest.raises(TaskError, match="names 2 hook points"):
        train_sae(gpt2, "resid_post", data, **FAST)
    with pytest.raises(TaskError, match=r"layers 0..1"):
        train_transcoder(gpt2, 5, data, **FAST)
    with pytest.raises(TaskError, match="no token to train on"):
        train_sae(gpt2, "resid_post.0", [], steps=2, **FAST)
    bos = gpt2.tokenizer.bos_token_id
    with pytest.raises(TaskError, match="besides BOS"):
        train_sae(gpt2, "resid_post.0", [[bos], [bos]], steps=2, **FAST)
