/**
 * GET /knowledge/sync over the wire: admins see the bulk sync's status as KnowledgeBaseFactory's state machine
 * records it (run from the synthesized examples/full-system template by aws-local-stepfunctions, started by the local
 * S3's events through the template's EventBridge rule); others are refused.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { call } from './rest-helpers';
import { KNOWLEDGE_ROUTES } from '../../src/lambdas/core/knowledge-routes';
import { validate } from '../../src/lambdas/core/schema';
import { offlineModel } from '../../src/local/offline-model';
import { Playground, startPlayground } from '../../src/local/playground';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';
const route = KNOWLEDGE_ROUTES.find((r) => r.path === '/knowledge/sync')!;

let pg: Playground;
let s3: S3Client;
let bucket: string;

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', quiet: !process.env.DEBUG_LOGS, respond: offlineModel({ wordDelayMs: 0 }), stateMachineMaxWaitMs: 20 });
  bucket = process.env.KNOWLEDGE_BUCKET!;
  // the in-process handlers' environment points the S3 client at the local S3 (AWS_ENDPOINT_URL_S3)
  s3 = new S3Client({ forcePathStyle: true, credentials, region });
}, 120_000);
afterAll(async () => {
  s3?.destroy();
  await pg?.stop();
});

const put = (key: string, body: string | Uint8Array) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const settled = async () => {
  await pg.stack.idleStateMachines();
  await pg.stack.idle();
};

test('only admins see the sync; before any change under bulk/ it is NONE', async () => {
  expect((await call(pg, undefined, 'GET', '/knowledge/sync')).status).toBe(401);
  const alice = await call(pg, 'alice', 'GET', '/knowledge/sync');
  expect([alice.status, alice.body.code]).toEqual([403, 'FORBIDDEN']);
  const admin = await call(pg, 'admin', 'GET', '/knowledge/sync');
  expect(admin.status).toBe(200);
  expect(admin.body).toEqual({ status: 'NONE', pending: false });
  expect(validate(route.response.schema!, admin.body)).toBeUndefined();
});

test('after files change under bulk/: SUCCEEDED with the job\'s figures; a failed document is counted with its reason', async () => {
  await put('bulk/hours.txt.metadata.json', JSON.stringify({ metadataAttributes: { botId: 'sync-bot' } }));
  await put('bulk/hours.txt', 'The library opens at nine.');
  await settled();
  let res = await call(pg, 'admin', 'GET', '/knowledge/sync');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'SUCCEEDED', jobStatus: 'COMPLETE', pending: false, running: false, failedDocuments: 0 });
  expect(res.body.jobId).toEqual(expect.any(String));
  expect(res.body.statistics).toMatchObject({ NumberOfDocumentsFailed: 0 });
  expect(Date.parse(res.body.finishedAt)).not.toBeNaN();
  expect(validate(route.response.schema!, res.body)).toBeUndefined();
  // the machine's bookkeeping stays inside
  expect(res.body.runner).toBeUndefined();

  await put('bulk/scan.pdf', 'this is not a PDF');
  await settled();
  res = await call(pg, 'admin', 'GET', '/knowledge/sync');
  expect(res.body).toMatchObject({ status: 'SUCCEEDED', failedDocuments: 1 });
  expect(res.body.failureReasons).toEqual([expect.stringContaining('bulk/scan.pdf')]);
  expect(validate(route.response.schema!, res.body)).toBeUndefined();
});
