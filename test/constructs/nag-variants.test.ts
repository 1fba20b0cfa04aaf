/**
 * cdk-nag (AwsSolutions) over the option variants of this work package that test/cdk-nag.test.ts does not build:
 * a stack with an explicit environment (Region and account rendered literally), custom sign-in and site domains.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import { requireBundles, testApp } from './helpers';
import { BedrockChatFrontend, ChatBackend } from '../../src';

beforeAll(requireBundles);
beforeEach(() => {
  const original = console.error;
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (String(args[0]).includes('Performing Policy Validations')) return;
    original(...args);
  });
});

function findings(app: App): string[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
  return (report.pluginReports ?? []).flatMap((p: any) => p.violations ?? [])
    .flatMap((v: any) => v.violatingConstructs.map((c: any) => `${v.ruleName} ${c.constructPath}`));
}

test('explicit environment, custom sign-in domain and custom site domain: no unacknowledged finding', () => {
  // It broke: with an explicit environment the @connections/* acknowledgement named <AWS::Region>/<AWS::AccountId>
  // while the policy held the literal Region and account, so the finding was left open.
  const app = testApp();
  const stack = new Stack(app, 'Chat', { env: { region: 'us-east-1', account: '111111111111' } });
  const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' });
  const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc');
  const backend = new ChatBackend(stack, 'Backend', { customSignInDomain: { domainName: 'auth.example.com', certificate, hostedZone: zone } });
  new BedrockChatFrontend(stack, 'Frontend', { backend, domain: { domainName: 'chat.example.com', certificate, hostedZone: zone } });
  expect(findings(app)).toEqual([]);
});
