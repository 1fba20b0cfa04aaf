import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { requireBundles, testApp } from './helpers';
import { BedrockChatFrontend, BedrockChatFrontendProps, FrontendWebAcl, IBedrockChatBackend } from '../../src';

beforeAll(requireBundles);

const backend: IBedrockChatBackend = {
  webSocketUrl: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/ws',
  restApiUrl: 'https://def456.execute-api.eu-west-1.amazonaws.com',
  userPoolId: 'eu-west-1_AbCdEf123',
  userPoolClientId: '1example23456789',
  defaultModelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
};

const US_EAST_1 = { account: '111111111111', region: 'us-east-1' };
const EU_WEST_1 = { account: '111111111111', region: 'eu-west-1' };
/** Managed cache policy ids (AWS-defined constants). */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

type Extra = (stack: Stack) => Partial<BedrockChatFrontendProps>;

function build(stackProps: StackProps, props: Partial<BedrockChatFrontendProps> | Extra = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test', stackProps);
  const extra = typeof props === 'function' ? props(stack) : props;
  const frontend = new BedrockChatFrontend(stack, 'Web', { backend, ...extra });
  return { app, stack, frontend };
}

function synth(stackProps: StackProps, props: Partial<BedrockChatFrontendProps> | Extra = {}) {
  const built = build(stackProps, props);
  return { ...built, template: Template.fromStack(built.stack) };
}

function distributionConfig(template: Template): any {
  return (Object.values(template.findResources('AWS::CloudFront::Distribution'))[0] as any).Properties.DistributionConfig;
}

function webAclRules(template: Template): any[] {
  return (Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties.Rules;
}

function zone(stack: Stack): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com' });
}

