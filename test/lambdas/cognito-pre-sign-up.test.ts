/**
 * The pre sign-up trigger handler, invoked with Cognito-shaped PreSignUp events.
 */
import type { PreSignUpTriggerEvent } from 'aws-lambda';
import { handler } from '../../src/lambdas/cognito-pre-sign-up.lambda';

function preSignUp(triggerSource: PreSignUpTriggerEvent['triggerSource'], email?: string, emailVerified?: string): PreSignUpTriggerEvent {
  return {
    version: '1',
    region: 'us-east-1',
    userPoolId: 'us-east-1_AbCdEf123',
    userName: triggerSource === 'PreSignUp_ExternalProvider' ? 'google_1234567890' : 'f1e2d3c4-0000-4000-8000-000000000001',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: '1example23456789' },
    triggerSource,
    request: {
      userAttributes: { ...(email === undefined ? {} : { email }), ...(emailVerified === undefined ? {} : { email_verified: emailVerified }) },
      validationData: undefined,
    },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  } as PreSignUpTriggerEvent;
}

const lines: string[] = [];
beforeEach(() => {
  lines.length = 0;
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { lines.push(String(chunk)); return true; });
  process.env.ALLOWED_EMAIL_DOMAINS = 'example.com,Example.ORG';
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env.ALLOWED_EMAIL_DOMAINS;
});

test('an allowed domain (any case) returns the event unchanged: no auto-confirmation', async () => {
  const event = preSignUp('PreSignUp_SignUp', 'Alice@EXAMPLE.com');
  await expect(handler(event)).resolves.toEqual(preSignUp('PreSignUp_SignUp', 'Alice@EXAMPLE.com'));
});

test('another domain is refused with a message for the user', async () => {
  await expect(handler(preSignUp('PreSignUp_SignUp', 'mallory@evil-example.com')))
    .rejects.toThrow('Sign-up with an email address at evil-example.com is not allowed in this deployment');
});

test('a federated first sign-in from another domain is refused', async () => {
  await expect(handler(preSignUp('PreSignUp_ExternalProvider', 'someone@gmail.com', 'true'))).rejects.toThrow(/gmail\.com is not allowed/);
  await expect(handler(preSignUp('PreSignUp_ExternalProvider', undefined, 'true'))).rejects.toThrow(/valid email address/);
});

test('a federated first sign-in at an allowed domain needs email_verified "true" from the provider', async () => {
  await expect(handler(preSignUp('PreSignUp_ExternalProvider', 'alice@example.com', 'true'))).resolves.toBeDefined();
  await expect(handler(preSignUp('PreSignUp_ExternalProvider', 'mallory@example.com', 'false'))).rejects.toThrow(/verified/);
  await expect(handler(preSignUp('PreSignUp_ExternalProvider', 'mallory@example.com'))).rejects.toThrow(/verified/);
  const logged = lines.join('');
  expect(logged).toContain('"emailVerified":false');
  expect(logged).not.toContain('mallory@');
});

test('an administrator-created user at another domain is allowed', async () => {
  await expect(handler(preSignUp('PreSignUp_AdminCreateUser', 'contractor@elsewhere.net'))).resolves.toBeDefined();
});

test('without ALLOWED_EMAIL_DOMAINS every domain is allowed', async () => {
  delete process.env.ALLOWED_EMAIL_DOMAINS;
  await expect(handler(preSignUp('PreSignUp_SignUp', 'anyone@anywhere.io'))).resolves.toBeDefined();
});

test('logs the domain and the decision, never the email address', async () => {
  await expect(handler(preSignUp('PreSignUp_SignUp', 'mallory@evil.org'))).rejects.toThrow();
  await handler(preSignUp('PreSignUp_SignUp', 'alice@example.com'));
  const logged = lines.join('');
  expect(logged).toContain('"msg":"sign-up refused"');
  expect(logged).toContain('"domain":"evil.org"');
  expect(logged).toContain('"msg":"sign-up allowed"');
  expect(logged).not.toContain('mallory@');
  expect(logged).not.toContain('alice@');
});
