/**
 * A small client of the Amazon Cognito user pools API for the three reads the functions make (AdminListGroupsForUser,
 * ListUsers, ListGroups), in place of `@aws-sdk/client-cognito-identity-provider` (about 32 KB of each minified
 * bundle that held it: docs/architecture.md, "Lambda packaging and cold start"). The request is what the SDK sends:
 * an AWS JSON 1.1 POST to `/` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`
 * (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html), signed with Signature Version 4 for the service
 * `cognito-idp` by `@smithy/signature-v4`, the signer the SDK's own clients use (so it adds nothing to a bundle).
 *
 * Endpoint: `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`, then `AWS_ENDPOINT_URL`, as the SDK reads them
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), else the Regional endpoint
 * `https://cognito-idp.<region>.amazonaws.com` (https://docs.aws.amazon.com/general/latest/gr/cognito.html; China
 * Regions end in `amazonaws.com.cn`). Credentials: the SDK's default chain (the Lambda bundles alias it to the
 * environment, where Lambda puts the role's credentials: src/lambdas/wiring/bundle/credential-provider-node.ts).
 *
 * Errors are thrown as the SDK throws them: `name` is the error's shape name (`UserNotFoundException`, read from
 * `__type` or the `X-Amzn-Errortype` header, namespace and `:` suffix removed, as the protocol says), `message`, and
 * `$metadata.httpStatusCode`, so core/errors.ts maps throttling (`TooManyRequestsException`) the same way.
 * Throttling and 5xx answers are retried like the SDK's standard mode: 3 attempts, exponential backoff with jitter
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
import { createHash, createHmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** The subset of the Cognito shapes these reads return (field names as in the API reference). */
export interface CognitoGroup { readonly GroupName?: string; readonly Description?: string }
export interface CognitoUser { readonly Username?: string; readonly Attributes?: readonly { readonly Name?: string; readonly Value?: string }[] }

export interface CognitoOperations {
  AdminListGroupsForUser: {
    input: { UserPoolId: string; Username: string; Limit?: number; NextToken?: string };
    output: { Groups?: CognitoGroup[]; NextToken?: string };
  };
  ListUsers: {
    input: { UserPoolId: string; Filter?: string; Limit?: number; PaginationToken?: string };
    output: { Users?: CognitoUser[]; PaginationToken?: string };
  };
  ListGroups: {
    input: { UserPoolId: string; Limit?: number; NextToken?: string };
    output: { Groups?: CognitoGroup[]; NextToken?: string };
  };
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Buffer => typeof data === 'string' ? data
  : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** A SHA-256 hash or HMAC on node:crypto, the shape `SignatureV4` takes (`sha256`). */
class Sha256 {
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

const RETRYABLE_TYPES = new Set(['TooManyRequestsException', 'ThrottlingException', 'InternalErrorException', 'LimitExceededException']);
const MAX_ATTEMPTS = 3;

export interface CognitoClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** Milliseconds before retry `attempt` (1-based); the default is full-jitter exponential backoff from 100 ms. */
  readonly backoff?: (attempt: number) => number;
}

export class CognitoClient {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly backoff: (attempt: number) => number;

  constructor(options: CognitoClientOptions = {}) {
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error('No AWS Region: set AWS_REGION (Lambda sets it).');
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?? process.env.AWS_ENDPOINT_URL
      ?? `https://cognito-idp.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
    this.url = new URL(endpoint);
    this.signer = new SignatureV4({ service: 'cognito-idp', region, credentials: options.credentials ?? defaultProvider(), sha256: Sha256, applyChecksum: false });
    this.backoff = options.backoff ?? ((attempt) => Math.random() * Math.min(20_000, 100 * 2 ** attempt));
  }

  async send<Op extends keyof CognitoOperations>(operation: Op, input: CognitoOperations[Op]['input']): Promise<CognitoOperations[Op]['output']> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(operation, input) as CognitoOperations[Op]['output'];
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        const retryable = RETRYABLE_TYPES.has(e.name ?? '') || (status !== undefined && status >= 500) || status === undefined;
        if (!retryable || attempt >= MAX_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.backoff(attempt)));
      }
    }
  }

  private async once(operation: string, input: unknown): Promise<unknown> {
    const body = JSON.stringify(input);
    const path = this.url.pathname || '/';
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port ? Number(this.url.port) : undefined,
      path,
      query: {},
      headers: {
        'host': this.url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
      },
      body,
    });
    let res: Response;
    try {
      res = await fetch(new URL(path, this.url), { method: 'POST', headers: signed.headers, body });
    } catch (err) {
      // No answer at all (connection refused, reset): retryable like the SDK's transient errors ($metadata unset).
      throw Object.assign(new Error(`Cognito ${operation}: ${(err as Error).message}`), { name: 'TimeoutError', cause: err });
    }
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      if (res.ok) throw Object.assign(new Error(`Cognito ${operation} answered a body that is not JSON.`), { $metadata: { httpStatusCode: res.status } });
    }
    if (res.ok) return parsed;
    const rawType = res.headers.get('x-amzn-errortype') ?? (typeof parsed.__type === 'string' ? parsed.__type : '') ?? '';
    const name = rawType.split(':')[0].split('#').pop() || `Http${res.status}`;
    const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : `Cognito ${operation} failed (${res.status}).`;
    throw Object.assign(new Error(message), { name, $metadata: { httpStatusCode: res.status } });
  }
}
