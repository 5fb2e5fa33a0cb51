"""SteeringResult: the two generations of a steering run, side by side, and the next-token change."""

from __future__ import annotations

import html
from typing import Any

from interplay.data.steering import SteeringData
from interplay.results.base import Result


class SteeringResult(Result[SteeringData, Any]):
    """Greedy continuations without and with the steering vector (``data``, a :class:`SteeringData`:
    ``baseline_text``, ``steered_text``, ``kl``, ``changes``...). Nothing here needs the model
    again, so a loaded result shows and tabulates exactly like a fresh one."""

    DATA = SteeringData
    RECOMPUTE = "interplay.steer(model, prompt, vector, layer=...)"

    def to_dataframe(self) -> Any:
        """The next tokens whose probability moved most: token, p_baseline, p_steered, change."""
        return changes_frame(self.data.changes)

    def _repr_html_(self) -> str:
        """Both continuations after the prompt, the next-token KL and the biggest changes; every
        model string (prompt, generations, tokens) is escaped, so it never becomes markup."""
        d = self.data
        steered = f"steered (layer {d.layer} {d.component}, coeff {d.coeff:g})"
        return (generations_html(d.prompt, [("without steering", d.baseline_text), (steered, d.steered_text)])
                + f"<div>next-token KL(baseline || steered) = {d.kl:.4g} nats</div>{changes_html(d.changes)}")

    def show(self, **kwargs: Any) -> Any:
        """The two generations side by side (an ``ipywidgets.HTML``; ``kwargs`` go to it)."""
        import ipywidgets

        return ipywidgets.HTML(self._repr_html_(), **kwargs)

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: next-token probability before and after steering, for the tokens that moved most."""
        return plot_changes(self.data.changes, ax)


def changes_frame(changes: list[list[Any]]) -> Any:
    """pandas: token, p_baseline, p_steered, change (one row per ``[token, before, after]``)."""
    import pandas as pd

    return pd.DataFrame([tuple(c) for c in changes], columns=["token", "p_baseline", "p_steered"]).assign(
        change=lambda d: d.p_steered - d.p_baseline)


def generations_html(prompt: str, columns: list[tuple[str, str]], cls: str = "interplay-steering") -> str:
    """Continuations side by side, each after the (dimmed) prompt; every string escaped."""
    def col(title: str, text: str) -> str:
        return (f"<div style='flex:1;min-width:0'><b>{html.escape(title)}</b><pre style='white-space:pre-wrap'>"
                f"<span style='opacity:.6'>{html.escape(prompt)}</span>{html.escape(text)}</pre></div>")

    return f"<div class='{cls}' style='display:flex;gap:1em'>{''.join(col(t, x) for t, x in columns)}</div>"


def changes_html(changes: list[list[Any]], k: int = 8) -> str:
    """The ``k`` next tokens whose probability changed most, ``[token, before, after]`` (token text escaped)."""
    rows = "".join(
        f"<tr><td><code>{html.escape(repr(tok))}</code></td><td>{before:.3f}</td><td>{after:.3f}</td>"
        f"<td style='color:{'#1a7f37' if after >= before else '#cf222e'}'>{after - before:+.3f}</td></tr>"
        for tok, before, after in changes[:k]
    )
    return ("<table class='interplay-steering-changes'><thead><tr><th>next token</th><th>p before</th>"
            f"<th>p steered</th><th>change</th></tr></thead><tbody>{rows}</tbody></table>")


def plot_changes(changes: list[list[Any]], ax: Any = None) -> Any:
    """Matplotlib: next-token probability before and after, for ``changes`` (``[token, before, after]``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.35 * max(len(changes), 3) + 1))
    labels = [repr(t)[1:-1] for t, _, _ in changes][::-1]
    ys = range(len(labels))
    ax.barh([y + 0.2 for y in ys], [b for _, b, _ in changes][::-1], height=0.4, label="baseline")
    ax.barh([y - 0.2 for y in ys], [a for _, _, a in changes][::-1], height=0.4, label="steered")
    ax.set_yticks(list(ys), labels)
    ax.set_xlabel("next-token probability")
    ax.legend()
    return ax
