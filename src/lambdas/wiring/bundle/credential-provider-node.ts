/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles only (scripts/bundle-lambda.mjs aliases the
 * package to this module; the TypeScript source, which the tests and the playground run, keeps the SDK's full chain).
 *
 * In Lambda the runtime puts the execution role's credentials in the reserved variables `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` ("the access keys obtained from the function's execution role",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime), so the
 * SDK's default chain always stops at its first link, the environment
 * (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-credentials-node.html). Its other links
 * (SSO, web identity, process, INI files, instance and container metadata, with the nested SSO / STS / Signin
 * clients) were about 100 KB of every minified bundle. This module is the first link alone. Whatever runs a bundle
 * outside Lambda (the local stack) passes credentials the way Lambda does, in the environment.
 */

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Same shape as the SDK's `defaultProvider(init)`: a factory of an async credential provider. */
export const defaultProvider = (_init?: unknown) => async (): Promise<Credentials> => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    const err = new Error('No AWS credentials in the environment: the Lambda bundles read AWS_ACCESS_KEY_ID, '
      + 'AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN only (the Lambda runtime sets them from the execution role).');
    err.name = 'CredentialsProviderError';
    throw err;
  }
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  const expiration = process.env.AWS_CREDENTIAL_EXPIRATION;
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
  };
};
