/**
 * `npm run bench`: measures the figures of bench/README.md in one run and writes bench/results/latest.json
 * (one flat object of named numbers plus "measuredAt" and "node"). Needs the bundles: run `npx projen bundle` first
 * (`npm run build` does).
 */
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { pathToFileURL } from 'url';
import { knowledgeFigures, restSearchableMs } from './knowledge';
import { quotaFigures } from './quota';
import { storageFigures } from './storage';
import { streamFigures } from './stream';
import { widgetFigures } from './widget';

const ROOT = resolve(__dirname, '..');
const LAMBDAS = join(ROOT, 'assets', 'lambdas');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Cold module init: a fresh Node process loads the bundle as the Lambda runtime does (an ES module `index.mjs` by
 * `import()`); the time of the load alone (resolve, parse, evaluate the module graph), median of RUNS.
 */
function initMs(bundle: string): number {
  const script = `const t=process.hrtime.bigint();import(${JSON.stringify(pathToFileURL(bundle).href)}).then(()=>process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6)))`;
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    samples.push(Number(execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    }).toString()));
  }
  return median(samples);
}

/** Wall time of synthesizing examples/full-system in a fresh process, median of 3. */
function synthMs(): number {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
    const t = process.hrtime.bigint();
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'examples', 'full-system', 'app.ts')], {
      env: { ...process.env, CDK_OUTDIR: out, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
      stdio: 'ignore',
    });
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    rmSync(out, { recursive: true, force: true });
  }
  return median(samples);
}

/** The parts that can run alone (`BENCH_PARTS=quota npx tsx bench/run.ts`): their figures are merged into latest.json. */
const PARTS: Record<string, () => Promise<Record<string, number>>> = {
  stream: streamFigures,
  storage: storageFigures,
  widget: widgetFigures,
  quota: quotaFigures,
  knowledge: async () => ({ ...await knowledgeFigures(), ...await restSearchableMs() }),
};

async function main(): Promise<void> {
  if (!existsSync(LAMBDAS)) throw new Error('No Lambda bundles in assets/lambdas: run `npx projen bundle` first.');
  const only = process.env.BENCH_PARTS?.split(',').map((p) => p.trim()).filter(Boolean);
  if (only?.length) return runParts(only);
  const results: Record<string, number | string> = {};
  for (const dir of readdirSync(LAMBDAS).sort()) {
    const bundle = join(LAMBDAS, dir, 'index.mjs');
    if (!existsSync(bundle)) continue;
    const name = dir.replace(/\.lambda$/, '');
    results[`handler.${name}.bundleKb`] = round(statSync(bundle).size / 1024);
    results[`handler.${name}.initMs`] = round(initMs(bundle));
  }
  results['synth.fullExampleMs'] = Math.round(synthMs());
  Object.assign(results, await streamFigures());
  Object.assign(results, await storageFigures());
  Object.assign(results, await knowledgeFigures(), await restSearchableMs());
  Object.assign(results, await widgetFigures());
  Object.assign(results, await quotaFigures());
  results.measuredAt = new Date().toISOString();
  results.node = process.version;
  write(results);
}

/** Runs only the named parts and merges their figures into the last full run's latest.json. */
async function runParts(parts: string[]): Promise<void> {
  const file = join(ROOT, 'bench', 'results', 'latest.json');
  const results: Record<string, number | string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  for (const part of parts) {
    const run = PARTS[part];
    if (!run) throw new Error(`BENCH_PARTS: unknown part ${part} (known: ${Object.keys(PARTS).join(', ')})`);
    Object.assign(results, await run());
    results[`${part}.measuredAt`] = new Date().toISOString();
  }
  write(results);
}

function write(results: Record<string, number | string>): void {
  const file = join(ROOT, 'bench', 'results', 'latest.json');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  const readme = join(ROOT, 'bench', 'README.md');
  const table = ['| figure | value |', '|---|---|', ...Object.entries(results).map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  writeFileSync(readme, readFileSync(readme, 'utf8').replace(
    /(<!-- latest:start[^>]*-->)[\s\S]*?(<!-- latest:end -->)/, `$1\n${table}\n$2`));
  console.table(Object.entries(results).map(([figure, value]) => ({ figure, value })));
  console.log(`written to ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
