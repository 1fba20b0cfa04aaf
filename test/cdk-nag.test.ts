import * as fs from 'fs';
import * as path from 'path';
import { App, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { buildApp } from '../examples/full-system/app';
import { BedrockChatFrontend, ChatBackend, ChatBackendProps, FrontendWebAcl, IdentityProvider, KnowledgeBaseFactory, MfaMode } from '../src';
import { requireBundles, testApp } from './constructs/helpers';

beforeAll(requireBundles);
beforeEach(() => {
  // aws-cdk-lib announces every policy validation run on stderr; keep the test output readable.
  const original = console.error;
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (String(args[0]).includes('Performing Policy Validations')) return;
    original(...args);
  });
});

/** A backend deployed elsewhere, for frontend-only stacks. */
const frontendBackend = {
  webSocketUrl: 'wss://abc123.execute-api.us-east-1.amazonaws.com/ws',
  restApiUrl: 'https://def456.execute-api.us-east-1.amazonaws.com',
  userPoolId: 'us-east-1_AbCdEf123',
  userPoolClientId: '1example23456789',
  defaultModelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
};

interface Finding { readonly rule: string; readonly path: string }

/** Synthesize `app` with the AwsSolutions pack and return every finding of validation-report.json. */
function nagFindings(app: App): Finding[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
  const findings: Finding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const v of plugin.violations ?? []) {
      for (const c of v.violatingConstructs ?? []) findings.push({ rule: v.ruleName, path: c.constructPath });
    }
  }
  return findings;
}

