import * as path from 'path';
import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, IConstruct } from 'constructs';
import { IBedrockChatBackend } from '../chat-backend/chat-backend';
import { createAccessLogsBucket, DEFAULT_REMOVAL_POLICY, secureBucketProps } from '../private/defaults';
import { acknowledge } from '../private/nag';

/**
 * Properties of `BedrockChatFrontend`.
 */
export interface BedrockChatFrontendProps {
  /**
   * The backend the app and the widget talk to. Pass a `ChatBackend`, or your own implementation of
   * `IBedrockChatBackend` for a backend deployed elsewhere. Its values are written to `config.json` and to the
   * Content-Security-Policy (`connect-src`).
   */
  readonly backend: IBedrockChatBackend;

  /**
   * What happens to the site bucket and the access-logs bucket when they are removed from the stack.
   * With `RemovalPolicy.DESTROY` their objects are emptied first (`autoDeleteObjects`).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether CloudFront answers over IPv6 as well as IPv4.
   *
   * @default true
   */
  readonly enableIpv6?: boolean;

  /**
   * Which CloudFront edge locations serve the site (and what they cost).
   *
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;

  /**
   * Custom domain names of the distribution. Requires `certificate`.
   *
   * @default - the distribution's `*.cloudfront.net` domain only
   */
  readonly domainNames?: string[];

  /**
   * Certificate (in us-east-1) for `domainNames`. Viewers then need TLS 1.2 or later (`TLSv1.2_2021`).
   *
   * @default - the default CloudFront certificate
   */
  readonly certificate?: acm.ICertificate;

  /**
   * ARN of an AWS WAF web ACL (scope CLOUDFRONT, in us-east-1) to associate with the distribution.
   *
   * @default - no web ACL
   */
  readonly webAclId?: string;
}

/** The web bundle, built into `assets/web` when the library is built (resolved from `lib/constructs/frontend/`). */
const WEB_ASSETS_DIR = path.join(__dirname, '../../../assets/web');

/**
 * Hosts the Bedrock Chat app and the `<bedrock-chat>` widget bundle: a private S3 bucket behind CloudFront
 * (origin access control, security headers, SPA fallback, access logs) and a runtime `config.json` pointing at
 * the backend.
 */
export class BedrockChatFrontend extends Construct {
  /** The CloudFront distribution serving the site. */
  public readonly distribution: cloudfront.Distribution;
  /** The private bucket holding the site (readable only by the distribution). */
  public readonly bucket: s3.Bucket;
  /** Receives CloudFront standard logs (`cloudfront/`) and the site bucket's server access logs (`s3/`). */
  public readonly logBucket: s3.Bucket;
  /** The security headers (HSTS, CSP, frame options, ...) applied to every response. */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The deployment of the web bundle and `config.json`. */
  public readonly deployment: s3deploy.BucketDeployment;
  /** `https://<distribution domain>` (no trailing slash). */
  public readonly url: string;
  /** URL of the widget module: `<url>/bedrock-chat.js`. */
  public readonly widgetUrl: string;

