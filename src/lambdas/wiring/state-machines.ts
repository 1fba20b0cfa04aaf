/**
 * StartExecution of the knowledge state machines (docs/knowledge-contract.md, "The state machines"), in place of
 * `@aws-sdk/client-sfn` (bundle size): the AWS JSON 1.0 call the SDK sends, `POST /` with
 * `X-Amz-Target: AWSStepFunctions.StartExecution` and `{stateMachineArn, input}` (input a JSON string), answered by
 * `{executionArn, startDate}` (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html),
 * signed with Signature Version 4 for the service `states` by the shared signer (wiring/aws-signing.ts).
 *
 * Endpoint: `AWS_ENDPOINT_URL_SFN` (the SDK's service id is SFN), then `AWS_ENDPOINT_URL`
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), else
 * `https://states.<region>.amazonaws.com` (https://docs.aws.amazon.com/general/latest/gr/step-functions.html). The local
 * stack sets `AWS_ENDPOINT_URL_SFN` to its Step Functions API (src/local/emulators/sfn-api.ts).
 */
import type { SignatureV4 } from '@smithy/signature-v4';
import { Credentials, defaultBackoff, endpointOf, regionOf, Sha256, signedJsonPost, signerFor, withRetries } from './aws-signing';

/** StartExecution's errors worth another attempt (the SDK's standard mode also retries 5xx and no answer). */
const RETRYABLE_TYPES = new Set(['ThrottlingException']);

export interface StateMachinesOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: Credentials;
  readonly backoff?: (attempt: number) => number;
}

export class StateMachinesClient {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly backoff: (attempt: number) => number;

  constructor(options: StateMachinesOptions = {}) {
    const region = regionOf(options.region);
    this.url = endpointOf('AWS_ENDPOINT_URL_SFN', 'states', region, options.endpoint);
    this.signer = signerFor('states', region, Sha256, options.credentials);
    this.backoff = options.backoff ?? defaultBackoff;
  }

  /** Starts an execution of `arn` with `input` (serialized as JSON); resolves with its ARN once it has started. */
  async startExecution(arn: string, input: unknown): Promise<{ executionArn: string }> {
    const out = await withRetries(() => signedJsonPost('StartExecution', this.signer, {
      url: this.url,
      path: this.url.pathname || '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
      body: JSON.stringify({ stateMachineArn: arn, input: JSON.stringify(input) }),
    }), RETRYABLE_TYPES, this.backoff);
    return { executionArn: String(out.executionArn ?? '') };
  }
}

let shared: StateMachinesClient | undefined;

/** `startExecution(arn, input)` with the function's client (created at first use: endpoint variables are read then). */
export function startExecution(arn: string, input: unknown): Promise<{ executionArn: string }> {
  return (shared ??= new StateMachinesClient()).startExecution(arn, input);
}
