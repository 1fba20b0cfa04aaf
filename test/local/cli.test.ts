/**
 * `cdk-bedrock-chat local`, the command shipped in the package (assets/cli/cli.js, bundled by `npx projen bundle:cli`):
 * it runs examples/full-system's app command from its cdk.json, serves the stack, answers config.json from the
 * deployment and stops on SIGTERM; an app without a ChatBackend fails with a message that says so; bad arguments
 * are refused.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseArgs, UsageError } from '../../src/local/cli';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'assets', 'cli', 'cli.js');

function run(args: string[], cwd: string): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, PORT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

async function waitFor(output: () => string, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(output());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('assets/cli/cli.js is missing: run `npx projen bundle:cli` (npx projen bundle does).');
});

test('runs examples/full-system from its cdk.json: the URL from the template, config.json from the deployment, stops on SIGTERM', async () => {
  const cli = run(['local', '--port', '0'], join(ROOT, 'examples', 'full-system'));
  try {
    const [, url] = await waitFor(cli.output, /local stack from the template: (http:\/\/127\.0\.0\.1:\d+\/)/, 90_000);
    expect(cli.output()).toMatch(/Not emulated:[\s\S]*AWS::WAFv2::WebACL/);
    expect(cli.output()).toMatch(/function BackendWebSocketHandler[A-F0-9]{8} \(ws\.lambda\)/);
    const config = await (await fetch(`${url}config.json`)).json();
    expect(config).toMatchObject({ version: 1, region: 'us-east-1', defaultModel: 'claude-v4.5-sonnet' });
    expect(config.webSocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    expect(config.restApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The REST API of the template answers with the JWT authorizer in front.
    expect((await fetch(`${config.restApiUrl}/models`)).status).toBe(401);
    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
    await expect(fetch(`${url}config.json`)).rejects.toThrow();
  } finally {
    cli.child.kill('SIGKILL');
  }
}, 120_000);

test('an app without a ChatBackend fails with a clear message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'no-chat-'));
  writeFileSync(join(dir, 'app.js'), `
    const { App, Stack } = require(${JSON.stringify(require.resolve('aws-cdk-lib'))});
    const { Bucket } = require(${JSON.stringify(require.resolve('aws-cdk-lib/aws-s3'))});
    const app = new App();
    new Bucket(new Stack(app, 'JustABucket'), 'B');
    app.synth();
  `);
  const cli = run(['local', '--app', `"${process.execPath}" app.js`, '--port', '0'], dir);
  expect(await cli.exit).toBe(1);
  expect(cli.output()).toContain('No stack of the app holds a ChatBackend');
  expect(cli.output()).toContain('Stacks found: JustABucket');
}, 60_000);

test('arguments: the command, the options, clear refusals', () => {
  expect(parseArgs(['local', '--app', 'npx tsx app.ts', '--port', '9000', '--stack', 'A', '--stack', 'B', '--bedrock', 'aws', '--quiet']))
    .toMatchObject({ app: 'npx tsx app.ts', port: 9000, stacks: ['A', 'B'], bedrock: 'aws', quiet: true, playgroundPages: true });
  expect(() => parseArgs(['deploy'])).toThrow(/Unknown command deploy/);
  expect(() => parseArgs(['local', '--port', 'x'])).toThrow(UsageError);
  expect(() => parseArgs(['local', '--bedrock', 'azure'])).toThrow('--bedrock is aws or offline.');
  expect(() => parseArgs(['local', '--app'])).toThrow('--app needs a value.');
  expect(() => parseArgs(['local', '--frobnicate'])).toThrow('Unknown option --frobnicate.');
});
