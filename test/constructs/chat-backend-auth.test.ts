/**
 * ChatBackend sign-in options: groups and auto-join, sign-up domains, external identity providers, managed login
 * domain, MFA, token validity and the WAF in front of the user pool.
 */
import { Duration, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { requireBundles, synthBackend, testApp } from './helpers';
import { ChatBackend, IdentityProvider, MfaMode } from '../../src';

beforeAll(requireBundles);

const synth = synthBackend;

const logicalId = (stack: Stack, c: { node: any }) => stack.getLogicalId(c.node.defaultChild);
const google = () => IdentityProvider.google({ clientId: 'google-client.apps.googleusercontent.com', clientSecret: SecretValue.secretsManager('chat/google') });
const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));

describe('groups and auto-join', () => {
  test('default: a post confirmation trigger adds new users to CreatingBotAllowed', () => {
    const { stack, backend, template } = synth();
    expect(backend.postConfirmationFunction).toBeDefined();
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PostConfirmation: { 'Fn::GetAtt': [logicalId(stack, backend.postConfirmationFunction!), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { AUTO_JOIN_GROUPS: 'CreatingBotAllowed' } },
      Timeout: 5,
      Runtime: 'nodejs24.x',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(stack, backend.userPool), 'Arn'] },
    });
    // Without allowed domains there is no pre sign-up trigger.
    expect(backend.preSignUpFunction).toBeUndefined();
    expect(template.toJSON().Resources[logicalId(stack, backend.userPool)].Properties.LambdaConfig.PreSignUp).toBeUndefined();
  });

  test('the trigger may only add users to groups of this pool: exactly AdminAddUserToGroup on the pool ARN', () => {
    const { stack, backend, template } = synth();
    const roleId = logicalId(stack, backend.postConfirmationFunction!.role! as iam.Role);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((s: any) => s.Action).flat().sort()).toEqual(['cognito-idp:AdminAddUserToGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(statements.find((s: any) => s.Action === 'cognito-idp:AdminAddUserToGroup').Resource)
      .toEqual({ 'Fn::GetAtt': [logicalId(stack, backend.userPool), 'Arn'] });
  });

  test('autoJoinGroups lists several groups; Admin adds a warning', () => {
    const { stack, template } = synth({ autoJoinGroups: ['CreatingBotAllowed', 'PublishAllowed', 'Admin'] });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { AUTO_JOIN_GROUPS: 'CreatingBotAllowed,PublishAllowed,Admin' } } });
    expect(warnings(stack).join('\n')).toMatch(/every new user becomes an administrator/);
  });

  test('autoJoinGroups empty: no trigger, no function', () => {
    const { backend, template } = synth({ autoJoinGroups: [] });
    expect(backend.postConfirmationFunction).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::Cognito::UserPool', { LambdaConfig: Match.anyValue() }, 0);
    template.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'cognito-idp.amazonaws.com' }, 0);
  });

  test('autoJoinGroups naming an unknown group is rejected', () => {
    expect(() => synth({ autoJoinGroups: ['Everyone'] })).toThrow(/autoJoinGroups must name groups of the user pool \(Admin, CreatingBotAllowed, PublishAllowed\); unknown: Everyone/);
  });
});

describe('sign-up email domains', () => {
  test('allowedSignUpEmailDomains: a pre sign-up trigger with the lower-cased domains', () => {
    const { stack, backend, template } = synth({ allowedSignUpEmailDomains: ['Example.com', 'example.org'] });
    expect(backend.preSignUpFunction).toBeDefined();
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: Match.objectLike({ PreSignUp: { 'Fn::GetAtt': [logicalId(stack, backend.preSignUpFunction!), 'Arn'] } }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { ALLOWED_EMAIL_DOMAINS: 'example.com,example.org' } }, Timeout: 5 });
  });

  test.each([
    [['*.example.com']], [['@example.com']], [['example']], [['https://example.com']],
  ])('%j is rejected with a message saying what a domain looks like', (domains) => {
    expect(() => synth({ allowedSignUpEmailDomains: domains })).toThrow(/allowedSignUpEmailDomains holds entries that are not domain names/);
  });

  test('an empty list is rejected (it would refuse everybody)', () => {
    expect(() => synth({ allowedSignUpEmailDomains: [] })).toThrow(/leave it unset to allow any domain/);
  });
});

