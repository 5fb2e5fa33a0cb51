"""TaskDataset.metric on synthetic logits, numpy and torch."""

from __future__ import annotations

import numpy as np
import pytest

import interplay.tasks as tasks
from interplay.errors import InterplayError, MetricError, ShapeError
from interplay.tasks.dataset import TaskDataset


def _synthetic(ds: TaskDataset, vocab: int = 1400) -> np.ndarray:
    rng = np.random.default_rng(0)
    width = max(ds.lengths) + 3
    logits = rng.normal(size=(len(ds), width, vocab)).astype(np.float32)
    for i, length in enumerate(ds.lengths):
        logits[i, length - 1, ds.answer_ids[i]] = 5.0 + i
        logits[i, length - 1, ds.wrong_ids[i]] = 1.0
        logits[i, length:, :] = 100.0  # padding: must be ignored
    return logits


def test_metric_numpy() -> None:
    ds = tasks.ioi(8, seed=0)
    logits = _synthetic(ds)
    expected = np.array([4.0 + i for i in range(8)])
    np.testing.assert_allclose(ds.per_prompt_metric(logits), expected)
    assert ds.metric(logits) == pytest.approx(expected.mean())
    assert ds.accuracy(logits) == 1.0


def test_metric_torch_is_differentiable() -> None:
    torch = pytest.importorskip("torch")
    ds = tasks.facts(6, seed=0)
    logits = torch.tensor(_synthetic(ds), requires_grad=True)
    value = ds.metric(logits)
    assert isinstance(value, torch.Tensor) and value.ndim == 0
    assert float(value.detach()) == pytest.approx(np.mean([4.0 + i for i in range(6)]))
    value.backward()
    assert logits.grad is not None and float(logits.grad.abs().sum()) == pytest.approx(2.0)
    assert torch.equal(
        ds.per_prompt_metric(logits.detach()), torch.tensor(ds.per_prompt_metric(_synthetic(ds)))
    )
    # the per-prompt values are differentiable too, one gradient entry per answer and wrong logit
    logits.grad = None
    ds.per_prompt_metric(logits)[1].backward()
    grad = logits.grad
    assert grad is not None
    row = grad[1, ds.lengths[1] - 1]
    assert float(row[ds.answer_ids[1]]) == 1.0 and float(row[ds.wrong_ids[1]]) == -1.0
    assert float(grad.abs().sum()) == 2.0


def test_metric_rejects_wrong_shapes() -> None:
    ds = tasks.ioi(4, seed=0)
    logits = _synthetic(ds)
    with pytest.raises(ShapeError, match="batch 3 != dataset size 4: pass the logits of all"):
        ds.metric(logits[:3])
    with pytest.raises(ShapeError, match="positions but the longest prompt has"):
        ds.metric(logits[:, :2])
    with pytest.raises(ShapeError, match=r"shape \[batch, pos, vocab\]"):
        ds.metric(logits[0])
    with pytest.raises(MetricError, match=r"vocab size 5: build the dataset with the tokenizer"):
        ds.metric(logits[:, :, :5])
    for error in (ShapeError, MetricError):
        assert issubclass(error, InterplayError) and issubclass(error, ValueError)
