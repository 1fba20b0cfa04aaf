/**
 * Deleting conversations deletes their attachments: over the wire (HTTP API stand-in running api.lambda, s3rver with
 * the real S3 client), the bucket is listed after each delete.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { call, clearUser, seed, storeOf, sub } from './rest-helpers';
import type { User } from './rest-helpers';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';

let pg: Playground;
const s3 = new S3Client({ forcePathStyle: true });

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: true });
});
afterAll(async () => {
  await pg?.stop();
});
beforeEach(async () => {
  await clearUser('alice');
  await clearUser('bob');
  await call(pg, 'alice', 'DELETE', '/conversations');
  await call(pg, 'bob', 'DELETE', '/conversations');
});

/** Uploads a file through the API's presigned PUT; returns its key. */
async function upload(user: User, name: string): Promise<string> {
  const res = await call(pg, user, 'POST', '/uploads', { name, contentType: 'image/png', size: 4 });
  expect(res.status).toBe(200);
  const put = await fetch(res.body.url, { method: 'PUT', headers: res.body.headers, body: 'png!' });
  expect(put.status).toBe(200);
  return res.body.key;
}

/** A conversation whose second question attaches `keys` (images). */
async function conversationWith(user: User, keys: string[]): Promise<string> {
  const c = await seed(user, 'with files', ['q', 'a']);
  const id = '01JBBBBBBBBBBBBBBBBBBBBBB' + String(keys.length % 10);
  await storeOf().putMessage(sub(user), c.conversationId, {
    id,
    parentId: c.messageIds[1],
    role: 'user',
    createdAt: new Date().toISOString(),
    content: [{ text: 'look' }, ...keys.map((key) => ({ image: { format: 'png' as const, key } }))],
  });
  return c.conversationId;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: process.env.LARGE_MESSAGE_BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

test('DELETE /conversations/{id} deletes the attachments its messages reference, and no other object', async () => {
  const gone = [await upload('alice', 'a.png'), await upload('alice', 'b.png')];
  const otherConversation = await upload('alice', 'c.png');
  const bobs = await upload('bob', 'a.png');
  const target = await conversationWith('alice', gone);
  await conversationWith('alice', [otherConversation]);
  await conversationWith('bob', [bobs]);
  expect(await keysUnder(`uploads/${sub('alice')}/`)).toEqual([...gone, otherConversation].sort());

  expect((await call(pg, 'alice', 'DELETE', `/conversations/${target}`)).status).toBe(204);
  expect(await keysUnder(`uploads/${sub('alice')}/`)).toEqual([otherConversation]);
  expect(await keysUnder(`uploads/${sub('bob')}/`)).toEqual([bobs]);
});

test('a message referencing another user\'s key does not let the delete remove it', async () => {
  const bobs = await upload('bob', 'secret.png');
  // Not possible through sendMessage (chat.ts refuses foreign keys); written straight into the table here.
  const target = await conversationWith('alice', [bobs]);
  expect((await call(pg, 'alice', 'DELETE', `/conversations/${target}`)).status).toBe(204);
  expect(await keysUnder(`uploads/${sub('bob')}/`)).toEqual([bobs]);
});

test('DELETE /conversations deletes every upload of the caller (sent or not), and only the caller\'s', async () => {
  const sent = await upload('alice', 'a.png');
  await upload('alice', 'never-sent.png');
  const bobs = await upload('bob', 'a.png');
  await conversationWith('alice', [sent]);
  await conversationWith('bob', [bobs]);

  expect(await call(pg, 'alice', 'DELETE', '/conversations')).toMatchObject({ status: 200, body: { deleted: 1 } });
  expect(await keysUnder(`uploads/${sub('alice')}/`)).toEqual([]);
  expect(await keysUnder(`uploads/${sub('bob')}/`)).toEqual([bobs]);
});
