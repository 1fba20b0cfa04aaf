/**
 * A small client of the Amazon Cognito user pools API for the three reads the functions make (AdminListGroupsForUser,
 * ListUsers, ListGroups), in place of `@aws-sdk/client-cognito-identity-provider` (about 32 KB of each minified
 * bundle that held it: docs/architecture.md, "Lambda packaging and cold start"). The request is what the SDK sends:
 * an AWS JSON 1.1 POST to `/` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`
 * (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html), signed with Signature Version 4 for the service
 * `cognito-idp` by `@smithy/signature-v4`, the signer the SDK's own clients use (so it adds nothing to a bundle;
 * shared with the other small client in wiring/aws-signing.ts).
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
import type { SignatureV4 } from '@smithy/signature-v4';
import { Credentials, defaultBackoff, endpointOf, regionOf, Sha256, signedJsonPost, signerFor, withRetries } from './aws-signing';

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

const RETRYABLE_TYPES = new Set(['TooManyRequestsException', 'ThrottlingException', 'InternalErrorException', 'LimitExceededException']);

export interface CognitoClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: Credentials;
  /** Milliseconds before retry `attempt` (1-based); the default is full-jitter exponential backoff from 100 ms. */
  readonly backoff?: (attempt: number) => number;
}

export class CognitoClient {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly backoff: (attempt: number) => number;

  constructor(options: CognitoClientOptions = {}) {
    const region = regionOf(options.region);
    this.url = endpointOf('AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', 'cognito-idp', region, options.endpoint);
    this.signer = signerFor('cognito-idp', region, Sha256, options.credentials);
    this.backoff = options.backoff ?? defaultBackoff;
  }

  async send<Op extends keyof CognitoOperations>(operation: Op, input: CognitoOperations[Op]['input']): Promise<CognitoOperations[Op]['output']> {
    return withRetries(() => this.once(operation, input), RETRYABLE_TYPES, this.backoff) as Promise<CognitoOperations[Op]['output']>;
  }

  private async once(operation: string, input: unknown): Promise<unknown> {
    return signedJsonPost(`Cognito ${operation}`, this.signer, {
      url: this.url,
      path: this.url.pathname || '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
      body: JSON.stringify(input),
    });
  }
}
