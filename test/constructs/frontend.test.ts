import * as fs from 'fs';
import * as path from 'path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { requireBundles, testApp, withoutAssetHashes } from './helpers';
import { BedrockChatFrontend, BedrockChatFrontendProps, ChatBackend, IBedrockChatBackend } from '../../src';

beforeAll(requireBundles);

/** A backend deployed elsewhere: the frontend only needs its endpoints. */
const externalBackend: IBedrockChatBackend = {
  webSocketUrl: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/ws',
  restApiUrl: 'https://def456.execute-api.eu-west-1.amazonaws.com',
  userPoolId: 'eu-west-1_AbCdEf123',
  userPoolClientId: '1example23456789',
  defaultModelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
};

function synth(props: Partial<BedrockChatFrontendProps> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test');
  const frontend = new BedrockChatFrontend(stack, 'Web', { backend: externalBackend, ...props });
  return { stack, frontend, template: Template.fromStack(stack) };
}

function distributionConfig(template: Template): any {
  return (Object.values(template.findResources('AWS::CloudFront::Distribution'))[0] as any).Properties.DistributionConfig;
}

describe('BedrockChatFrontend defaults', () => {
  const { stack, frontend, template } = synth();

  test('site bucket: private, TLS only, encrypted, logs to the log bucket, retained', () => {
    const siteId = stack.getLogicalId(frontend.bucket.node.defaultChild as any);
    const site = template.toJSON().Resources[siteId];
    expect(site.DeletionPolicy).toBe('Retain');
    expect(site.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: stack.getLogicalId(frontend.logBucket.node.defaultChild as any) }, LogFilePrefix: 's3/site/' },
    });
    expect(site.Properties.BucketName).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: siteId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('log bucket accepts CloudFront standard logs (ACLs, bucket owner preferred)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      LifecycleConfiguration: Match.anyValue(),
    });
  });

  test('site access logs are allowed by a bucket policy, not the legacy LogDeliveryWrite ACL (cfn-lint W3045)', () => {
    const logId = stack.getLogicalId(frontend.logBucket.node.defaultChild as any);
    const siteId = stack.getLogicalId(frontend.bucket.node.defaultChild as any);
    expect(template.toJSON().Resources[logId].Properties).not.toHaveProperty('AccessControl');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [siteId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        })]),
      },
    });
  });

  test('distribution: OAC, HTTPS redirect, IPv6, price class, index.html, SPA fallback, logs', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const config = distributionConfig(template);
    expect(config).toMatchObject({
      DefaultRootObject: 'index.html',
      IPV6Enabled: true,
      PriceClass: 'PriceClass_100',
      Enabled: true,
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https', Compress: true },
      CustomErrorResponses: [
        { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 10 },
        { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 10 },
      ],
      Logging: { Bucket: { 'Fn::GetAtt': [stack.getLogicalId(frontend.logBucket.node.defaultChild as any), 'RegionalDomainName'] }, Prefix: 'cloudfront/' },
    });
    expect(config.Origins[0].OriginAccessControlId).toBeDefined();
    expect(config.Origins[0].S3OriginConfig.OriginAccessIdentity).toBe('');
    expect(config.WebACLId).toBeUndefined();
    expect(config.ViewerCertificate).toBeUndefined();
  });

  test('security headers: HSTS, nosniff, DENY, referrer policy, a CSP allowing only the backend hosts, CORS for embedding', () => {
    const policy = (Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any).Properties.ResponseHeadersPolicyConfig;
    const headers = policy.SecurityHeadersConfig;
    expect(headers.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ReferrerPolicy.ReferrerPolicy).toBe('strict-origin-when-cross-origin');
    const csp = JSON.stringify(stack.resolve(headers.ContentSecurityPolicy.ContentSecurityPolicy));
    for (const part of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", 'connect-src', 'https://cognito-idp.']) {
      expect(csp).toContain(part);
    }
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(policy.CorsConfig).toMatchObject({ AccessControlAllowOrigins: { Items: ['*'] }, AccessControlAllowCredentials: false });
    const policyId = stack.getLogicalId(frontend.responseHeadersPolicy.node.defaultChild as any);
    expect(distributionConfig(template).DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
  });

  test('CSP connect-src resolves to exactly the backend hosts', () => {
    // The hosts are extracted from the URLs with Fn::Split/Fn::Select; evaluate them on the literal test backend.
    const cspValue = (Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any)
      .Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy;
    expect(evaluate(cspValue)).toContain([
      "connect-src 'self'",
      'https://def456.execute-api.eu-west-1.amazonaws.com',
      'wss://abc123.execute-api.eu-west-1.amazonaws.com',
      'https://cognito-idp.eu-west-1.amazonaws.com',
    ].join(' '));
  });

  test('deploys the web bundle and config.json with the runtime config shape', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      Prune: true,
      DistributionPaths: ['/*'],
      SourceObjectKeys: Match.arrayWith([Match.stringLikeRegexp('\\.zip$')]),
    });
    const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0] as any;
    // Two sources: assets/web and config.json.
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
    expect(deployment.Properties.DestinationBucketName).toEqual({ Ref: stack.getLogicalId(frontend.bucket.node.defaultChild as any) });
  });

  test('the app CSP allows frames of its own site only (the sandboxed mermaid frame)', () => {
    const csp = (Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any)
      .Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy;
    expect(evaluate(csp).split('; ')).toContain("frame-src 'self'");
  });

  test('/mermaid-frame.html has its own headers: the frame CSP (framable from any page), no X-Frame-Options, no referrer', () => {
    const policyId = stack.getLogicalId(frontend.mermaidFrameHeadersPolicy.node.defaultChild as any);
    const behaviors = distributionConfig(template).CacheBehaviors as any[];
    const frameBehavior = behaviors.find((b) => b.PathPattern === '/mermaid-frame.html');
    expect(frameBehavior).toMatchObject({ ResponseHeadersPolicyId: { Ref: policyId }, ViewerProtocolPolicy: 'redirect-to-https' });
    // Every other path keeps the app's headers.
    const appPolicyId = stack.getLogicalId(frontend.responseHeadersPolicy.node.defaultChild as any);
    for (const b of behaviors.filter((x) => x !== frameBehavior)) expect(b.ResponseHeadersPolicyId).toEqual({ Ref: appPolicyId });
    const config = template.toJSON().Resources[policyId].Properties.ResponseHeadersPolicyConfig;
    const headers = config.SecurityHeadersConfig;
    expect(headers.FrameOptions).toBeUndefined();
    expect(headers.ReferrerPolicy.ReferrerPolicy).toBe('no-referrer');
    const csp: string = headers.ContentSecurityPolicy.ContentSecurityPolicy;
    expect(csp.split('; ')).toEqual(["default-src 'none'", "script-src 'self'", "style-src 'unsafe-inline'", 'img-src data:', 'font-src data:',
      "base-uri 'none'", "form-action 'none'", 'frame-ancestors *']);
    // The page carries the same policy in a <meta> (all but frame-ancestors, which a <meta> policy cannot set).
    const page = fs.readFileSync(path.join(__dirname, '../../src/web-components/public/mermaid-frame.html'), 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
    expect(meta).toBe(csp.replace('; frame-ancestors *', ''));
  });

  test('the deployed web bundle holds the mermaid frame page and its script', () => {
    const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0] as any;
    const assembly = stack.node.root as any;
    const outdir: string = assembly.synth().directory;
    const staged = (deployment.Properties.SourceObjectKeys as any[])
      .map((key) => path.join(outdir, `asset.${String(typeof key === 'string' ? key : JSON.stringify(key)).replace(/\.zip$/, '')}`))
      // The sources are staged as directories: the web bundle, and config.json's.
      .filter((dir) => fs.existsSync(path.join(dir, 'bedrock-chat.js')));
    expect(staged).toHaveLength(1);
    const files = fs.readdirSync(staged[0]);
    expect(files).toEqual(expect.arrayContaining(['mermaid-frame.html', 'bedrock-chat-mermaid.js', 'bedrock-chat.js']));
    const page = fs.readFileSync(path.join(staged[0], 'mermaid-frame.html'), 'utf8');
    expect(page).toContain('<script type="module" src="./bedrock-chat-mermaid.js"></script>');
  });

  test('url and widgetUrl', () => {
    expect(stack.resolve(frontend.url)).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/Distribution/), 'DomainName'] }]] });
    expect(stack.resolve(frontend.widgetUrl)).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/Distribution/), 'DomainName'] }, '/bedrock-chat.js']] });
  });

  test('snapshot (asset hashes stripped)', () => {
    expect(withoutAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});

describe('BedrockChatFrontend props', () => {
  test('config.json carries version, region, endpoints, user pool, client and default model', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1', account: '111111111111' } });
    new BedrockChatFrontend(stack, 'Web', { backend: externalBackend });
    const assembly = app.synth();
    const configs: any[] = [];
    for (const entry of fs.readdirSync(assembly.directory)) {
      const dir = path.join(assembly.directory, entry);
      if (entry.startsWith('asset.') && fs.statSync(dir).isDirectory() && fs.existsSync(path.join(dir, 'config.json'))) {
        configs.push(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')));
      }
    }
    expect(configs).toEqual([{
      version: 1,
      region: 'eu-west-1',
      webSocketUrl: externalBackend.webSocketUrl,
      restApiUrl: externalBackend.restApiUrl,
      userPoolId: externalBackend.userPoolId,
      userPoolClientId: externalBackend.userPoolClientId,
      defaultModel: externalBackend.defaultModelId,
    }]);
  });

  test('composes with ChatBackend: tokens in config.json are substituted at deploy time', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    const backend = new ChatBackend(stack, 'Chat');
    new BedrockChatFrontend(stack, 'Web', { backend });
    const template = Template.fromStack(stack);
    const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0] as any;
    const markers = JSON.stringify(deployment.Properties.SourceMarkers);
    for (const ref of ['ChatUserPool', 'ChatUserPoolWebClient', 'ChatWebSocketApi', 'ChatHttpApi']) expect(markers).toContain(ref);
  });

  test('a backend with an upload origin and a managed login domain: both allowed by the CSP, authDomain in config.json', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1', account: '111111111111' } });
    const backend = {
      ...externalBackend,
      uploadOrigin: 'https://uploads-bucket.s3.eu-west-1.amazonaws.com',
      authDomain: 'https://chat-login.auth.eu-west-1.amazoncognito.com',
    };
    new BedrockChatFrontend(stack, 'Web', { backend });
    const template = Template.fromStack(stack);
    const cspValue = (Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any)
      .Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy;
    expect(evaluate(cspValue)).toContain('https://cognito-idp.eu-west-1.amazonaws.com https://uploads-bucket.s3.eu-west-1.amazonaws.com https://chat-login.auth.eu-west-1.amazoncognito.com');
    const assembly = app.synth();
    const config = fs.readdirSync(assembly.directory)
      .map((e) => path.join(assembly.directory, e, 'config.json'))
      .filter((f) => fs.existsSync(f))
      .map((f) => JSON.parse(fs.readFileSync(f, 'utf8')))[0];
    expect(config.authDomain).toBe(backend.authDomain);
  });

  test('composed with ChatBackend, the CSP allows browser uploads to its large-message bucket', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    const backend = new ChatBackend(stack, 'Chat');
    new BedrockChatFrontend(stack, 'Web', { backend });
    const csp = JSON.stringify(Template.fromStack(stack).findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    expect(csp).toMatch(/LargeMessageBucket[A-Za-z0-9]*","RegionalDomainName"/);
  });

  test('enableIpv6 false and a price class', () => {
    const { template } = synth({ enableIpv6: false, priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL });
    expect(distributionConfig(template)).toMatchObject({ IPV6Enabled: false, PriceClass: 'PriceClass_All' });
  });

  test('removalPolicy DESTROY empties and deletes both buckets', () => {
    const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });
});

/** Evaluate Fn::Join / Fn::Select / Fn::Split over literals (enough for the CSP of a literal backend). */
function evaluate(v: any): any {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(evaluate);
  if (v['Fn::Join']) return (evaluate(v['Fn::Join'][1]) as string[]).join(v['Fn::Join'][0]);
  if (v['Fn::Select']) return evaluate(v['Fn::Select'][1])[Number(v['Fn::Select'][0])];
  if (v['Fn::Split']) return String(evaluate(v['Fn::Split'][1])).split(v['Fn::Split'][0]);
  if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  throw new Error(`cannot evaluate ${JSON.stringify(v)}`);
}
