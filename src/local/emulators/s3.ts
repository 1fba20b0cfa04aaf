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
}

/** A bucket CORS configuration as S3 takes it. */
export function corsXml(origins: readonly string[]): string {
  const rules = origins.map((o) => `<CORSRule><AllowedOrigin>${o}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>`
    + '<AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>').join('');
  return `<CORSConfiguration>${rules}</CORSConfiguration>`;
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
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: options.corsOrigins ? [corsXml(options.corsOrigins)] : [] })),
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
