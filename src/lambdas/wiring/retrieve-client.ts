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
 * It speaks HTTP/2 through an SDK client's own handler (NodeHttp2Handler, as the SDK's client of this API uses: TLS
 * with ALPN on AWS, cleartext with prior knowledge on an `http:` endpoint such as the local emulator's): the worker
 * passes its Bedrock Runtime client's, which is in its bundle anyway, so this client adds only its request and the
 * reading of its answer. That handler opens a connection per request (the Bedrock Runtime client sets
 * `disableConcurrentStreams`), a handshake more per search than a kept session: the price of the bundle's headroom.
 *
 * Endpoint: `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`, then `AWS_ENDPOINT_URL`
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), else
 * `https://bedrock-agent-runtime.<region>.amazonaws.com` (https://docs.aws.amazon.com/general/latest/gr/bedrock.html).
 *
 * Errors are thrown as the SDK throws them (`name` from `X-Amzn-Errortype`: ValidationException,
 * ResourceNotFoundException, AccessDeniedException, ThrottlingException, ...; `$metadata.httpStatusCode`). Throttling,
 * 5xx and no answer are retried like the SDK's standard mode (3 attempts); every attempt is bounded by `timeoutMs`.
 */
import type { SignatureV4 } from '@smithy/signature-v4';
import { Credentials, defaultBackoff, endpointOf, HashConstructor, parseAnswer, regionOf, signerFor, signPost, transportError, withRetries } from './aws-signing';
import { bedrock } from './bedrock';
import { once } from './env';

/** The filter shape of the API (RetrievalFilter), as far as the worker uses it. */
export type RetrievalFilter = { equals: { key: string; value: string | number | boolean } } | { andAll: RetrievalFilter[] };

export interface RetrieveInput {
  readonly knowledgeBaseId: string;
  readonly retrievalQuery: { readonly text: string };
  readonly retrievalConfiguration?: {
    readonly vectorSearchConfiguration: { readonly numberOfResults?: number; readonly filter?: RetrievalFilter; readonly overrideSearchType?: 'HYBRID' | 'SEMANTIC' };
  };
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

/** An SDK client's HTTP handler (`client.config.requestHandler`, a NodeHttp2Handler), as far as this client uses it. */
export interface HttpHandler {
  handle(request: never, options: { abortSignal?: AbortSignal; requestTimeout?: number }): Promise<{
    response: { statusCode: number; headers: Record<string, string | undefined>; body?: unknown };
  }>;
  destroy?(): void;
}

export interface RetrieveClientOptions {
  /** The HTTP/2 handler of an SDK client (its `config.requestHandler`). */
  readonly handler: HttpHandler;
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
  private readonly handler: HttpHandler;

  constructor(options: RetrieveClientOptions) {
    const region = regionOf(options.region);
    this.url = endpointOf('AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME', 'bedrock-agent-runtime', region, options.endpoint);
    this.signer = signerFor('bedrock', region, options.sha256, options.credentials);
    this.backoff = options.backoff ?? defaultBackoff;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.handler = options.handler;
  }

  /** Retrieve; `signal` aborts the request (a stopped turn). */
  retrieve(input: RetrieveInput, signal?: AbortSignal): Promise<RetrieveOutput> {
    return withRetries(() => this.once(input, signal), RETRYABLE_TYPES, this.backoff, signal);
  }

  /** Closes the handler's HTTP/2 sessions (tests). */
  destroy(): void {
    this.handler.destroy?.();
  }

  private async once(input: RetrieveInput, signal?: AbortSignal): Promise<RetrieveOutput> {
    const { knowledgeBaseId, ...rest } = input;
    const body = JSON.stringify(rest);
    const base = this.url.pathname.replace(/\/+$/, '');
    const path = `${base}/knowledgebases/${encodeURIComponent(knowledgeBaseId)}/retrieve`;
    const headers = await signPost(this.signer, { url: this.url, path, headers: { 'content-type': 'application/json' }, body });
    const request = {
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port ? Number(this.url.port) : undefined,
      path,
      query: {},
      headers,
      body,
    };
    const { status, errorType, text } = await this.exchange(request, signal);
    return parseAnswer('Retrieve', status, errorType, text) as RetrieveOutput;
  }

  /** One request through the handler (which bounds it to `timeoutMs` of silence and aborts it with `signal`). */
  private async exchange(signed: unknown, signal?: AbortSignal): Promise<{ status: number; errorType?: string; text: string }> {
    try {
      const { response } = await this.handler.handle(signed as never, { abortSignal: signal, requestTimeout: this.timeoutMs });
      const chunks: Buffer[] = [];
      for await (const c of response.body as AsyncIterable<Buffer>) chunks.push(c);
      return { status: response.statusCode, errorType: response.headers['x-amzn-errortype'], text: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      if (signal?.aborted) throw Object.assign(new Error('Retrieve was aborted.'), { name: 'AbortError' });
      throw transportError('Retrieve', err);
    }
  }
}

/**
 * The worker's client, created at first use (endpoint variables are read then). It signs with the hash class and
 * credentials of the worker's Bedrock Runtime client (the SDK's own, the same default chain) and sends through its
 * HTTP/2 handler, so the bundle carries no second SHA-256 implementation and no HTTP/2 code of its own.
 */
export const retrieveClient = once(() => {
  const { config } = bedrock();
  return new RetrieveClient({ sha256: config.sha256, credentials: config.credentials, handler: config.requestHandler as unknown as HttpHandler });
});
