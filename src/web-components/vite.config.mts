import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import { CSS_TEMPLATE, minifyCss } from './minify-css';

const here = import.meta.dirname;
const repoRoot = resolve(here, '..', '..');
const webDir = here + sep;

/**
 * Library build of <bedrock-chat> into assets/web/ (minified ES modules) and the deployed app page
 * (src/web-components/public/* copied as-is into assets/web):
 * - `bedrock-chat.js`: the entry, a few KB: defines `<bedrock-chat>` (inline and launcher modes), no Lit;
 * - `bedrock-chat-full.js`: everything else (Lit, the chat, markdown, sign-in) in one chunk, imported by the entry
 *   at runtime from `new URL('./bedrock-chat-full.js', import.meta.url)`.
 * - `bedrock-chat-app.js`: the web app entry (`<bedrock-chat-app>`), a few hundred bytes: it imports `bedrock-chat.js`
 *   and, in a browser, the app chunk `bedrock-chat-app-[hash].js` (history and app elements), which imports
 *   `bedrock-chat-full.js` for Lit and the chat.
 * All are entries of one build, so each is one file with a stable name. The full chunk statically imports the entry
 * (already loaded, since the entry is what loads it) for what both use (the locale matching), and everything the app
 * chunk shares with the full chunk is in the full chunk (the app chunk imports it), so no shared chunk appears
 * (test/web-components/launcher.browser.test.ts checks the imports).
 * - `bedrock-chat-locale-<locale>-[hash].js`: the translations, one chunk per locale, imported only when a page
 *   uses that locale.
 * - `bedrock-chat-lang-<name>-[hash].js`: the syntax highlighting grammars (shared/markdown/grammars/), one chunk per
 *   language, imported the first time a finished code block in that language is shown.
 * - `bedrock-chat-math-[hash].js`: LaTeX to MathML (Temml and shared/markdown/mathml.ts), imported the first time an
 *   answer contains a formula, on an element with `math`.
 * - `bedrock-chat-diagram-[hash].js`: the host side of diagrams (shared/markdown/diagram.ts), imported the first time
 *   an answer has a finished ```mermaid block; it frames `mermaid-frame.html` (public/, copied as is).
 * - `bedrock-chat-auth-[hash].js`: built-in sign-in (Cognito managed login, PKCE), imported only when the config names a
 *   managed login and the host gives no token provider (shared/auth/lazy-auth-controller.ts).
 * - `bedrock-chat-feedback-[hash].js`: the thumbs-down form (bedrock-chat/feedback-form.ts), imported on the first
 *   thumbs down.
 * - `bedrock-chat-usage-admin-[hash].js`: the admins' usage limits screen (usage-admin/), imported the first time
 *   `#/admin/usage` is shown.
 * - `bedrock-chat-mermaid.js` and `bedrock-chat-mermaid-[name]-[hash].js`: the mermaid frame's script (mermaid/frame.ts)
 *   and mermaid's chunks, loaded only by mermaid-frame.html inside its sandboxed frame, never by the widget.
 *
 * Only assets/web is emptied; the Lambda bundles in assets/lambdas are never touched.
 */
/**
 * Writes `THIRD_PARTY_LICENSES.txt` next to the bundle: the name, version, license and license text of every npm
 * package whose code ends up in a file of assets/web (the minified files keep no license comments).
 */
function thirdPartyLicenses(): Plugin {
  return {
    name: 'third-party-licenses',
    generateBundle(_options, bundle) {
      const roots = new Set<string>();
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        for (const id of file.moduleIds) {
          const at = id.lastIndexOf(`${sep}node_modules${sep}`);
          if (at < 0) continue;
          const rest = id.slice(at + 14).split(sep);
          roots.add(join(id.slice(0, at + 14), ...(rest[0].startsWith('@') ? rest.slice(0, 2) : rest.slice(0, 1))));
        }
      }
      const sections = [...roots].sort().map((root) => {
        const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
        const file = readdirSync(root).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
        const text = file ? readFileSync(join(root, file), 'utf8').trim() : `License: ${pkg.license ?? 'see the package'}`;
        return `${pkg.name} ${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}`;
      });
      this.emitFile({
        type: 'asset',
        fileName: 'THIRD_PARTY_LICENSES.txt',
        source: `The files of this folder include the following packages.\n\n${sections.join(`\n\n${'-'.repeat(78)}\n\n`)}\n`,
      });
    },
  };
}

