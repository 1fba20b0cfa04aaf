import * as path from 'path';
import { Annotations, Duration, Fn, RemovalPolicy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, IConstruct } from 'constructs';
import { FrontendBranding, resolveBranding } from './branding';
import { FrontendDomain } from './domain';
import { FrontendWafOptions, FrontendWebAcl } from './web-acl';
import { IBedrockChatBackend } from '../chat-backend/chat-backend';
import { createAccessLogsBucket, DEFAULT_REMOVAL_POLICY, logServerAccessTo, secureBucketProps } from '../private/defaults';
import { acknowledge, NagAcknowledgement } from '../private/nag';
import { CLOUDFRONT_REGION, certificateRegion, requireUsEast1 } from '../private/us-east-1';

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
   * A custom domain for the site (Route 53 and ACM): the distribution answers on `domain.domainName`, with a
   * certificate you give (in us-east-1) or one this construct creates and validates through DNS (only when this
   * stack is in us-east-1), and A (and, with IPv6, AAAA) alias records in the hosted zone. Viewers then need
   * TLS 1.2 or later (`TLSv1.2_2021`).
   *
   * @default - the distribution's `*.cloudfront.net` domain only
   */
  readonly domain?: FrontendDomain;

  /**
   * Create an AWS WAF web ACL (scope CLOUDFRONT) with these rules in this stack and associate it with the
   * distribution. CloudFront only accepts web ACLs from us-east-1: with this stack in another region, create a
   * `FrontendWebAcl` in a us-east-1 stack and pass its ARN as `webAclArn` instead (synth fails with that advice).
   * Costs about USD 5 per month, USD 1 per rule and USD 0.60 per million requests.
   *
   * @default - no web ACL (unless `webAclArn` is given)
   */
  readonly waf?: FrontendWafOptions;

  /**
   * ARN of an existing AWS WAF web ACL (scope CLOUDFRONT, in us-east-1) to associate with the distribution, e.g.
   * `FrontendWebAcl.webAclArn` from a us-east-1 stack (with `crossRegionReferences: true`). Not together with `waf`.
   *
   * @default - no web ACL (unless `waf` is given)
   */
  readonly webAclArn?: string;

  /**
   * Serve only viewers in these countries (ISO 3166-1 alpha-2 codes, e.g. `['DE', 'FR']`); others get 403.
   * Not together with `blockedCountries`.
   *
   * @default - no geo restriction
   */
  readonly allowedCountries?: string[];

  /**
   * Refuse viewers in these countries (ISO 3166-1 alpha-2 codes) with 403. Not together with `allowedCountries`.
   *
   * @default - no geo restriction
   */
  readonly blockedCountries?: string[];

  /**
   * More sources for the Content-Security-Policy `connect-src` of the app page, e.g. the Cognito managed login
   * domain (`https://<prefix>.auth.<region>.amazoncognito.com`) or the upload bucket
   * (`https://<bucket>.s3.<region>.amazonaws.com`). Hosts with a scheme; no quotes, spaces, `;` or `,`.
   *
   * @default - the backend's REST, WebSocket and Cognito endpoints only
   */
  readonly additionalConnectSources?: string[];

  /**
   * Whether to register the site's URLs (`https://<distribution domain>/` and, with `domain`,
   * `https://<domain>/`) as callback and sign-out URLs of the backend's app client, through
   * `backend.signInRedirects`: the app and the widget send the page URL as `redirect_uri` and `logout_uri`, and
   * Cognito accepts only registered URLs. Set `false` to register them yourself (e.g. in the backend's
   * `callbackUrls` and `logoutUrls`).
   *
   * With the backend in another stack, only URLs known at synth time (the custom `domain`) can be registered: the
   * distribution's domain name would make the two stacks reference each other. Without `domain`, synth then fails
   * with what to do.
   *
   * @default true
   */
  readonly registerSignInUrls?: boolean;

  /**
   * The app's name, logo and accent colour (written to `config.json`; the app shows them).
   *
   * @default - "Bedrock Chat", no logo, the built-in accent colour
   */
  readonly branding?: FrontendBranding;
}

