import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const here = import.meta.dirname;
const repoRoot = resolve(here, '..', '..');

/**
 * Library build of <bedrock-chat> into assets/web/ (minified ES modules) and the deployed app page
 * (src/web-components/public/* copied as-is into assets/web):
 * - `bedrock-chat.js`: the entry, a few KB: defines `<bedrock-chat>` (inline and launcher modes), no Lit;
 * - `bedrock-chat-full.js`: everything else (Lit, the chat, markdown, sign-in) in one chunk, imported by the entry
 *   at runtime from `new URL('./bedrock-chat-full.js', import.meta.url)`.
 * Both are entries of one build, so each is one file with a stable name; they share no module (the entry imports
 * only types from the full part), so no third chunk appears (the browser tests check the file list).
 *
 * Only assets/web is emptied; the Lambda bundles in assets/lambdas are never touched.
 */
export default defineConfig({
  root: repoRoot,
  publicDir: resolve(here, 'public'),
  logLevel: 'warn',
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
      },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    rolldownOptions: {
      output: {
        chunkFileNames: 'bedrock-chat-[name]-[hash].js',
        // Vite keeps whitespace in ES library builds (for consumers' tree-shaking); these files are served as is.
        minify: true,
      },
    },
  },
});
