/**
 * Stands in for `@aws-sdk/token-providers` in the Lambda bundles only (see ./credential-provider-node.ts). The
 * Bedrock Runtime client asks it for a bearer token when a request is signed with a Bedrock API key: first from
 * `AWS_BEARER_TOKEN_BEDROCK`, then from an SSO token cache (`nodeProvider`), which pulls in the SSO OIDC client.
 * The functions sign with their execution role (SigV4); an API key in the environment still works as in the SDK
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html), and there is no SSO cache in Lambda.
 */

function tokenError(message: string): Error {
  const err = new Error(message);
  err.name = 'TokenProviderError';
  return err;
}

/** `AWS_BEARER_TOKEN_<SIGNING NAME>`, as the SDK's `getBearerTokenEnvKey` computes it. */
export const fromEnvSigningName = ({ signingName }: { signingName?: string } = {}) => async () => {
  if (!signingName) throw tokenError("Please pass 'signingName' to compute environment variable key");
  const key = `AWS_BEARER_TOKEN_${signingName.replace(/[\s-]/g, '_').toUpperCase()}`;
  if (!(key in process.env)) throw tokenError(`Token not present in '${key}' environment variable`);
  return { token: process.env[key]! };
};

export const nodeProvider = (_init?: unknown) => async (): Promise<never> => {
  throw tokenError('No SSO token cache in the Lambda bundles: sign with the execution role or set a Bedrock API key.');
};
