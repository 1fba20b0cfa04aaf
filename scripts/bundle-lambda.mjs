#!/usr/bin/env node
/**
 * Bundles one Lambda entry point (src/lambdas/<name>.lambda.ts) into assets/lambdas/<name>.lambda/index.mjs, an ES
 * module: `npx projen bundle` runs it for each handler (the bundle tasks are set in .projenrc.ts).
 * Why each setting is here (measured figures in docs/architecture.md, "Lambda packaging and cold start"):
 * - `format: esm` + `mainFields: module,main`: the AWS SDK's ES module builds (dist-es), which esbuild tree-shakes
 *   per command and evaluates only what is used; the CommonJS builds (dist-cjs) load every command of a client.
 *   Lambda treats a `.mjs` handler file as an ES module, and `index.handler` finds `index.mjs`
 *   (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html#nodejs-commonjs-es-modules).
 * - aliases: `@aws-sdk/credential-provider-node` and `@aws-sdk/token-providers` are replaced by their first link
 *   (credentials and Bedrock API keys from the environment, which is where Lambda puts them); see
 *   src/lambdas/wiring/bundle/*.ts. `@aws-sdk/eventstream-handler-node` (the signer of input event streams, which no
 *   function sends: ConverseStream streams only its output) is replaced by a handler that refuses.
 *   `mnemonist/lru-cache` (the DynamoDB client's endpoint cache) is replaced by the same
 *   bounded LRU cache on a Map (wiring/bundle/lru-cache.ts).
 * - plugin `tree-shakeable-schemas`: the SDK's generated schema modules write trait objects with computed keys
 *   (`{ [_hH]: _xaa }`, `_hH` a string constant of the same module); esbuild cannot prove a computed key free of side
 *   effects, so it keeps every schema of the service (all ~100 S3 operations for one GetObject). The plugin puts the
 *   constant's string literal in the key (`{ ["httpHeader"]: _xaa }`), the same value, which esbuild can drop.
 * - plugin `side-effect-free`: aws-jwt-verify declares no `sideEffects: false`, so its modules (TypeScript enums
 *   compiled to top-level IIFEs) stay in a bundle that never calls it (the api function imports `callerFromClaims` from
 *   the module that also builds the verifier). Its modules only define functions, classes and enums: marked free of
 *   side effects, esbuild keeps what is used (the authorizer's verifier) and drops the rest.
 * - plugin `native-hashes-only`: the SDK's SHA-256 and SHA-1 classes for Node keep a pure JavaScript fallback for a
 *   node:crypto without the algorithm, which Node on Lambda never is; the bundle keeps the node:crypto class alone.
 * - plugin `package-version-only`: the SDK imports its package.json for the user agent's version alone
 *   (`packageInfo.version`); the bundle carries `{ name, version }` instead of the whole manifest.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SDK_DIST_ES = /[\\/]node_modules[\\/]@aws-sdk[\\/].+[\\/]dist-es[\\/]/;

/** @type {esbuild.Plugin} */
const treeShakeableSchemas = {
  name: 'tree-shakeable-schemas',
  setup(build) {
    build.onLoad({ filter: /[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      if (!SDK_DIST_ES.test(args.path)) return undefined;
      const source = await readFile(args.path, 'utf8');
      const strings = new Map();
      for (const m of source.matchAll(/^const (_[A-Za-z0-9_]+|n\d+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(m[1], m[2]);
      let inlined = 0;
      const contents = source.replace(/\[(_[A-Za-z0-9_]+|n\d+)\]:/g, (all, name) => {
        if (!strings.has(name)) return all;
        inlined++;
        return `[${strings.get(name)}]:`;
      });
      // An SDK release that writes its schemas differently would silently bring the unused schemas back.
      const warnings = inlined === 0 && /\[_[A-Za-z0-9_]+\]:/.test(source)
        ? [{ text: 'tree-shakeable-schemas: computed keys found but none inlined; the SDK schema format changed?' }] : [];
      return { contents, loader: 'js', warnings };
    });
  },
};

const SIDE_EFFECT_FREE = /^aws-jwt-verify(\/|$)/;

/** @type {esbuild.Plugin} */
const sideEffectFree = {
  name: 'side-effect-free',
  setup(build) {
    build.onResolve({ filter: SIDE_EFFECT_FREE }, async (args) => {
      if (args.pluginData?.sideEffectFree) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { sideEffectFree: true },
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { ...resolved, sideEffects: false };
    });
  },
};

/** @type {esbuild.Plugin} */
const packageVersionOnly = {
  name: 'package-version-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]package\.json$/ }, async (args) => {
      if (!/[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/]/.test(args.path)) return undefined;
      const { name, version } = JSON.parse(await readFile(args.path, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

// The SDK's Node hash classes (sha256 in @smithy/core, sha1 in @aws-sdk/checksums) test node:crypto once at load and
// fall back to a pure JavaScript implementation where it lacks the algorithm; Node on Lambda always has both, so the
// fallback is dead code that esbuild cannot prove dead (6 KB of every bundle with S3 or signing).
const NATIVE_HASH = /[\\/]node_modules[\\/]@(smithy[\\/]core|aws-sdk[\\/]checksums)[\\/]dist-es[\\/].*[\\/](Sha256Node|Sha1Node)\.js$/;

/** @type {esbuild.Plugin} */
const nativeHashesOnly = {
  name: 'native-hashes-only',
  setup(build) {
    build.onLoad({ filter: NATIVE_HASH }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const m = /^export const (Sha256Node|Sha1Node) = hasNativeCrypto \? buildNativeClass\(\) : (Sha256Js|Sha1Js);$/m.exec(source);
      // An SDK release that writes the class differently keeps its fallback: a bigger bundle, never a broken one.
      if (!m) return { contents: source, loader: 'js', warnings: [{ text: `native-hashes-only: ${args.path} changed shape; fallback kept` }] };
      const contents = source
        .replace(m[0], `export const ${m[1]} = buildNativeClass();`)
        .replace(new RegExp(`^import \\{ ${m[2]} \\} from "[^"]+";$`, 'm'), '');
      return { contents, loader: 'js' };
    });
  },
};

/**
 * Bundles `entry` into `outdir`/index.mjs. The directory is emptied first: it is the function's asset, and a stale
 * index.js beside index.mjs would leave Lambda two candidates for the handler `index.handler`.
 */
export async function bundleLambda(entry, outdir, { metafile = false } = {}) {
  await rm(join(ROOT, outdir), { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: join(outdir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    tsconfig: 'test/tsconfig.json',
    alias: {
      '@aws-sdk/credential-provider-node': './src/lambdas/wiring/bundle/credential-provider-node.ts',
      '@aws-sdk/token-providers': './src/lambdas/wiring/bundle/token-providers.ts',
      '@aws-sdk/eventstream-handler-node': './src/lambdas/wiring/bundle/eventstream-handler-node.ts',
      'mnemonist/lru-cache': './src/lambdas/wiring/bundle/lru-cache.ts',
    },
    plugins: [treeShakeableSchemas, sideEffectFree, packageVersionOnly, nativeHashesOnly],
    metafile,
    logLevel: 'warning',
  });
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [entry, outdir, ...flags] = process.argv.slice(2);
  const metafileFlag = flags.find((f) => f.startsWith('--metafile='));
  if (!entry || !outdir || flags.some((f) => f !== metafileFlag)) {
    console.error('usage: node scripts/bundle-lambda.mjs src/lambdas/<name>.lambda.ts assets/lambdas/<name>.lambda [--metafile=<file outside the asset>]');
    process.exit(2);
  }
  const result = await bundleLambda(entry, outdir, { metafile: Boolean(metafileFlag) });
  if (result.metafile) {
    const file = metafileFlag.slice('--metafile='.length);
    await mkdir(dirname(join(ROOT, file)), { recursive: true });
    await writeFile(join(ROOT, file), JSON.stringify(result.metafile));
    console.log(await esbuild.analyzeMetafile(result.metafile));
    console.log(`metafile written to ${file} (https://esbuild.github.io/analyze/ reads it)`);
  }
}
