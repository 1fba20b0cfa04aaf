/**
 * shared/markdown/encode-uri.ts replaces mdurl's encode (what commonmark.js normalizes link destinations with) in the
 * widget build: its output must be mdurl's for every input.
 */
import { createRequire } from 'module';
import encode from '../../src/web-components/shared/markdown/encode-uri';

// The mdurl that commonmark.js itself imports (a dependency of commonmark, resolved from there).
const mdurlEncode = createRequire(require.resolve('commonmark'))('mdurl/encode.js') as (s: string) => string;

describe('encode-uri, the widget build\'s mdurl encode', () => {
  test('gives mdurl\'s output for every single UTF-16 code unit', () => {
    for (let c = 0; c < 0x10000; c++) {
      const s = String.fromCharCode(c);
      expect([c, encode(s)]).toEqual([c, mdurlEncode(s)]);
    }
  });

  test('gives mdurl\'s output for escapes, surrogate pairs, lone surrogates and reserved characters mixed (seeded)', () => {
    const alphabet = ['%', '%4', '%41', '%a', '%zz', 'a', 'Z', '9', ' ', '"', '<', '>', '\\', '^', '`', '{', '|', '}', '[', ']', ';', '/', '?', '#', '&', "'", '(', 'é', '中', '\ud83d\ude00', '\ud83d', '\ude00', '\u0000', '\n', '\u007f', '~', '*', '!', 'javascript:'];
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 20000; t++) {
      let s = '';
      for (let i = Math.floor(next() * 10); i > 0; i--) s += alphabet[Math.floor(next() * alphabet.length)];
      expect([s, encode(s)]).toEqual([s, mdurlEncode(s)]);
    }
  });
});
