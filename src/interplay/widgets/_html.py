"""Self-contained HTML files of views: ``view.to_html(path)`` and ``interplay.save_html(views, path)``.

One file holds everything (no network request of any kind, opens from ``file://``): each view's
own ES module (the bundle the notebook loads), its synced state with the binary buffers inlined
(base64, gzip where it pays), and a small runtime (``js/export/``) that stands in for the kernel's
model. What the view computes in the browser keeps working (hover, tooltips, zoom, sort, selection);
requests that would go to Python are answered from what the file embeds (e.g. the attention heads
embedded in full), and the rest say that they need a live model. Traits that Python observes
(its reaction would need the kernel) are listed, so the file undoes such an edit and says why.

The embedded JSON is escaped so that no ``</script>`` or HTML can appear in it: token strings stay
data, never markup.
"""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import hashlib
import html
import json
import os
import pathlib
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from interplay._version import __version__
from interplay.errors import ViewError
from interplay.widgets._rpc import _remove_buffers

FORMAT = "interplay-html/1"
STATIC = pathlib.Path(__file__).resolve().parents[1] / "static"
#: anywidget / ipywidgets bookkeeping that a file does not need
_BOOKKEEPING = {"_esm", "_css", "_anywidget_id", "_model_module", "_model_module_version", "_model_name",
                "_view_module", "_view_module_version", "_view_name", "_view_count", "_dom_classes", "layout",
                "tabbable", "tooltip"}
#: gzip a buffer when it is at least this big and saves at least a tenth
_GZIP_MIN = 2048
NEEDS_MODEL = ("This needs a live model: the file holds the data the view was exported with. Open the "
               "notebook with its kernel (or recompute the result) to compute more.")


@dataclass
class Embed:
    """What a view puts in a file beside its state: requests answered now, to be replayed
    (``(method, params)``), and for an attention view the heads embedded in full."""

    #: ``(method, params)`` answered at export time, or ``(method, params, answer)`` answered already
    requests: list[tuple[Any, ...]] = field(default_factory=list)
    #: (layer, head) -> u8 codes [n, n] of the whole pattern, as stored (``encode_buffer``)
    heads: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    n: int = 0
    note: str = ""
    #: synced values the file shows instead of the live ones (e.g. no "saved to" for labels)
    state: dict[str, Any] = field(default_factory=dict)
    #: synced traits Python observes that the page may still change in a file (the view asks for
    #: what they need by request, answered from ``requests``), e.g. a FeatureView's ``feature``
    page_traits: list[str] = field(default_factory=list)


