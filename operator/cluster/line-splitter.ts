// A watch answers with newline-delimited JSON: one event per line, split
// across chunks anywhere. Each whole, non-blank line goes to onLine; what
// follows the last newline waits for the next chunk. A line that grows past
// the bound is an error (a server that never ends a line would otherwise
// grow this buffer without limit).
export class LineSplitter {
  /**
   * The unfinished line, as the chunks that hold it: joined only when its
   * newline arrives, and only each new chunk is searched for a newline, so a
   * long line costs time in proportion to its length, not to its square
   * (appending to one string and searching it all again after every chunk
   * held the event loop for seconds on a line of a few MB).
   */
  private parts: string[] = [];
  private pending = 0;
  /** Lines handed to onLine so far. */
  lines = 0;
  constructor(private readonly onLine: (line: string) => void, private readonly maxLine: number, private readonly what: string) {}
  /** Throws what onLine throws, or when the unfinished line is longer than the bound. */
  push(chunk: string): void {
    let from = 0;
    let i: number;
    while ((i = chunk.indexOf('\n', from)) >= 0) {
      const tail = chunk.slice(from, i);
      const line = this.parts.length ? this.parts.join('') + tail : tail;
      this.parts = [];
      this.pending = 0;
      from = i + 1;
      if (!line.trim()) continue;
      this.lines++;
      this.onLine(line);
    }
    if (from < chunk.length) {
      this.parts.push(from ? chunk.slice(from) : chunk);
      this.pending += chunk.length - from;
    }
    if (this.pending > this.maxLine) throw new Error(`${this.what}: an event longer than ${this.maxLine} bytes`);
  }
}
