import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const here = import.meta.dirname;
const repoRoot = resolve(here, '..', '..');

/**
 * Library build of <bedrock-chat> into assets/web/bedrock-chat.js (one minified ES module) and the
 * deployed app page (src/web-components/public/* copied as-is into assets/web).
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
      entry: resolve(here, 'bedrock-chat.ts'),
      formats: ['es'],
      fileName: () => 'bedrock-chat.js',
    },
    rolldownOptions: {
      output: {
        // One file: the element module is imported lazily (SSR-safe entry) but inlined into the entry chunk.
        codeSplitting: false,
        // Vite keeps whitespace in ES library builds (for consumers' tree-shaking); this file is served as is.
        minify: true,
      },
    },
  },
});
