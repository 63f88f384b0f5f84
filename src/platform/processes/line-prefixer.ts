/** Longer lines are cut here, so a child writing without newlines cannot grow the supervisor's memory. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Splits a child's output into lines and writes each with the child's prefix (`[lab:node] `).
 * Chunks may cut a line anywhere; `end()` writes a last line that had no newline.
 */
export class LinePrefixer {
  private pending = '';

  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => void,
  ) {}

  push(chunk: string): void {
    const text = this.pending + chunk;
    let out = '';
    let start = 0;
    for (let cut = text.indexOf('\n'); cut >= 0; cut = text.indexOf('\n', start)) {
      out += `${this.prefix}${text.slice(start, cut + 1)}`;
      start = cut + 1;
    }
    while (text.length - start >= MAX_LINE_CHARS) {
      out += `${this.prefix}${text.slice(start, start + MAX_LINE_CHARS)}\n`;
      start += MAX_LINE_CHARS;
    }
    this.pending = text.slice(start);
    if (out) this.write(out);
  }

  end(): void {
    if (this.pending) this.write(`${this.prefix}${this.pending}\n`);
    this.pending = '';
  }
}
