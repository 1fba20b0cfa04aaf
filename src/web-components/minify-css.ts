/**
 * Build step of the web bundle (the `minifyCssTemplates` plugin of src/web-components/vite.config.mts): the style
 * sheets of the components minified.
 * Vite minifies JavaScript only, so the CSS in template literals kept its indentation and comments (1.4 KB gzip of the
 * widget). The text of each `css\`...\`` template (Lit's tag) and of each template marked `/* css *\/ \`...\`` goes
 * through esbuild's CSS minifier (esbuild builds the Lambda bundles already: nothing is added). It keeps what it does
 * not know and lowers nothing (no target). Templates with interpolations or escapes are left as written (their text is
 * not plain CSS until run), as are lists of declarations without a rule, and so is any result a template literal would read differently (a backslash, a backtick).
 * test/web-components/minify-css.browser.test.ts checks in Chromium that every template parses to the same rules.
 */
import { transformSync } from 'esbuild';

/** The style sheet templates of a module: `css\`...\`` and `/* css *\/ \`...\``, without interpolations. */
export const CSS_TEMPLATE = /(\bcss|\/\* css \*\/ )`([^`]*)`/g;

/** The minified text of a template's CSS, or undefined when it stays as written. */
export function minifyCss(text: string): string | undefined {
  if (text.includes('${') || text.includes('\\')) return undefined;
  // A list of declarations (a fragment interpolated into a rule elsewhere) is no style sheet: esbuild would add `{}`.
  if (!text.includes('{')) return undefined;
  // charset utf8: esbuild would write other characters as CSS escapes (`\2713`), which a template literal reads as
  // its own escapes (an invalid one makes Lit's cooked string undefined: a sheet without rules).
  const min = transformSync(text, { loader: 'css', minify: true, charset: 'utf8', logLevel: 'silent' }).code.trim();
  return /[\\`]|\$\{/.test(min) ? undefined : min;
}
