/**
 * Uploads never referenced by a message expire after a day (issue 9 §4). The presigned PUT of POST /uploads tags the
 * object pending=true (signed x-amz-tagging header); storing a message that references it removes the tag; the
 * bucket's lifecycle rule ExpireUnreferencedUploads (prefix uploads/ AND tag pending=true, 1 day) deletes the rest.
 * The rule is not emulated locally; the tagging is (s3rver with our tagging additions), so this test proves which
 * objects the rule would expire. Over the wire: REST and WebSocket stand-ins, s3rver, the real SDK clients.
 */
import { DeleteObjectTaggingCommand, GetObjectTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { call, clearUser, itemCount, sub } from './rest-helpers';
import { ulid } from '../../src/lambdas/core/ids';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { WsClient } from '../../src/local/ws-client';

let pg: Playground;
const s3 = new S3Client({ forcePathStyle: true });
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: true });
});
afterAll(async () => {
  await pg?.stop();
});
beforeEach(async () => {
  await clearUser('alice');
  await call(pg, 'alice', 'DELETE', '/conversations');
});
afterEach(async () => {
  await pg.idle();
});

async function upload(name: string): Promise<string> {
  const res = await call(pg, 'alice', 'POST', '/uploads', { name, contentType: 'image/png', size: PNG.length });
  expect(res.status).toBe(200);
  // The widget sends exactly the returned headers; x-amz-tagging is one of them (signed, not in the query).
  expect(res.body.headers['x-amz-tagging']).toBe('pending=true');
  expect(new URL(res.body.url).searchParams.get('X-Amz-SignedHeaders')).toContain('x-amz-tagging');
  const put = await fetch(res.body.url, { method: 'PUT', headers: res.body.headers, body: PNG });
  expect(put.status).toBe(200);
  return res.body.key;
}

async function tagsOf(key: string): Promise<Record<string, string>> {
  const res = await s3.send(new GetObjectTaggingCommand({ Bucket: process.env.LARGE_MESSAGE_BUCKET, Key: key }));
  return Object.fromEntries((res.TagSet ?? []).map((t) => [t.Key!, t.Value!]));
}

test('an upload stays tagged pending until a stored message references it; then only the unreferenced one would expire', async () => {
  const sent = await upload('sent.png');
  const kept = await upload('never-sent.png');
  expect(await tagsOf(sent)).toEqual({ pending: 'true' });
  expect(await tagsOf(kept)).toEqual({ pending: 'true' });

  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  c.send({ action: 'sendMessage', v: 1, requestId: 'r1', content: [{ text: 'look' }, { image: { format: 'png', key: sent } }] });
  const end = await c.until((f) => f.requestId === 'r1' && (f.type === 'end' || f.type === 'error'));
  c.close();
  expect(end.type).toBe('end');

  // The referenced upload lost its tag (the lifecycle rule no longer applies); the other keeps it (expires in a day).
  expect(await tagsOf(sent)).toEqual({});
  expect(await tagsOf(kept)).toEqual({ pending: 'true' });
});

test('a message naming an upload that does not exist gets an error frame and nothing is stored', async () => {
  const before = await itemCount('alice');
  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  const key = `uploads/${sub('alice')}/${ulid()}/missing.png`;
  c.send({ action: 'sendMessage', v: 1, requestId: 'r2', content: [{ text: 'look' }, { image: { format: 'png', key } }] });
  const reply = await c.until((f) => f.requestId === 'r2' && (f.type === 'end' || f.type === 'error'));
  c.close();
  expect(reply).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: 'An attachment was not found. Please attach the file again.' });
  await pg.idle();
  expect(await itemCount('alice')).toBe(before);
});

test('the S3 emulator: PutObject with x-amz-tagging tags, a later PutObject without it untags, DeleteObjectTagging of a missing key is NoSuchKey', async () => {
  const Bucket = process.env.LARGE_MESSAGE_BUCKET;
  const Key = `uploads/${sub('alice')}/${ulid()}/x.txt`;
  await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'a', Tagging: 'pending=true&other=a%20b' }));
  expect(await tagsOf(Key)).toEqual({ pending: 'true', other: 'a b' });
  await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'b' }));
  expect(await tagsOf(Key)).toEqual({});
  await expect(s3.send(new DeleteObjectTaggingCommand({ Bucket, Key: `${Key}.missing` }))).rejects.toMatchObject({ name: 'NoSuchKey' });
});
