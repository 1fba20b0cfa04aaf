import { DYNAMODB_BACKENDS, DynamoDbBackend } from '../../src/local/emulators/dynamodb';
import { requirePythonTool } from '../../src/local/python-tools';

/** Dummy credentials and region for the real AWS SDK clients used against the emulators. */
export function useDummyAwsEnv(): void {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
export const region = 'us-east-1';

/**
 * The DynamoDB implementations a test file runs against: dynalite always, moto when `moto_server` is installed. In CI
 * a missing moto_server fails the test file (with the install command); elsewhere it is skipped with a notice.
 */
export function dynamoDbBackends(): DynamoDbBackend[] {
  return DYNAMODB_BACKENDS.filter((b) => b !== 'moto' || requirePythonTool('moto_server', 'the DynamoDB tests against moto'));
}
