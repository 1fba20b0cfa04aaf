/**
 * A small client of the Amazon Bedrock Agent Runtime API for its one call the chat worker makes, Retrieve, in place of
 * `@aws-sdk/client-bedrock-agent-runtime` (its schemas, error models and event-stream code would take a large part
 * of the worker's headroom under the 400 KiB bundle limit: docs/architecture.md, "Knowledge in the chat").
 *
 * The request is what the SDK sends, the REST-JSON call of the API reference
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_Retrieve.html):
 * `POST /knowledgebases/{knowledgeBaseId}/retrieve` with a JSON body `{retrievalQuery: {text}, retrievalConfiguration:
 * {vectorSearchConfiguration: {numberOfResults, filter}}}`, answered by `{retrievalResults: [{content: {text},
 * location, metadata, score}], nextToken?}`, signed with Signature Version 4 for the service `bedrock` (the signing
 * name of the bedrock-agent-runtime endpoints) by the signer shared with the Cognito client (wiring/aws-signing.ts).
 * It speaks HTTP/2, as the SDK's client of this API does (NodeHttp2Handler: TLS with ALPN on AWS, cleartext with
 * prior knowledge on an `http:` endpoint such as the local emulator's).
 *
 * Endpoint: `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`, then `AWS_ENDPOINT_URL`
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), else
 * `https://bedrock-agent-runtime.<region>.amazonaws.com` (https://docs.aws.amazon.com/general/latest/gr/bedrock.html).
 *
 * Errors are thrown as the SDK throws them (`name` from `X-Amzn-Errortype`: ValidationException,
 * ResourceNotFoundException, AccessDeniedException, ThrottlingException, ...; `$metadata.httpStatusCode`). Throttling,
 * 5xx and no answer are retried like the SDK's standard mode (3 attempts); every attempt is bounded by `timeoutMs`.
 */
import * as http2 from 'node:http2';
import type { SignatureV4 } from '@smithy/signature-v4';
import { Credentials, defaultBackoff, endpointOf, HashConstructor, parseAnswer, regionOf, signerFor, signPost, transportError, withRetries } from './aws-signing';
import { bedrock } from './bedrock';
import { once } from './env';

/** The filter shape of the API (RetrievalFilter), as far as the worker uses it. */
export type RetrievalFilter = { equals: { key: string; value: string | number | boolean } } | { andAll: RetrievalFilter[] };

export interface RetrieveInput {
  readonly knowledgeBaseId: string;
  readonly retrievalQuery: { readonly text: string };
  readonly retrievalConfiguration?: { readonly vectorSearchConfiguration: { readonly numberOfResults?: number; readonly filter?: RetrievalFilter } };
}

/** KnowledgeBaseRetrievalResult (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_KnowledgeBaseRetrievalResult.html). */
export interface RetrievalResult {
  readonly content?: { readonly text?: string; readonly type?: string };
  readonly location?: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
  readonly score?: number;
}

export interface RetrieveOutput {
  readonly retrievalResults?: RetrievalResult[];
  readonly nextToken?: string;
}

/** Retrieve's errors that the SDK's standard mode retries: throttling (429); 5xx answers are retried by their status. */
const RETRYABLE_TYPES = new Set(['ThrottlingException']);

export interface RetrieveClientOptions {
  /** The SHA-256 of the signer (wiring/aws-signing.ts Sha256, or an SDK client's `config.sha256`). */
  readonly sha256: HashConstructor;
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: Credentials;
  /** Milliseconds before retry `attempt` (1-based); the default is full-jitter exponential backoff from 100 ms. */
  readonly backoff?: (attempt: number) => number;
  /** Longest wait for one attempt's answer. @default 10000 */
  readonly timeoutMs?: number;
}

export class RetrieveClient {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly backoff: (attempt: number) => number;
  private readonly timeoutMs: number;
  private session: http2.ClientHttp2Session | undefined;
  private inFlight = 0;

