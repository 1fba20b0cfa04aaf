/** `npx projen test:moto` reruns exactly the store's over-the-wire tests: the files that start DynamoDB. */
import { storeTestFiles } from './store-on-moto';

test('the moto rerun picks the files that start the playground or the DynamoDB emulator, not the others', () => {
  const files = storeTestFiles();
  for (const f of ['test/lambdas/chat-flow.test.ts', 'test/lambdas/rest-api.test.ts', 'test/lambdas/resume.test.ts',
    'test/lambdas/accept-faults.test.ts', 'test/lambdas/accept-race.test.ts',
    // files that start it through a shared setup module (held-model.ts, retrieval-helpers.ts, ../local/cognito-pools.ts)
    'test/lambdas/time-budget.test.ts', 'test/lambdas/retrieval-tool.test.ts', 'test/lambdas/cognito-client.test.ts']) {
    expect(files).toContain(f);
  }
  // Runs both implementations itself; no DynamoDB; browser tests exercise the widget.
  expect(files).not.toContain('test/local/dynamodb.test.ts');
  expect(files).not.toContain('test/lambdas/protocol.test.ts');
  expect(files.filter((f) => f.endsWith('.browser.test.ts'))).toEqual([]);
});
