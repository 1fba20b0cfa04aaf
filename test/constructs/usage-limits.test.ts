/**
 * ChatBackend's `usageLimits`: rendered as USAGE_LIMITS_JSON for exactly the functions on the model-call path,
 * validated with messages that say what to change, and switchable off with a warning.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { requireBundles, synthBackend } from './helpers';

beforeAll(requireBundles);

const envOf = (template: Template, stack: Stack, fn: { node: any }) =>
  template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild)].Properties.Environment?.Variables ?? {};
/** The chat worker's on-failure destination (not a public member): found by its description. */
const failureEnv = (template: Template) => (Object.values(template.findResources('AWS::Lambda::Function'))
  .find((r: any) => String(r.Properties.Description).includes('on-failure destination')) as any).Properties.Environment.Variables;
const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));

test('limits reach the ws handler, the worker, its on-failure destination and the api; not the authorizer', () => {
  const { stack, backend, template } = synthBackend({ usageLimits: { tokensPerDay: 100_000, costUsdPerMonth: 25, maxConcurrentAnswers: 2 } });
  const expected = JSON.stringify({ defaults: { tokensPerDay: 100_000, costUsdPerMonth: 25 }, maxConcurrentAnswers: 2, adminGroup: 'Admin' });
  for (const fn of [backend.webSocketFunction, backend.workerFunction, backend.apiFunction]) {
    expect(envOf(template, stack, fn).USAGE_LIMITS_JSON).toBe(expected);
  }
  expect(failureEnv(template).USAGE_LIMITS_JSON).toBe(expected);
  expect(envOf(template, stack, backend.authorizerFunction).USAGE_LIMITS_JSON).toBeUndefined();
  expect(warnings(stack).filter((w) => w.includes('usageLimits'))).toEqual([]);
});

test('enforce: false removes the limits from every function and warns', () => {
  const { stack, backend, template } = synthBackend({ usageLimits: { enforce: false, tokensPerDay: 5 } });
  for (const fn of [backend.webSocketFunction, backend.workerFunction, backend.apiFunction]) {
    expect(envOf(template, stack, fn).USAGE_LIMITS_JSON).toBeUndefined();
  }
  expect(failureEnv(template).USAGE_LIMITS_JSON).toBeUndefined();
  expect(warnings(stack).some((w) => w.includes('usageLimits.enforce is false'))).toBe(true);
});

test.each([
  [{ tokensPerHour: -1 }, 'usageLimits.tokensPerHour must be a number of at least 0'],
  [{ tokensPerDay: 1.5 }, 'usageLimits.tokensPerDay must be a whole number of tokens'],
  [{ tokensPerMonth: 1e13 }, 'usageLimits.tokensPerMonth must be a whole number of tokens up to 10^12'],
  [{ costUsdPerHour: Number.NaN }, 'usageLimits.costUsdPerHour must be a number of at least 0'],
  [{ costUsdPerDay: 2e6 }, 'usageLimits.costUsdPerDay must be at most 1,000,000 USD'],
  [{ maxConcurrentAnswers: 0 }, 'usageLimits.maxConcurrentAnswers must be a whole number from 1 to 100'],
  [{ maxConcurrentAnswers: 2.5 }, 'usageLimits.maxConcurrentAnswers must be a whole number from 1 to 100'],
])('invalid %j is refused: %s', (usageLimits, message) => {
  expect(() => synthBackend({ usageLimits })).toThrow(message);
});
