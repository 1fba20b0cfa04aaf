/**
 * The post confirmation trigger handler, invoked with Cognito-shaped PostConfirmation events, sending real
 * AdminAddUserToGroup requests (AWS SDK v3) to a fake Cognito endpoint over HTTP.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { handler } from '../../src/lambdas/cognito-post-confirmation.lambda';

interface Received { readonly target: string; readonly body: any; readonly authorization: string }
const received: Received[] = [];
let failGroup: string | undefined;
let server: http.Server;
const saved = { ...process.env };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      received.push({ target: String(req.headers['x-amz-target']), body, authorization: String(req.headers.authorization) });
      if (body.GroupName === failGroup) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'Group not found.' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    BEDROCK_CHAT_LOG: 'off',
  });
});
afterAll(async () => {
  process.env = saved;
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
  failGroup = undefined;
  process.env.AUTO_JOIN_GROUPS = 'CreatingBotAllowed,PublishAllowed';
});

function postConfirmation(triggerSource: PostConfirmationTriggerEvent['triggerSource']): PostConfirmationTriggerEvent {
  return {
    version: '1',
    region: 'us-east-1',
    userPoolId: 'us-east-1_AbCdEf123',
    userName: 'f1e2d3c4-0000-4000-8000-000000000001',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: '1example23456789' },
    triggerSource,
    request: { userAttributes: { 'sub': 'f1e2d3c4-0000-4000-8000-000000000001', 'email': 'alice@example.com', 'email_verified': 'true', 'cognito:user_status': 'CONFIRMED' } },
    response: {},
  };
}

test('a confirmed sign-up joins every configured group, signed requests to the pool of the event', async () => {
  const event = postConfirmation('PostConfirmation_ConfirmSignUp');
  await expect(handler(event)).resolves.toBe(event);
  expect(received.map((r) => r.target)).toEqual([
    'AWSCognitoIdentityProviderService.AdminAddUserToGroup',
    'AWSCognitoIdentityProviderService.AdminAddUserToGroup',
  ]);
  expect(received.map((r) => r.body)).toEqual([
    { UserPoolId: 'us-east-1_AbCdEf123', Username: 'f1e2d3c4-0000-4000-8000-000000000001', GroupName: 'CreatingBotAllowed' },
    { UserPoolId: 'us-east-1_AbCdEf123', Username: 'f1e2d3c4-0000-4000-8000-000000000001', GroupName: 'PublishAllowed' },
  ]);
  for (const r of received) expect(r.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/cognito-idp\//);
});

test('a password reset joins nothing', async () => {
  await handler(postConfirmation('PostConfirmation_ConfirmForgotPassword'));
  expect(received).toEqual([]);
});

test('no AUTO_JOIN_GROUPS: nothing is sent', async () => {
  process.env.AUTO_JOIN_GROUPS = '';
  await handler(postConfirmation('PostConfirmation_ConfirmSignUp'));
  expect(received).toEqual([]);
});

test('a failing group is reported to the client, saying the account is confirmed', async () => {
  failGroup = 'CreatingBotAllowed';
  await expect(handler(postConfirmation('PostConfirmation_ConfirmSignUp')))
    .rejects.toThrow('Your account is confirmed, but joining the group CreatingBotAllowed failed; ask an administrator to add you.');
});
