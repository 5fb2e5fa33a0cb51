/**
 * A small tooltip (`.interplay-tooltip`) positioned near the pointer inside a widget root.
 * Content is set line by line with `textContent` only: token strings are data, never HTML.
 */

const OFFSET = 12;

/** Where to put a box of size (w, h) near a point (x, y) so it stays inside (0, 0, W, H). Pure. */
export function placeNear(
  x: number,
  y: number,
  w: number,
  h: number,
  containerW: number,
  containerH: number,
): { left: number; top: number } {
  let left = x + OFFSET;
  let top = y + OFFSET;
  if (containerW > 0 && left + w > containerW) left = Math.max(0, x - OFFSET - w);
  if (containerH > 0 && top + h > containerH) top = Math.max(0, y - OFFSET - h);
  return { left, top };
}

export class Tooltip {
  readonly element: HTMLDivElement;
  private readonly container: HTMLElement;
  private readonly target: HTMLElement | null;
  private readonly onLeave = (): void => this.hide();

  /**
   * @param container the positioned element (e.g. the widget root) the tooltip lives in.
   * @param target    if given, the tooltip hides when the pointer leaves it.
   */
  constructor(container: HTMLElement, target: HTMLElement | null = null) {
    this.container = container;
    this.target = target;
    const doc = container.ownerDocument;
    this.element = doc.createElement("div");
    this.element.className = "interplay-tooltip";
    this.element.setAttribute("role", "tooltip");
    this.element.hidden = true;
    container.appendChild(this.element);
    target?.addEventListener("pointerleave", this.onLeave);
  }

  /** Show `lines` (as text) near the client point (clientX, clientY). */
  show(lines: readonly string[], clientX: number, clientY: number): void {
    const el = this.element;
    const doc = el.ownerDocument;
    const rows = lines.map((line) => {
      const div = doc.createElement("div");
      div.className = "interplay-tooltip-line";
      div.textContent = line;
      return div;
    });
    el.replaceChildren(...rows);
    el.hidden = false;
    const box = this.container.getBoundingClientRect();
    const { left, top } = placeNear(
      clientX - box.left,
      clientY - box.top,
      el.offsetWidth,
      el.offsetHeight,
      this.container.clientWidth,
      this.container.clientHeight,
    );
    el.style.left = `${left}px`;
    el.style.top = `${top}px`;
  }

  hide(): void {
    this.element.hidden = true;
  }

  get visible(): boolean {
    return !this.element.hidden;
  }

  destroy(): void {
    this.target?.removeEventListener("pointerleave", this.onLeave);
    this.element.remove();
  }
}
