"""One-pass, bounded-memory statistics of many features at once (torch, on the features' device).

Each accumulator sees a batch of feature values ``[batch, pos, n_features]`` once and keeps a state
whose size depends on the number of features and the options only, never on the dataset:

* :class:`TopK`: the ``k`` largest active values per feature, exactly, ties broken by stream order
  ((sequence, position) ascending), with their context windows: per batch, only values above the
  kept ``k``-th can enter; their top ``k`` per feature (a sort of the active entries when they are
  few, as a dictionary's; ``torch.topk`` with ties at the boundary resolved by a cumulative count
  when many) is merged with the kept ``k`` by a stable sort, and contexts are gathered only for the
  entries that enter.
* :class:`Distribution`: the activation histogram and quantile-bucket samples. The range is not
  known before the pass, so both live on a grid that doubles: each feature's range is
  ``[0, R)`` with ``R = 2^e`` the smallest power of two above its max so far, cut into ``n_fine``
  (a power of two) fine bins of width ``R / n_fine``; a token's fine bin is ``floor(v * n_fine / R)``,
  exact in floating point (a power-of-two scale). When a larger value arrives, ``R`` doubles
  (``s`` times) and fine bins merge in groups of ``2^s``: exact, since ``floor(floor(x) / 2^s) =
  floor(x / 2^s)``. The result depends on the dataset alone, not on the batch size or where a run
  was resumed. At the end the output bins are unions of fine bins (see :meth:`Distribution.finish`).
  Bucket samples are a bottom-``n_samples`` sample by a seeded random key per token
  (:func:`sample_keys`, a hash of (seed, sequence, position)): a uniform sample without replacement of
  the tokens in each fine bin (reservoir sampling with random priorities), which merges exactly.

A token is *active* for a feature when its value is > 0 (and it is a candidate: a real token, not a
special one when those are excluded). Only active tokens are kept, counted or sampled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import torch

KEY_EMPTY = np.iinfo(np.int64).max
#: a batch whose active entries are at most this fraction of batch x features takes the sparse top-k path
SPARSE_FRACTION = 0.125
MIN_EXP = -100  #: ranges below 2^-100 are widened to it (keeps n_fine / R a finite float32)
_M1, _M2, _GOLD, _ROW = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x9E3779B97F4A7C15, 0x100000001B3


def sample_keys(seed: int, rows: npt.ArrayLike, pos: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The random sampling key of each token (sequence ``rows``, position ``pos``; broadcast): a
    splitmix64 hash of (seed, row, pos), in [0, 2^62)."""
    r = np.asarray(rows, dtype=np.int64).astype(np.uint64)
    p = np.asarray(pos, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = r * np.uint64(_ROW) + p + np.uint64((int(seed) * _GOLD) % 2**64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(2)).astype(np.int64)


def next_pow2(n: int) -> int:
    return 1 << max(0, int(n - 1).bit_length())


class BatchView:
    """One batch as the accumulators see it: values, candidate mask and token coordinates."""

    def __init__(self, values: torch.Tensor, ids: torch.Tensor, lengths: torch.Tensor, rows: torch.Tensor,
                 candidate: torch.Tensor, keys: torch.Tensor) -> None:
        self.ids = ids  #: [B, P] int64
        self.lengths = lengths  #: [B] int64
        self.rows = rows  #: [B] int64
        self.B, self.P, self.F = values.shape
        self.flat = values.reshape(self.B * self.P, self.F)  #: [N, F] (a view where it can be)
        self.candidate = candidate.reshape(-1)  #: [N] bool
        nz = (self.flat > 0).nonzero()  # token-major: stream order within each feature
        nz = nz[self.candidate[nz[:, 0]]]
        self.tok, self.feat = nz[:, 0], nz[:, 1]  #: the active entries, [M] each
        self.val = self.flat[self.tok, self.feat]  #: their values [M]
        self.keys = keys.reshape(-1)  #: [N] int64

    @property
    def masked(self) -> torch.Tensor:
        """[N, F] values, -inf where inactive (not > 0, or not a candidate)."""
        return self.flat.masked_fill(~(self.flat > 0) | ~self.candidate[:, None], -torch.inf)

    def contexts(self, feature: torch.Tensor, flat: torch.Tensor, before: int, after: int
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Context windows of the tokens ``flat`` (indices into the batch's B*P tokens) for features
        ``feature``: ids [M, C] (-1 outside the sequence) and that feature's values [M, C] (NaN outside)."""
        b, p = flat // self.P, flat % self.P
        offs = torch.arange(-before, after + 1, device=flat.device)
        q = p[:, None] + offs[None, :]
        outside = (q < 0) | (q >= self.lengths[b][:, None])
        lin = b[:, None] * self.P + q.clamp(0, self.P - 1)
        ids = self.ids.reshape(-1)[lin].masked_fill(outside, -1)
        vals = self.flat[lin, feature[:, None].expand_as(lin)].masked_fill(outside, torch.nan)
        return ids, vals

    def coords(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.rows[flat // self.P], flat % self.P


class TopK:
    """The ``k`` largest active values of each feature, with where they are and their contexts."""

    def __init__(self, n_features: int, k: int, before: int, after: int, device: torch.device) -> None:
        self.k, self.before, self.after = k, before, after
        c = before + 1 + after
        self.vals = torch.full((n_features, k), -torch.inf, device=device)
        self.rows = torch.full((n_features, k), -1, dtype=torch.long, device=device)
        self.pos = torch.full((n_features, k), -1, dtype=torch.long, device=device)
        self.ctx_ids = torch.full((n_features, k, c), -1, dtype=torch.long, device=device)
        self.ctx_vals = torch.full((n_features, k, c), torch.nan, device=device)

    def state(self) -> dict[str, torch.Tensor]:
        return {"vals": self.vals, "rows": self.rows, "pos": self.pos, "ctx_ids": self.ctx_ids, "ctx_vals": self.ctx_vals}

    def load(self, arrays: dict[str, Any]) -> None:
        for name, t in self.state().items():
            t.copy_(torch.as_tensor(arrays[name]))

    def batch_top(self, bv: BatchView) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch's top ``min(k, N)`` per feature: values and flat token indices [F, kk], ordered
        by value descending, then token ascending (exact at ties; -inf where fewer are active).

        Sparse batches (few active entries, as a dictionary's latents) sort the active entries by
        (feature, value desc, token); dense ones take ``torch.topk`` over every token and resolve ties
        at the boundary by a cumulative count."""
        kk = min(self.k, bv.B * bv.P)
        floor = self.vals[:, -1]  # only values above the kept k-th can enter (an equal one is later: it loses)
        if len(bv.val) <= SPARSE_FRACTION * bv.flat.numel():
            enter = bv.val > floor[bv.feat]
            return self._sparse_top(bv.tok[enter], bv.feat[enter], bv.val[enter], bv.F, kk)
        v = bv.masked
        v = v.masked_fill(v <= floor[None, :], -torch.inf)
        top = torch.topk(v, kk, dim=0)
        vals, idx = top.values.T.contiguous(), top.indices.T.contiguous()
        t = vals[:, -1]
        finite = torch.isfinite(t)
        if bool(finite.any()):  # ties at the boundary: topk may have kept a later token of equal value
            n_ge = (v >= t[None, :]).sum(0)
            bad = finite & (n_ge > kk)
            if bool(bad.any()):
                cols = bad.nonzero().flatten()
                vb, tb = v[:, cols], t[cols]
                gt, eq = vb > tb, vb == tb
                need = kk - gt.sum(0)
                sel = gt | (eq & (eq.cumsum(0) <= need))
                nz = sel.T.nonzero()  # (column, token), sorted: exactly kk per column
                fix = nz[:, 1].view(len(cols), kk)
                idx[cols] = fix
                vals[cols] = vb.T.gather(1, fix)
        o = idx.argsort(dim=1)
        idx, vals = idx.gather(1, o), vals.gather(1, o)
        o = torch.sort(vals, dim=1, descending=True, stable=True).indices
        return vals.gather(1, o), idx.gather(1, o)

    @staticmethod
    def _sparse_top(tok: torch.Tensor, feat: torch.Tensor, val: torch.Tensor, n_features: int, kk: int
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        dev = val.device
        o = torch.sort(val, descending=True, stable=True).indices
        o = o[torch.sort(feat[o], stable=True).indices]  # by feature, then value desc, then token
        f = feat[o]
        counts = torch.bincount(f, minlength=n_features)
        rank = torch.arange(len(o), device=dev) - (torch.cumsum(counts, 0) - counts)[f]
        keep = rank < kk
        vals = torch.full((n_features, kk), -torch.inf, device=dev)
        idx = torch.zeros((n_features, kk), dtype=torch.long, device=dev)
        vals[f[keep], rank[keep]] = val[o[keep]]
        idx[f[keep], rank[keep]] = tok[o[keep]]
        return vals, idx

    def update(self, bv: BatchView) -> torch.Tensor:
        """Merge the batch in; returns the batch's max value per feature among those that enter the
        top k (-inf: none does; then the batch cannot raise the feature's max either)."""
        k = self.k
        bvals, bidx = self.batch_top(bv)
        changed = torch.isfinite(bvals[:, 0]).nonzero().flatten()  # features where a batch token enters
        if changed.numel() == 0:
            return bvals[:, 0]
        merged = torch.sort(torch.cat([self.vals[changed], bvals[changed]], dim=1), dim=1, descending=True,
                            stable=True)  # stored first: an equal value from the batch is later, so it ranks after
        take, new_vals = merged.indices[:, :k], merged.values[:, :k]
        from_batch = take >= k
        stored = take.clamp(max=k - 1)
        flat = bidx[changed].gather(1, (take - k).clamp(min=0))
        rows_b, pos_b = bv.coords(flat)
        empty = ~torch.isfinite(new_vals)
        self.rows[changed] = torch.where(from_batch, rows_b, self.rows[changed].gather(1, stored)).masked_fill(empty, -1)
        self.pos[changed] = torch.where(from_batch, pos_b, self.pos[changed].gather(1, stored)).masked_fill(empty, -1)
        gather = stored[:, :, None].expand(-1, -1, self.ctx_ids.shape[2])
        ctx_ids, ctx_vals = self.ctx_ids[changed].gather(1, gather), self.ctx_vals[changed].gather(1, gather)
        fresh = (from_batch & ~empty).nonzero()
        if fresh.numel():
            f, r = fresh[:, 0], fresh[:, 1]
            ids, vals = bv.contexts(changed[f], flat[f, r], self.before, self.after)
            ctx_ids[f, r], ctx_vals[f, r] = ids, vals
        self.vals[changed], self.ctx_ids[changed], self.ctx_vals[changed] = new_vals, ctx_ids, ctx_vals
        return bvals[:, 0]

    def finish(self) -> dict[str, npt.NDArray[Any]]:
        vals = self.vals.cpu().numpy().astype(np.float32)
        vals[~np.isfinite(vals)] = np.nan
        return {"acts": vals, "where": np.stack([self.rows.cpu().numpy(), self.pos.cpu().numpy()], axis=-1),
                "ctx_ids": self.ctx_ids.cpu().numpy(), "ctx_values": self.ctx_vals.cpu().numpy().astype(np.float32)}


class Distribution:
    """Exact histograms and quantile-bucket samples of each feature's active values, on a doubling
    grid (module docstring)."""

    def __init__(self, n_features: int, *, n_bins: int, n_buckets: int, n_samples: int, before: int, after: int,
                 device: torch.device) -> None:
        self.n_bins, self.n_buckets, self.n_samples = n_bins, n_buckets, n_samples
        self.before, self.after = before, after
        self.n_fq = next_pow2(4 * n_buckets)  #: fine bucket bins: bucket edges within R / n_fq of ideal
        #: fine histogram bins (a multiple of n_fq): the top edge within 2 * n_bins / n_fh of the max
        self.n_fh = max(next_pow2(32 * n_bins), self.n_fq)
        f, s, c = n_features, n_samples, before + 1 + after
        self.has = torch.zeros(f, dtype=torch.bool, device=device)
        self.exp = torch.zeros(f, dtype=torch.long, device=device)  #: R = 2^exp
        self.counts = torch.zeros((f, self.n_fh), dtype=torch.long, device=device)
        self.q_key = torch.full((f, self.n_fq, s), KEY_EMPTY, dtype=torch.long, device=device)
        self.q_val = torch.full((f, self.n_fq, s), torch.nan, device=device)
        self.q_row = torch.full((f, self.n_fq, s), -1, dtype=torch.long, device=device)
        self.q_pos = torch.full((f, self.n_fq, s), -1, dtype=torch.long, device=device)
        self.q_cids = torch.full((f, self.n_fq, s, c), -1, dtype=torch.int32, device=device)
        self.q_cvals = torch.full((f, self.n_fq, s, c), torch.nan, device=device)
        self._scales()

    _FIELDS = ("has", "exp", "counts", "q_key", "q_val", "q_row", "q_pos", "q_cids", "q_cvals")

    def state(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name) for name in self._FIELDS}

    def load(self, arrays: dict[str, Any]) -> None:
        for name, t in self.state().items():
            t.copy_(torch.as_tensor(arrays[name]))
        self._scales()

    # ------------------------------------------------------------------------------- update
    def update(self, bv: BatchView, batch_max: torch.Tensor) -> None:
        self._grow(batch_max)
        feat = bv.feat
        # exact: a power-of-two scale of a positive value, truncated (= floor)
        fine = (bv.val * self.scale_h[feat]).long().clamp_(0, self.n_fh - 1)
        self.counts.view(-1).scatter_add_(0, feat * self.n_fh + fine, torch.ones_like(fine))
        # bucket samples: a token enters when its key beats its fine bin's n_samples-th smallest
        slot = feat * self.n_fq + (fine >> (self.n_fh // self.n_fq).bit_length() - 1)
        cand = bv.keys[bv.tok] < self.q_key.amax(dim=-1).reshape(-1)[slot]
        if bool(cand.any()):  # token-major order kept: stream order within a slot
            self._insert(bv, bv.tok[cand], feat[cand], slot[cand])

    def _grow(self, batch_max: torch.Tensor) -> None:
        """Double the range of features whose batch max reached it, merging fine bins exactly."""
        seen = torch.isfinite(batch_max) & (batch_max > 0)
        exp = torch.frexp(torch.where(seen, batch_max, torch.ones_like(batch_max))).exponent.long().clamp_(min=MIN_EXP)
        first = seen & ~self.has
        grow = seen & ~first & (exp > self.exp)
        if not bool(first.any()) and not bool(grow.any()):
            return
        self.exp = torch.where(first, exp, self.exp)
        self.has = self.has | first
        if bool(grow.any()):
            shift = torch.where(grow, exp - self.exp, torch.zeros_like(exp))
            for s in sorted(set(shift[grow].tolist())):
                cols = (grow & (shift == s)).nonzero().flatten()
                self._merge(cols, int(s))
            self.exp = torch.where(grow, exp, self.exp)
        self._scales()

    def _scales(self) -> None:
        """``n_fh / R`` per feature, an exact power of two (float32)."""
        exp = self.exp.cpu().numpy()
        self.scale_h = torch.from_numpy(np.ldexp(1.0, int(np.log2(self.n_fh)) - exp).astype(np.float32)).to(self.exp.device)

    def _merge(self, cols: torch.Tensor, s: int) -> None:
        g = len(cols)
        sh = min(s, int(np.log2(self.n_fh)))
        merged = self.counts[cols].view(g, self.n_fh >> sh, 1 << sh).sum(-1)
        counts = torch.zeros((g, self.n_fh), dtype=torch.long, device=cols.device)
        counts[:, : merged.shape[1]] = merged
        self.counts[cols] = counts
        sq = min(s, int(np.log2(self.n_fq)))
        n_new, width = self.n_fq >> sq, (1 << sq) * self.n_samples
        key = self.q_key[cols].view(g, n_new, width)
        row, pos = self.q_row[cols].view(g, n_new, width), self.q_pos[cols].view(g, n_new, width)
        order = _lexsort_last([key, row, pos])[..., : self.n_samples]  # bottom n_samples by (key, row, pos)

        def pick(t: torch.Tensor, fill: Any) -> torch.Tensor:
            tail = t.shape[3:]
            src = t[cols].reshape(g, n_new, width, *tail)
            idx = order.view(g, n_new, self.n_samples, *([1] * len(tail))).expand(-1, -1, -1, *tail)
            out = torch.full((g, self.n_fq, self.n_samples, *tail), fill, dtype=t.dtype, device=t.device)
            out[:, :n_new] = src.gather(2, idx)
            return out

        for name, fill in (("q_key", KEY_EMPTY), ("q_val", torch.nan), ("q_row", -1), ("q_pos", -1),
                           ("q_cids", -1), ("q_cvals", torch.nan)):
            t = getattr(self, name)
            t[cols] = pick(t, fill)

    def _insert(self, bv: BatchView, tok: torch.Tensor, feat: torch.Tensor, slot: torch.Tensor) -> None:
        """Merge new candidates into their slots' samples: each slot keeps its ``n_samples`` smallest
        keys (a tie goes to the stored, earlier token), in no particular order; only the entries that
        change are written (an admitted candidate takes an evicted entry's place)."""
        s, dev = self.n_samples, tok.device
        key = bv.keys[tok]
        o = torch.sort(key, stable=True).indices
        o = o[torch.sort(slot[o], stable=True).indices]  # by slot, then key, then token (stream) order
        slots, counts = torch.unique_consecutive(slot[o], return_counts=True)
        u = len(slots)
        group = torch.repeat_interleave(torch.arange(u, device=dev), counts)
        rank = torch.arange(len(o), device=dev) - (torch.cumsum(counts, 0) - counts)[group]
        first = rank < s  # at most s new candidates per slot can stay
        o, group, rank = o[first], group[first], rank[first]
        new_key = torch.full((u, s), KEY_EMPTY, dtype=torch.long, device=dev)
        new_src = torch.full((u, s), -1, dtype=torch.long, device=dev)
        new_key[group, rank], new_src[group, rank] = key[o], o
        both = torch.cat([self.q_key.view(-1, s)[slots], new_key], dim=1)  # stored first: earlier in the stream
        kept = torch.zeros((u, 2 * s), dtype=torch.bool, device=dev)
        kept.scatter_(1, torch.sort(both, dim=1, stable=True).indices[:, :s], True)
        # as many stored entries leave a slot as new ones enter it (a pad never beats a stored entry)
        ev_row, ev_col = (~kept[:, :s]).nonzero(as_tuple=True)
        ad_row, ad_col = kept[:, s:].nonzero(as_tuple=True)
        target = slots[ev_row] * s + ev_col
        c = new_src[ad_row, ad_col]
        t_new, f_new = tok[c], feat[c]
        rows, pos = bv.coords(t_new)
        ctx_ids, ctx_vals = bv.contexts(f_new, t_new, self.before, self.after)
        n_ctx = self.q_cids.shape[-1]
        self.q_key.view(-1)[target] = key[c]
        self.q_val.view(-1)[target] = bv.flat[t_new, f_new]
        self.q_row.view(-1)[target] = rows
        self.q_pos.view(-1)[target] = pos
        self.q_cids.view(-1, n_ctx)[target] = ctx_ids.to(torch.int32)
        self.q_cvals.view(-1, n_ctx)[target] = ctx_vals

    # ------------------------------------------------------------------------------- finish
    def finish(self, maxes: npt.NDArray[np.float32]) -> dict[str, npt.NDArray[Any]]:
        """Histograms and bucket samples, given each feature's max (NaN: never active).

        Histogram: ``n_bins`` equal bins of ``m`` fine bins each over ``[0, n_bins * m * w)``, ``w =
        R / n_fh``, ``m`` the smallest whole number whose range lies above the max (so the top edge is
        above the max by less than one bin, at most ``2 * n_bins / n_fh`` <= 1/16 of the max). Buckets:
        edges at the fine-grid point nearest to ``b * max / n_buckets`` (off by at most half a grid step,
        ``R / (2 n_fq)`` <= ``max / n_fq`` <= a quarter of a bucket), the top edge the first grid point
        above the max."""
        n_f = len(maxes)
        has = self.has.cpu().numpy() & np.isfinite(maxes)
        exp = self.exp.cpu().numpy()
        counts = self.counts.cpu().numpy()
        hist_edges = np.tile(np.linspace(0, 1, self.n_bins + 1, dtype=np.float32), (n_f, 1))
        hist_counts = np.zeros((n_f, self.n_bins), dtype=np.int64)
        bucket_edges = np.tile(np.linspace(0, 1, self.n_buckets + 1, dtype=np.float32), (n_f, 1))
        slot_bucket = np.full((n_f, self.n_fq), -1, dtype=np.int64)
        cs = np.concatenate([np.zeros((n_f, 1), dtype=np.int64), np.cumsum(counts, axis=1)], axis=1)
        b = np.arange(self.n_bins + 1)
        for f in np.nonzero(has)[0]:
            mx = float(maxes[f])
            wh = np.ldexp(1.0, int(exp[f])) / self.n_fh
            m = int(np.floor(mx / (self.n_bins * wh))) + 1
            hist_edges[f] = (b * m * wh).astype(np.float32)
            hi = np.minimum(b * m, self.n_fh)
            hist_counts[f] = cs[f, hi[1:]] - cs[f, hi[:-1]]
            wq = np.ldexp(1.0, int(exp[f])) / self.n_fq
            top = int(np.floor(mx / wq)) + 1
            grid = np.rint(np.arange(self.n_buckets + 1) * (mx / self.n_buckets) / wq).astype(np.int64)
            grid[0], grid[-1] = 0, top
            grid = np.maximum.accumulate(grid)
            bucket_edges[f] = (grid * wq).astype(np.float32)
            j = np.arange(self.n_fq)
            sb = np.searchsorted(grid, j, side="right") - 1
            slot_bucket[f] = np.where(j < top, sb, -1)
        return {"hist_edges": hist_edges, "hist_counts": hist_counts, "n_active": counts.sum(axis=1),
                "bucket_edges": bucket_edges, **self._samples(slot_bucket)}

    def _samples(self, slot_bucket: npt.NDArray[np.int64]) -> dict[str, npt.NDArray[Any]]:
        n_f, s, nb = slot_bucket.shape[0], self.n_samples, self.n_buckets
        key = self.q_key.cpu().numpy().reshape(n_f, -1)
        val = self.q_val.cpu().numpy().reshape(n_f, -1)
        row = self.q_row.cpu().numpy().reshape(n_f, -1)
        pos = self.q_pos.cpu().numpy().reshape(n_f, -1)
        c = self.q_cids.shape[-1]
        cids = self.q_cids.cpu().numpy().reshape(n_f, -1, c)
        cvals = self.q_cvals.cpu().numpy().reshape(n_f, -1, c)
        bucket = np.repeat(slot_bucket, s, axis=1)
        bucket = np.where(key == KEY_EMPTY, -1, bucket)
        group = np.where(bucket >= 0, np.arange(n_f)[:, None] * nb + bucket, -1).reshape(-1)
        k_, r_, p_ = key.reshape(-1), row.reshape(-1), pos.reshape(-1)
        order = np.lexsort((p_, r_, k_, group))
        order = order[group[order] >= 0]
        g = group[order]
        first = np.searchsorted(g, g, side="left")
        rank = np.arange(len(g)) - first
        chosen = order[rank < s]
        cg = group[chosen]
        # within a bucket: value descending, then (sequence, position)
        v_ = val.reshape(-1)
        chosen = chosen[np.lexsort((p_[chosen], r_[chosen], -v_[chosen], cg))]
        cg = group[chosen]
        slot_rank = np.arange(len(cg)) - np.searchsorted(cg, cg, side="left")
        q_acts = np.full((n_f * nb, s), np.nan, dtype=np.float32)
        q_where = np.full((n_f * nb, s, 2), -1, dtype=np.int64)
        q_ids = np.full((n_f * nb, s, c), -1, dtype=np.int64)
        q_vals = np.full((n_f * nb, s, c), np.nan, dtype=np.float32)
        q_acts[cg, slot_rank] = v_[chosen]
        q_where[cg, slot_rank, 0], q_where[cg, slot_rank, 1] = r_[chosen], p_[chosen]
        q_ids[cg, slot_rank] = cids.reshape(-1, c)[chosen]
        q_vals[cg, slot_rank] = cvals.reshape(-1, c)[chosen]
        return {"q_acts": q_acts.reshape(n_f, nb, s), "q_where": q_where.reshape(n_f, nb, s, 2),
                "q_ctx_ids": q_ids.reshape(n_f, nb, s, c), "q_ctx_values": q_vals.reshape(n_f, nb, s, c)}


def _lexsort_last(keys: list[torch.Tensor]) -> torch.Tensor:
    """Indices sorting the last axis by ``keys[0]``, then ``keys[1]``, ... (stable sorts, last key first)."""
    order = torch.sort(keys[-1], dim=-1, stable=True).indices
    for key in reversed(keys[:-1]):
        o = torch.sort(key.gather(-1, order), dim=-1, stable=True).indices
        order = order.gather(-1, o)
    return order
