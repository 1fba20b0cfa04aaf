/**
 * The deployed app signs users in with no extra props: BedrockChatFrontend registers its own URLs on the backend's
 * app client, exactly as the app and the widget send them; backend and frontend in two stacks either work or fail at
 * synth saying what to do; the Content-Security-Policy stays within CloudFront's limit.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { requireBundles, testApp } from './helpers';
import { BedrockChatFrontend, ChatBackend, IBedrockChatBackend } from '../../src';
import { MAX_CSP_LENGTH } from '../../src/constructs/frontend/bedrock-chat-frontend';

beforeAll(requireBundles);

const ENV = { region: 'us-east-1', account: '111111111111' };
const CERT_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/abc';

/** The page URL without query, as src/web-components/shared/auth/pkce.ts (pageUrl) sends it as redirect_uri and logout_uri. */
const pageUrl = (href: string) => { const u = new URL(href); return `${u.origin}${u.pathname}`; };

function client(template: Template): any {
  return (Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0] as any).Properties;
}

function oneStack(frontendProps: Record<string, unknown> = {}, backendProps: Record<string, unknown> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Chat', { env: ENV });
  const backend = new ChatBackend(stack, 'Backend', backendProps);
  const frontend = new BedrockChatFrontend(stack, 'Frontend', { backend, ...frontendProps });
  return { app, stack, backend, frontend, template: Template.fromStack(stack) };
}

describe('the frontend registers its URLs on the backend', () => {
  test('the deployed app\'s redirect_uri is registered (not only localhost): callback and sign-out URL are exactly https://<distribution domain>/, code flow on', () => {
    // It broke: only http://localhost:8080/ was registered, so Cognito refused the deployed app's redirect_uri.
    const { stack, frontend, template } = oneStack();
    const distributionId = stack.getLogicalId(frontend.distribution.node.defaultChild as any);
    const siteUrl = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/']] };
    expect(client(template)).toMatchObject({
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: [siteUrl],
      LogoutURLs: [siteUrl],
    });
    expect(JSON.stringify(client(template))).not.toContain('localhost');
    // The app is served at / (default root object); its redirect_uri for that page is the registered string.
    expect(pageUrl('https://d111111abcdef8.cloudfront.net/')).toBe('https://d111111abcdef8.cloudfront.net/');
    expect(pageUrl('https://d111111abcdef8.cloudfront.net/?code=x&state=y')).toBe('https://d111111abcdef8.cloudfront.net/');
    expect(stack.resolve(frontend.signInUrls)).toEqual([siteUrl]);
  });

  test('self sign-up is on and the client offers the Cognito user directory on the managed login (sign-up link shown)', () => {
    const { template } = oneStack();
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: false } });
    expect(client(template).SupportedIdentityProviders).toEqual(['COGNITO']);
    template.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 1);
  });

  test('a custom domain: both the distribution URL and https://<domain>/ are registered', () => {
    const app = testApp();
    const stack = new Stack(app, 'Chat', { env: ENV });
    const backend = new ChatBackend(stack, 'Backend');
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN);
    const frontend = new BedrockChatFrontend(stack, 'Frontend', { backend, domain: { domainName: 'chat.example.com', certificate } });
    const { CallbackURLs, LogoutURLs } = client(Template.fromStack(stack));
    const distributionId = stack.getLogicalId(frontend.distribution.node.defaultChild as any);
    expect(CallbackURLs).toEqual([
      { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/']] },
      'https://chat.example.com/',
    ]);
    expect(LogoutURLs).toEqual(CallbackURLs);
  });

  test('localhost is registered only when asked for, next to the site URL', () => {
    const { template } = oneStack({}, { callbackUrls: ['http://localhost:8080/'], logoutUrls: ['http://localhost:8080/'] });
    const { CallbackURLs, LogoutURLs } = client(template);
    expect(CallbackURLs).toHaveLength(2);
    expect(CallbackURLs[0]).toBe('http://localhost:8080/');
    expect(LogoutURLs).toEqual(CallbackURLs);
  });

  test('registerSignInUrls: false registers nothing', () => {
    const { template } = oneStack({ registerSignInUrls: false });
    expect(client(template)).not.toHaveProperty('CallbackURLs');
  });

  test('the deployed config.json always carries authDomain (the managed login domain of the backend)', () => {
    // It broke: without domainPrefix there was no domain, and the app showed "Sign-in is not configured on this page".
    const { app, stack, backend, template } = oneStack();
    const assembly = app.synth();
    // Deploy-time values are markers the deployment substitutes (unquoted, so the file is JSON only after substitution).
    const configs = fs.readdirSync(assembly.directory)
      .map((e) => path.join(assembly.directory, e, 'config.json'))
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f, 'utf8'));
    expect(configs).toHaveLength(1);
    const marker = configs[0].match(/"authDomain":(<<marker:0xbaba:\d+>>)/)?.[1];
    expect(marker).toBeDefined();
    const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0] as any;
    const value = (deployment.Properties.SourceMarkers as Array<Record<string, unknown>>).find((m) => m[marker!] !== undefined)![marker!];
    const domainId = stack.getLogicalId(backend.userPoolDomain.node.defaultChild as any);
    // A JSON string: the quotes are part of the substituted value.
    expect(value).toEqual({ 'Fn::Join': ['', ['"https://', { Ref: domainId }, '.auth.us-east-1.amazoncognito.com"']] });
  });

  test('a backend of your own without signInRedirects: nothing registered, a warning names the URLs to register', () => {
    const app = testApp();
    const stack = new Stack(app, 'Web', { env: ENV });
    const backend: IBedrockChatBackend = {
      webSocketUrl: 'wss://abc123.execute-api.us-east-1.amazonaws.com/ws',
      restApiUrl: 'https://def456.execute-api.us-east-1.amazonaws.com',
      userPoolId: 'us-east-1_AbCdEf123',
      userPoolClientId: '1example23456789',
      defaultModelId: 'claude-v4.5-sonnet',
    };
    new BedrockChatFrontend(stack, 'Frontend', { backend });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
    expect(warnings.join('\n')).toMatch(/no signInRedirects.*register https:\/\/<distribution domain>\//);
  });

  test('a backend of your own with signInRedirects receives both URLs', () => {
    const app = testApp();
    const stack = new Stack(app, 'Web', { env: ENV });
    const added: string[] = [];
    const backend: IBedrockChatBackend = {
      webSocketUrl: 'wss://abc123.execute-api.us-east-1.amazonaws.com/ws',
      restApiUrl: 'https://def456.execute-api.us-east-1.amazonaws.com',
      userPoolId: 'us-east-1_AbCdEf123',
      userPoolClientId: '1example23456789',
      defaultModelId: 'claude-v4.5-sonnet',
      signInRedirects: { addCallbackUrl: (u) => added.push(`callback ${u}`), addLogoutUrl: (u) => added.push(`logout ${u}`) },
    };
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN);
    new BedrockChatFrontend(stack, 'Frontend', { backend, domain: { domainName: 'chat.example.com', certificate } });
    expect(added.filter((a) => a.endsWith('https://chat.example.com/'))).toEqual(['callback https://chat.example.com/', 'logout https://chat.example.com/']);
    expect(added).toHaveLength(4);
  });
});