describe('WAF', () => {
  test('stack in us-east-1: a CLOUDFRONT web ACL with deny lists, allow lists, rate limit and managed rules, attached', () => {
    const { stack, frontend, template } = synth({ env: US_EAST_1 }, {
      waf: {
        blockedIpv4Ranges: ['198.51.100.0/24'],
        blockedIpv6Ranges: ['2001:db8:dead::/48'],
        allowedIpv4Ranges: ['203.0.113.0/24'],
        allowedIpv6Ranges: ['2001:db8::/32'],
        rateLimitPer5Minutes: 500,
      },
    });
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    template.resourceCountIs('AWS::WAFv2::IPSet', 4);
    template.allResourcesProperties('AWS::WAFv2::IPSet', { Scope: 'CLOUDFRONT' });
    template.hasResourceProperties('AWS::WAFv2::IPSet', { IPAddressVersion: 'IPV4', Addresses: ['198.51.100.0/24'] });
    template.hasResourceProperties('AWS::WAFv2::IPSet', { IPAddressVersion: 'IPV6', Addresses: ['2001:db8::/32'] });

    const rules = webAclRules(template);
    expect(rules.map((r) => [r.Name, r.Priority])).toEqual([
      ['BlockedIpv4', 0], ['BlockedIpv6', 1], ['NotInAllowedIps', 2], ['RateLimitPerIp', 3],
      ['AWSManagedRulesCommonRuleSet', 4], ['AWSManagedRulesKnownBadInputsRuleSet', 5], ['AWSManagedRulesAmazonIpReputationList', 6],
    ]);
    expect(rules[2]).toMatchObject({
      Action: { Block: {} },
      Statement: { NotStatement: { Statement: { OrStatement: { Statements: [expect.anything(), expect.anything()] } } } },
    });
    expect(rules[3].Statement.RateBasedStatement).toEqual({ Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
    expect(rules[4]).toMatchObject({ OverrideAction: { None: {} }, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS' } } });

    const aclId = stack.getLogicalId(frontend.webAcl!.webAcl);
    expect(distributionConfig(template).WebACLId).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    expect(stack.resolve(frontend.webAclArn)).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
  });

  test('waf: {} gives the rate limit (2000) and the three managed rule groups, no IP sets', () => {
    const { template } = synth({ env: US_EAST_1 }, { waf: {} });
    template.resourceCountIs('AWS::WAFv2::IPSet', 0);
    const rules = webAclRules(template);
    expect(rules.map((r) => r.Name)).toEqual(['RateLimitPerIp', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList']);
    expect(rules[0].Statement.RateBasedStatement.Limit).toBe(2000);
  });

  test('webAclArn is passed through, no web ACL created', () => {
    const arn = 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/chat/0123abcd';
    const { frontend, template } = synth({ env: EU_WEST_1 }, { webAclArn: arn });
    expect(distributionConfig(template).WebACLId).toBe(arn);
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(frontend.webAcl).toBeUndefined();
    expect(frontend.webAclArn).toBe(arn);
  });

  test('webAclArn of a regional web ACL is rejected', () => {
    expect(() => build({}, { webAclArn: 'arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/chat/0123abcd' }))
      .toThrow(/webAclArn must be the ARN of a CLOUDFRONT-scope AWS WAF web ACL in us-east-1/);
  });

  test('waf and webAclArn together are rejected', () => {
    expect(() => build({ env: US_EAST_1 }, { waf: {}, webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/chat/0123abcd' }))
      .toThrow(/either waf .* or webAclArn/);
  });

  test('waf in a stack outside us-east-1 fails validation, saying what to do; nothing is created', () => {
    const { stack, frontend } = build({ env: EU_WEST_1 }, { waf: { rateLimitPer5Minutes: 100 } });
    expect(frontend.webAcl).toBeUndefined();
    expect(() => Template.fromStack(stack)).toThrow(
      /waf creates a CloudFront web ACL, which must be in us-east-1, but this stack is in eu-west-1\. Create a FrontendWebAcl .* webAclArn .*crossRegionReferences: true/,
    );
  });

  test('waf in an environment-agnostic stack: a template rule stops deployment outside us-east-1', () => {
    const { template } = synth({}, { waf: {} });
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    const rules = template.toJSON().Rules as Record<string, any>;
    const assertions = Object.values(rules).flatMap((r) => r.Assertions).filter((a) => JSON.stringify(a.Assert).includes('AWS::Region'));
    expect(assertions).toEqual([{
      Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
      AssertDescription: expect.stringMatching(/must be in us-east-1.*FrontendWebAcl in a us-east-1 stack/),
    }]);
  });

  test.each([
    [{ rateLimitPer5Minutes: 5 }, /rateLimitPer5Minutes must be a whole number from 10/],
    [{ blockedIpv4Ranges: ['10.0.0.1'] }, /blockedIpv4Ranges holds entries that are not CIDR ranges.*10\.0\.0\.1/],
    [{ allowedIpv6Ranges: ['203.0.113.0/24'] }, /allowedIpv6Ranges holds entries/],
    [{ managedRuleGroups: ['CommonRuleSet'] }, /'CommonRuleSet' is not the name of an AWS managed rule group/],
    [{ managedRuleGroups: ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesCommonRuleSet'] }, /lists a rule group twice/],
  ])('invalid waf options %j are rejected', (waf, message) => {
    expect(() => build({ env: US_EAST_1 }, { waf })).toThrow(message);
  });
});

describe('cross-region WAF pattern', () => {
  test('FrontendWebAcl in a us-east-1 stack, the frontend in eu-west-1 with crossRegionReferences: both synthesize', () => {
    const app = testApp();
    const edge = new Stack(app, 'ChatEdge', { env: US_EAST_1 });
    const acl = new FrontendWebAcl(edge, 'WebAcl', { blockedIpv4Ranges: ['198.51.100.0/24'] });
    const site = new Stack(app, 'ChatSite', { env: EU_WEST_1, crossRegionReferences: true });
    new BedrockChatFrontend(site, 'Web', { backend, webAclArn: acl.webAclArn });

    const assembly = app.synth();
    const edgeTemplate = Template.fromJSON(assembly.getStackByName('ChatEdge').template);
    const siteTemplate = Template.fromJSON(assembly.getStackByName('ChatSite').template);
    edgeTemplate.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' });
    // aws-cdk-lib writes the ARN to an SSM parameter in eu-west-1 (writer in us-east-1) and reads it back there.
    edgeTemplate.resourceCountIs('Custom::CrossRegionExportWriter', 1);
    siteTemplate.resourceCountIs('AWS::WAFv2::WebACL', 0);
    const webAclId = distributionConfig(siteTemplate).WebACLId;
    expect(webAclId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ExportsReader/), expect.stringMatching(/^\/cdk\/exports\/ChatSite\//)] });
  });

  test('FrontendWebAcl outside us-east-1 fails validation', () => {
    const app = testApp();
    const stack = new Stack(app, 'Wrong', { env: EU_WEST_1 });
    new FrontendWebAcl(stack, 'WebAcl');
    expect(() => app.synth()).toThrow(/FrontendWebAcl creates a CloudFront web ACL .*must be in us-east-1, but this stack is in eu-west-1\. Deploy FrontendWebAcl in a us-east-1 stack/);
  });
});

describe('geo restriction', () => {
  test('allowedCountries: an allow list', () => {
    const { template } = synth({}, { allowedCountries: ['DE', 'FR'] });
    expect(distributionConfig(template).Restrictions).toEqual({ GeoRestriction: { RestrictionType: 'whitelist', Locations: ['DE', 'FR'] } });
  });

  test('blockedCountries: a deny list', () => {
    const { template } = synth({}, { blockedCountries: ['KP'] });
    expect(distributionConfig(template).Restrictions).toEqual({ GeoRestriction: { RestrictionType: 'blacklist', Locations: ['KP'] } });
  });

  test('none by default', () => {
    expect(distributionConfig(synth({}).template).Restrictions).toBeUndefined();
  });

  test.each([
    [{ allowedCountries: ['de'] }, /allowedCountries must hold ISO 3166-1 alpha-2 country codes in upper case.*got de/],
    [{ blockedCountries: ['DEU'] }, /blockedCountries must hold ISO 3166-1 alpha-2/],
    [{ allowedCountries: ['DE'], blockedCountries: ['FR'] }, /either allowedCountries or blockedCountries/],
  ])('%j is rejected', (props, message) => {
    expect(() => build({}, props)).toThrow(message);
  });
});

describe('custom domain', () => {
  const certArn = 'arn:aws:acm:us-east-1:111111111111:certificate/0123abcd';

  test('existing certificate and hosted zone: alias, TLSv1.2_2021 + SNI, A and AAAA alias records, url on the domain', () => {
    const { stack, frontend, template } = synth({ env: EU_WEST_1 }, (s) => ({
      domain: { domainName: 'chat.example.com', hostedZone: zone(s), certificate: acm.Certificate.fromCertificateArn(s, 'Cert', certArn) },
    }));
    const config = distributionConfig(template);
    expect(config.Aliases).toEqual(['chat.example.com']);
    expect(config.ViewerCertificate).toEqual({ AcmCertificateArn: certArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    const distributionId = stack.getLogicalId(frontend.distribution.node.defaultChild as any);
    for (const type of ['A', 'AAAA']) {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Type: type,
        Name: 'chat.example.com.',
        HostedZoneId: 'Z0123456789ABC',
        AliasTarget: { DNSName: { 'Fn::GetAtt': [distributionId, 'DomainName'] }, HostedZoneId: Match.anyValue() },
      });
    }
    expect(frontend.url).toBe('https://chat.example.com');
    expect(frontend.widgetUrl).toBe('https://chat.example.com/bedrock-chat.js');
    expect(frontend.configUrl).toBe('https://chat.example.com/config.json');
  });

  test('no certificate, stack in us-east-1: a DNS-validated certificate is created and used', () => {
    const { stack, frontend, template } = synth({ env: US_EAST_1 }, (s) => ({ domain: { domainName: 'chat.example.com', hostedZone: zone(s) } }));
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'chat.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'chat.example.com', HostedZoneId: 'Z0123456789ABC' }],
    });
    const certId = stack.getLogicalId(frontend.certificate!.node.defaultChild as any);
    expect(distributionConfig(template).ViewerCertificate.AcmCertificateArn).toEqual({ Ref: certId });
    template.resourceCountIs('AWS::Route53::RecordSet', 2);
  });

  test('IPv6 off: an A record only', () => {
    const { frontend, template } = synth({ env: US_EAST_1 }, (s) => ({ enableIpv6: false, domain: { domainName: 'chat.example.com', hostedZone: zone(s) } }));
    expect(distributionConfig(template).IPV6Enabled).toBe(false);
    template.resourceCountIs('AWS::Route53::RecordSet', 1);
    template.hasResourceProperties('AWS::Route53::RecordSet', { Type: 'A' });
    expect(frontend.aliasRecordIpv6).toBeUndefined();
  });

  test('certificate without hosted zone (DNS elsewhere): the alias is served, no records', () => {
    const { template } = synth({}, (s) => ({ domain: { domainName: 'chat.example.org', certificate: acm.Certificate.fromCertificateArn(s, 'Cert', certArn) } }));
    expect(distributionConfig(template).Aliases).toEqual(['chat.example.org']);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  test('no certificate, stack outside us-east-1: validation error saying what to do', () => {
    const { stack } = build({ env: EU_WEST_1 }, (s) => ({ domain: { domainName: 'chat.example.com', hostedZone: zone(s) } }));
    expect(() => Template.fromStack(stack)).toThrow(/creates an ACM certificate for CloudFront, which must be in us-east-1, but this stack is in eu-west-1\. Create the certificate in a us-east-1 stack .* domain\.certificate/);
  });

  test('no certificate, environment-agnostic stack: created, with a template rule requiring us-east-1', () => {
    const { template } = synth({}, (s) => ({ domain: { domainName: 'chat.example.com', hostedZone: zone(s) } }));
    template.resourceCountIs('AWS::CertificateManager::Certificate', 1);
    expect(JSON.stringify(template.toJSON().Rules)).toContain('us-east-1');
  });

  test('a certificate outside us-east-1 is rejected', () => {
    expect(() => build({}, (s) => ({
      domain: { domainName: 'chat.example.com', certificate: acm.Certificate.fromCertificateArn(s, 'Cert', 'arn:aws:acm:eu-west-1:111111111111:certificate/x') },
    }))).toThrow(/domain\.certificate is in eu-west-1, but CloudFront only uses certificates from us-east-1/);
  });

  test('a certificate created in a us-east-1 stack is accepted across regions', () => {
    const app = testApp();
    const edge = new Stack(app, 'Edge', { env: US_EAST_1 });
    const certificate = new acm.Certificate(edge, 'Cert', { domainName: 'chat.example.com', validation: acm.CertificateValidation.fromDns(zone(edge)) });
    const site = new Stack(app, 'Site', { env: EU_WEST_1, crossRegionReferences: true });
    new BedrockChatFrontend(site, 'Web', { backend, domain: { domainName: 'chat.example.com', hostedZone: zone(site), certificate } });
    const template = Template.fromJSON(app.synth().getStackByName('Site').template);
    expect(distributionConfig(template).ViewerCertificate.AcmCertificateArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ExportsReader/), expect.any(String)] });
  });

  test.each([
    [{ domainName: 'Chat.Example.com' }, /'Chat\.Example\.com' is not a domain name/],
    [{ domainName: 'chat.other.org' }, /'chat\.other\.org' is not in the hosted zone 'example\.com'/],
  ])('%j is rejected', (domain, message) => {
    expect(() => build({ env: US_EAST_1 }, (s) => ({ domain: { ...domain, hostedZone: zone(s) } }))).toThrow(message);
  });

  test('neither certificate nor hosted zone is rejected', () => {
    expect(() => build({}, { domain: { domainName: 'chat.example.com' } })).toThrow(/domain needs certificate .* or hostedZone/);
  });
});

describe('caching and embedding', () => {
  const { stack, template } = synth({});

  test('config.json is never cached at the edge; the rest uses CachingOptimized; both carry the security headers and CORS; the mermaid frame has its own headers', () => {
    const config = distributionConfig(template);
    expect(config.DefaultCacheBehavior.CachePolicyId).toBe(CACHING_OPTIMIZED);
    expect(config.CacheBehaviors).toHaveLength(2);
    expect(config.CacheBehaviors[0]).toMatchObject({
      PathPattern: '/config.json',
      CachePolicyId: CACHING_DISABLED,
      ViewerProtocolPolicy: 'redirect-to-https',
      ResponseHeadersPolicyId: config.DefaultCacheBehavior.ResponseHeadersPolicyId,
    });
    // The sandboxed mermaid frame: cached like the rest, with its own headers (its CSP: frontend.test.ts).
    expect(config.CacheBehaviors[1]).toMatchObject({ PathPattern: '/mermaid-frame.html', CachePolicyId: CACHING_OPTIMIZED, ViewerProtocolPolicy: 'redirect-to-https' });
    expect(config.CacheBehaviors[1].ResponseHeadersPolicyId).not.toEqual(config.DefaultCacheBehavior.ResponseHeadersPolicyId);
  });

  test('every object (the widget at its stable path, config.json, the app) is revalidated by browsers and kept a day at the edge', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SystemMetadata: { 'cache-control': 'public, max-age=0, must-revalidate, s-maxage=86400' },
      DistributionPaths: ['/*'],
    });
  });

  test('CORS lets any origin load the widget and config.json (GET, no credentials)', () => {
    const policy = (Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any).Properties.ResponseHeadersPolicyConfig;
    expect(policy.CorsConfig).toMatchObject({
      AccessControlAllowOrigins: { Items: ['*'] },
      AccessControlAllowMethods: { Items: ['GET', 'HEAD', 'OPTIONS'] },
      AccessControlAllowCredentials: false,
      OriginOverride: true,
    });
  });

  test('CSP of the app page: base-uri none, frame-ancestors none, no unsafe sources', () => {
    const csp = JSON.stringify(stack.resolve((Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any)
      .Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy));
    for (const part of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
      expect(csp).toContain(part);
    }
    expect(csp).not.toMatch(/unsafe|\*/);
  });

  test('additionalConnectSources extend connect-src; anything that is not one https/wss source is rejected', () => {
    const { template: t } = synth({}, { additionalConnectSources: ['https://example-chat.auth.eu-west-1.amazoncognito.com', 'https://uploads.s3.eu-west-1.amazonaws.com'] });
    const csp = JSON.stringify((Object.values(t.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any).Properties);
    expect(csp).toContain('https://example-chat.auth.eu-west-1.amazoncognito.com https://uploads.s3.eu-west-1.amazonaws.com; object-src');
    for (const bad of ["'unsafe-inline'", 'https://a.example.com; script-src *', 'http://plain.example.com', '*']) {
      expect(() => build({}, { additionalConnectSources: [bad] })).toThrow(/additionalConnectSources entries must be https:\/\/ or wss:\/\//);
    }
  });
});

describe('branding', () => {
  const configJson = (app: ReturnType<typeof testApp>): string[] => {
    const assembly = app.synth();
    return fs.readdirSync(assembly.directory)
      .map((e) => path.join(assembly.directory, e, 'config.json'))
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f, 'utf8'));
  };
  const assetFiles = (app: ReturnType<typeof testApp>, name: string): string[] => {
    const assembly = app.synth();
    return fs.readdirSync(assembly.directory).map((e) => path.join(assembly.directory, e, 'branding', name)).filter((f) => fs.existsSync(f));
  };

  test('appName, a local logo (deployed under /branding/) and accentColor reach config.json', () => {
    const logo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logo-')), 'Company Logo.svg');
    fs.writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>');
    const { app, template } = synth({}, { branding: { appName: 'Acme Chat', logo, accentColor: '#AA3300' } });
    const [config] = configJson(app);
    expect(config).toContain('"appName":"Acme Chat"');
    expect(config).toContain('"logoUrl":"/branding/logo.svg"');
    expect(config).toContain('"accentColor":"#AA3300"');
    // The logo file is an asset of its own, deployed with the site (two asset sources besides config.json).
    expect(assetFiles(app, 'logo.svg')).toHaveLength(1);
    const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0] as any;
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(3);
    // A logo on the site needs no change to img-src.
    const csp = JSON.stringify((Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any).Properties);
    expect(csp).toContain("img-src 'self' data: blob:;");
  });

  test('an https logo URL is written as is and its origin is allowed in img-src', () => {
    const { app, template } = synth({}, { branding: { logo: 'https://cdn.example.com/brand/logo.png' } });
    expect(configJson(app)[0]).toContain('"logoUrl":"https://cdn.example.com/brand/logo.png"');
    const csp = JSON.stringify((Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any).Properties);
    expect(csp).toContain("img-src 'self' data: blob: https://cdn.example.com;");
  });

  test('no branding: config.json has none of the fields', () => {
    const { app } = synth({});
    expect(configJson(app)[0]).not.toMatch(/appName|logoUrl|accentColor/);
  });

  test('bad branding is refused with what to change', () => {
    expect(() => build({}, { branding: { accentColor: 'red' } })).toThrow(/accentColor 'red' is not a colour #rrggbb/);
    expect(() => build({}, { branding: { accentColor: '#12345' } })).toThrow(/#rrggbb/);
    expect(() => build({}, { branding: { appName: '' } })).toThrow(/appName must have 1 to 64 characters/);
    expect(() => build({}, { branding: { appName: 'x'.repeat(65) } })).toThrow(/appName must have 1 to 64 characters/);
    expect(() => build({}, { branding: { logo: 'http://plain.example.com/logo.png' } })).toThrow(/local file or an https:\/\/ URL/);
    expect(() => build({}, { branding: { logo: '/nonexistent/logo.png' } })).toThrow(/does not exist/);
    expect(() => build({}, { branding: { logo: __filename } })).toThrow(/must be a \.png, \.svg/);
  });
});
