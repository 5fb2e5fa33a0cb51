"""Save image in real JupyterLab: the "Save image" control of TokenHeatmapView, AttentionView (after a
head is selected in the page) and CircuitView downloads an SVG and a PNG, and ``view.save_image(path,
scale=2)`` in a cell writes a PNG twice the view's CSS size showing the view's colours, and an SVG
that is well-formed XML, holds the view's text as text (escaped, never markup) and renders in
Chromium from ``file://`` (screenshots in tests/e2e/artifacts/save_image_*.png). A request made in
the cell that shows the view is answered once it is rendered; a zoomed, scrolled heatmap saved at 1x
matches the page's own screenshot of the view pixel for pixel (above the save control)."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.e2e.conftest import ARTIFACTS, Lab, error_outputs, execute, open_and_run, write_notebook

SVG_NS = "{http://www.w3.org/2000/svg}"
XSS = "<img src=x onerror=alert(1)>"


def wait_for_bytes(path: Path, timeout: float = 30) -> bytes:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return path.read_bytes()
        time.sleep(0.1)
    raise AssertionError(f"{path.name} was never written: the view did not answer save_image")


def save_from_python(page: Any, lab: Lab, view: str, name: str, scale: float = 2) -> tuple[bytes, str]:
    """Run ``view.save_image(name, scale=...)`` in the kernel; wait for the file; return it and the
    request's repr once written."""
    for p in (lab.root / name, lab.root / f"{name}.repr"):
        p.unlink(missing_ok=True)
    execute(page, f"_req = {view}.save_image({name!r}, scale={scale})\n"
                  f"_req.add_done_callback(lambda r: __import__('pathlib').Path({name!r} + '.repr').write_text(repr(r)))")
    data = wait_for_bytes(lab.root / name)
    return data, wait_for_bytes(lab.root / f"{name}.repr").decode()


def css_size(page: Any, selector: str) -> tuple[int, int]:
    w, h = page.evaluate("(s) => { const r = document.querySelector(s).getBoundingClientRect(); "
                         "return [Math.ceil(r.width), Math.ceil(r.height)]; }", selector)
    return int(w), int(h)


def download(page: Any, root: str, fmt: str, name: str) -> bytes:
    with page.expect_download(timeout=30_000) as info:
        page.locator(f"{root} button.interplay-save-{fmt}").first.click()
    path = ARTIFACTS / name
    info.value.save_as(str(path))
    assert info.value.suggested_filename.endswith(f".{fmt}")
    return path.read_bytes()


def parse_svg(data: bytes) -> ET.Element:
    root = ET.fromstring(data)  # well-formed XML, or this raises
    assert root.tag == f"{SVG_NS}svg"
    for el in root.iter():
        for attr, value in el.attrib.items():
            if attr.split("}")[-1] in ("href", "src"):
                assert value.startswith(("data:", "#")), f"an external reference: {attr}={value[:60]}"
        assert el.tag.split("}")[-1] not in ("script", "style", "link")
    return root


def svg_text(root: ET.Element) -> str:
    return "\n".join(t for t in root.itertext())


def page_colours(page: Any, selector: str, top: int = 6) -> list[tuple[int, int, int]]:
    """The most frequent opaque colours of a canvas in the page."""
    pixels = page.evaluate(
        """(sel) => { const c = document.querySelector(sel); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const out = []; for (let i = 0; i < d.length; i += 4 * 7) if (d[i + 3] === 255) out.push([d[i], d[i + 1], d[i + 2]]); return out; }""",
        selector)
    counts = Counter(tuple(p) for p in pixels)
    return [c for c, n in counts.most_common(top) if n > 3]


def has_colour(img: Image.Image, colour: tuple[int, int, int], tol: int = 3) -> bool:
    a = np.asarray(img.convert("RGB")).reshape(-1, 3).astype(np.int32)
    packed = np.unique((a[:, 0] << 16) | (a[:, 1] << 8) | a[:, 2])
    pixels = np.stack([packed >> 16, (packed >> 8) & 255, packed & 255], axis=1)
    return bool((np.abs(pixels - np.array(colour)) <= tol).all(axis=1).any())


def render_file(browser: Any, path: Path, shot: Path) -> Image.Image:
    """Open an SVG from file:// in Chromium and screenshot it."""
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    try:
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(path.resolve().as_uri())
        pg.wait_for_timeout(300)
        pg.screenshot(path=str(shot), full_page=False)
        assert errors == []
        assert pg.evaluate("() => document.querySelector('img[src=\"x\"]') === null")
    finally:
        context.close()
    return Image.open(shot)