/**
 * Minifies the components' style sheets (`css` templates and `/* css *\/` ones, see ./minify-css.ts), before
 * TypeScript is stripped, in the modules of this folder.
 */
function minifyCssTemplates(dir: string): Plugin {
  return {
    name: 'minify-css-templates',
    enforce: 'pre',
    transform(code, id) {
      if (!id.startsWith(dir) || !id.endsWith('.ts') || !code.includes('css')) return null;
      let changed = false;
      const out = code.replace(CSS_TEMPLATE, (whole, tag: string, text: string) => {
        const min = minifyCss(text);
        if (min === undefined) return whole;
        changed = true;
        return `${tag}\`${min}\``;
      });
      return changed ? { code: out, map: null } : null;
    },
  };
}

export default defineConfig({
  root: repoRoot,
  plugins: [minifyCssTemplates(webDir), thirdPartyLicenses()],
  publicDir: resolve(here, 'public'),
  logLevel: 'warn',
  // commonmark.js decodes character references with the `entities` package (its full HTML 5 table is 10 KB gzip):
  // the widget's markdown/entities.ts serves the same functions with the HTML 4 set.
  // Its String.fromCodePoint polyfill is replaced by the native function (same result for invalid code points), and
  // mdurl's encode by a one-regex equivalent (shared/markdown/encode-uri.ts; same output, checked differentially).
  resolve: {
    alias: [
      { find: 'entities', replacement: resolve(here, 'shared', 'markdown', 'entities.ts') },
      { find: /^\.\/from-code-point\.js$/, replacement: resolve(here, 'shared', 'markdown', 'from-code-point.ts') },
      { find: /^mdurl\/encode\.js$/, replacement: resolve(here, 'shared', 'markdown', 'encode-uri.ts') },
    ],
  },
  build: {
    outDir: resolve(repoRoot, 'assets', 'web'),
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: {
        'bedrock-chat': resolve(here, 'bedrock-chat.ts'),
        'bedrock-chat-full': resolve(here, 'launcher', 'full.ts'),
        'bedrock-chat-app': resolve(here, 'bedrock-chat-app.ts'),
        'bedrock-chat-mermaid': resolve(here, 'mermaid', 'frame.ts'),
      },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    rolldownOptions: {
      // The full chunk may export what the app chunk needs (Lit, the chat) instead of getting a facade and a second file.
      preserveEntrySignatures: 'allow-extension',
      output: {
        // The translations: one small chunk per locale, loaded only when a page uses that locale; likewise one per
        // highlighting grammar, and the math converter.
        chunkFileNames: (chunk) => {
          const has = (part: string) => chunk.moduleIds.some((id) => id.includes(part));
          if (has('/generated/locales/')) return 'bedrock-chat-locale-[name]-[hash].js';
          if (has('/shared/markdown/grammars/')) return 'bedrock-chat-lang-[name]-[hash].js';
          if (has('/shared/markdown/mathml.')) return 'bedrock-chat-math-[hash].js';
          if (has('/shared/markdown/diagram.')) return 'bedrock-chat-diagram-[hash].js';
          if (has('/shared/auth/cognito-auth-controller.')) return 'bedrock-chat-auth-[hash].js';
          if (has('/bedrock-chat/feedback-form.')) return 'bedrock-chat-feedback-[hash].js';
          if (has('/usage-admin/')) return 'bedrock-chat-usage-admin-[hash].js';
          // mermaid's own chunks (diagram types, d3, layout engines): only the frame's script imports them.
          if (chunk.moduleIds.every((id) => !id.startsWith(webDir) && !id.includes('/node_modules/temml/'))) return 'bedrock-chat-mermaid-[name]-[hash].js';
          return 'bedrock-chat-[name]-[hash].js';
        },
        // Vite keeps whitespace in ES library builds (for consumers' tree-shaking); these files are served as is.
        minify: true,
      },
    },
  },
});
