/**
 * commonmark.js's `lib/from-code-point.js` (a String.fromCodePoint polyfill, 0.5 KB gzip) for the widget, aliased in
 * the Vite build: every browser the widget supports has String.fromCodePoint, so only the polyfill's behaviour for
 * invalid code points is kept (U+FFFD instead of a RangeError).
 */
export default function fromCodePoint(code: number): string {
  try {
    return String.fromCodePoint(code);
  } catch (e) {
    if (e instanceof RangeError) return '\uFFFD';
    throw e;
  }
}