def request_key(method: str, params: dict[str, Any]) -> str:
    """The canonical key of a request; ``js/export/answers.ts`` ``requestKey`` builds the same."""
    return json.dumps([method, params], sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_buffer(data: Any) -> dict[str, Any]:
    """Bytes as a file stores them (base64 of their gzip when that saves a tenth); their size in the
    file is ``len(result["b64"])``."""
    raw = bytes(data)
    if len(raw) >= _GZIP_MIN:
        packed = gzip.compress(raw, compresslevel=6, mtime=0)
        if len(packed) < 0.9 * len(raw):
            return {"b64": base64.b64encode(packed).decode("ascii"), "gzip": True}
    return {"b64": base64.b64encode(raw).decode("ascii")}




def _split(state: Any) -> tuple[Any, list[list[str | int]], list[dict[str, Any]]]:
    clean, paths, buffers = _remove_buffers(state)
    return clean, paths, [encode_buffer(b) for b in buffers]


def python_traits(widget: Any) -> list[str]:
    """Synced traits that Python observes: changing them in a file would need the kernel."""
    synced = set(widget.keys)
    notifiers = getattr(widget, "_trait_notifiers", {})
    return sorted(n for n, kinds in notifiers.items() if n in synced and n not in _BOOKKEEPING and kinds.get("change"))


def view_spec(widget: Any, modules: dict[str, str], **options: Any) -> dict[str, Any]:
    """The JSON of one view in a file (its ES module added to ``modules``)."""
    from interplay.widgets._base import BaseWidget

    if not isinstance(widget, BaseWidget):
        raise ViewError(f"save_html takes interplay views (e.g. result.show()), not a {type(widget).__name__}")
    source = str(widget._esm)
    module = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    modules.setdefault(module, source)
    embed: Embed = widget._html_embed(**options)
    state = {k: v for k, v in widget.get_state().items() if k not in _BOOKKEEPING}
    state.update(embed.state)
    clean, paths, buffers = _split(state)
    answers = []
    for method, params, *given in embed.requests:
        try:
            result = given[0] if given else widget.answer(method, params)
        except Exception:  # a request the view cannot answer now is simply not embedded
            continue
        r, rpaths, rbuffers = _split(result)
        answers.append({"method": method, "params": params, "key": request_key(method, params), "result": r,
                        "buffer_paths": rpaths, "buffers": rbuffers})
    heads = None
    if embed.heads:
        keys = sorted(embed.heads)
        heads = {"n": embed.n, "keys": [f"{layer}/{head}" for layer, head in keys],
                 "buffers": [embed.heads[k] for k in keys]}
    return {"module": module, "kind": type(widget).__name__, "title": str(getattr(widget, "title", "") or ""),
            "state": clean, "buffer_paths": paths, "buffers": buffers, "answers": answers, "heads": heads,
            "python_traits": [t for t in python_traits(widget) if t not in embed.page_traits], "needs_model": NEEDS_MODEL, "note": embed.note}


def _script_json(payload: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``<``, ``>``, ``&``)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _runtime() -> str:
    path = STATIC / "export_page.js"
    if not path.exists():
        raise ViewError(f"the export runtime {path.name} is missing: build the front end with `make build` "
                        "(or `npm install && npm run build`) in the repository, or install interplay from a wheel")
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{generator}">
<title>{title}</title>
<style>
body {{ margin: {margin}; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fff; }}
h1.interplay-export-page-title {{ font-size: 18px; font-weight: 600; margin: 0 0 4px; }}
p.interplay-export-meta {{ font-size: 12px; color: #666; margin: 0 0 16px; }}
section.interplay-export-view {{ margin: 0 0 24px; }}
h2.interplay-export-title {{ font-size: 14px; font-weight: 600; margin: 0 0 4px; }}
p.interplay-export-notice {{ font-size: 12px; color: #666; margin: 0 0 6px; min-height: 1em; }}
p.interplay-export-notice-active {{ color: #8a4b00; }}
</style>
</head>
<body>
{header}<main id="interplay-root"></main>
<noscript>This file draws interplay views with JavaScript; enable it to see them.</noscript>
<script type="application/json" id="interplay-export">{payload}</script>
<script type="module">{runtime}</script>
</body>
</html>
"""


def page(views: Sequence[Any], *, title: str = "interplay", options: dict[int, dict[str, Any]] | None = None,
         compact: bool = False) -> str:
    """The HTML text of a file showing ``views`` in order (``options[i]``: embed options of view i;
    ``compact``: no page title, one short line, small margins: a notebook's saved view)."""
    if not isinstance(title, str):
        raise ViewError(f"title must be a string, not {type(title).__name__}")
    modules: dict[str, str] = {}
    specs = [view_spec(v, modules, **(options or {}).get(i, {})) for i, v in enumerate(views)]
    generator = f"interplay {__version__}"
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    payload = {"format": FORMAT, "title": title, "generator": generator, "modules": modules, "views": specs}
    meta = (f"Exported from {generator} on {created}. A file of saved data: hover, zoom, sort and select "
            "work here; what needs the model says so.")
    if compact:
        meta = "Saved view (the kernel is not running): hover, zoom and select work; run the cell for the live view."
        header = f'<p class="interplay-export-meta">{html.escape(meta)}</p>\n'
    else:
        header = (f'<h1 class="interplay-export-page-title">{html.escape(title)}</h1>\n'
                  f'<p class="interplay-export-meta">{html.escape(meta)}</p>\n')
    return PAGE.format(generator=html.escape(generator), title=html.escape(title), header=header,
                       payload=_script_json(payload), runtime=_runtime(), margin="4px" if compact else "16px")


def _views(views: Any) -> list[Any]:
    from interplay.widgets._base import BaseWidget

    if isinstance(views, BaseWidget) or hasattr(views, "box_style"):
        views = [views]
    if isinstance(views, (str, bytes)) or not isinstance(views, Iterable):
        raise ViewError(f"save_html takes a view or a list of views, not a {type(views).__name__}")
    given = list(views)
    if not given:
        raise ViewError("save_html got no views; pass a view or a list of views (e.g. [result.show()])")
    out: list[Any] = []
    for v in given:
        if isinstance(v, BaseWidget):
            out.append(v)
        elif isinstance(getattr(v, "children", None), (list, tuple)) and hasattr(v, "box_style"):
            out += _views(list(v.children))  # an ipywidgets Box of views (e.g. a DLA result's view)
        else:
            raise ViewError(f"save_html takes interplay views (e.g. result.show()), not a {type(v).__name__}")
    return out


def write_text_atomic(path: str | os.PathLike[str], text: str) -> pathlib.Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder (never half a file)."""
    target = pathlib.Path(path)
    if target.is_dir():
        raise ViewError(f"{target} is a folder; give the path of an .html file to write")
    if not target.parent.exists():
        raise ViewError(f"cannot write {target}: the folder {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return target


def save_html(views: Any, path: str | os.PathLike[str], *, title: str = "interplay") -> pathlib.Path:
    """Write one self-contained HTML file showing ``views`` (a view or a list) and return its path.

    Opens from ``file://`` with no network: each view's module, state and embedded drill-downs are
    in the file. Per-view embed options (e.g. an AttentionView's ``heads=``) go through
    ``view.to_html``; here each view embeds its defaults.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ViewError(f"path must be a file path (str or Path), not {type(path).__name__}")
    return write_text_atomic(path, page(_views(views), title=title))
