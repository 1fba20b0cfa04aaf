/// <reference path="../types.d.ts" />
// src/local runs only in development (playground, tests): its imports are devDependencies.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import S3rverAccount from 's3rver/lib/models/account';
import { TaggingConfiguration } from 's3rver/lib/models/config';
import { closeServer } from './util';

export interface S3Emulator {
  /**
   * `http://127.0.0.1:<port>` — use as `AWS_ENDPOINT_URL_S3` or the client's `endpoint`,
   * always with `forcePathStyle: true` (s3rver does not resolve virtual-host buckets on 127.0.0.1).
   */
  readonly endpoint: string;
  /** The temporary directory holding the objects (removed by `stop()`). */
  readonly directory: string;
  stop(): Promise<void>;
}

export interface StartS3Options {
  /** Buckets created at start. */
  readonly buckets?: string[];
  /**
   * Access key ids s3rver accepts (it knows only `S3RVER` otherwise and answers InvalidAccessKeyId; it does not
   * verify SigV4 signatures). Default: `test` and the current `AWS_ACCESS_KEY_ID`.
   */
  readonly accessKeyIds?: string[];
  /** Origins allowed to PUT and GET from a browser (bucket CORS, like the large-message bucket's in AWS). */
  readonly corsOrigins?: string[];
  /** Buckets with their own CORS configuration (XML as PutBucketCors takes it), e.g. read from a template. */
  readonly bucketConfigs?: readonly { readonly name: string; readonly corsXml?: string }[];
  /** Each object created or deleted (s3rver's notification records, S3's event message format). */
  readonly onObjectEvent?: (record: import('./event-rules').S3NotificationRecord) => void;
}

/** A bucket CORS configuration as S3 takes it. */
export function corsXml(origins: readonly string[]): string {
  const rules = origins.map((o) => `<CORSRule><AllowedOrigin>${o}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>`
    + '<AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>').join('');
  return `<CORSConfiguration>${rules}</CORSConfiguration>`;
}

/** A bucket's `CorsConfiguration` from a template (AWS::S3::Bucket CorsRules) as PutBucketCors XML. */
export function corsRulesXml(rules: readonly {
  AllowedOrigins?: string[]; AllowedMethods?: string[]; AllowedHeaders?: string[]; ExposedHeaders?: string[]; MaxAge?: number; Id?: string;
}[]): string {
  const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const tags = (tag: string, values?: string[]) => (values ?? []).map((v) => `<${tag}>${esc(String(v))}</${tag}>`).join('');
  return `<CORSConfiguration>${rules.map((r) => `<CORSRule>${r.Id ? `<ID>${esc(r.Id)}</ID>` : ''}${tags('AllowedOrigin', r.AllowedOrigins)}`
    + `${tags('AllowedMethod', r.AllowedMethods)}${tags('AllowedHeader', r.AllowedHeaders)}${tags('ExposeHeader', r.ExposedHeaders)}`
    + `${r.MaxAge !== undefined ? `<MaxAgeSeconds>${r.MaxAge}</MaxAgeSeconds>` : ''}</CORSRule>`).join('')}</CORSConfiguration>`;
}

/** Starts s3rver on a random loopback port, storing objects in a temporary directory. */
export async function startS3(options: StartS3Options = {}): Promise<S3Emulator> {
  const keys = options.accessKeyIds ?? ['test', process.env.AWS_ACCESS_KEY_ID].filter((k): k is string => !!k);
  for (const key of keys) S3rverAccount.DUMMY_ACCOUNT.createKeyPair(key, key);
  const directory = await mkdtemp(join(tmpdir(), 'bedrock-chat-s3-'));
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [
      ...(options.buckets ?? []).map((name) => ({ name, configs: options.corsOrigins ? [corsXml(options.corsOrigins)] : [] })),
      ...(options.bucketConfigs ?? []).map((b) => ({ name: b.name, configs: b.corsXml ? [b.corsXml] : [] })),
    ],
  });
  if (options.onObjectEvent) {
    const onEvent = options.onObjectEvent;
    (s3 as unknown as { on(e: 'event', f: (event: { Records: import('./event-rules').S3NotificationRecord[] }) => void): void })
      .on('event', (event) => event.Records.forEach((r) => onEvent(r)));
  }
  (s3 as unknown as { middleware: TaggingMiddleware[] }).middleware.unshift(objectTagging((s3 as unknown as { store: TagStore }).store));
  let port: number;
  try {
    ({ port } = await s3.run());
  } catch (e) {
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    stop: () => {
      stopped ??= (async () => {
        // s3rver keeps the server in `httpServer`; close it ourselves so keep-alive sockets are destroyed too.
        const server = (s3 as unknown as { httpServer: Server }).httpServer;
        await closeServer(server);
        await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

interface TagStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
  putSubresource(bucket: string, key: string, resource: TaggingConfiguration): Promise<void>;
  deleteSubresource(bucket: string, key: string, type: 'tagging'): Promise<void>;
}

interface TaggingContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
  type: string;
  body: unknown;
  get(header: string): string;
}

type TaggingMiddleware = (ctx: TaggingContext, next: () => Promise<void>) => Promise<void>;

const xmlEscape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A tag set in x-amz-tagging form (`k1=v1&k2=v2`, URL-encoded) as the Tagging XML of PutObjectTagging. */
export function taggingXml(header: string): string {
  const tags = [...new URLSearchParams(header)].map(([k, v]) => `<Tag><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></Tag>`);
  return `<Tagging><TagSet>${tags.join('')}</TagSet></Tagging>`;
}

/**
 * What s3rver 3.7.1 lacks of object tagging, added in front of its router (GetObjectTagging and PutObjectTagging are
 * its own):
 * - PutObject with an `x-amz-tagging` header stores that tag set with the object ("The tag-set for the object. The
 *   tag-set must be encoded as URL Query parameters": https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html);
 *   a PutObject without it leaves the new object untagged (s3rver kept the old object's tags);
 * - DeleteObjectTagging (s3rver: NotImplemented) removes the whole tag set, 204 No Content, NoSuchKey for a missing
 *   object (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html);
 * - DeleteObject also deletes the object's tags (s3rver left them for a later object of the same key).
 * Path-style requests only (as the emulator is used); like the rest of s3rver, signatures are not verified.
 */
function objectTagging(store: TagStore): TaggingMiddleware {
  return async (ctx, next) => {
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (!match) return next();
    const bucket = decodeURIComponent(match[1]);
    const key = decodeURIComponent(match[2]);
    // Sub-resources are the query's other names (x-id and the presigned X-Amz-* parameters are not).
    const subresources = Object.keys(ctx.query).filter((q) => !/^x-amz-/i.test(q) && q !== 'x-id');
    if (ctx.method === 'DELETE' && subresources.length === 1 && subresources[0] === 'tagging') {
      if (!(await store.existsObject(bucket, key))) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${xmlEscape(key)}</Key></Error>`;
        return;
      }
      await store.deleteSubresource(bucket, key, 'tagging');
      ctx.status = 204;
      return;
    }
    if (subresources.length > 0 || (ctx.method !== 'PUT' && ctx.method !== 'DELETE') || (ctx.method === 'PUT' && ctx.get('x-amz-copy-source'))) return next();
    const tagging = ctx.method === 'PUT' ? ctx.get('x-amz-tagging') : '';
    await next();
    if (ctx.status >= 300) return;
    if (tagging) await store.putSubresource(bucket, key, new TaggingConfiguration(taggingXml(tagging)));
    else await store.deleteSubresource(bucket, key, 'tagging');
  };
}
