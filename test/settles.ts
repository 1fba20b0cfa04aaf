import { isDeepStrictEqual } from 'node:util';

/**
 * Waits until `read()` gives a value deeply equal to `expected`, then asserts it (so a timeout fails with the diff).
 * For what a page or a stack reaches a little later: a list re-rendered after a status, uploads running
 * concurrently. A condition, not a sleep: it returns as soon as the value is there.
 */
export async function settles<T>(read: () => Promise<T> | T, expected: T, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!isDeepStrictEqual(value, expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  expect(value).toEqual(expected);
}