def check_view(page: Any, browser: Any, lab: Lab, *, root: str, view: str, stem: str, canvas: str | None,
               texts: list[str]) -> ET.Element:
    """The button's downloads, then save_image from Python as PNG (2x, the view's colours) and SVG."""
    ARTIFACTS.mkdir(exist_ok=True)
    colours = page_colours(page, f"{root} {canvas}") if canvas else []
    if canvas:
        assert len(colours) >= 2, "the view's canvas is blank"
    # the control: an SVG and a PNG download, each the view's current state
    svg_dl = parse_svg(download(page, root, "svg", f"save_image_{stem}_button.svg"))
    for t in texts:
        assert t in svg_text(svg_dl), f"{t!r} is not text in the downloaded SVG"
    png_dl = Image.open(io.BytesIO(download(page, root, "png", f"save_image_{stem}_button.png")))
    w, h = css_size(page, root)
    assert png_dl.size == (2 * w, 2 * h)  # the control's default scale is 2x

    data, req = save_from_python(page, lab, view, f"{stem}.png", scale=2)
    assert "written" in req and f"{2 * w} x {2 * h} px" in req, req
    png = Image.open(io.BytesIO(data))
    assert png.format == "PNG" and png.size == (2 * w, 2 * h)
    png.load()  # decodes every chunk, checking each CRC
    assert tuple(round(d) for d in png.info["dpi"]) == (192, 192)  # 2 x 96 ppi: prints at the view's size
    png.save(ARTIFACTS / f"save_image_{stem}_python.png")
    for c in colours:
        assert has_colour(png, c), f"the page's colour {c} is not in the saved PNG"

    data, req = save_from_python(page, lab, view, f"{stem}.svg", scale=2)
    svg = parse_svg(data)
    assert (svg.get("width"), svg.get("height")) == (str(2 * w), str(2 * h))
    assert svg.find(f"{SVG_NS}foreignObject") is not None
    text = svg_text(svg)
    for t in texts:
        assert t in text, f"{t!r} is not text in the saved SVG"
    shot = render_file(browser, lab.root / f"{stem}.svg", ARTIFACTS / f"save_image_{stem}_svg_in_chromium.png")
    for c in colours:
        assert has_colour(shot, c), f"the page's colour {c} is not in the SVG as Chromium draws it"
    assert not error_outputs(page)
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]
    return svg


def test_token_heatmap_save_image(page: Any, browser: Any, lab: Lab) -> None:
    (lab.root / "early.png").unlink(missing_ok=True)
    name = write_notebook(lab, "save_heatmap.ipynb", [
        "import numpy as np, interplay\n"
        f"tokens = ['When', ' Mary', ' and', ' John', {XSS!r}, ' went']\n"
        "values = np.array([[0.9, -0.8, 0.2, -0.3, 0.6, 0.0], [-0.5, 0.4, 0.7, -0.9, 0.1, 0.3]], np.float32)\n"
        "heat = interplay.TokenHeatmapView.from_arrays(tokens, values, labels=['layer <0>', 'layer 1'], "
        "title='Heatmap & friends')\n"
        "early = heat.save_image('early.png', scale=1)  # asked before the view is shown\n"
        "heat",
    ])
    open_and_run(page, lab, name)
    root = ".interplay-token-heatmap"
    page.wait_for_selector(f"{root} canvas.interplay-heatmap-canvas", timeout=30_000)
    page.wait_for_timeout(300)
    # the request made in the cell that showed the view was answered once the view was rendered
    early = Image.open(io.BytesIO(wait_for_bytes(lab.root / "early.png")))
    assert early.size == css_size(page, root)
    check_view(page, browser, lab, root=root, view="heat", stem="heatmap", canvas="canvas.interplay-heatmap-canvas",
               texts=["Heatmap & friends", "layer <0>", "layer 1"])

    # zoomed in and scrolled sideways: the image shows the same window of cells as the page
    for _ in range(4):
        page.locator(f"{root} button[aria-label='Zoom in']").first.click()
    page.eval_on_selector(f"{root} .interplay-scroll", "el => { el.scrollLeft = el.scrollWidth; }")
    page.wait_for_timeout(400)
    assert page.eval_on_selector(f"{root} .interplay-scroll", "el => el.scrollLeft") > 100
    page.mouse.move(0, 0)  # no hover tooltip in the page's own screenshot
    page.locator(root).first.screenshot(path=str(ARTIFACTS / "save_image_heatmap_zoomed_page.png"))
    data, _ = save_from_python(page, lab, "heat", "zoomed.png", scale=1)
    (ARTIFACTS / "save_image_heatmap_zoomed_saved.png").write_bytes(data)
    shown = np.asarray(Image.open(ARTIFACTS / "save_image_heatmap_zoomed_page.png").convert("RGB")).astype(int)
    saved = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)
    assert saved.shape == shown.shape
    # everything above the save control (which the image leaves out) matches the page, pixel for pixel
    control_top = int(page.evaluate(f"() => {{ const r = document.querySelector('{root}'); "
                                    "return r.querySelector('.interplay-save-image').getBoundingClientRect().top "
                                    "- r.getBoundingClientRect().top; }"))
    diff = np.abs(shown[:control_top] - saved[:control_top]).max(axis=2)
    assert (diff > 40).mean() < 0.01, f"{(diff > 40).mean():.1%} of the pixels differ from the page"