describe('external identity providers', () => {
  const saml = IdentityProvider.saml({ name: 'Corp', metadataUrl: 'https://idp.example.com/metadata', identifiers: ['example.com'] });
  const oidc = IdentityProvider.oidc({
    name: 'Entra',
    clientId: 'entra-client',
    clientSecret: SecretValue.secretsManager('chat/entra'),
    issuerUrl: 'https://login.microsoftonline.com/tenant/v2.0',
  });

  test('Google, OIDC and SAML become user pool providers; the client supports them and depends on them', () => {
    const { stack, backend, template } = synth({
      identityProviders: [google(), oidc, saml], domainPrefix: 'example-chat', callbackUrls: ['http://localhost:8080/'], logoutUrls: ['http://localhost:8080/'],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Google',
      ProviderType: 'Google',
      ProviderDetails: { client_id: 'google-client.apps.googleusercontent.com', client_secret: '{{resolve:secretsmanager:chat/google:SecretString:::}}', authorize_scopes: 'openid email profile' },
      AttributeMapping: Match.objectLike({ email: 'email' }),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Entra',
      ProviderType: 'OIDC',
      ProviderDetails: Match.objectLike({ oidc_issuer: 'https://login.microsoftonline.com/tenant/v2.0', client_secret: '{{resolve:secretsmanager:chat/entra:SecretString:::}}', authorize_scopes: 'openid email profile' }),
      AttributeMapping: Match.objectLike({ email: 'email' }),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Corp',
      ProviderType: 'SAML',
      ProviderDetails: Match.objectLike({ MetadataURL: 'https://idp.example.com/metadata' }),
      IdpIdentifiers: ['example.com'],
      AttributeMapping: { email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress' },
    });
    const client = template.toJSON().Resources[logicalId(stack, backend.userPoolClient)];
    expect(client.Properties).toMatchObject({
      SupportedIdentityProviders: ['COGNITO', 'Google', 'Entra', 'Corp'],
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      GenerateSecret: false,
      CallbackURLs: ['http://localhost:8080/'],
      LogoutURLs: ['http://localhost:8080/'],
    });
    expect(client.DependsOn.sort()).toEqual(backend.userPoolIdentityProviders.map((p) => logicalId(stack, p)).sort());
    expect(JSON.stringify(template.toJSON())).not.toMatch(/client_secret":"[^{]/);
  });

  test('providers turn self sign-up off by default', () => {
    const { template } = synth({ identityProviders: [google()], domainPrefix: 'example-chat' });
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
  });

  test('explicit self sign-up with providers is honoured, with a warning', () => {
    const { stack, template } = synth({ identityProviders: [google()], domainPrefix: 'example-chat', selfSignUpEnabled: true });
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: false } });
    expect(warnings(stack).join('\n')).toMatch(/bypass your identity provider/);
  });

  test('providers without domainPrefix work on the derived managed login domain', () => {
    const { template } = synth({ identityProviders: [google()] });
    template.resourceCountIs('AWS::Cognito::UserPoolIdentityProvider', 1);
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });

  test('two providers with the same name are rejected', () => {
    expect(() => synth({ identityProviders: [saml, saml], domainPrefix: 'example-chat' })).toThrow(/distinct names; got Corp, Corp/);
  });

  test('SAML from a metadata document', () => {
    const { template } = synth({
      identityProviders: [IdentityProvider.saml({ name: 'Adfs', metadataContent: '<EntityDescriptor/>', emailAttribute: 'mail', idpSignout: true })],
      domainPrefix: 'example-chat',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Adfs',
      ProviderDetails: { MetadataFile: '<EntityDescriptor/>', IDPSignout: true },
      AttributeMapping: { email: 'mail' },
    });
  });

  test('SAML maps email_verified only when emailVerifiedAttribute is given (the domain allowlist needs it)', () => {
    const { template } = synth({
      identityProviders: [
        IdentityProvider.saml({ name: 'Verified', metadataContent: '<EntityDescriptor/>', emailVerifiedAttribute: 'emailVerified' }),
        IdentityProvider.saml({ name: 'Plain', metadataContent: '<EntityDescriptor/>' }),
      ],
      domainPrefix: 'example-chat',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Verified',
      AttributeMapping: { email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', email_verified: 'emailVerified' },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Plain',
      AttributeMapping: { email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', email_verified: Match.absent() },
    });
  });

  test('bad provider definitions are rejected at the factory', () => {
    expect(() => IdentityProvider.saml({ name: 'Corp' })).toThrow(/exactly one of metadataUrl and metadataContent/);
    expect(() => IdentityProvider.saml({ name: 'Corp', metadataUrl: 'https://x.example/m', metadataContent: '<x/>' })).toThrow(/exactly one/);
    expect(() => IdentityProvider.saml({ name: 'Corp', metadataUrl: 'http://x.example/m' })).toThrow(/must be an https:\/\/ URL/);
    expect(() => IdentityProvider.oidc({ name: 'Okta', clientId: 'c', clientSecret: SecretValue.secretsManager('s'), issuerUrl: 'okta.example.com' })).toThrow(/issuerUrl 'okta.example.com' must be an https:\/\/ URL/);
    expect(() => IdentityProvider.saml({ name: 'Google', metadataUrl: 'https://x.example/m' })).toThrow(/name 'Google' must be/);
    expect(() => IdentityProvider.saml({ name: 'a b', metadataUrl: 'https://x.example/m' })).toThrow(/name 'a b' must be/);
  });
});

describe('managed login domain and redirect URLs', () => {
  test('domainPrefix: a managed login (version 2) domain and a branding for the web client', () => {
    const { stack, backend, template } = synth({ domainPrefix: 'example-chat' });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'example-chat', ManagedLoginVersion: 2, UserPoolId: { Ref: logicalId(stack, backend.userPool) },
    });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', {
      UseCognitoProvidedValues: true,
      ClientId: { Ref: logicalId(stack, backend.userPoolClient) },
      UserPoolId: { Ref: logicalId(stack, backend.userPool) },
    });
    expect(backend.userPoolDomain).toBeDefined();
  });

  test('no domainPrefix: the deployed app still has a managed login domain, its prefix derived from the stack id UUID', () => {
    // It broke: without domainPrefix there was no domain, config.json had no authDomain and nobody could sign in.
    const { stack, backend, template } = synth();
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    template.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 1);
    const domain = Object.values(template.findResources('AWS::Cognito::UserPoolDomain'))[0] as any;
    expect(domain.Properties.ManagedLoginVersion).toBe(2);
    const [sep, [head, uuid]] = domain.Properties.Domain['Fn::Join'];
    expect(sep).toBe('-');
    expect(head).toMatch(/^chat-[0-9a-f]{8}$/);
    expect(uuid).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] });
    // What CloudFormation will produce from a real stack id is a valid prefix (pattern of AWS::Cognito::UserPoolDomain).
    const stackId = 'arn:aws:cloudformation:us-east-1:123456789012:stack/Test/51af3dc0-da77-11e4-872e-1234567db123';
    const prefix = `${head}-${stackId.split('/')[2]}`;
    expect(prefix).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(prefix).not.toMatch(/aws|amazon|cognito/);
    expect(stack.resolve(backend.authDomain)).toEqual({
      'Fn::Join': ['', ['https://', { Ref: logicalId(stack, backend.userPoolDomain) }, '.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com']],
    });
  });

  test('two backends in one stack get different derived prefixes', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    new ChatBackend(stack, 'One');
    new ChatBackend(stack, 'Two');
    const heads = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolDomain'))
      .map((d: any) => d.Properties.Domain['Fn::Join'][1][0]);
    expect(new Set(heads).size).toBe(2);
  });

  test('customSignInDomain: the managed login on your domain with a us-east-1 certificate, and an alias record', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1', account: '111111111111' } });
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc');
    const backend = new ChatBackend(stack, 'Chat', { customSignInDomain: { domainName: 'auth.example.com', certificate, hostedZone: zone } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'auth.example.com', CustomDomainConfig: { CertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' }, ManagedLoginVersion: 2,
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'auth.example.com.',
      Type: 'A',
      HostedZoneId: 'Z123',
      AliasTarget: Match.objectLike({ DNSName: { 'Fn::GetAtt': [logicalId(stack, backend.userPoolDomain), 'CloudFrontDistribution'] } }),
    });
    // Read from the domain's attribute, not with a custom resource (no extra Lambda function in the stack).
    expect(JSON.stringify(template.toJSON())).not.toContain('Custom::UserPoolCloudFrontDomainName');
    expect(backend.authDomain).toBe('https://auth.example.com');
  });

  test('customSignInDomain with a certificate outside us-east-1, or together with domainPrefix, is rejected', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:111111111111:certificate/abc');
    expect(() => new ChatBackend(stack, 'Chat', { customSignInDomain: { domainName: 'auth.example.com', certificate } }))
      .toThrow(/certificate is in eu-west-1, but Cognito .* needs the certificate in us-east-1/);
    const east = acm.Certificate.fromCertificateArn(stack, 'East', 'arn:aws:acm:us-east-1:111111111111:certificate/abc');
    expect(() => new ChatBackend(stack, 'Chat2', { domainPrefix: 'example-chat', customSignInDomain: { domainName: 'auth.example.com', certificate: east } }))
      .toThrow(/either domainPrefix .* or customSignInDomain/);
    expect(() => new ChatBackend(stack, 'Chat3', { customSignInDomain: { domainName: 'Auth.Example', certificate: east } }))
      .toThrow(/is not a domain name/);
  });

  test.each(['Example', 'my_chat', '-chat', 'aws-chat', 'mycognito', 'x'.repeat(64)])('domainPrefix %s is rejected', (prefix) => {
    expect(() => synth({ domainPrefix: prefix })).toThrow(/domainPrefix '.*' must be 1 to 63 lower-case letters/);
  });

  test('callbackUrls and logoutUrls, plus URLs added after construction (rendered lazily, without duplicates)', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    const backend = new ChatBackend(stack, 'Chat', { callbackUrls: ['https://chat.example.com/'], logoutUrls: ['https://chat.example.com/bye'] });
    backend.addCallbackUrl('https://d111111abcdef8.cloudfront.net/');
    backend.addCallbackUrl('https://chat.example.com/');
    backend.addLogoutUrl('http://localhost:5173/');
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://chat.example.com/', 'https://d111111abcdef8.cloudfront.net/'],
      LogoutURLs: ['https://chat.example.com/bye', 'http://localhost:5173/'],
    });
  });

  test.each(['http://chat.example.com/', 'ftp://x', 'https://chat.example.com/#/x', 'chat.example.com'])('redirect URL %s is rejected', (url) => {
    expect(() => synth({ callbackUrls: [url] })).toThrow(/must be an https:\/\/ URL, or http:\/\/localhost/);
    expect(() => synth({ logoutUrls: [url] })).toThrow(/logoutUrls/);
  });

  test('no localhost by default: a backend alone registers no redirect URL and its client has no OAuth flow (Cognito refuses the code flow without one), with a warning', () => {
    // It broke: http://localhost:8080/ was registered by default, in production too.
    const app = testApp();
    const stack = new Stack(app, 'Test');
    new ChatBackend(stack, 'Chat');
    const client = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolClient'))[0] as any;
    expect(JSON.stringify(client)).not.toContain('localhost');
    expect(client.Properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(client.Properties).not.toHaveProperty('AllowedOAuthFlows');
    expect(client.Properties).not.toHaveProperty('CallbackURLs');
    expect(client.Properties).not.toHaveProperty('LogoutURLs');
    app.synth();
    expect(warnings(stack).join('\n')).toMatch(/no callback URL is registered/);
  });

  test('refresh token rotation is on (10 s grace), with revocation; REFRESH_TOKEN_AUTH is not allowed with rotation', () => {
    const { template } = synth({ callbackUrls: ['http://localhost:8080/'] });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
      EnableTokenRevocation: true,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH'],
    });
  });

  test('localhost only when asked for: callbackUrls turns the code flow on', () => {
    const { stack, template } = synth({ callbackUrls: ['http://localhost:8080/'], logoutUrls: ['http://localhost:8080/'] });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: ['http://localhost:8080/'],
      LogoutURLs: ['http://localhost:8080/'],
    });
    expect(warnings(stack).join('\n')).not.toMatch(/no callback URL/);
  });
});