/** The web bundle, built into `assets/web` when the library is built (resolved from `lib/constructs/frontend/`). */
const WEB_ASSETS_DIR = path.join(__dirname, '../../../assets/web');
/** The widget module's stable path (the embed snippet's `src`). */
const WIDGET_FILE = 'bedrock-chat.js';
/** The runtime config's path. */
const CONFIG_FILE = 'config.json';
/** The page the widget frames (sandboxed) to draw a ```mermaid diagram (src/web-components/public/mermaid-frame.html). */
export const MERMAID_FRAME_FILE = 'mermaid-frame.html';
/**
 * The mermaid frame's Content-Security-Policy, the same as the page's own `<meta>` policy plus `frame-ancestors *`
 * (a `<meta>` policy cannot carry frame-ancestors): this site's scripts only, inline styles (mermaid styles its SVG),
 * images and fonts from `data:` only, no network. The page is framed with `sandbox="allow-scripts"` (an opaque
 * origin), and 'self' in a sandboxed document is the origin of its URL in all browsers
 * (https://github.com/w3c/webappsec-csp/issues/260). Any page may frame it: the widget is embedded on other sites, and
 * the frame holds nothing but the diagram it was sent.
 */
export const MERMAID_FRAME_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors *";
/** Cache-Control of every deployed object (see the deployment). */
const SITE_CACHE_CONTROL = [
  s3deploy.CacheControl.setPublic(),
  s3deploy.CacheControl.maxAge(Duration.seconds(0)),
  s3deploy.CacheControl.mustRevalidate(),
  s3deploy.CacheControl.sMaxAge(Duration.days(1)),
];
/**
 * The longest Content-Security-Policy a CloudFront response headers policy accepts (TooLongCSPInResponseHeadersPolicy
 * otherwise): 1,783 characters, "Quotas on response headers policies" in
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html.
 */
export const MAX_CSP_LENGTH = 1783;
/**
 * What a value known only at deploy time (an API id, a region, a bucket name, a domain prefix: DNS labels of at most
 * 63 characters) is counted as when the CSP length is checked at synth.
 */
