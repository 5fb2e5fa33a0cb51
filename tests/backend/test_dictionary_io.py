"""Dictionaries on disk: our format round-trips; SAELens reads ours and we read SAELens's.

``tests/fixtures/saelens/`` was made by ``make_fixtures.py`` there with real sae-lens 6.54.12 (which
does not install beside our pins: it requires transformer-lens<4, we pin >=4.3): ``theirs_*`` were
written by SAELens's ``save_model`` (plus one pre-6.0 flat cfg.json), ``ours_*`` by our writer; for
every directory SAELens's ``SAE.load_from_disk`` computed ``encode`` and the forward output on a fixed
input (``expected.safetensors``), which our reader must reproduce.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from interplay.backend.dictionaries import SAE, Dictionary, Transcoder
from interplay.backend.dictionary_io import load_dictionary, save_dictionary
from interplay.errors import DictionaryError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "saelens"
THEIRS = sorted(p.name for p in FIXTURES.glob("theirs_*"))
OURS = sorted(p.name for p in FIXTURES.glob("ours_*"))


def _randomise(d: Dictionary, seed: int = 0) -> Dictionary:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in d.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
            if name == "threshold":
                p.abs_()
    return d


MADE = {
    "sae_topk": lambda: SAE(12, 40, hook="resid_post.1", k=5, apply_b_dec_to_input=True, name="a/b"),
    "sae_relu": lambda: SAE(12, 40, hook="blocks.0.hook_resid_pre", architecture="relu"),
    "sae_jumprelu": lambda: SAE(12, 40, hook="mlp_out.2", architecture="jumprelu", name="j"),
    "sae_z": lambda: SAE(12, 40, hook="z.1", k=3),
    "tc_topk_skip": lambda: Transcoder(12, 40, hook_in="mlp_in.1", hook_out="mlp_out.1", d_out=7, k=6, skip=True),
    "tc_relu": lambda: Transcoder(12, 40, hook_in="mlp_in.0", hook_out="mlp_out.0", architecture="relu"),
    "tc_jumprelu_skip": lambda: Transcoder(12, 40, hook_in="mlp_in.0", hook_out="mlp_out.0", architecture="jumprelu",
                                           skip=True),
}


@pytest.mark.parametrize("kind", list(MADE))
def test_our_format_round_trips(kind: str, tmp_path: Path) -> None:
    d = _randomise(MADE[kind]())
    out = d.save(tmp_path / "nested" / kind)
    assert out == tmp_path / "nested" / kind
    assert sorted(p.name for p in out.iterdir()) == ["cfg.json", "sae_weights.safetensors"]
    back = type(d).load(out)
    assert type(back) is type(d)
    for attr in ("kind", "architecture", "d_in", "d_sae", "d_out", "hook_in", "hook_out", "name", "k",
                 "apply_b_dec_to_input"):
        assert getattr(back, attr) == getattr(d, attr), attr
    assert dict(back.state_dict()).keys() == dict(d.state_dict()).keys()
    for key, value in d.state_dict().items():
        assert torch.equal(back.state_dict()[key], value), key
    x = torch.randn(2, 3, 12)
    assert torch.equal(back(x), d(x))


def test_our_cfg_json_is_saelens_6s_layout_with_an_interplay_entry(tmp_path: Path) -> None:
    tc = _randomise(Transcoder(12, 40, hook_in="mlp_in.1", hook_out="mlp_out.1", d_out=7, architecture="relu", skip=True,
                               name="demo/tc.1"))
    cfg = json.loads((tc.save(tmp_path / "tc") / "cfg.json").read_text())
    assert cfg["architecture"] == "skip_transcoder" and (cfg["d_in"], cfg["d_sae"], cfg["d_out"]) == (12, 40, 7)
    assert cfg["metadata"]["hook_name"] == "blocks.1.ln2.hook_normalized"
    assert cfg["metadata"]["hook_name_out"] == "blocks.1.hook_mlp_out"
    assert cfg["normalize_activations"] == "none" and cfg["apply_b_dec_to_input"] is False and cfg["dtype"] == "float32"
    assert cfg["interplay"]["kind"] == "transcoder" and cfg["interplay"]["name"] == "demo/tc.1"
    w = load_file(str(tmp_path / "tc" / "sae_weights.safetensors"))
    assert tc.W_skip is not None and torch.equal(w["W_skip"], tc.W_skip.T)  # SAELens's [d_out, d_in]
    sae_cfg = json.loads((SAE(12, 40, hook="resid_post.0", k=4).save(tmp_path / "s") / "cfg.json").read_text())
    assert sae_cfg["architecture"] == "topk" and sae_cfg["k"] == 4 and "d_out" not in sae_cfg


def test_the_fixtures_are_all_there() -> None:
    assert len(THEIRS) >= 8 and len(OURS) >= 5
    for name in THEIRS + OURS:
        assert (FIXTURES / name / "expected.safetensors").is_file(), name


@pytest.mark.parametrize("name", THEIRS)
def test_we_read_saelens_directories_and_compute_what_saelens_computes(name: str) -> None:
    d = load_dictionary(FIXTURES / name)
    expected = load_file(str(FIXTURES / name / "expected.safetensors"))
    with torch.no_grad():
        torch.testing.assert_close(d.encode(expected["x"]), expected["acts"], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(d(expected["x"]), expected["out"], atol=1e-5, rtol=1e-5)
    assert d.name == name  # a SAELens directory is named after its folder
    want = {"theirs_standard": ("sae", "relu"), "theirs_topk": ("sae", "topk"), "theirs_topk_rescaled": ("sae", "topk"),
            "theirs_jumprelu": ("sae", "jumprelu"), "theirs_pre6_topk": ("sae", "topk"),
            "theirs_transcoder": ("transcoder", "relu"), "theirs_skip_transcoder": ("transcoder", "relu"),
            "theirs_jumprelu_transcoder": ("transcoder", "jumprelu")}[name]
    assert (d.kind, d.architecture) == want
    if name == "theirs_pre6_topk":  # the flat layout: hook_point, activation_fn_kwargs.k
        assert (d.k, d.hook_in, d.apply_b_dec_to_input) == (5, "blocks.1.hook_resid_post", True)
    if name == "theirs_skip_transcoder":
        assert d.W_skip is not None and d.hook_out == "blocks.1.hook_mlp_out"


@pytest.mark.parametrize("name", OURS)
def test_saelens_read_our_directories_and_computed_what_we_compute(name: str, tmp_path: Path) -> None:
    d = load_dictionary(FIXTURES / name)
    expected = load_file(str(FIXTURES / name / "expected.safetensors"))
    with torch.no_grad():
        torch.testing.assert_close(d.encode(expected["x"]), expected["acts"], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(d(expected["x"]), expected["out"], atol=1e-5, rtol=1e-5)
    # today's writer still writes what SAELens read then (so its verdict still holds)
    d.save(tmp_path / name)
    committed = json.loads((FIXTURES / name / "cfg.json").read_text())
    now = json.loads((tmp_path / name / "cfg.json").read_text())
    committed["interplay"].pop("interplay_version")
    now["interplay"].pop("interplay_version")
    assert now == committed
    a, b = load_file(str(FIXTURES / name / "sae_weights.safetensors")), load_file(str(tmp_path / name / "sae_weights.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_loaded_saelens_sae_splices_into_a_model(gpt2: Any, tmp_path: Path) -> None:
    d_model = gpt2.cfg.d_model
    folder = tmp_path / "wide"
    sae = _randomise(SAE(d_model, 64, hook="resid_post.1", architecture="relu"))
    sae.save(folder)
    cfg = json.loads((folder / "cfg.json").read_text())
    del cfg["interplay"]  # a plain SAELens directory
    (folder / "cfg.json").write_text(json.dumps(cfg))
    loaded = load_dictionary(folder)
    assert loaded.apply_b_dec_to_input is False
    t = gpt2.run("When Mary and John", dictionaries=[loaded], include_error=False)
    by_hand = gpt2.run("When Mary and John", interventions={("resid_post", 1): lambda a, n: sae(a)})
    torch.testing.assert_close(t.logits, by_hand.logits, atol=1e-5, rtol=0)
    narrow = load_dictionary(FIXTURES / "theirs_standard")  # d_in = 8
    with pytest.raises(DictionaryError, match=rf"d_in=8, but 'blocks\.1\.hook_resid_post' on this model has width {d_model}"):
        gpt2.run("When Mary and John", dictionaries=[narrow])


def test_dtype_and_device_on_load() -> None:
    d = load_dictionary(FIXTURES / "theirs_topk", dtype=torch.float64)
    assert d.W_enc.dtype == torch.float64
    assert load_dictionary(FIXTURES / "theirs_topk", dtype=None).W_enc.dtype == torch.float32  # the file's


def test_class_load_checks_the_kind() -> None:
    assert isinstance(Transcoder.load(FIXTURES / "theirs_transcoder"), Transcoder)
    assert isinstance(Dictionary.load(FIXTURES / "theirs_transcoder"), Transcoder)
    with pytest.raises(DictionaryError, match="holds a Transcoder, not a SAE"):
        SAE.load(FIXTURES / "theirs_transcoder")


# -- errors ----------------------------------------------------------------------------------------
@pytest.fixture
def saelens_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "sae"
    shutil.copytree(FIXTURES / "theirs_jumprelu", folder)
    (folder / "expected.safetensors").unlink()
    return folder


def _edit_cfg(folder: Path, **changes: Any) -> None:
    cfg = json.loads((folder / "cfg.json").read_text())
    for key, value in changes.items():
        if value is None:
            cfg.pop(key, None)
            cfg.get("metadata", {}).pop(key, None)
        else:
            cfg[key] = value
    (folder / "cfg.json").write_text(json.dumps(cfg))


def test_missing_files(tmp_path: Path, saelens_dir: Path) -> None:
    with pytest.raises(DictionaryError, match=r"does not exist: accepted: a directory holding cfg.json"):
        load_dictionary(tmp_path / "nothing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DictionaryError, match="is a file, not a directory"):
        load_dictionary(tmp_path / "file")
    (saelens_dir / "sae_weights.safetensors").unlink()
    with pytest.raises(DictionaryError, match=r"has no sae_weights.safetensors"):
        load_dictionary(saelens_dir)
    (saelens_dir / "cfg.json").unlink()
    with pytest.raises(DictionaryError, match=r"has no cfg.json"):
        load_dictionary(saelens_dir)
    with pytest.raises(DictionaryError, match="is a file; a dictionary is saved as a directory"):
        save_dictionary(SAE(4, 8, hook="resid_post.0", k=2), tmp_path / "file")


def test_unreadable_files(saelens_dir: Path) -> None:
    (saelens_dir / "sae_weights.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(DictionaryError, match="not a readable safetensors file"):
        load_dictionary(saelens_dir)
    (saelens_dir / "cfg.json").write_text("{not json")
    with pytest.raises(DictionaryError, match="not readable JSON"):
        load_dictionary(saelens_dir)
    (saelens_dir / "cfg.json").write_text("[1, 2]")
    with pytest.raises(DictionaryError, match="holds a list, not a JSON object"):
        load_dictionary(saelens_dir)


def test_missing_keys_are_named(saelens_dir: Path) -> None:
    _edit_cfg(saelens_dir, d_sae=None, hook_name=None)
    with pytest.raises(DictionaryError, match=r"cfg.json lacks d_sae, hook_name \(or metadata.hook_name\)"):
        load_dictionary(saelens_dir)
    tc = FIXTURES / "theirs_transcoder"
    shutil.copytree(tc, saelens_dir.parent / "tc")
    _edit_cfg(saelens_dir.parent / "tc", d_out=None, hook_name_out=None)
    with pytest.raises(DictionaryError, match=r"lacks d_out, hook_name_out"):
        load_dictionary(saelens_dir.parent / "tc")


def test_missing_k_is_named(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "theirs_topk", tmp_path / "t")
    _edit_cfg(tmp_path / "t", k=None)
    with pytest.raises(DictionaryError, match="lacks k"):
        load_dictionary(tmp_path / "t")


@pytest.mark.parametrize("arch", ["gated", "batchtopk", "matching_pursuit"])
def test_an_unknown_architecture_lists_the_accepted_ones(saelens_dir: Path, arch: str) -> None:
    _edit_cfg(saelens_dir, architecture=arch)
    with pytest.raises(DictionaryError, match=rf"architecture='{arch}' is not supported; accepted: 'standard', 'topk', 'jumprelu', 'transcoder'"):
        load_dictionary(saelens_dir)


def test_an_unknown_activation_fn_in_the_flat_layout(saelens_dir: Path) -> None:
    _edit_cfg(saelens_dir, architecture="standard", activation_fn_str="tanh-relu")
    with pytest.raises(DictionaryError, match="activation_fn='tanh-relu' is not supported"):
        load_dictionary(saelens_dir)


def test_weights_that_disagree_with_the_cfg(saelens_dir: Path) -> None:
    _edit_cfg(saelens_dir, d_sae=17)
    with pytest.raises(DictionaryError, match=r"W_enc has shape \(8, 16\), but cfg.json \(d_in=8, d_sae=17, d_out=8\) means \(8, 17\)"):
        load_dictionary(saelens_dir)


def test_missing_and_foreign_weights(saelens_dir: Path) -> None:
    path = str(saelens_dir / "sae_weights.safetensors")
    w = load_file(path)
    save_file({k: v for k, v in w.items() if k != "threshold"}, path)
    with pytest.raises(DictionaryError, match=r"the weights lack threshold .*threshold or log_threshold"):
        load_dictionary(saelens_dir)
    save_file({**w, "b_gate": torch.zeros(16)}, path)
    with pytest.raises(DictionaryError, match="keys a jumprelu sae does not have: b_gate"):
        load_dictionary(saelens_dir)


def test_a_log_threshold_is_read(saelens_dir: Path) -> None:
    """SAELens's training JumpReLU stores log_threshold; exp of it is the threshold."""
    path = str(saelens_dir / "sae_weights.safetensors")
    w = load_file(path)
    ref = load_dictionary(saelens_dir)
    save_file({**{k: v for k, v in w.items() if k != "threshold"}, "log_threshold": w["threshold"].log()}, path)
    d = load_dictionary(saelens_dir)
    assert d.threshold is not None and ref.threshold is not None
    torch.testing.assert_close(d.threshold, ref.threshold)