describe('backend and frontend in two stacks', () => {
  function twoStacks(domain: boolean) {
    const app = testApp();
    const backendStack = new Stack(app, 'ChatBackendStack', { env: ENV });
    const frontendStack = new Stack(app, 'ChatFrontendStack', { env: ENV });
    const backend = new ChatBackend(backendStack, 'Backend');
    const certificate = acm.Certificate.fromCertificateArn(frontendStack, 'Cert', CERT_ARN);
    new BedrockChatFrontend(frontendStack, 'Frontend', {
      backend, ...(domain ? { domain: { domainName: 'chat.example.com', certificate } } : {}),
    });
    return { app, backendStack, frontendStack };
  }

  test('with a custom domain: works, the literal URL is registered and the backend stack imports nothing from the frontend', () => {
    const { app, backendStack } = twoStacks(true);
    const assembly = app.synth();
    const backendTemplate = assembly.getStackByName(backendStack.stackName).template;
    const c = (Object.values(backendTemplate.Resources) as any[]).find((r) => r.Type === 'AWS::Cognito::UserPoolClient').Properties;
    expect(c.CallbackURLs).toEqual(['https://chat.example.com/']);
    expect(c.LogoutURLs).toEqual(['https://chat.example.com/']);
    expect(JSON.stringify(backendTemplate)).not.toContain('Fn::ImportValue');
  });

  test('without a domain: synth fails with a message saying what to do (no cross-stack cycle)', () => {
    const { app } = twoStacks(false);
    expect(() => app.synth()).toThrow(/app client is in stack ChatBackendStack and this frontend in stack ChatFrontendStack.*Give this frontend a domain.*one stack.*registerSignInUrls: false.*callbackUrls and logoutUrls/s);
  });

  test('without a domain but registerSignInUrls: false and the URL passed to the backend: works', () => {
    const app = new App({ context: { '@aws-cdk/core:failSynthOnValidationErrors': false } });
    const backendStack = new Stack(app, 'B', { env: ENV });
    const frontendStack = new Stack(app, 'F', { env: ENV });
    const backend = new ChatBackend(backendStack, 'Backend', {
      callbackUrls: ['https://d111111abcdef8.cloudfront.net/'], logoutUrls: ['https://d111111abcdef8.cloudfront.net/'],
    });
    new BedrockChatFrontend(frontendStack, 'Frontend', { backend, registerSignInUrls: false });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('Content-Security-Policy length', () => {
  test('the default composition stays well within CloudFront\'s limit', () => {
    const { stack, template } = oneStack();
    const csp = JSON.stringify(stack.resolve((Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any)
      .Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy));
    expect(csp.length).toBeLessThan(MAX_CSP_LENGTH);
  });

  test('an over-long CSP fails at synth, not at deploy, naming the sources that made it long', () => {
    // It broke: CloudFront rejects (TooLongCSPInResponseHeadersPolicy) only at deploy time.
    const long = Array.from({ length: 12 }, (_, i) => `https://service-${i}-${'x'.repeat(120)}.example.com`);
    expect(() => oneStack({ additionalConnectSources: long }))
      .toThrow(/Content-Security-Policy would be about \d+ characters, more than the 1783 CloudFront accepts.*additionalConnectSources\[\d+\] \(\d+: https:\/\/service-/s);
  });

  test('a few additional sources are accepted', () => {
    expect(() => oneStack({ additionalConnectSources: ['https://a.example.com', 'https://b.example.com'] })).not.toThrow();
  });
});
