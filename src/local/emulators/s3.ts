/// <reference path="../types.d.ts" />
// src/local runs only in development (playground, tests): its imports are devDependencies.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import S3rverAccount from 's3rver/lib/models/account';
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
