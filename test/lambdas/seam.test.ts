import { modelError } from '../../src/lambdas/core/model';
import { Seam } from '../../src/lambdas/core/seam';
import { PREFILL_REFUSED } from '../../src/local/emulators/bedrock';

/** Streams `deltas` through a seam after `previous`; returns what the client sees appended. */
function join(previous: string, deltas: string[]): string {
  const seam = new Seam(previous);
  return deltas.map((d) => seam.push(d)).join('') + seam.flush();
}

test.each([
  // [answer so far, continuation deltas, what is appended]
  ['one, two, ', [' three'], 'three'],
  ['one, two,', [' three'], ' three'],
  ['Hel', ['lo world'], 'lo world'],
  ['Step 1: mix. Step 2: add the', ['Step ', '2: add ', 'the ', 'eggs.'], ' eggs.'],
  ['Step 1: mix. Step 2: add the', ['Step 2: add the eggs.'], ' eggs.'],
  ['A list:\n\n', ['\n\n- item'], '- item'],
  ['The end of', [' the story.'], ' the story.'],
  ['ab cd', ['cd'], 'cd'],
  ['', ['Hello'], 'Hello'],
])('after %j, %j appends %j', (previous, deltas, appended) => {
  expect(join(previous, deltas)).toBe(appended);
});

test('a repeat is held back only while it could still be one: an unrelated start goes out at once', () => {
  const seam = new Seam('The cake needs flour, eggs and sugar.');
  expect(seam.push(' Then')).toBe(' Then');
  expect(seam.push(' bake it.')).toBe(' bake it.');
  expect(seam.flush()).toBe('');
});

test('a start that matches the answer is held until it departs from it, then the repeated tail is dropped', () => {
  const seam = new Seam('Mix the flour. Add the eggs');
  expect(seam.push('Add ')).toBe('');
  expect(seam.push('the ')).toBe('');
  expect(seam.push('eggs')).toBe('');
  expect(seam.push(' and milk.')).toBe(' and milk.');
  expect(seam.push(' Bake.')).toBe(' Bake.');
});

test('a continuation that only repeats the tail adds nothing', () => {
  expect(join('It was the best of times', ['best of times'])).toBe('');
});

test('a Bedrock ValidationException reaches the user with Bedrock\'s reason (it names the rule, not the user\'s data)', () => {
  const err = Object.assign(new Error(PREFILL_REFUSED), { name: 'ValidationException' });
  expect(modelError(err)).toMatchObject({ code: 'MODEL_ERROR', message: `The model rejected the request: ${PREFILL_REFUSED}` });
  expect(modelError(Object.assign(new Error(''), { name: 'ValidationException' })).message).toBe('The model rejected the request.');
});