def test_attention_save_image_after_selecting_a_head(page: Any, browser: Any, lab: Lab) -> None:
    name = write_notebook(lab, "save_attention.ipynb", [
        "import numpy as np, interplay\n"
        f"tokens = ['<bos>', 'When', ' Mary', ' and', ' John', {XSS!r}, ' went', ' to']\n"
        "rng = np.random.default_rng(0)\n"
        "logits = rng.normal(size=(2, 4, 8, 8)) * 2\n"
        "logits[..., np.triu_indices(8, 1)[0], np.triu_indices(8, 1)[1]] = -np.inf\n"
        "p = np.exp(logits - logits.max(-1, keepdims=True)); p /= p.sum(-1, keepdims=True)\n"
        "attn = interplay.AttentionView.from_arrays(tokens, p.astype(np.float32))\n"
        "attn",
    ])
    open_and_run(page, lab, name)
    root = ".interplay-attention"
    grid = f"{root} canvas.interplay-attention-grid"
    page.wait_for_selector(grid, timeout=30_000)
    box = page.locator(grid).first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * (2.5 / 4), box["y"] + box["height"] * (1.5 / 2))  # layer 1, head 2
    pattern = f"{root} canvas.interplay-pattern-canvas"
    page.wait_for_function(f"() => {{ const c = document.querySelector('{pattern}'); return c && c.width > 0; }}")
    page.wait_for_function(
        f"() => !document.querySelector('{root} .interplay-busy') || "
        f"document.querySelector('{root} .interplay-busy').offsetParent === null", timeout=30_000)
    page.wait_for_timeout(300)
    detail = page.locator(f"{root} .interplay-detail-title").first.text_content() or ""
    assert "Layer 1" in detail and "Head 2" in detail
    svg = check_view(page, browser, lab, root=root, view="attn", stem="attention", canvas="canvas.interplay-pattern-canvas",
                     texts=[detail, "␣Mary", "␣went", XSS.replace(" ", "␣")])
    # the token view's tokens are text nodes in the SVG (display form: ␣ for a space), the XSS string
    # among them as text: no <img> element came from it
    assert not [el for el in svg.iter() if el.tag.endswith("}img") and el.get("src") == "x"]


def test_circuit_save_image_keeps_the_graph_vector(page: Any, browser: Any, lab: Lab) -> None:
    name = write_notebook(lab, "save_circuit.ipynb", [
        "import torch, interplay\n"
        "torch.set_num_threads(1)\n"
        "model = interplay.load()\n"
        "c = interplay.circuit(model, interplay.tasks.ioi(n=8, seed=0), method='eap', progress=False)\n"
        "circ = c.show(k=25)\n"
        "circ",
    ])
    open_and_run(page, lab, name)
    root = ".interplay-circuit"
    page.wait_for_selector(f"{root} svg.interplay-circuit-svg g.interplay-circuit-node", timeout=60_000)
    page.wait_for_timeout(300)
    visible = page.evaluate(f"() => [...document.querySelectorAll('{root} path.interplay-circuit-edge')]"
                            ".filter(p => getComputedStyle(p).display !== 'none').length")
    names = page.evaluate(f"() => [...document.querySelectorAll('{root} g.interplay-circuit-node')].map(g => g.dataset.name)")
    svg = check_view(page, browser, lab, root=root, view="circ", stem="circuit", canvas=None, texts=names[:3])
    # the graph stays vector: one <path> per edge shown in the page (hidden edges left out), nodes as <text>
    edges = [p for p in svg.iter(f"{SVG_NS}path") if "interplay-circuit-edge" in (p.get("class") or "")]
    assert len(edges) == visible > 0
    assert len(list(svg.iter(f"{SVG_NS}text"))) >= len(names)