def test_a_scaling_factor_of_ones_is_ignored_and_others_refused(saelens_dir: Path) -> None:
    path = str(saelens_dir / "sae_weights.safetensors")
    w = load_file(path)
    save_file({**w, "scaling_factor": torch.ones(16)}, path)
    load_dictionary(saelens_dir)
    save_file({**w, "scaling_factor": torch.full((16,), 2.0)}, path)
    with pytest.raises(DictionaryError, match="scaling_factor that is not all ones is unsupported"):
        load_dictionary(saelens_dir)


@pytest.mark.parametrize("norm", ["expected_average_only_in", "constant_norm_rescale", "layer_norm", True])
def test_activation_normalisation_is_unsupported(saelens_dir: Path, norm: Any) -> None:
    _edit_cfg(saelens_dir, normalize_activations=norm)
    with pytest.raises(DictionaryError, match=r"normalize_activations=.* is unsupported \(only 'none'\)"):
        load_dictionary(saelens_dir)


def test_a_per_head_sae_is_unsupported(saelens_dir: Path) -> None:
    _edit_cfg(saelens_dir, hook_head_index=3)
    with pytest.raises(DictionaryError, match="hook_head_index=3"):
        load_dictionary(saelens_dir)


def test_a_bad_interplay_entry(saelens_dir: Path) -> None:
    _edit_cfg(saelens_dir, interplay={"kind": "crosscoder"})
    with pytest.raises(DictionaryError, match=r"interplay.kind='crosscoder'; accepted: 'sae', 'transcoder'"):
        load_dictionary(saelens_dir)


def test_bad_path_argument() -> None:
    with pytest.raises(DictionaryError, match="path_or_name=3"):
        load_dictionary(3)  # type: ignore[arg-type]
