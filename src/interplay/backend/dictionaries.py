"""Sparse dictionaries on hook points: sparse autoencoders (SAEs) and transcoders.

A dictionary reads an activation ``x`` [..., d_in] at one canonical hook point and writes it as a
sparse, non-negative combination of ``d_sae`` learned directions (its *latents*, or features):

    pre   = (x - b_dec if apply_b_dec_to_input else x) @ W_enc + b_enc      # [..., d_sae]
    acts  = activation(pre)                                                  # sparse, >= 0
    recon = acts @ W_dec + b_dec  (+ x @ W_skip for a transcoder with a skip connection)

with the activation one of (the conventions of SAELens, jbloomAus/SAELens ``sae_lens/saes/*.py``):

- ``"relu"``: ``relu(pre)`` (SAELens's ``"standard"`` architecture; Bricken et al. 2023);
- ``"topk"``: the ``k`` largest pre-activations of each token, ReLU'd, every other latent zero
  (Gao et al. 2024, "Scaling and evaluating sparse autoencoders");
- ``"jumprelu"``: ``relu(pre) * (pre > threshold)``, one learned threshold per latent
  (Rajamanoharan et al. 2024, "Jumping Ahead").

An :class:`SAE` reconstructs the activation it reads (``hook_out == hook_in``). A
:class:`Transcoder` reads one hook (usually the MLP's input, ``blocks.L.ln2.hook_normalized``) and
predicts another (the MLP's output, ``blocks.L.hook_mlp_out``): a sparse, readable replacement for
the MLP (Dunefsky et al. 2024, "Transcoders find interpretable LLM feature circuits").

Splice one into a forward pass with ``model.run(prompt, dictionaries={hook: sae})`` (see
:mod:`interplay.backend.splice`). Weights are float32 unless asked otherwise; the input is cast to
the dictionary's dtype and device, so a float32 dictionary reads a bfloat16 model exactly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from interplay.backend import arguments
from interplay.backend.names import BLOCK_SUFFIXES, GLOBAL_NAMES, NameLike
from interplay.errors import DictionaryError

#: the activation functions a dictionary can have
ARCHITECTURES = ("relu", "topk", "jumprelu")
#: the kinds of dictionary
KINDS = ("sae", "transcoder")


class Dictionary(nn.Module):
    """The base of :class:`SAE` and :class:`Transcoder`: an encoder, a sparse activation, a decoder.

    Parameters: ``W_enc`` [d_in, d_sae], ``b_enc`` [d_sae], ``W_dec`` [d_sae, d_out], ``b_dec``
    [d_out]; ``threshold`` [d_sae] (JumpReLU only, else None); ``W_skip`` [d_in, d_out] (a
    transcoder with a skip connection, else None). ``k`` is the TopK sparsity (None otherwise).
    """

    kind: str = "sae"
    threshold: nn.Parameter | None
    W_skip: nn.Parameter | None

    def __init__(
        self,
        d_in: int,
        d_sae: int,
        *,
        d_out: int | None = None,
        hook_in: NameLike,
        hook_out: NameLike | None = None,
        architecture: str = "topk",
        k: int | None = 32,
        apply_b_dec_to_input: bool = False,
        skip: bool = False,
        name: str = "",
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__()
        d_in = _positive_int("d_in", d_in)
        d_sae = _positive_int("d_sae", d_sae)
        d_out = d_in if d_out is None else _positive_int("d_out", d_out)
        if architecture not in ARCHITECTURES:
            raise DictionaryError(
                f"architecture={architecture!r} is not a dictionary architecture; accepted: "
                f"{', '.join(repr(a) for a in ARCHITECTURES)} (SAELens's 'standard' is 'relu')"
            )
        if architecture == "topk" and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= d_sae):
            raise DictionaryError(f"k={k!r}: a TopK dictionary keeps k latents per token, an integer in 1..d_sae={d_sae}")
        dtype = arguments.dtype("dtype", dtype, error=DictionaryError)
        if not isinstance(name, str):
            raise DictionaryError(f"name={name!r}: a dictionary's name is a string, e.g. 'demo/resid_post.2'")
        if not isinstance(apply_b_dec_to_input, bool):
            raise DictionaryError(f"apply_b_dec_to_input={apply_b_dec_to_input!r}: accepted values are True and False")
        if self.kind == "sae" and d_out != d_in:
            raise DictionaryError(f"an SAE reconstructs its input: d_out={d_out} must equal d_in={d_in} (a Transcoder maps widths)")
        self.d_in, self.d_sae, self.d_out = d_in, d_sae, d_out
        self.hook_in = canonical_hook(hook_in, "hook_in" if self.kind == "transcoder" else "hook")
        self.hook_out = self.hook_in if hook_out is None else canonical_hook(hook_out, "hook_out")
        self.architecture = architecture
        self.k: int | None = k if architecture == "topk" else None
        self.apply_b_dec_to_input = bool(apply_b_dec_to_input)
        self.name = name
        factory: dict[str, Any] = {"dtype": dtype,
                                   "device": None if device is None else arguments.device("device", device,
                                                                                          error=DictionaryError)}
        w_dec = torch.randn(d_sae, d_out, **factory)
        w_dec = w_dec / w_dec.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        self.W_dec = nn.Parameter(w_dec)
        w_enc = w_dec.T.clone() if d_out == d_in else torch.randn(d_in, d_sae, **factory) / d_in**0.5
        self.W_enc = nn.Parameter(w_enc.contiguous())
        self.b_enc = nn.Parameter(torch.zeros(d_sae, **factory))
        self.b_dec = nn.Parameter(torch.zeros(d_out, **factory))
        if architecture == "jumprelu":
            self.threshold = nn.Parameter(torch.zeros(d_sae, **factory))
        else:
            self.register_parameter("threshold", None)
        if skip:
            self.W_skip = nn.Parameter(torch.zeros(d_in, d_out, **factory))
        else:
            self.register_parameter("W_skip", None)

    # -- the computation ---------------------------------------------------------------------------
    def _input(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise DictionaryError(f"{self._label()} reads a tensor [..., d_in={self.d_in}], not {type(x).__name__}")
        if x.shape[-1:] != (self.d_in,):
            raise DictionaryError(
                f"{self._label()} reads vectors of width d_in={self.d_in}, but got a tensor of shape {tuple(x.shape)}"
            )
        return x.to(device=self.W_enc.device, dtype=self.W_enc.dtype)

    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's pre-activations [..., d_sae], before the sparse activation function."""
        x = self._input(x)
        if self.apply_b_dec_to_input:
            x = x - self.b_dec
        return x @ self.W_enc + self.b_enc

    def activate(self, pre: torch.Tensor) -> torch.Tensor:
        """The sparse activation function applied to pre-activations (see the module docstring)."""
        if self.architecture == "relu":
            return torch.relu(pre)
        if self.architecture == "topk":
            assert self.k is not None
            values, indices = torch.topk(pre, k=self.k, dim=-1, sorted=False)
            return torch.zeros_like(pre).scatter(-1, indices, values.relu())
        assert self.threshold is not None
        return torch.relu(pre) * (pre > self.threshold).to(pre.dtype)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent activations [..., d_sae] (non-negative; most are zero) of activations [..., d_in]."""
        return self.activate(self.pre_activations(x))

    def decode(self, acts: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        """The reconstruction [..., d_out] from latent activations; a skip transcoder adds ``x @ W_skip``
        and needs the input ``x``."""
        if not isinstance(acts, torch.Tensor) or acts.shape[-1:] != (self.d_sae,):
            shape = tuple(acts.shape) if isinstance(acts, torch.Tensor) else type(acts).__name__
            raise DictionaryError(f"{self._label()} decodes latent activations [..., d_sae={self.d_sae}], got {shape}")
        out = acts.to(device=self.W_dec.device, dtype=self.W_dec.dtype) @ self.W_dec + self.b_dec
        if self.W_skip is not None:
            if x is None:
                raise DictionaryError(f"{self._label()} has a skip connection: decode(acts, x) needs the input x")
            out = out + self._input(x) @ self.W_skip
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction ``decode(encode(x), x)``."""
        return self.decode(self.encode(x), x)

    # -- files -------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the dictionary to the directory ``path`` (``cfg.json`` + ``sae_weights.safetensors``,
        SAELens's layout: SAELens reads the SAEs, interplay reads both). Returns the directory."""
        from interplay.backend.dictionary_io import save_dictionary

        return save_dictionary(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Dictionary:
        """Read a dictionary directory (ours or SAELens's); see :func:`load_dictionary`."""
        from interplay.backend.dictionary_io import load_dictionary

        out = load_dictionary(path)
        if not isinstance(out, cls):
            raise DictionaryError(f"{os.fspath(path)!r} holds a {type(out).__name__}, not a {cls.__name__}")
        return out

    # -- description -------------------------------------------------------------------------------
    def _label(self) -> str:
        return f"the {self.kind} {self.name!r}" if self.name else f"this {self.kind}"

    def extra_repr(self) -> str:
        parts = [f"name={self.name!r}"] if self.name else []
        parts += [f"architecture={self.architecture!r}"]
        if self.k is not None:
            parts.append(f"k={self.k}")
        parts += [f"d_in={self.d_in}", f"d_sae={self.d_sae}"]
        if self.kind == "transcoder":
            parts += [f"d_out={self.d_out}", f"hook_in={self.hook_in!r}", f"hook_out={self.hook_out!r}"]
            if self.W_skip is not None:
                parts.append("skip=True")
        else:
            parts.append(f"hook={self.hook_in!r}")
        return ", ".join(parts)


class SAE(Dictionary):
    """A sparse autoencoder on one hook point: ``SAE(d_in, d_sae, hook="blocks.2.hook_resid_post")``.

    ``architecture``: ``"topk"`` (default, with ``k`` latents per token), ``"relu"`` or
    ``"jumprelu"``. ``apply_b_dec_to_input``: subtract ``b_dec`` before encoding (SAELens's
    convention for many of its SAEs). Freshly made weights are random (decoder rows of unit norm,
    the encoder their transpose); train with :func:`interplay.train_sae` or load with
    :func:`load_dictionary`.
    """

    kind = "sae"

    def __init__(
        self,
        d_in: int,
        d_sae: int,
        *,
        hook: NameLike,
        architecture: str = "topk",
        k: int = 32,
        apply_b_dec_to_input: bool = False,
        name: str = "",
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__(d_in, d_sae, hook_in=hook, architecture=architecture, k=k,
                         apply_b_dec_to_input=apply_b_dec_to_input, name=name, dtype=dtype, device=device)

    @property
    def hook(self) -> str:
        """The hook point it reads and reconstructs."""
        return self.hook_in


class Transcoder(Dictionary):
    """A sparse map from one hook point to another, usually an MLP's input to its output:
    ``Transcoder(d_model, d_sae, hook_in="blocks.1.ln2.hook_normalized", hook_out="blocks.1.hook_mlp_out")``.

    ``d_out`` defaults to ``d_in``; ``skip=True`` adds a linear skip connection ``x @ W_skip``
    (zeros at first). Its latents read ``hook_in``; its output replaces ``hook_out`` when spliced.
    """

    kind = "transcoder"

    def __init__(
        self,
        d_in: int,
        d_sae: int,
        *,
        hook_in: NameLike,
        hook_out: NameLike,
        d_out: int | None = None,
        architecture: str = "topk",
        k: int = 32,
        skip: bool = False,
        name: str = "",
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        if not isinstance(skip, bool):
            raise DictionaryError(f"skip={skip!r}: accepted values are True and False")
        super().__init__(d_in, d_sae, d_out=d_out, hook_in=hook_in, hook_out=hook_out, architecture=architecture,
                         k=k, skip=skip, name=name, dtype=dtype, device=device)


_SHORT_LAYER = re.compile(r"^([a-z_0-9]+)\.(\d+)$")


def canonical_hook(hook: NameLike, argument: str = "hook") -> str:
    """A full canonical name for a dictionary's hook, from a full name (``"blocks.2.hook_resid_post"``),
    a short one with its layer (``"resid_post.2"``, ``("resid_post", 2)``) or a global short name
    (``"ln_final"``). The layer must be non-negative: a dictionary is made before it meets a model."""
    if isinstance(hook, tuple) and len(hook) == 2 and isinstance(hook[0], str) and isinstance(hook[1], int):
        short, layer = hook
        if short in BLOCK_SUFFIXES and layer >= 0:
            return f"blocks.{layer}.{BLOCK_SUFFIXES[short]}"
    elif isinstance(hook, str) and hook:
        if hook in GLOBAL_NAMES:
            return GLOBAL_NAMES[hook]
        m = _SHORT_LAYER.match(hook)
        if m and m.group(1) in BLOCK_SUFFIXES:
            return f"blocks.{int(m.group(2))}.{BLOCK_SUFFIXES[m.group(1)]}"
        if hook in BLOCK_SUFFIXES:
            raise DictionaryError(f"{argument}={hook!r} names every layer; a dictionary sits at one: "
                                  f"e.g. {hook + '.0'!r} or 'blocks.0.{BLOCK_SUFFIXES[hook]}'")
        if not re.match(r"^(blocks\.-|[a-z_0-9]+\.-\d+$)", hook):
            return hook
    raise DictionaryError(
        f"{argument}={hook!r} is not a hook point: pass one full canonical name such as "
        "'blocks.2.hook_resid_post', or a short name with a non-negative layer: 'resid_post.2', ('mlp_in', 1)"
    )


def _positive_int(argument: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DictionaryError(f"{argument}={value!r}: a dictionary's widths are positive integers")
    return value


__all__ = ["ARCHITECTURES", "KINDS", "SAE", "Dictionary", "Transcoder", "canonical_hook"]