/** Every acknowledgement recorded in the tree: rule id (with finding) → reason. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))));
}

function expectEveryAcknowledgementExplained(root: IConstruct): void {
  const acks = acknowledgements(root);
  expect(acks.length).toBeGreaterThan(0);
  for (const ack of acks) {
    expect({ ...ack, idOk: /^(annotation::)?AwsSolutions-[A-Z]+[0-9]+(\[.+\])?$/.test(ack.id) }).toMatchObject({ idOk: true });
    expect(ack.reason.length).toBeGreaterThanOrEqual(20);
  }
}

describe('cdk-nag AwsSolutions', () => {
  test('the check finds problems (control: an insecure bucket)', () => {
    const app = testApp();
    new s3.Bucket(new Stack(app, 'Control'), 'Insecure');
    const rules = nagFindings(app).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  test('ChatBackend default stack: no unacknowledged findings, every acknowledgement explained', () => {
    const app = testApp();
    const stack = new Stack(app, 'Backend');
    new ChatBackend(stack, 'Chat');
    expect(nagFindings(app)).toEqual([]);
    expectEveryAcknowledgementExplained(stack);
  });

  test.each([
    ['every sign-in option, required MFA, WAF with IP lists and logging', {
      allowedSignUpEmailDomains: ['example.com'],
      autoJoinGroups: ['CreatingBotAllowed', 'PublishAllowed'],
      identityProviders: [
        IdentityProvider.google({ clientId: 'g', clientSecret: SecretValue.secretsManager('chat/google') }),
        IdentityProvider.oidc({ name: 'Entra', clientId: 'e', clientSecret: SecretValue.secretsManager('chat/entra'), issuerUrl: 'https://login.example.com/v2.0' }),
        IdentityProvider.saml({ name: 'Corp', metadataUrl: 'https://idp.example.com/metadata' }),
      ],
      domainPrefix: 'example-chat',
      callbackUrls: ['https://chat.example.com/'],
      mfa: MfaMode.REQUIRED,
      waf: { allowedIpv4Ranges: ['203.0.113.0/24'], blockedIpv6Ranges: ['2001:db8::/32'], loggingEnabled: true },
    }],
    ['MFA off, WAF off, no auto-join', { mfa: MfaMode.OFF, waf: { enabled: false }, autoJoinGroups: [] }],
  ])('ChatBackend with %s: no unacknowledged findings, every acknowledgement explained', (_name, props: ChatBackendProps) => {
    const app = testApp();
    const stack = new Stack(app, 'Backend');
    new ChatBackend(stack, 'Chat', props);
    expect(nagFindings(app)).toEqual([]);
    expectEveryAcknowledgementExplained(stack);
  });

  test('KnowledgeBaseFactory default (with its ChatBackend): no unacknowledged findings, every acknowledgement explained', () => {
    const app = testApp();
    const stack = new Stack(app, 'Knowledge');
    const backend = new ChatBackend(stack, 'Chat');
    const knowledge = new KnowledgeBaseFactory(stack, 'Knowledge', { backend });
    expect(nagFindings(app)).toEqual([]);
    expectEveryAcknowledgementExplained(knowledge);
  });

  test('BedrockChatFrontend default stack: no unacknowledged findings, every acknowledgement explained', () => {
    const app = testApp();
    const stack = new Stack(app, 'Frontend');
    new BedrockChatFrontend(stack, 'Web', {
      backend: {
        webSocketUrl: 'wss://abc123.execute-api.us-east-1.amazonaws.com/ws',
        restApiUrl: 'https://def456.execute-api.us-east-1.amazonaws.com',
        userPoolId: 'us-east-1_AbCdEf123',
        userPoolClientId: '1example23456789',
        defaultModelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      },
    });
    expect(nagFindings(app)).toEqual([]);
    expectEveryAcknowledgementExplained(stack);
  });

  test('BedrockChatFrontend in us-east-1 (explicit account and region: the deployment provider\'s asset bucket finding names them) with WAF, geo restriction and a custom domain: no unacknowledged findings', () => {
    const app = testApp();
    const stack = new Stack(app, 'FrontendAllOptions', { env: { account: '111111111111', region: 'us-east-1' } });
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com' });
    new BedrockChatFrontend(stack, 'Web', {
      backend: frontendBackend,
      waf: { allowedIpv4Ranges: ['203.0.113.0/24'], blockedIpv6Ranges: ['2001:db8::/32'] },
      allowedCountries: ['US', 'DE'],
      domain: { domainName: 'chat.example.com', hostedZone },
    });
    expect(nagFindings(app)).toEqual([]);
    expectEveryAcknowledgementExplained(stack);
    // Geo restriction, web ACL and TLS policy are now satisfied, not acknowledged.
    const ids = acknowledgements(stack).map((a) => a.id);
    for (const rule of ['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR4']) expect(ids).not.toContain(rule);
  });

  test('cross-region WAF (FrontendWebAcl in us-east-1, frontend in eu-west-1): no unacknowledged findings', () => {
    const app = testApp();
    const edge = new Stack(app, 'ChatEdge', { env: { account: '111111111111', region: 'us-east-1' } });
    const acl = new FrontendWebAcl(edge, 'WebAcl');
    const site = new Stack(app, 'ChatSite', { env: { account: '111111111111', region: 'eu-west-1' }, crossRegionReferences: true });
    new BedrockChatFrontend(site, 'Web', { backend: frontendBackend, webAclArn: acl.webAclArn });
    expect(nagFindings(app)).toEqual([]);
  });

  test('full example: no unacknowledged findings, every acknowledgement explained', () => {
    const app = buildApp(testApp());
    expect(nagFindings(app)).toEqual([]);
    expectEveryAcknowledgementExplained(app);
  });

  test('full example with the shared knowledge base on OpenSearch Serverless: no unacknowledged findings, every acknowledgement explained', () => {
    const app = testApp();
    app.node.setContext('vectorStore', 'openSearchServerless');
    buildApp(app);
    expect(nagFindings(app)).toEqual([]);
    expectEveryAcknowledgementExplained(app);
  });

  test('full example with removal on delete (auto-delete providers): no unacknowledged findings', () => {
    const app = new App({
      outdir: testApp().outdir,
      context: { '@aws-cdk/core:failSynthOnValidationErrors': false, 'destroyOnRemoval': 'true' },
    });
    buildApp(app);
    expect(nagFindings(app)).toEqual([]);
  });
});
