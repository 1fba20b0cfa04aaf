/**
 * The gate for the validators' Python tools: a missing tool fails in CI with what is missing and how to install it,
 * and is skipped elsewhere with one notice (like Chromium for the browser tests).
 */
import { dirname } from 'path';
import { hasPythonTool, requirePythonTool } from '../../src/local/python-tools';

const saved = { PATH: process.env.PATH, CI: process.env.CI };
afterEach(() => {
  process.env.PATH = saved.PATH;
  if (saved.CI === undefined) delete process.env.CI;
  else process.env.CI = saved.CI;
  jest.restoreAllMocks();
});

test('without the tool on the PATH: a failure naming the install command in CI, one notice and a skip elsewhere', () => {
  // Only node's own directory: neither cfn-lint nor moto_server (nor a pyenv shim) is there.
  process.env.PATH = dirname(process.execPath);
  process.env.CI = 'true';
  expect(() => requirePythonTool('moto_server', 'the moto tests')).toThrow(
    "moto_server not found: moto_server is the second DynamoDB implementation the store tests run against. Install it with `pip install 'moto[server]'` (Python 3.9 or later). It is required in CI.");
  expect(() => requirePythonTool('cfn-lint', 'the cfn-lint checks')).toThrow(/^cfn-lint not found: .* Install it with `pip install cfn-lint`/);

  delete process.env.CI;
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  expect(requirePythonTool('cfn-lint', 'the cfn-lint checks')).toBe(false);
  expect(requirePythonTool('cfn-lint', 'the cfn-lint checks')).toBe(false);
  expect(warn.mock.calls).toEqual([[expect.stringMatching(/^cfn-lint not found: .*`pip install cfn-lint`.* Outside CI the cfn-lint checks are skipped\.$/)]]);
});

test('the answer is remembered per process (the tool runs once)', () => {
  process.env.PATH = dirname(process.execPath);
  expect(hasPythonTool('cfn-lint')).toBe(false);
  process.env.PATH = saved.PATH;
  expect(hasPythonTool('cfn-lint')).toBe(false);
});