  constructor(scope: Construct, id: string, props: BedrockChatFrontendProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;
    if (props.domainNames && props.domainNames.length > 0 && !props.certificate) {
      throw new Error('BedrockChatFrontend: domainNames requires certificate (an ACM certificate in us-east-1)');
    }
    const backend = props.backend;

    this.logBucket = createAccessLogsBucket(this, 'LogBucket', { removalPolicy, forCloudFrontLogs: true, autoDeleteObjects });
    this.bucket = new s3.Bucket(this, 'SiteBucket', {
      ...secureBucketProps({ removalPolicy, serverAccessLogsBucket: this.logBucket, serverAccessLogsPrefix: 's3/site/' }),
      autoDeleteObjects,
    });

    const host = (url: string) => Fn.select(2, Fn.split('/', url));
    const cognitoRegion = Fn.select(0, Fn.split('_', backend.userPoolId));
    const cognitoEndpoint = `https://cognito-idp.${cognitoRegion}.${Stack.of(this).urlSuffix}`;
    const csp = [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "font-src 'self'",
      `connect-src 'self' https://${host(backend.restApiUrl)} wss://${host(backend.webSocketUrl)} ${cognitoEndpoint}`,
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; ');

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'bedrock-chat: security headers',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365 * 2), includeSubdomains: true, preload: false, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        contentSecurityPolicy: { contentSecurityPolicy: csp, override: true },
      },
      // Any page may embed the widget: `<script type="module">` and its fetch of config.json are CORS requests.
      corsBehavior: {
        accessControlAllowOrigins: ['*'],
        accessControlAllowMethods: ['GET', 'HEAD', 'OPTIONS'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowCredentials: false,
        accessControlMaxAge: Duration.hours(1),
        originOverride: true,
      },
    });

    const spaFallback = (httpStatus: number): cloudfront.ErrorResponse => ({
      httpStatus, responseHttpStatus: 200, responsePagePath: '/index.html', ttl: Duration.seconds(10),
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'bedrock-chat: app and widget',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      defaultRootObject: 'index.html',
      errorResponses: [spaFallback(403), spaFallback(404)],
      enableIpv6: props.enableIpv6 ?? true,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      domainNames: props.domainNames,
      certificate: props.certificate,
      webAclId: props.webAclId,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    const nagAcks = [{
      id: 'AwsSolutions-CFR1',
      reason: 'The chat is meant for a global audience; add geo restrictions through the distribution escape hatch when your use requires them.',
    }];
    if (!props.webAclId) {
      nagAcks.push({
        id: 'AwsSolutions-CFR2',
        reason: 'The site serves static files only (the APIs are separate origins); a web ACL costs a monthly fee, so it is opt-in through the webAclId prop.',
      });
    }
    if (!props.certificate) {
      nagAcks.push({
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose TLS policy cannot be chosen; with certificate and domainNames the distribution requires TLSv1.2_2021.',
      });
    }
    acknowledge(this.distribution, ...nagAcks);

    this.url = `https://${this.distribution.distributionDomainName}`;
    this.widgetUrl = `${this.url}/bedrock-chat.js`;

    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      destinationBucket: this.bucket,
      sources: [
        s3deploy.Source.asset(WEB_ASSETS_DIR),
        s3deploy.Source.jsonData('config.json', {
          version: 1,
          region: Stack.of(this).region,
          webSocketUrl: backend.webSocketUrl,
          restApiUrl: backend.restApiUrl,
          userPoolId: backend.userPoolId,
          userPoolClientId: backend.userPoolClientId,
          defaultModel: backend.defaultModelId,
        }),
      ],
      prune: true,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 512,
    });
    this.acknowledgeDeploymentProvider();
  }

  /**
   * `BucketDeployment` runs a provider function owned by aws-cdk-lib (a stack singleton). Its findings are
   * acknowledged on that function and its role only, each with the reason it is acceptable.
   */
  private acknowledgeDeploymentProvider(): void {
    const role = this.deployment.handlerRole;
    acknowledge(role, {
      id: 'AwsSolutions-IAM4',
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      reason: 'The BucketDeployment provider function is created by aws-cdk-lib with the basic execution role; it only writes its own logs.',
    }, {
      id: 'AwsSolutions-IAM5',
      appliesTo: deploymentWildcards(this),
      reason: 'aws-cdk-lib grants the BucketDeployment provider object-level access (s3:GetObject*, s3:List*, s3:DeleteObject*, s3:Abort*) to the asset bucket and the site bucket contents it copies and prunes, and a distribution invalidation (CloudFront has no resource-level scoping for the invalidation of a distribution created in the same deployment).',
    });
    const provider = findDeploymentProvider(this);
    if (provider) {
      acknowledge(provider, {
        id: 'AwsSolutions-L1',
        reason: 'The BucketDeployment provider runtime is chosen by aws-cdk-lib (Python, with the AWS CLI layer); it is updated with the aws-cdk-lib version.',
      });
    }
  }
}

/** The wildcard resources and actions aws-cdk-lib grants the BucketDeployment provider, as cdk-nag names them. */
function deploymentWildcards(frontend: BedrockChatFrontend): string[] {
  const stack = Stack.of(frontend);
  const bucketId = stack.getLogicalId(frontend.bucket.node.defaultChild as s3.CfnBucket);
  return [
    'Action::s3:GetBucket*',
    'Action::s3:GetObject*',
    'Action::s3:List*',
    'Action::s3:Abort*',
    'Action::s3:DeleteObject*',
    `Resource::arn:<AWS::Partition>:s3:::cdk-${stack.synthesizer.bootstrapQualifier ?? 'hnb659fds'}-assets-<AWS::AccountId>-<AWS::Region>/*`,
    `Resource::<${bucketId}.Arn>/*`,
    'Resource::*',
  ];
}

/** The singleton provider function of BucketDeployment in this stack. */
function findDeploymentProvider(scope: Construct): IConstruct | undefined {
  const stack = Stack.of(scope);
  return stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
}
