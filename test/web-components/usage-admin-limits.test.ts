/**
 * The admin screen's client-side checks mirror the server's (core/usage.ts): the same keys in the same order, the
 * same bounds, and for any text a field can hold, `fieldProblem` accepts exactly what `limitSetProblem` accepts
 * (the screen only refuses what the server would refuse, and sends nothing the server refuses).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as core from '../../src/lambdas/core/usage';
import { fieldProblem, GROUP_NAME, keyOf, LIMIT_KEYS, limitSetOf, MAX_COST_LIMIT_USD, MAX_TOKEN_LIMIT } from '../../src/web-components/usage-admin/limits';

test('the same keys and bounds as the server', () => {
  expect(LIMIT_KEYS).toEqual(core.LIMIT_KEYS);
  expect(MAX_TOKEN_LIMIT).toBe(core.MAX_TOKEN_LIMIT);
  expect(MAX_COST_LIMIT_USD).toBe(core.MAX_COST_LIMIT_USD);
});

test('a field the screen accepts is a body the server accepts, and a refused one the server refuses too', () => {
  const text = fc.oneof(
    fc.nat({ max: 2e12 }).map(String),
    fc.double({ min: 0, max: 2e6, noNaN: true }).map((n) => String(Math.round(n * 100) / 100)),
    fc.constantFrom('1000000000000', '1000000000001', '1000000', '1000000.01', '0', '0.5', '1.5', '-1', '1e3', 'abc', ' 7 '),
  );
  fc.assert(fc.property(fc.constantFrom(...LIMIT_KEYS), text, (key, value) => {
    const problem = fieldProblem(key, value);
    const body = limitSetOf({ [key]: value }, {});
    if (problem === undefined) expect(core.limitSetProblem(body)).toBeUndefined();
    // Refused: either the number is one the server refuses, or the text is not plain decimal notation.
    else if (/^\d+(\.\d+)?$/.test(value.trim())) expect(core.limitSetProblem(body)).toBeDefined();
  }), { numRuns: 500 });
});

test('empty inherits, unlimited is null, and the server\'s message names its field', () => {
  expect(limitSetOf({ tokensPerHour: '', costUsdPerDay: '2.5' }, { tokensPerMonth: true })).toEqual({ costUsdPerDay: 2.5, tokensPerMonth: null });
  expect(fieldProblem('tokensPerHour', '')).toBeUndefined();
  expect(keyOf('The body: costUsdPerMonth is not a whole number of tokens <= 1e12 or USD <= 1e6.')).toBe('costUsdPerMonth');
  expect(keyOf('The body sets no limit.')).toBeUndefined();
});

test('the group name rule is the server\'s (usage-routes.ts)', () => {
  const src = readFileSync(join(__dirname, '../../src/lambdas/core/usage-routes.ts'), 'utf8');
  expect(src).toContain(`const GROUP_NAME = ${GROUP_NAME.toString()};`);
  expect(GROUP_NAME.test('CreatingBotAllowed')).toBe(true);
  expect(GROUP_NAME.test('Two words')).toBe(false);
  expect(GROUP_NAME.test('x'.repeat(129))).toBe(false);
});