  constructor(options: RetrieveClientOptions) {
    const region = regionOf(options.region);
    this.url = endpointOf('AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME', 'bedrock-agent-runtime', region, options.endpoint);
    this.signer = signerFor('bedrock', region, options.sha256, options.credentials);
    this.backoff = options.backoff ?? defaultBackoff;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Retrieve; `signal` aborts the request (a stopped turn). */
  retrieve(input: RetrieveInput, signal?: AbortSignal): Promise<RetrieveOutput> {
    return withRetries(() => this.once(input, signal), RETRYABLE_TYPES, this.backoff, signal);
  }

  /** Closes the HTTP/2 session (tests; a Lambda container keeps it for the next invocation). */
  destroy(): void {
    this.session?.close();
    this.session = undefined;
  }

  private sessionFor(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(this.url.origin);
    // A session that fails or goes away is dropped; the next attempt connects again.
    const drop = () => { if (this.session === session) this.session = undefined; };
    session.on('error', drop);
    session.on('close', drop);
    session.on('goaway', drop);
    session.unref();
    this.session = session;
    return session;
  }

  private async once(input: RetrieveInput, signal?: AbortSignal): Promise<RetrieveOutput> {
    const { knowledgeBaseId, ...rest } = input;
    const body = JSON.stringify(rest);
    const base = this.url.pathname.replace(/\/+$/, '');
    const path = `${base}/knowledgebases/${encodeURIComponent(knowledgeBaseId)}/retrieve`;
    const signed = await signPost(this.signer, { url: this.url, path, headers: { 'content-type': 'application/json' }, body });
    // HTTP/2 carries the host as :authority; the signed `host` header is not sent as a header of its own.
    const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': path, ':authority': this.url.host };
    for (const [name, value] of Object.entries(signed)) if (name.toLowerCase() !== 'host') headers[name.toLowerCase()] = value;
    const { status, errorType, text } = await this.exchange(headers, body, signal);
    return parseAnswer('Retrieve', status, errorType, text) as RetrieveOutput;
  }

  private exchange(
    headers: http2.OutgoingHttpHeaders, body: string, signal?: AbortSignal,
  ): Promise<{ status: number; errorType?: string; text: string }> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(Object.assign(new Error('Retrieve was aborted.'), { name: 'AbortError' }));
      let session: http2.ClientHttp2Session;
      try {
        session = this.sessionFor();
      } catch (err) {
        return reject(transportError('Retrieve', err));
      }
      if (this.inFlight++ === 0) session.ref();
      const req = session.request(headers);
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (--this.inFlight === 0 && !session.destroyed) session.unref();
        fn();
      };
      const onAbort = () => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        finish(() => reject(Object.assign(new Error('Retrieve was aborted.'), { name: 'AbortError' })));
      };
      signal?.addEventListener('abort', onAbort);
      req.setTimeout(this.timeoutMs, () => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        finish(() => reject(transportError('Retrieve', new Error(`no answer within ${this.timeoutMs} ms`))));
      });
      let status = 0;
      let errorType: string | undefined;
      req.on('response', (h) => {
        status = Number(h[':status']);
        const t = h['x-amzn-errortype'];
        errorType = Array.isArray(t) ? t[0] : t;
      });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => finish(() => resolve({ status, errorType, text: Buffer.concat(chunks).toString('utf8') })));
      req.on('error', (err) => finish(() => reject(transportError('Retrieve', err))));
      req.end(body);
    });
  }
}

/**
 * The worker's client, created at first use (endpoint variables are read then). It signs with the hash class and
 * credentials of the worker's Bedrock Runtime client (the SDK's own, the same default chain), so the bundle carries
 * no second SHA-256 implementation.
 */
export const retrieveClient = once(() => {
  const { config } = bedrock();
  return new RetrieveClient({ sha256: config.sha256, credentials: config.credentials });
});
