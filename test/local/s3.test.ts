import { existsSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { credentials, region, useDummyAwsEnv } from './env';
import { S3Emulator, startS3 } from '../../src/local/emulators/s3';

useDummyAwsEnv();

let s3: S3Emulator;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3({ buckets: ['uploads'] });
  client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, credentials, region });
});

afterAll(async () => {
  client.destroy();
  const dir = s3.directory;
  await s3.stop();
  expect(existsSync(dir)).toBe(false);
});

test('put and get an object', async () => {
  await client.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'a/b.txt', Body: 'hello s3', ContentType: 'text/plain' }));
  const got = await client.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'a/b.txt' }));
  expect(await got.Body?.transformToString()).toBe('hello s3');
  expect(got.ContentType).toBe('text/plain');
});

test('a missing bucket is NoSuchBucket', async () => {
  await expect(client.send(new GetObjectCommand({ Bucket: 'nope', Key: 'x' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
});

test('presigned PUT uploads, presigned GET downloads', async () => {
  const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: 'uploads', Key: 'presigned.bin' }), { expiresIn: 60 });
  expect(putUrl.startsWith(`${s3.endpoint}/uploads/presigned.bin?`)).toBe(true);
  const put = await fetch(putUrl, { method: 'PUT', body: 'via presigned url' });
  expect(put.status).toBe(200);
  const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'uploads', Key: 'presigned.bin' }), { expiresIn: 60 });
  const get = await fetch(getUrl);
  expect(get.status).toBe(200);
  expect(await get.text()).toBe('via presigned url');
});
