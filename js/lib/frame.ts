/** Coalesces redraw requests into one call per animation frame (a timer where rAF is missing). */
export class FrameScheduler {
  private handle: number | null = null;
  private readonly win: (Window & typeof globalThis) | null;
  private readonly callback: () => void;

  constructor(win: (Window & typeof globalThis) | null, callback: () => void) {
    this.win = win;
    this.callback = callback;
  }

  /** Run the callback on the next frame (once, however often this is called before then). */
  request(): void {
    if (this.handle !== null) return;
    const run = (): void => {
      this.handle = null;
      this.callback();
    };
    this.handle = this.win?.requestAnimationFrame ? this.win.requestAnimationFrame(run) : (setTimeout(run, 16) as unknown as number);
  }

  /** Drop a pending request (e.g. when drawing now, or on destroy). */
  cancel(): void {
    if (this.handle === null) return;
    if (this.win?.cancelAnimationFrame) this.win.cancelAnimationFrame(this.handle);
    else clearTimeout(this.handle);
    this.handle = null;
  }
}
