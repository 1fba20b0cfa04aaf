/**
 * WAFv2 descriptions: synth accepts any string, CreateWebACL and CreateIPSet do not. Every default deployment failed
 * its first `cdk deploy` on the user pool's web ACL (its description had parentheses; cfn-lint E3031).
 * Pattern: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-wafv2-webacl.html
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { requireBundles, testApp } from './helpers';
import { ChatBackend, FrontendWebAcl } from '../../src';

beforeAll(requireBundles);

const WAF_DESCRIPTION = /^[a-zA-Z0-9=:#@/\-,.][a-zA-Z0-9+=:#@/\-,.\s]+[a-zA-Z0-9+=:#@/\-,.]{1,256}$/;

function descriptions(stack: Stack): string[] {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::WAFv2::WebACL' || r.Type === 'AWS::WAFv2::IPSet')
    .map((r) => r.Properties.Description);
}

const ranges = {
  allowedIpv4Ranges: ['203.0.113.0/24'],
  allowedIpv6Ranges: ['2001:db8::/32'],
  blockedIpv4Ranges: ['198.51.100.0/24'],
  blockedIpv6Ranges: ['2001:db8:1::/48'],
};

test('the default user pool web ACL has a description WAFv2 accepts', () => {
  const app = testApp();
  const stack = new Stack(app, 'Backend');
  new ChatBackend(stack, 'Chat');
  const found = descriptions(stack);
  expect(found).toHaveLength(1);
  for (const d of found) expect(d).toMatch(WAF_DESCRIPTION);
});

test('the user pool web ACL and its IP sets, with every IP list, have descriptions WAFv2 accepts', () => {
  const app = testApp();
  const stack = new Stack(app, 'Backend');
  new ChatBackend(stack, 'Chat', { waf: ranges });
  const found = descriptions(stack);
  expect(found).toHaveLength(5);
  for (const d of found) expect(d).toMatch(WAF_DESCRIPTION);
});

test('the CloudFront web ACL and its IP sets have descriptions WAFv2 accepts', () => {
  const app = testApp();
  const stack = new Stack(app, 'Edge', { env: { region: 'us-east-1' } });
  new FrontendWebAcl(stack, 'Acl', ranges);
  const found = descriptions(stack);
  expect(found).toHaveLength(5);
  for (const d of found) expect(d).toMatch(WAF_DESCRIPTION);
});
