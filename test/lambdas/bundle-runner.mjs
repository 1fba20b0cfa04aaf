// Runs one built Lambda bundle (assets/lambdas/<name>.lambda/index.mjs) in its own Node process, the way the Lambda
// Node.js runtime loads an ES module handler: `import()` of the file, then `handler(event)` per invocation. Events
// arrive over the IPC channel as {id, event}; the reply is {id, result} or {id, error}. Used by
// test/lambdas/bundles.test.ts (jest cannot import an ES module bundle itself).
import { pathToFileURL } from 'node:url';

const started = process.hrtime.bigint();
const mod = await import(pathToFileURL(process.argv[2]).href);
process.send({ ready: true, initMs: Number(process.hrtime.bigint() - started) / 1e6, exports: Object.keys(mod) });
process.on('message', async ({ id, event }) => {
  try {
    process.send({ id, result: (await mod.handler(event)) ?? null });
  } catch (err) {
    process.send({ id, error: { name: err?.name, message: String(err?.message ?? err) } });
  }
});
process.on('disconnect', () => process.exit(0));