describe('MFA', () => {
  test('default: optional TOTP, no SMS', () => {
    synth().template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'OPTIONAL', EnabledMfas: ['SOFTWARE_TOKEN_MFA'] });
  });

  test('REQUIRED: TOTP required', () => {
    synth({ mfa: MfaMode.REQUIRED }).template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', EnabledMfas: ['SOFTWARE_TOKEN_MFA'] });
  });

  test('OFF: no MFA, with a warning', () => {
    const { stack, template } = synth({ mfa: MfaMode.OFF });
    template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'OFF', EnabledMfas: Match.absent() });
    expect(warnings(stack).join('\n')).toMatch(/mfa is MfaMode.OFF/);
  });
});

describe('token validity', () => {
  test('defaults: 60 minutes ID and access, 30 days refresh', () => {
    synth().template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      IdTokenValidity: 60,
      AccessTokenValidity: 60,
      RefreshTokenValidity: 43200,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'minutes' },
    });
  });

  test('custom values', () => {
    synth({ idTokenValidity: Duration.minutes(15), accessTokenValidity: Duration.hours(2), refreshTokenValidity: Duration.days(1) })
      .template.hasResourceProperties('AWS::Cognito::UserPoolClient', { IdTokenValidity: 15, AccessTokenValidity: 120, RefreshTokenValidity: 1440 });
  });

  test.each([
    [{ idTokenValidity: Duration.minutes(4) }, /idTokenValidity must be between 5 minutes and 1 day \(Cognito's limits\); got 4 minutes/],
    [{ accessTokenValidity: Duration.hours(25) }, /accessTokenValidity must be between 5 minutes and 1 day/],
    [{ refreshTokenValidity: Duration.minutes(59) }, /refreshTokenValidity must be between 60 minutes and 3650 days/],
    [{ refreshTokenValidity: Duration.days(3651) }, /refreshTokenValidity must be between 60 minutes and 3650 days/],
    [{ idTokenValidity: Duration.hours(3), refreshTokenValidity: Duration.hours(2) }, /refreshTokenValidity \(2 hours\) must be at least idTokenValidity \(3 hours\)/],
  ])('%j is rejected', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('WAF', () => {
  const rulesOf = (template: Template) => (Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties.Rules;

  test('default: a regional web ACL on the user pool with a rate limit and three AWS managed rule groups, metrics on', () => {
    const { stack, backend, template } = synth();
    template.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL', DefaultAction: { Allow: {} }, VisibilityConfig: Match.objectLike({ CloudWatchMetricsEnabled: true }) });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::GetAtt': [logicalId(stack, backend.userPool), 'Arn'] },
      WebACLArn: { 'Fn::GetAtt': [stack.getLogicalId(backend.webAcl!), 'Arn'] },
    });
    // Only the user pool: API Gateway HTTP and WebSocket APIs cannot be associated with WAF.
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    const rules = rulesOf(template);
    expect(rules.map((r: any) => [r.Priority, r.Name])).toEqual([
      [0, 'RateLimitPerIp'],
      [1, 'AWSManagedRulesCommonRuleSet'],
      [2, 'AWSManagedRulesKnownBadInputsRuleSet'],
      [3, 'AWSManagedRulesAmazonIpReputationList'],
    ]);
    expect(rules[0]).toMatchObject({ Action: { Block: {} }, Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } } });
    expect(rules[1]).toMatchObject({ OverrideAction: { None: {} }, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } });
    for (const r of rules) expect(r.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
    expect(new Set(rules.map((r: any) => r.VisibilityConfig.MetricName)).size).toBe(rules.length);
    template.resourceCountIs('AWS::WAFv2::IPSet', 0);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
  });

  test('IP lists: deny lists first, then block everything outside the allow lists, then rate limit and managed groups', () => {
    const { stack, template } = synth({
      waf: {
        blockedIpv4Ranges: ['198.51.100.7/32'],
        blockedIpv6Ranges: ['2001:db8:bad::/48'],
        allowedIpv4Ranges: ['203.0.113.0/24'],
        allowedIpv6Ranges: ['2001:db8::/32'],
        rateLimitPer5Minutes: 300,
        managedRuleGroups: ['AWSManagedRulesCommonRuleSet'],
      },
    });
    const sets = template.findResources('AWS::WAFv2::IPSet');
    const setId = (addr: string) => Object.entries(sets).find(([, s]: any) => s.Properties.Addresses.includes(addr))![0];
    expect((sets[setId('2001:db8::/32')] as any).Properties).toMatchObject({ IPAddressVersion: 'IPV6', Scope: 'REGIONAL' });
    const ref = (addr: string) => ({ IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [setId(addr), 'Arn'] } } });
    const rules = rulesOf(template);
    expect(rules.map((r: any) => r.Name)).toEqual(['BlockedIpv4', 'BlockedIpv6', 'NotInAllowedIps', 'RateLimitPerIp', 'AWSManagedRulesCommonRuleSet']);
    expect(rules.map((r: any) => r.Priority)).toEqual([0, 1, 2, 3, 4]);
    expect(rules[0]).toMatchObject({ Action: { Block: {} }, Statement: ref('198.51.100.7/32') });
    expect(rules[1]).toMatchObject({ Action: { Block: {} }, Statement: ref('2001:db8:bad::/48') });
    expect(rules[2]).toMatchObject({
      Action: { Block: {} },
      Statement: { NotStatement: { Statement: { OrStatement: { Statements: [ref('203.0.113.0/24'), ref('2001:db8::/32')] } } } },
    });
    expect(rules[3].Statement.RateBasedStatement.Limit).toBe(300);
    expect(stack).toBeDefined();
  });

  test('only an IPv4 allow list: block whatever is not in it', () => {
    const rules = rulesOf(synth({ waf: { allowedIpv4Ranges: ['203.0.113.0/24'] } }).template);
    expect(rules[0].Name).toBe('NotInAllowedIps');
    expect(rules[0].Statement.NotStatement.Statement.IPSetReferenceStatement).toBeDefined();
  });

  test('loggingEnabled: an aws-waf-logs- log group with retention and a logging configuration without the :* suffix', () => {
    const { stack, backend, template } = synth({ waf: { loggingEnabled: true } });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'), RetentionInDays: 90 });
    const config = Object.values(template.findResources('AWS::WAFv2::LoggingConfiguration'))[0] as any;
    expect(config.Properties.ResourceArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(backend.webAcl!), 'Arn'] });
    expect(JSON.stringify(config.Properties.LogDestinationConfigs)).toContain(':log-group:');
    expect(JSON.stringify(config.Properties.LogDestinationConfigs)).not.toContain(':*');
    expect(backend.wafLogGroup).toBeDefined();
  });

  test('enabled false: no web ACL, with a warning', () => {
    const { stack, backend, template } = synth({ waf: { enabled: false } });
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(backend.webAcl).toBeUndefined();
    expect(warnings(stack).join('\n')).toMatch(/waf.enabled is false/);
  });

  test.each([
    [{ allowedIpv4Ranges: ['10.0.0.1'] }, /waf.allowedIpv4Ranges holds entries that are not CIDR ranges.*: 10.0.0.1/],
    [{ blockedIpv4Ranges: ['2001:db8::/32'] }, /waf.blockedIpv4Ranges/],
    [{ allowedIpv6Ranges: ['10.0.0.0/8'] }, /waf.allowedIpv6Ranges/],
    [{ blockedIpv6Ranges: ['2001:db8::/129'] }, /waf.blockedIpv6Ranges/],
    [{ rateLimitPer5Minutes: 5 }, /rateLimitPer5Minutes must be a whole number from 10 to 2000000000/],
    [{ rateLimitPer5Minutes: 100.5 }, /rateLimitPer5Minutes/],
    [{ managedRuleGroups: ['CommonRuleSet'] }, /'CommonRuleSet' is not the name of an AWS managed rule group/],
    [{ managedRuleGroups: ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesCommonRuleSet'] }, /lists a rule group twice/],
  ])('%j is rejected', (waf, message) => {
    expect(() => synth({ waf })).toThrow(message);
  });
});