const DEPLOY_TIME_VALUE_LENGTH = 63;
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const COUNTRY_CODE = /^[A-Z]{2}$/;

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
  /** The security headers (HSTS, CSP, frame options, CORS) applied to every response but the mermaid frame's. */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The headers of `/mermaid-frame.html`, the sandboxed page that draws diagrams (its own CSP, framable). */
  public readonly mermaidFrameHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The deployment of the web bundle and `config.json`. */
  public readonly deployment: s3deploy.BucketDeployment;
  /** `https://<custom domain or distribution domain>` (no trailing slash). */
  public readonly url: string;
  /** URL of the widget module: `<url>/bedrock-chat.js`. */
  public readonly widgetUrl: string;
  /** URL of the runtime config: `<url>/config.json` (the `config-url` of a widget embedded on another site). */
  public readonly configUrl: string;
  /** The web ACL created from the `waf` prop (stack in us-east-1 only). */
  public readonly webAcl?: FrontendWebAcl;
  /** ARN of the web ACL associated with the distribution (`webAclArn` or the created one's). */
  public readonly webAclArn?: string;
  /** The certificate of the custom domain (given or created). */
  public readonly certificate?: acm.ICertificate;
  /** The A alias record of the custom domain (with `domain.hostedZone`). */
  public readonly aliasRecord?: route53.ARecord;
  /** The AAAA alias record of the custom domain (with `domain.hostedZone` and IPv6). */
  public readonly aliasRecordIpv6?: route53.AaaaRecord;
  /**
   * The URLs the app is served at, as the app and the widget send them as `redirect_uri` and `logout_uri` (the page
   * URL without query): `https://<distribution domain>/` and, with `domain`, `https://<domain>/`.
   */
  public readonly signInUrls: string[];

  constructor(scope: Construct, id: string, props: BedrockChatFrontendProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;
    const enableIpv6 = props.enableIpv6 ?? true;
    const backend = props.backend;
    const geoRestriction = geoRestrictionOf(props.allowedCountries, props.blockedCountries);
    const connectSources = checkConnectSources(props.additionalConnectSources ?? []);

    if (props.waf && props.webAclArn) {
      throw new Error('BedrockChatFrontend: give either waf (create a web ACL in this stack) or webAclArn (use an existing one), not both');
    }
    if (props.waf) {
      const region = Stack.of(this).region;
      if (!Token.isUnresolved(region) && region !== CLOUDFRONT_REGION) {
        this.node.addValidation({
          validate: () => [
            `BedrockChatFrontend: waf creates a CloudFront web ACL, which must be in ${CLOUDFRONT_REGION}, but this stack is in ${region}. ` +
            `Create a FrontendWebAcl (with these options) in a ${CLOUDFRONT_REGION} stack and pass its webAclArn to this frontend ` +
            '(set crossRegionReferences: true on this stack), or pass the ARN of an existing CLOUDFRONT web ACL as webAclArn, ' +
            `or deploy this stack to ${CLOUDFRONT_REGION}.`,
          ],
        });
      } else {
        this.webAcl = new FrontendWebAcl(this, 'WebAcl', props.waf);
      }
    }
    this.webAclArn = this.webAcl?.webAclArn ?? props.webAclArn;
    if (props.webAclArn && !Token.isUnresolved(props.webAclArn) && !/^arn:[\w-]+:wafv2:us-east-1:\d{12}:global\/webacl\/.+/.test(props.webAclArn)) {
      throw new Error(`BedrockChatFrontend: webAclArn must be the ARN of a CLOUDFRONT-scope AWS WAF web ACL in us-east-1 (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>); got ${props.webAclArn}`);
    }

    if (props.domain) {
      this.certificate = this.domainCertificate(props.domain);
    }

    this.logBucket = createAccessLogsBucket(this, 'LogBucket', { removalPolicy, forCloudFrontLogs: true, autoDeleteObjects });
    this.bucket = new s3.Bucket(this, 'SiteBucket', {
      ...secureBucketProps({ removalPolicy }),
      autoDeleteObjects,
    });
    logServerAccessTo(this.bucket, this.logBucket, 's3/site/');

    const host = (url: string) => Fn.select(2, Fn.split('/', url));
    const cognitoRegion = Fn.select(0, Fn.split('_', backend.userPoolId));
    const cognitoEndpoint = `https://cognito-idp.${cognitoRegion}.${Stack.of(this).urlSuffix}`;
    const connectSrc: CspSource[] = [
      { name: 'the REST API (backend.restApiUrl)', value: `https://${host(backend.restApiUrl)}` },
      { name: 'the WebSocket API (backend.webSocketUrl)', value: `wss://${host(backend.webSocketUrl)}` },
      { name: 'the Cognito endpoint (from backend.userPoolId)', value: cognitoEndpoint },
      // Attachments go straight to the large-message bucket (presigned PUTs); sign-in to the managed login domain.
      ...(backend.uploadOrigin ? [{ name: 'the upload origin (backend.uploadOrigin)', value: backend.uploadOrigin }] : []),
      ...(backend.authDomain ? [{ name: 'the managed login domain (backend.authDomain)', value: backend.authDomain }] : []),
      ...connectSources.map((value, i) => ({ name: `additionalConnectSources[${i}]`, value })),
    ];
    const branding = resolveBranding(props.branding);
    const csp = [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' data: blob:${branding.imageOrigin ? ` ${branding.imageOrigin}` : ''}`,
      "font-src 'self'",
      // The widget draws ```mermaid diagrams in a sandboxed frame of this site (mermaid-frame.html).
      "frame-src 'self'",
      ['connect-src', "'self'", ...connectSrc.map((s) => s.value)].join(' '),
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      // The app page is never framed. Other sites embed the widget with <script type="module">, which this
      // policy (sent with the app's own pages) does not restrict: the embedding page's CSP applies there.
      "frame-ancestors 'none'",
      // DOM XSS sinks (innerHTML, script src, eval-like) take only Trusted Types objects, so a string that reaches one
      // is refused instead of run. Lit creates its own policy ('lit-html') for its templates; the widget renders
      // Markdown to DOM nodes, not HTML strings. No `trusted-types` allowlist: any policy name may be created
      // (https://developer.mozilla.org/docs/Web/HTTP/Headers/Content-Security-Policy/require-trusted-types-for).
      "require-trusted-types-for 'script'",
    ].join('; ');
    checkCspLength(csp, connectSrc);

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
      // Nothing served is private and no credentials are allowed.
      corsBehavior: {
        accessControlAllowOrigins: ['*'],
        accessControlAllowMethods: ['GET', 'HEAD', 'OPTIONS'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowCredentials: false,
        accessControlMaxAge: Duration.hours(1),
        originOverride: true,
      },
    });

    // The mermaid frame gets its own headers: its own CSP, no X-Frame-Options (the widget frames it on any page).
    // A response headers policy is attached per cache behavior
    // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/working-with-policies.html).
    this.mermaidFrameHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'MermaidFrameHeaders', {
      comment: 'bedrock-chat: the sandboxed mermaid frame',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365 * 2), includeSubdomains: true, preload: false, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        contentSecurityPolicy: { contentSecurityPolicy: MERMAID_FRAME_CSP, override: true },
      },
    });

    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    const behavior = (cachePolicy: cloudfront.ICachePolicy, responseHeadersPolicy = this.responseHeadersPolicy): cloudfront.BehaviorOptions => ({
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
      cachePolicy,
      responseHeadersPolicy,
      compress: true,
    });
    const spaFallback = (httpStatus: number): cloudfront.ErrorResponse => ({
      httpStatus, responseHttpStatus: 200, responsePagePath: '/index.html', ttl: Duration.seconds(10),
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'bedrock-chat: app and widget',
      defaultBehavior: behavior(cloudfront.CachePolicy.CACHING_OPTIMIZED),
      // The edge never caches config.json: a changed config reaches viewers as soon as it is written.
      additionalBehaviors: {
        [`/${CONFIG_FILE}`]: behavior(cloudfront.CachePolicy.CACHING_DISABLED),
        [`/${MERMAID_FRAME_FILE}`]: behavior(cloudfront.CachePolicy.CACHING_OPTIMIZED, this.mermaidFrameHeadersPolicy),
      },
      defaultRootObject: 'index.html',
      errorResponses: [spaFallback(403), spaFallback(404)],
      enableIpv6,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      domainNames: props.domain ? [props.domain.domainName] : undefined,
      certificate: this.certificate,
      webAclId: this.webAclArn,
      geoRestriction,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });

    const nagAcks: NagAcknowledgement[] = [];
    if (!geoRestriction) {
      nagAcks.push({
        id: 'AwsSolutions-CFR1',
        reason: 'The chat is meant for a global audience by default; the allowedCountries and blockedCountries props add a geo restriction (no finding then).',
      });
    }
    if (!this.webAclArn) {
      nagAcks.push({
        id: 'AwsSolutions-CFR2',
        reason: 'The site serves static files only (the APIs are separate origins); a web ACL costs a monthly fee, so it is opt-in through the waf or webAclArn props (no finding then).',
      });
    }
    if (!this.certificate) {
      nagAcks.push({
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose TLS policy cannot be chosen; with the domain prop the distribution requires TLSv1.2_2021.',
      });
    }
    if (nagAcks.length > 0) acknowledge(this.distribution, ...nagAcks);

    if (props.domain?.hostedZone) {
      const zone = props.domain.hostedZone;
      // A trailing dot makes the name absolute (no need to read the zone's name, unknown for fromHostedZoneId).
      const recordName = `${props.domain.domainName}.`;
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      this.aliasRecord = new route53.ARecord(this, 'AliasRecord', { zone, recordName, target });
      if (enableIpv6) {
        this.aliasRecordIpv6 = new route53.AaaaRecord(this, 'AliasRecordIpv6', { zone, recordName, target });
      }
    }

    this.url = `https://${props.domain ? props.domain.domainName : this.distribution.distributionDomainName}`;
    this.widgetUrl = `${this.url}/${WIDGET_FILE}`;
    this.configUrl = `${this.url}/${CONFIG_FILE}`;
    // The app's page is `/` (index.html is the default root object): the page URL without query the app and the
    // widget send as redirect_uri / logout_uri (src/web-components/shared/auth/pkce.ts, pageUrl) is `https://<host>/`.
    this.signInUrls = [
      `https://${this.distribution.distributionDomainName}/`,
      ...(props.domain ? [`https://${props.domain.domainName}/`] : []),
    ];
    if (props.registerSignInUrls ?? true) this.registerSignInUrls(backend);

    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      destinationBucket: this.bucket,
      sources: [
        s3deploy.Source.asset(WEB_ASSETS_DIR),
        s3deploy.Source.jsonData(CONFIG_FILE, {
          version: 1,
          region: Stack.of(this).region,
          webSocketUrl: backend.webSocketUrl,
          restApiUrl: backend.restApiUrl,
          userPoolId: backend.userPoolId,
          userPoolClientId: backend.userPoolClientId,
          defaultModel: backend.defaultModelId,
          ...(backend.authDomain ? { authDomain: backend.authDomain } : {}),
          ...branding.config,
        }),
        ...(branding.source ? [branding.source] : []),
      ],
      // The entries have stable names (the widget lives at /bedrock-chat.js) and the chunks they load (app, one per
      // locale) content hashes: browsers revalidate every file every time (max-age=0, a 304 by ETag when unchanged)
      // while the edge keeps a copy for a day (s-maxage); each deployment invalidates the edge caches. Pruning
      // removes the previous deployment's chunks: a page left open across a deployment that then switches language
      // keeps its current one (a failed locale load changes nothing).
      cacheControl: SITE_CACHE_CONTROL,
      prune: true,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 512,
    });
    this.acknowledgeDeploymentProvider();
  }

  /**
   * Register `signInUrls` as callback and sign-out URLs of the backend's app client. Cognito redirects only to a URL
   * registered exactly (https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html,
   * https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html).
   */
  private registerSignInUrls(backend: IBedrockChatBackend): void {
    const registry = backend.signInRedirects;
    if (!registry) {
      Annotations.of(this).addWarningV2('cdk-bedrock-chat:signInUrlsNotRegistered',
        'BedrockChatFrontend: the backend has no signInRedirects, so the site\'s URLs are not registered on its app client: '
        + 'register https://<distribution domain>/ (and your custom domain\'s https://<domain>/) as callback and sign-out URLs yourself, or sign-in fails with redirect_mismatch.');
      return;
    }
    const here = Stack.of(this);
    const there = Construct.isConstruct(registry) ? Stack.of(registry) : undefined;
    const crossStack = there !== undefined && there !== here;
    // A deploy-time value of this stack in the backend's stack would make each stack reference the other (a cycle).
    const urls = crossStack ? this.signInUrls.filter((u) => !Token.isUnresolved(u)) : this.signInUrls;
    if (urls.length === 0) {
      this.node.addValidation({
        validate: () => [
          `BedrockChatFrontend: the backend's app client is in stack ${there!.stackName} and this frontend in stack ${here.stackName}; `
          + 'the site\'s URL (the CloudFront domain name) is only known at deploy time, so registering it on the backend would make the two stacks reference each other. '
          + 'Give this frontend a domain (its URL is then known at synth time and is registered), or put the backend and the frontend in one stack, '
          + 'or set registerSignInUrls: false and list the site URL (https://<distribution domain>/, from the first deployment) in the backend\'s callbackUrls and logoutUrls.',
        ],
      });
      return;
    }
    for (const url of urls) {
      registry.addCallbackUrl(url);
      registry.addLogoutUrl(url);
    }
  }

  /** The given certificate (checked to be in us-east-1) or a DNS-validated one created here. */
  private domainCertificate(domain: FrontendDomain): acm.ICertificate | undefined {
    const name = domain.domainName;
    if (!Token.isUnresolved(name) && !DOMAIN_NAME.test(name)) {
      throw new Error(`BedrockChatFrontend: domain.domainName '${name}' is not a domain name (e.g. 'chat.example.com': lower-case letters, digits, hyphens, dots)`);
    }
    const zoneName = tryZoneName(domain.hostedZone);
    if (zoneName && !Token.isUnresolved(name) && name !== zoneName && !name.endsWith(`.${zoneName}`)) {
      throw new Error(`BedrockChatFrontend: domain.domainName '${name}' is not in the hosted zone '${zoneName}'`);
    }
    if (domain.certificate) {
      const region = certificateRegion(domain.certificate);
      if (region && region !== CLOUDFRONT_REGION) {
        throw new Error(`BedrockChatFrontend: domain.certificate is in ${region}, but CloudFront only uses certificates from ${CLOUDFRONT_REGION}: request or import it there (a us-east-1 stack with crossRegionReferences: true works), or omit it to have one created when this stack is in ${CLOUDFRONT_REGION}`);
      }
      return domain.certificate;
    }
    if (!domain.hostedZone) {
      throw new Error('BedrockChatFrontend: domain needs certificate (an ACM certificate in us-east-1) or hostedZone (to create and validate one through DNS)');
    }
    const canCreate = requireUsEast1(this, 'CertificateRegionRule', 'BedrockChatFrontend: domain without certificate creates an ACM certificate for CloudFront',
      `Create the certificate in a ${CLOUDFRONT_REGION} stack (acm.Certificate with DNS validation) and pass it as domain.certificate ` +
      '(set crossRegionReferences: true on this stack), or deploy this stack to us-east-1.');
    if (!canCreate) return undefined;
    return new acm.Certificate(this, 'Certificate', {
      domainName: name,
      validation: acm.CertificateValidation.fromDns(domain.hostedZone),
    });
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
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  return [
    'Action::s3:GetBucket*',
    'Action::s3:GetObject*',
    'Action::s3:List*',
    'Action::s3:Abort*',
    'Action::s3:DeleteObject*',
    // The asset bucket name carries the account and region literally when the stack has an explicit environment.
    `Resource::arn:<AWS::Partition>:s3:::cdk-${stack.synthesizer.bootstrapQualifier ?? 'hnb659fds'}-assets-${account}-${region}/*`,
    `Resource::<${bucketId}.Arn>/*`,
    'Resource::*',
  ];
}

