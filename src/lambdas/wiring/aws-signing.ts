/**
 * What the small AWS clients of the functions share (wiring/cognito-client.ts, wiring/retrieve-client.ts): Signature
 * Version 4 by `@smithy/signature-v4`, the signer the SDK's own clients use (so it adds nothing to a bundle), on a
 * node:crypto SHA-256, credentials from the SDK's default chain (the Lambda bundles alias it to the environment, where
 * Lambda puts the role's credentials: src/lambdas/wiring/bundle/credential-provider-node.ts), the error shape the SDK
 * throws and its standard retry mode.
 */
import { createHash, createHmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

export type Credentials = () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Buffer => typeof data === 'string' ? data
  : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** A SHA-256 hash or HMAC on node:crypto, the shape `SignatureV4` takes (`sha256`). */
export class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not used by the signer');
  }
}

/** The Region the function runs in (Lambda sets AWS_REGION). */
export function regionOf(region?: string): string {
  const found = region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!found) throw new Error('No AWS Region: set AWS_REGION (Lambda sets it).');
  return found;
}

/**
 * The endpoint as the SDK finds it: the service's `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), else the Regional endpoint
 * `https://<prefix>.<region>.amazonaws.com` (China Regions end in `amazonaws.com.cn`).
 */
export function endpointOf(envName: string, prefix: string, region: string, endpoint?: string): URL {
  return new URL(endpoint ?? process.env[envName] ?? process.env.AWS_ENDPOINT_URL
    ?? `https://${prefix}.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`);
}

/** A hash constructor as `SignatureV4` takes it (Sha256 above, or an SDK client's `config.sha256`). */
export type HashConstructor = ConstructorParameters<typeof SignatureV4>[0]['sha256'];

/** A signer for `service` in `region`; `sha256` is passed in, so a bundle that has the SDK's own hash class needs no other. */
export function signerFor(service: string, region: string, sha256: HashConstructor, credentials?: Credentials): SignatureV4 {
  return new SignatureV4({ service, region, credentials: credentials ?? defaultProvider(), sha256, applyChecksum: false });
}

/**
 * An error as the SDK throws it: `name` is the error's shape name (read from the `X-Amzn-Errortype` header or
 * `__type`, namespace and `:` suffix removed, as the AWS JSON and REST-JSON protocols say:
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html, https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html),
 * `message`, and `$metadata.httpStatusCode`.
 */
export function awsError(status: number, errorTypeHeader: string | null | undefined, parsed: Record<string, unknown>, fallback: string): Error {
  const rawType = errorTypeHeader ?? (typeof parsed.__type === 'string' ? parsed.__type : '') ?? '';
  const name = rawType.split(':')[0].split('#').pop() || `Http${status}`;
  const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : fallback;
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

/** No answer at all (connection refused, reset, timed out): retryable like the SDK's transient errors ($metadata unset). */
export function transportError(what: string, err: unknown): Error {
  return Object.assign(new Error(`${what}: ${(err as Error).message}`), { name: 'TimeoutError', cause: err });
}

export const MAX_ATTEMPTS = 3;

/** Full-jitter exponential backoff from 100 ms, at most 20 s (the SDK's standard mode). */
export const defaultBackoff = (attempt: number): number => Math.random() * Math.min(20_000, 100 * 2 ** attempt);

/**
 * Runs `call` up to MAX_ATTEMPTS times like the SDK's standard retry mode
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): errors named in `retryable`, 5xx
 * answers and no answer at all are retried after `backoff(attempt)` ms; any other error is thrown at once.
 */
export async function withRetries<T>(
  call: () => Promise<T>, retryable: ReadonlySet<string>, backoff: (attempt: number) => number, signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      const again = retryable.has(e.name ?? '') || (status !== undefined && status >= 500) || status === undefined;
      if (!again || attempt >= MAX_ATTEMPTS || signal?.aborted) throw err;
      await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
    }
  }
}

/** What `signedPost` sends: a JSON body to `path` of `url`, with the protocol's headers (content type, target). */
export interface SignedPost {
  readonly url: URL;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Signs a POST of a JSON body (the AWS JSON and REST-JSON protocols); returns the headers to send, `host` included. */
export async function signPost(signer: SignatureV4, post: SignedPost): Promise<Record<string, string>> {
  const signed = await signer.sign({
    method: 'POST',
    protocol: post.url.protocol,
    hostname: post.url.hostname,
    port: post.url.port ? Number(post.url.port) : undefined,
    path: post.path,
    query: {},
    headers: { host: post.url.host, ...post.headers },
    body: post.body,
  });
  return signed.headers as Record<string, string>;
}

/** A JSON answer as the SDK reads it: the parsed body on 2xx, else the error `awsError` makes of it. */
export function parseAnswer(what: string, status: number, errorType: string | null | undefined, text: string): Record<string, unknown> {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    if (status >= 200 && status < 300) throw Object.assign(new Error(`${what} answered a body that is not JSON.`), { $metadata: { httpStatusCode: status } });
  }
  if (status >= 200 && status < 300) return parsed;
  throw awsError(status, errorType, parsed, `${what} failed (${status}).`);
}

/** One signed JSON POST over fetch (HTTP/1.1), its answer parsed (`parseAnswer`); no answer is a `transportError`. */
export async function signedJsonPost(what: string, signer: SignatureV4, post: SignedPost): Promise<Record<string, unknown>> {
  const headers = await signPost(signer, post);
  let res: Response;
  try {
    res = await fetch(new URL(post.path, post.url), { method: 'POST', headers, body: post.body });
  } catch (err) {
    throw transportError(what, err);
  }
  return parseAnswer(what, res.status, res.headers.get('x-amzn-errortype'), await res.text());
}
