// A watch answers with newline-delimited JSON: one event per line, split
// across chunks anywhere. Each whole, non-blank line goes to onLine; what
// follows the last newline waits for the next chunk. A line that grows past
// the bound is an error (a server that never ends a line would otherwise
// grow this buffer without limit).
export class LineSplitter {
  private buf = '';
  /** Lines handed to onLine so far. */
  lines = 0;

  constructor(private readonly onLine: (line: string) => void, private readonly maxLine: number, private readonly what: string) {}

  /** Throws what onLine throws, or when the unfinished line is longer than the bound. */
  push(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      if (!line.trim()) continue;
      this.lines++;
      this.onLine(line);
    }
    if (this.buf.length > this.maxLine) throw new Error(`${this.what}: an event longer than ${this.maxLine} bytes`);
  }
}
