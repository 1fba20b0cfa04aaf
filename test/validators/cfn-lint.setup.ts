/**
 * Jest setup (setupFilesAfterEnv, see .projenrc.ts): every CloudFormation template a test file synthesizes (through
 * Template.fromStack, Annotations.fromStack or app.synth(): all go through Stage.synth) is recorded, and after the
 * file's tests one cfn-lint run checks them all (docs/architecture.md, "Validators"). Errors and warnings not in
 * test/validators/cfn-lint-allowlist.json fail the test file with each finding's test, stack, resource, rule and message.
 * Files that never mention aws-cdk-lib are left alone (no import, no cost). BEDROCK_CHAT_CFN_LINT=off turns it off
 * (the store's second run against moto uses it: the first run has linted the same templates); `verbose` prints the
 * number of templates and the time each file's run took.
 */
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { relative } from 'path';
import { cfnLint, cfnLintAvailable, formatFindings, LintInput, unacceptedFindings } from './cfn-lint';

const testPath: string | undefined = expect.getState().testPath;
// test/validators/ lints its templates itself.
const enabled = process.env.BEDROCK_CHAT_CFN_LINT !== 'off' && testPath !== undefined
  && !/[\\/]test[\\/]validators[\\/]/.test(testPath) && /aws-cdk-lib/.test(readFileSync(testPath, 'utf8'));

if (enabled) {
  const recorded = new Map<string, LintInput>();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Stage } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const synth = Stage.prototype.synth;
  Stage.prototype.synth = function recordingSynth(this: InstanceType<typeof Stage>, ...args: Parameters<typeof synth>) {
    const assembly = synth.apply(this, args);
    for (const stack of assembly.stacksRecursively) {
      const text = readFileSync(stack.templateFullPath, 'utf8');
      const key = createHash('sha256').update(text).digest('hex');
      if (recorded.has(key)) continue;
      const test = expect.getState().currentTestName ?? '(outside a test)';
      recorded.set(key, { label: `${relative(process.cwd(), testPath!)} > ${test} > stack ${stack.stackName}`, template: JSON.parse(text) });
    }
    return assembly;
  };

  afterAll(async () => {
    Stage.prototype.synth = synth;
    if (recorded.size === 0 || !cfnLintAvailable()) return;
    const started = Date.now();
    const findings = unacceptedFindings(await cfnLint([...recorded.values()]));
    if (process.env.BEDROCK_CHAT_CFN_LINT === 'verbose') {
      console.log(`cfn-lint: ${recorded.size} template(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    if (findings.length > 0) {
      throw new Error(`cfn-lint: ${findings.length} finding(s) in the ${recorded.size} template(s) this file synthesized `
        + '(fix them, or list an accepted warning once in test/validators/cfn-lint-allowlist.json with its reason):\n'
        + formatFindings(findings));
    }
  }, 600_000);
}
