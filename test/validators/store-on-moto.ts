/**
 * `npx projen test:moto`: the store's over-the-wire tests again, with moto_server as DynamoDB instead of dynalite
 * (docs/architecture.md, "Validators"). The test files are the same: `startDynamoDb()` reads BEDROCK_CHAT_DYNAMODB,
 * and every file that starts the playground or the DynamoDB emulator is one of them. test/local/dynamodb.test.ts is
 * not: it runs both implementations itself (describe.each). Without moto_server this fails in CI and is skipped with a
 * notice elsewhere. Extra arguments go to jest.
 */
import { spawnSync } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';
import { requirePythonTool } from '../../src/local/python-tools';

const ROOT = join(__dirname, '..', '..');
/** Where the store's over-the-wire tests live (the browser and e2e tests exercise the widget, not the store). */
const DIRS = ['test/lambdas', 'test/local'];
const USES_DYNAMODB = /\b(startPlayground|startDynamoDb)\b/;

export function storeTestFiles(): string[] {
  // the shared setup of these folders (retrieval-helpers.ts, held-model.ts, cognito-pools.ts, ...): a test that
  // imports one that starts DynamoDB starts it too
  const helpers = DIRS.flatMap((dir) => readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && USES_DYNAMODB.test(readFileSync(join(ROOT, dir, f), 'utf8')))
    .map((f) => `${dir.slice('test/'.length)}/${f.replace(/\.ts$/, '')}`));
  const importsHelper = (dir: string, text: string) => [...text.matchAll(/from '(\.{1,2}\/[^']+)'/g)]
    .some((m) => helpers.includes(relative(join(ROOT, 'test'), join(ROOT, dir, m[1]))));
  return DIRS.flatMap((dir) => readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.test.ts') && !f.endsWith('.browser.test.ts') && f !== 'dynamodb.test.ts')
    .filter((f) => {
      const text = readFileSync(join(ROOT, dir, f), 'utf8');
      return USES_DYNAMODB.test(text) || importsHelper(dir, text);
    })
    .map((f) => `${dir}/${f}`))
    .sort();
}

function main(): number {
  let available: boolean;
  try {
    available = requirePythonTool('moto_server', 'the store tests against moto (npx projen test:moto)');
  } catch (err) {
    console.error(String((err as Error).message));
    return 1;
  }
  if (!available) return 0;
  const files = storeTestFiles();
  console.log(`== the store tests against moto_server (${files.length} files)`);
  const res = spawnSync('npx', ['jest', '--ci', ...process.argv.slice(2), '--', ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    // The dynalite run has already linted every template these files synthesize.
    env: { ...process.env, BEDROCK_CHAT_DYNAMODB: 'moto', BEDROCK_CHAT_CFN_LINT: 'off' },
  });
  return res.status ?? 1;
}

if (require.main === module) process.exit(main());
