/**
 * The colour legend (`.interplay-legend`): a canvas colour bar with vmin, (centre) and vmax as
 * text, the value caption, and a NaN swatch when the data holds NaN. Limits come from the
 * payload, never recomputed here.
 */

import { get2d, hatchPattern, sizeCanvas } from "./canvas";
import { formatCompact } from "./format";
import { LUT_SIZE, type Scale } from "./scales";

const BAR_WIDTH = 160;
const BAR_HEIGHT = 10;

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class Legend {
  readonly element: HTMLDivElement;
  private readonly caption: HTMLSpanElement;
  private readonly bar: HTMLCanvasElement;
  private readonly min: HTMLSpanElement;
  private readonly mid: HTMLSpanElement;
  private readonly max: HTMLSpanElement;
  private readonly nan: HTMLSpanElement;
  private readonly nanSwatch: HTMLCanvasElement;

  constructor(doc: Document) {
    this.element = el(doc, "div", "interplay-legend");
    this.caption = el(doc, "span", "interplay-legend-caption");
    const scale = el(doc, "span", "interplay-legend-scale");
    this.bar = el(doc, "canvas", "interplay-legend-bar");
    this.bar.setAttribute("aria-hidden", "true");
    const ticks = el(doc, "span", "interplay-legend-ticks");
    this.min = el(doc, "span", "interplay-legend-min");
    this.mid = el(doc, "span", "interplay-legend-center");
    this.max = el(doc, "span", "interplay-legend-max");
    ticks.append(this.min, this.mid, this.max);
    scale.append(this.bar, ticks);
    this.nan = el(doc, "span", "interplay-legend-nan");
    this.nanSwatch = el(doc, "canvas", "interplay-legend-nan-swatch");
    this.nanSwatch.setAttribute("aria-hidden", "true");
    this.nan.append(this.nanSwatch, doc.createTextNode("NaN"));
    this.element.append(this.caption, scale, this.nan);
  }

  /** Show a scale; `hasNaN` adds the NaN swatch. */
  update(scale: Scale, caption: string, hasNaN: boolean): void {
    this.caption.textContent = caption;
    this.caption.hidden = caption === "";
    const finite = scale.vmin !== null && scale.vmax !== null;
    this.min.textContent = finite ? formatCompact(scale.vmin) : "no finite values";
    this.max.textContent = finite ? formatCompact(scale.vmax) : "";
    this.mid.textContent = finite && scale.center !== null ? formatCompact(scale.center) : "";
    this.nan.hidden = !hasNaN;
    const dpr = this.element.ownerDocument.defaultView?.devicePixelRatio ?? 1;
    const ctx = sizeCanvas(this.bar, BAR_WIDTH, BAR_HEIGHT, dpr);
    if (ctx) drawBar(ctx, scale.lut, BAR_WIDTH, BAR_HEIGHT);
    const swatch = sizeCanvas(this.nanSwatch, BAR_HEIGHT, BAR_HEIGHT, dpr);
    if (swatch && hasNaN) {
      swatch.fillStyle = hatchPattern(swatch) ?? "#b4b4b4";
      swatch.fillRect(0, 0, BAR_HEIGHT, BAR_HEIGHT);
    }
  }
}

/** The LUT as a horizontal bar (low on the left). */
function drawBar(ctx: CanvasRenderingContext2D, lut: Uint8ClampedArray, width: number, height: number): void {
  const strip = ctx.canvas.ownerDocument.createElement("canvas");
  strip.width = LUT_SIZE;
  strip.height = 1;
  const s = get2d(strip);
  if (!s) return;
  const image = s.createImageData(LUT_SIZE, 1);
  image.data.set(lut.subarray(0, LUT_SIZE * 4));
  s.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(strip, 0, 0, width, height);
}