/** The singleton provider function of BucketDeployment in this stack. */
function findDeploymentProvider(scope: Construct): IConstruct | undefined {
  const stack = Stack.of(scope);
  return stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
}

/** The geo restriction of the allowed or blocked country lists (at most one of them). */
function geoRestrictionOf(allowed: string[] | undefined, blocked: string[] | undefined): cloudfront.GeoRestriction | undefined {
  const allow = allowed ?? [];
  const block = blocked ?? [];
  if (allow.length > 0 && block.length > 0) {
    throw new Error('BedrockChatFrontend: give either allowedCountries or blockedCountries, not both');
  }
  const list = allow.length > 0 ? allow : block;
  const bad = list.filter((c) => !Token.isUnresolved(c) && !COUNTRY_CODE.test(c));
  if (bad.length > 0) {
    throw new Error(`BedrockChatFrontend: ${allow.length > 0 ? 'allowedCountries' : 'blockedCountries'} must hold ISO 3166-1 alpha-2 country codes in upper case (e.g. 'DE', 'US'); got ${bad.join(', ')}`);
  }
  if (list.length === 0) return undefined;
  return allow.length > 0 ? cloudfront.GeoRestriction.allowlist(...allow) : cloudfront.GeoRestriction.denylist(...block);
}

/** Validated `additionalConnectSources`: each a single CSP source expression with a scheme, nothing that widens it to anything. */
function checkConnectSources(sources: string[]): string[] {
  const bad = sources.filter((s) => !Token.isUnresolved(s) && !/^(https|wss):\/\/[A-Za-z0-9*.-]+(:\d+)?(\/[^\s;,']*)?$/.test(s));
  if (bad.length > 0) {
    throw new Error(`BedrockChatFrontend: additionalConnectSources entries must be https:// or wss:// sources without quotes, spaces, ';' or ',' (e.g. 'https://example-chat.auth.us-east-1.amazoncognito.com'); got ${bad.join(', ')}`);
  }
  return sources;
}

/** One source of the CSP's connect-src, named for the length message. */
interface CspSource { readonly name: string; readonly value: string }

/** The length of `value` with every deploy-time value counted as `DEPLOY_TIME_VALUE_LENGTH`. */
function estimatedLength(value: string): number {
  if (!Token.isUnresolved(value)) return value.length;
  const placeholder = 'x'.repeat(DEPLOY_TIME_VALUE_LENGTH);
  return String(Tokenization.reverseString(value)
    .mapTokens({ mapToken: () => placeholder })
    .join({ join: (left: any, right: any) => `${left}${right}` })).length;
}

/** Fail at synth when the CSP would exceed CloudFront's limit, naming the longest connect-src sources. */
function checkCspLength(csp: string, sources: CspSource[]): void {
  const length = estimatedLength(csp);
  if (length <= MAX_CSP_LENGTH) return;
  const longest = sources
    .map((s) => ({ ...s, length: estimatedLength(s.value) }))
    .sort((a, b) => b.length - a.length)
    .slice(0, 5)
    .map((s) => `${s.name} (${s.length}${Token.isUnresolved(s.value) ? ' estimated' : ''}: ${Token.isUnresolved(s.value) ? '<deploy-time value>' : s.value})`);
  throw new Error(`BedrockChatFrontend: the Content-Security-Policy would be about ${length} characters, more than the ${MAX_CSP_LENGTH} CloudFront accepts in a response headers policy `
    + `(values known only at deploy time counted as ${DEPLOY_TIME_VALUE_LENGTH}). The longest connect-src sources: ${longest.join(', ')}. `
    + 'Shorten additionalConnectSources (one wildcard host such as https://*.example.com covers several) or drop entries.');
}

/** The name of a hosted zone, or undefined when it cannot be known at synth (`fromHostedZoneId`, tokens). */
function tryZoneName(zone: route53.IHostedZone | undefined): string | undefined {
  if (!zone) return undefined;
  try {
    const name = zone.zoneName.replace(/\.$/, '');
    return Token.isUnresolved(name) ? undefined : name;
  } catch {
    return undefined;
  }
}
