/**
 * Joins a continuation to the answer it continues (`continue` after max tokens), as the text streams in, so that the
 * stored answer and what the client shows read as one answer:
 * - whitespace at the seam: when the answer ends with whitespace (models are given it trimmed) and the continuation
 *   starts with whitespace, the continuation's is dropped (no double space or blank line at the seam);
 * - a repeated tail: a model asked to continue (without prefill) sometimes starts by repeating the end of the answer.
 *   While the start of the continuation could still be such a repeat (it is a piece of the answer beginning at a word
 *   boundary), it is held back; then the longest repeat of the answer's tail (at least MIN_OVERLAP characters, starting
 *   at a word boundary) is dropped, and the rest flows through unchanged.
 */
export class Seam {
  /** A repeat shorter than this is kept: a continuation may legitimately begin like the answer ended. */
  static readonly MIN_OVERLAP = 4;
  private readonly tail: string;
  private readonly endsWithSpace: boolean;
  private buffer = '';
  private decided = false;

  /** @param previous the answer so far, as stored */
  constructor(previous: string) {
    this.tail = previous.trimEnd();
    this.endsWithSpace = previous.length > 0 && previous.length !== this.tail.length;
  }

  /** Text of the continuation to emit now (possibly '' while the seam is being decided). */
  push(delta: string): string {
    if (this.decided) return delta;
    this.buffer += delta;
    return this.decide(false);
  }

  /** At the end of the continuation: whatever is still held back, joined. */
  flush(): string {
    return this.decided ? '' : this.decide(true);
  }

  private decide(final: boolean): string {
    const body = this.buffer.replace(/^\s+/, '');
    const lead = this.buffer.slice(0, this.buffer.length - body.length);
    if (!final && (body === '' || this.couldRepeat(body))) return '';
    this.decided = true;
    this.buffer = '';
    const overlap = this.overlap(body);
    let out = overlap > 0 ? body.slice(overlap) : lead + body;
    // After a dropped repeat the text continues right after the (trimmed) answer, like a prefill continuation.
    if (this.endsWithSpace) out = out.replace(/^\s+/, '');
    return out;
  }

  /** Whether `body` is a piece of the answer that starts at a word boundary (so it may be the start of a repeat). */
  private couldRepeat(body: string): boolean {
    for (let p = this.tail.indexOf(body); p >= 0; p = this.tail.indexOf(body, p + 1)) {
      if (p === 0 || /\s/.test(this.tail[p - 1])) return true;
    }
    return false;
  }

  /** Length of the longest tail of the answer (word boundary, >= MIN_OVERLAP) that `body` starts with; 0 if none. */
  private overlap(body: string): number {
    const t = this.tail;
    for (let k = Math.min(t.length, body.length); k >= Seam.MIN_OVERLAP; k--) {
      const p = t.length - k;
      if ((p === 0 || /\s/.test(t[p - 1])) && body.startsWith(t.slice(p))) return k;
    }
    return 0;
  }
}
