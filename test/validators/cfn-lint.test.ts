/**
 * cfn-lint over the templates a user deploys first: each construct's default stack and examples/full-system (as
 * `cdk synth` builds it, with an account and a Region). The construct tests' variant stacks are linted by
 * test/validators/cfn-lint.setup.ts. Also: the check can fail (a template CloudFormation rejects), and each accepted
 * warning in the allowlist still applies (docs/architecture.md, "Validators").
 */
import { App, Stack } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { allowedBy, allowlist, cfnLint, cfnLintAvailable, Finding, formatFindings, LintInput, unacceptedFindings } from './cfn-lint';
import { buildApp } from '../../examples/full-system/app';
import { BedrockChatFrontend, ChatBackend, KnowledgeBaseFactory } from '../../src';
import { requireBundles, testApp } from '../constructs/helpers';

const available = cfnLintAvailable();
const maybe = available ? describe : describe.skip;

/** Every stack's template of a synthesized app, labelled. */
function templates(app: App, what: string): LintInput[] {
  return app.synth().stacksRecursively.map((s) => ({ label: `${what} > stack ${s.stackName}`, template: s.template }));
}

maybe('cfn-lint', () => {
  let findings: Finding[];
  let inputs: LintInput[];

  beforeAll(async () => {
    requireBundles();
    const backendApp = testApp();
    new ChatBackend(new Stack(backendApp, 'Backend'), 'Chat');
    const knowledgeApp = testApp();
    const knowledgeStack = new Stack(knowledgeApp, 'Knowledge');
    new KnowledgeBaseFactory(knowledgeStack, 'Knowledge', { backend: new ChatBackend(knowledgeStack, 'Chat') });
    const frontendApp = testApp();
    new BedrockChatFrontend(new Stack(frontendApp, 'Frontend'), 'Web', {
      backend: {
        webSocketUrl: 'wss://abc123.execute-api.us-east-1.amazonaws.com/ws',
        restApiUrl: 'https://def456.execute-api.us-east-1.amazonaws.com',
        userPoolId: 'us-east-1_AbCdEf123',
        userPoolClientId: '1example23456789',
        defaultModelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      },
    });
    // As `cdk synth` in examples/full-system builds it (CDK_DEFAULT_ACCOUNT/REGION set by the CLI).
    const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
    process.env.CDK_DEFAULT_ACCOUNT = '111111111111';
    process.env.CDK_DEFAULT_REGION = 'us-east-1';
    let exampleApp: App;
    let ossApp: App;
    try {
      exampleApp = buildApp(testApp());
      ossApp = testApp();
      ossApp.node.setContext('vectorStore', 'openSearchServerless');
      buildApp(ossApp);
    } finally {
      for (const [k, v] of [['CDK_DEFAULT_ACCOUNT', saved.account], ['CDK_DEFAULT_REGION', saved.region]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    inputs = [
      ...templates(backendApp, 'ChatBackend default'),
      ...templates(frontendApp, 'BedrockChatFrontend default'),
      ...templates(knowledgeApp, 'KnowledgeBaseFactory default'),
      ...templates(exampleApp, 'examples/full-system'),
      ...templates(ossApp, 'examples/full-system -c vectorStore=openSearchServerless'),
    ];
    findings = await cfnLint(inputs);
  }, 300_000);

  test('each construct\'s default stack and examples/full-system: no error, no warning the allowlist does not explain', () => {
    expect(inputs.map((i) => i.label)).toEqual([
      'ChatBackend default > stack Backend',
      'BedrockChatFrontend default > stack Frontend',
      'KnowledgeBaseFactory default > stack Knowledge',
      'examples/full-system > stack BedrockChat',
      'examples/full-system -c vectorStore=openSearchServerless > stack BedrockChat',
    ]);
    const unaccepted = unacceptedFindings(findings);
    if (unaccepted.length > 0) throw new Error(`cfn-lint findings:\n${formatFindings(unaccepted)}`);
    expect(findings.filter((f) => f.level === 'Error')).toEqual([]);
  });

  test('every allowlisted warning still occurs in these templates (a stale entry must go), each with a reason', () => {
    for (const entry of allowlist()) {
      expect(entry.reason.length).toBeGreaterThan(40);
      const list = [entry];
      expect({ rule: entry.rule, matches: findings.some((f) => allowedBy(f, list) !== undefined) }).toEqual({ rule: entry.rule, matches: true });
    }
  });

  test('the check fails on a template CloudFormation rejects: a WAF description with parentheses is an error (E3031)', async () => {
    const app = new App();
    const stack = new Stack(app, 'Rejected');
    new wafv2.CfnWebACL(stack, 'Acl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Blocks (some) requests',
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'acl', sampledRequestsEnabled: true },
      rules: [],
    });
    const found = await cfnLint(templates(app, 'control'));
    const rejected = unacceptedFindings(found);
    expect(rejected).toEqual([expect.objectContaining({
      label: 'control > stack Rejected',
      rule: 'E3031',
      level: 'Error',
      resource: 'Acl',
      resourceType: 'AWS::WAFv2::WebACL',
      path: 'Resources/Acl/Properties/Description',
    })]);
    expect(formatFindings(rejected)).toContain('Resources/Acl/Properties/Description (AWS::WAFv2::WebACL)\n    E3031 Error: ');
  });

  test('an error is never accepted, even when an allowlist entry names its rule and resource', () => {
    const entry = { rule: 'E3031', resourceType: 'AWS::WAFv2::WebACL', logicalId: '.*', message: '.*', reason: 'x' };
    const error: Finding = { label: 'l', rule: 'E3031', level: 'Error', path: 'Resources/Acl', resource: 'Acl', resourceType: 'AWS::WAFv2::WebACL', message: 'm' };
    expect(allowedBy(error, [entry])).toBeUndefined();
    expect(allowedBy({ ...error, level: 'Warning' }, [entry])).toBe(entry);
  });
});
