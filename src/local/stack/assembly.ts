/**
 * The cloud assembly (cdk.out) a CDK app synthesizes: its stacks, their templates and file assets.
 * Cloud assembly format: https://docs.aws.amazon.com/cdk/v2/guide/apps.html#apps-cloud-assembly
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { CfnTemplate } from './resolver';

export interface AssemblyStack {
  /** The artifact id (the stack's construct id for top-level stacks). */
  readonly id: string;
  /** The deployed stack name. */
  readonly stackName: string;
  readonly region?: string;
  readonly account?: string;
  readonly template: CfnTemplate;
  /** File assets by hash: the staged path (absolute) and its packaging. */
  readonly assets: Record<string, { readonly path: string; readonly packaging: string }>;
  /** Artifact ids of the stacks this one depends on (cross-stack references). */
  readonly dependencies: readonly string[];
}

export interface CloudAssembly {
  readonly directory: string;
  readonly stacks: AssemblyStack[];
}

interface Manifest {
  artifacts?: Record<string, {
    type: string;
    environment?: string;
    properties?: { templateFile?: string; stackName?: string; file?: string };
    dependencies?: string[];
  }>;
}

/** Reads the stacks of a cloud assembly directory (manifest.json, templates, asset manifests). */
export function readAssembly(directory: string): CloudAssembly {
  const manifestFile = join(directory, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`${directory} is not a cloud assembly (no manifest.json): did the app call app.synth()?`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  const artifacts = manifest.artifacts ?? {};
  const stacks: AssemblyStack[] = [];
  for (const [id, a] of Object.entries(artifacts)) {
    if (a.type === 'cdk:cloud-assembly') {
      // A nested assembly (a CDK Stage): its stacks count too.
      const nested = a.properties as { directoryName?: string } | undefined;
      if (nested?.directoryName) stacks.push(...readAssembly(join(directory, nested.directoryName)).stacks);
      continue;
    }
    if (a.type !== 'aws:cloudformation:stack' || !a.properties?.templateFile) continue;
    const template = JSON.parse(readFileSync(join(directory, a.properties.templateFile), 'utf8')) as CfnTemplate;
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(a.environment ?? '') ?? [];
    const assets: AssemblyStack['assets'] = {};
    for (const dep of a.dependencies ?? []) {
      const art = artifacts[dep];
      if (art?.type !== 'cdk:asset-manifest' || !art.properties?.file) continue;
      const files = (JSON.parse(readFileSync(join(directory, art.properties.file), 'utf8')) as {
        files?: Record<string, { source: { path: string; packaging?: string } }>;
      }).files ?? {};
      for (const [hash, f] of Object.entries(files)) {
        assets[hash] = { path: isAbsolute(f.source.path) ? f.source.path : join(directory, f.source.path), packaging: f.source.packaging ?? 'file' };
      }
    }
    stacks.push({
      id,
      stackName: a.properties.stackName ?? id,
      account: account && !account.startsWith('unknown') ? account : undefined,
      region: region && !region.startsWith('unknown') ? region : undefined,
      template,
      assets,
      dependencies: (a.dependencies ?? []).filter((d) => artifacts[d]?.type === 'aws:cloudformation:stack'),
    });
  }
  return { directory, stacks };
}

/** A fresh temporary directory for a cloud assembly. */
export function tempOutdir(): string {
  return mkdtempSync(join(tmpdir(), 'bedrock-chat-cdk-out-'));
}

/**
 * Runs a CDK app command the way the CDK CLI does: in a shell, with `CDK_OUTDIR` naming the output directory (an
 * `App` created without `outdir` writes there) and `CDK_CONTEXT_JSON` holding the context from cdk.json, then reads
 * the assembly. Environment variables the CLI sets for apps: https://docs.aws.amazon.com/cdk/v2/guide/environments.html
 */
export async function synthesizeCommand(command: string,
  options: { cwd?: string; context?: Record<string, unknown>; quiet?: boolean } = {}): Promise<CloudAssembly> {
  const outdir = tempOutdir();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify(options.context ?? {}),
    CDK_DEFAULT_REGION: process.env.CDK_DEFAULT_REGION ?? process.env.AWS_REGION ?? 'us-east-1',
    CDK_DEFAULT_ACCOUNT: process.env.CDK_DEFAULT_ACCOUNT ?? '000000000000',
  };
  const output: Buffer[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command, { cwd: options.cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (options.quiet ? output.push(d) : process.stdout.write(d)));
    child.stderr.on('data', (d: Buffer) => output.push(d));
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    throw new Error(`The app command failed (exit code ${code}): ${command}\n${Buffer.concat(output).toString('utf8').slice(-4000)}`);
  }
  return readAssembly(outdir);
}
