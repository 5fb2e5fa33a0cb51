"""The saved view of every displayed view: what a saved notebook shows once the kernel is gone.

JupyterLab (default settings: widget state is not saved) reopens a notebook with "Error displaying
widget: model not found" where a view was, and always prefers the widget output over any other
data in the same output, so a picture inside the widget's own bundle is never shown there. So each
displayed view also writes one output of its own, just before the widget's: ``text/html`` holding the
view's exported file (``to_html``: module, state, embedded drill-downs) for an ``<iframe srcdoc>``,
hidden, and a small script. The script shows it (and hides the widget's output) only when the
widget's output holds no live interplay view within 3 s or says "Error displaying widget": after a
reload without the kernel, in ``jupyter nbconvert --to html`` output (Notebook 7 has the same output
area; not tested there). While the live
view is there, the saved one stays hidden and never loads. (A pure-CSS rule cannot say "the next
output has no live view" from the saved view's side: ``:has()`` does not nest.) Frontends with other
markup (VS Code, Colab) find no JupyterLab output area and show only the live view.

Where no script runs (renderers without JavaScript, untrusted notebooks whose HTML is sanitised),
the output shows a picture instead: once the live view has drawn, it sends a PNG of itself
(``_image``'s snapshot, scale 1) and the output is updated to hold it (JupyterLab applies a display
update that arrives after the cell, and saves it). The saved view's script hides the picture wherever
scripts run. Turn it off with
``interplay.set_static_fallback(False)`` (or ``INTERPLAY_STATIC_FALLBACK=0``), e.g. to keep
notebook files small.
"""

from __future__ import annotations

import base64
import html
import inspect
import os
from typing import Any

#: a saved view larger than this (bytes of HTML) is left out, with a note, to keep notebooks small
MAX_BYTES = 4_000_000
#: head patterns an AttentionView's saved view embeds (its exported file embeds more)
ATTENTION_BYTES = 300_000
_state = {"enabled": os.environ.get("INTERPLAY_STATIC_FALLBACK", "1").strip().lower() not in ("0", "false", "no")}


def set_static_fallback(enabled: bool) -> None:
    """Whether each displayed view also writes its saved view (shown once the kernel is gone)."""
    if not isinstance(enabled, bool):
        from interplay.errors import ViewError

        raise ViewError(f"set_static_fallback takes True or False, not {enabled!r}")
    _state["enabled"] = enabled


def _kernel() -> bool:
    """True inside a Jupyter kernel (IPython with a kernel), where a second output can be written."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets needs IPython
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


#: runs in the saved view's output (JupyterLab runs scripts of trusted HTML outputs, nbconvert's page
#: runs them too): reveal the saved view when the next output holds no live view, hide it again if one comes
_SCRIPT = """(function () {
  var pic = document.querySelector('[data-interplay-picture="%s"]');
  if (pic) pic.style.display = 'none';  // where scripts run, the live or saved view shows instead
  var box = document.querySelector('[data-interplay-fallback="%s"]');
  var child = box && box.closest('.jp-OutputArea-child');
  if (!child) return;
  var start = Date.now(), frame = box.querySelector('iframe');
  var live = function (a) { return a && a.querySelector('[class^="interplay-"], [class*=" interplay-"]'); };
  (function check() {
    var a = child.nextElementSibling, shown = box.style.display === 'block';
    if (live(a)) { if (shown) { box.style.display = 'none'; a.style.display = ''; } return; }
    var failed = !a || /Error displaying widget/.test(a.textContent || '');
    if (!shown && (failed || Date.now() - start > 3000)) {
      if (frame && !frame.srcdoc) frame.srcdoc = frame.getAttribute('data-srcdoc');
      box.style.display = 'block';
      shown = true;
    }
    if (shown && a) a.style.display = 'none';
    if (Date.now() - start < 60000) setTimeout(check, shown ? 1000 : 200);
  })();
})();"""


def picture_html(widget: Any, png: bytes) -> str:
    """A PNG of the live view, to go before ``fallback_html``: shown where no script runs (the
    saved view's script hides it everywhere else)."""
    mid = html.escape(str(widget.model_id), quote=True)
    return (f'<img data-interplay-picture="{mid}" alt="picture of the {type(widget).__name__} as it was shown" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" style="max-width:100%">')


def fallback_html(widget: Any) -> str:
    """The ``text/html`` of a view's saved view (see the module's docstring)."""
    from interplay.widgets import _html

    options: dict[str, Any] = {}
    if "max_bytes" in inspect.signature(widget._html_embed).parameters:
        options["max_bytes"] = ATTENTION_BYTES
    page = _html.page([widget], title="", options={0: options}, compact=True)
    mid = html.escape(str(widget.model_id), quote=True)
    if len(page) > MAX_BYTES:
        body = (f'<p style="font-size:12px;color:#666">The saved view of this {type(widget).__name__} is left out of '
                f"the notebook ({len(page) / 1e6:.1f} MB): run the cell, or save it with view.to_html(path).</p>")
    else:
        body = (f'<iframe data-srcdoc="{html.escape(page, quote=True)}" title="saved {type(widget).__name__}" '
                'style="width:100%;height:420px;border:0;display:block"></iframe>')
    return (f'<div class="interplay-fallback" data-interplay-fallback="{mid}" style="display:none">{body}</div>'
            f"<script>{_SCRIPT % (mid, mid)}</script>")


def display_fallback(widget: Any) -> None:
    """Write the saved view of ``widget`` as an output of its own (in a kernel, when enabled)."""
    if not _state["enabled"] or not _kernel():
        return
    from IPython.display import display

    try:
        text = fallback_html(widget)
    except Exception:  # never let the saved view stop the live one
        import logging

        logging.getLogger("interplay").exception("interplay: the saved view of %s failed", type(widget).__name__)
        return
    plain = f"(saved view of a {type(widget).__name__}: shown when the kernel is gone)"
    handle = display({"text/html": text, "text/plain": plain}, raw=True,  # type: ignore[no-untyped-call]
                     display_id=True)

    def with_picture(png: bytes) -> None:  # the view's answer, after the cell: the output gets its picture
        handle.update({"text/html": picture_html(widget, png) + text, "text/plain": plain}, raw=True)

    widget._request_picture(with_picture)
