/**
 * Python tools the validators use (docs/architecture.md, "Validators"): present on the project's machines, maybe not on
 * a user's. Like Chromium (see ./browser.ts): in CI a missing tool is a failure with the command that installs it;
 * elsewhere the tests that need it are skipped with a notice.
 */
import { spawnSync } from 'child_process';

export type PythonTool = 'cfn-lint' | 'moto_server';

/** How to install each tool, quoted in every message about it. */
export const INSTALL: Record<PythonTool, string> = {
  'cfn-lint': 'pip install cfn-lint',
  'moto_server': "pip install 'moto[server]'",
};

/** What each tool is for, quoted in every message about it. */
const PURPOSE: Record<PythonTool, string> = {
  'cfn-lint': 'cfn-lint checks every synthesized CloudFormation template',
  'moto_server': 'moto_server is the second DynamoDB implementation the store tests run against',
};

const found = new Map<PythonTool, boolean>();
const warned = new Set<PythonTool>();

/**
 * Whether `tool` runs here. Runs it once (`--version`/`--help`): a pyenv shim exists even where the tool is not
 * installed, so finding a file on the PATH would not be enough.
 */
export function hasPythonTool(tool: PythonTool): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    const res = spawnSync(tool, [tool === 'cfn-lint' ? '--version' : '--help'], { stdio: 'ignore', timeout: 30_000, env: process.env });
    ok = res.status === 0;
    found.set(tool, ok);
  }
  return ok;
}

/** The message for a missing tool: what is missing, what for, how to install it. */
export function missingToolMessage(tool: PythonTool): string {
  return `${tool} not found: ${PURPOSE[tool]}. Install it with \`${INSTALL[tool]}\` (Python 3.9 or later).`;
}

/**
 * `true` when `tool` is available. When it is not: throws in CI (`CI` set), so the tests that need it fail with the
 * install command; elsewhere prints a notice once per process and returns `false` so the caller skips those tests.
 */
export function requirePythonTool(tool: PythonTool, skipped: string): boolean {
  if (hasPythonTool(tool)) return true;
  if (process.env.CI) throw new Error(`${missingToolMessage(tool)} It is required in CI.`);
  if (!warned.has(tool)) {
    warned.add(tool);
    console.warn(`${missingToolMessage(tool)} Outside CI ${skipped} are skipped.`);
  }
  return false;
}
