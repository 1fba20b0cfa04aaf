import { Annotations, Aws, Duration, Fn, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { IdentityProvider, MfaMode, SignInCustomDomain, WafOptions } from './auth';
import type { ChatBackendProps } from './chat-backend';
import { BackendContext } from './context';
import { warnOpenSignUp } from './traffic-limits';
import { createWebAcl } from './waf';
import { CognitoPostConfirmationFunction } from '../../lambdas/cognito-post-confirmation-function';
import { CognitoPreSignUpFunction } from '../../lambdas/cognito-pre-sign-up-function';
import { isValidDomain } from '../../lambdas/core/signup';
import { acknowledge } from '../private/nag';
import { CLOUDFRONT_REGION, certificateRegion } from '../private/us-east-1';

/** The Cognito groups the application knows (see docs/architecture.md). */
const USER_POOL_GROUPS: Array<{ id: string; name: string; description: string }> = [
  { id: 'AdminGroup', name: 'Admin', description: 'Administrators: manage bots, users and usage.' },
  { id: 'CreatingBotAllowedGroup', name: 'CreatingBotAllowed', description: 'Users allowed to create bots.' },
  { id: 'PublishAllowedGroup', name: 'PublishAllowed', description: 'Users allowed to publish bots as APIs.' },
];

/** Default of `autoJoinGroups`. */
const DEFAULT_AUTO_JOIN_GROUPS = ['CreatingBotAllowed'];

/** Cognito's limits on token validity. */
const TOKEN_LIMITS = {
  idTokenValidity: { min: Duration.minutes(5), max: Duration.days(1), text: '5 minutes and 1 day' },
  accessTokenValidity: { min: Duration.minutes(5), max: Duration.days(1), text: '5 minutes and 1 day' },
  refreshTokenValidity: { min: Duration.minutes(60), max: Duration.days(3650), text: '60 minutes and 3650 days' },
};

/** The sign-in props, validated and with their defaults. */
export interface SignInOptions {
  readonly providers: IdentityProvider[];
  readonly selfSignUpEnabled: boolean;
  readonly mfa: MfaMode;
  readonly tokenValidity: Record<keyof typeof TOKEN_LIMITS, Duration>;
  /** Lower-cased, or `undefined` for any domain (no pre sign-up trigger). */
  readonly allowedDomains?: string[];
  readonly autoJoinGroups: string[];
  readonly domainPrefix?: string;
  readonly customSignInDomain?: SignInCustomDomain;
  readonly callbackUrls: string[];
  readonly logoutUrls: string[];
  readonly waf: WafOptions;
}

/** Validates the sign-in props (with messages that say what to change) and applies their defaults. */
export function signInOptions(scope: Construct, props: ChatBackendProps): SignInOptions {
  const providers = props.identityProviders ?? [];
  const selfSignUpEnabled = props.selfSignUpEnabled ?? providers.length === 0;
  if (providers.length > 0 && props.selfSignUpEnabled === true) {
    Annotations.of(scope).addWarningV2('cdk-bedrock-chat:selfSignUpWithIdentityProviders',
      'ChatBackend: selfSignUpEnabled is true while identityProviders are configured: anyone can create a local account and bypass your identity provider (allowedSignUpEmailDomains still applies). Leave selfSignUpEnabled unset to turn it off.');
  }
  const tokenValidity = {
    idTokenValidity: props.idTokenValidity ?? Duration.minutes(60),
    accessTokenValidity: props.accessTokenValidity ?? Duration.minutes(60),
    refreshTokenValidity: props.refreshTokenValidity ?? Duration.days(30),
  };
  validateTokenValidity(tokenValidity);
  const allowedDomains = validateEmailDomains(props.allowedSignUpEmailDomains);
  warnOpenSignUp(scope, selfSignUpEnabled, allowedDomains);
  const autoJoinGroups = validateAutoJoinGroups(scope, props.autoJoinGroups ?? DEFAULT_AUTO_JOIN_GROUPS);
  if (props.domainPrefix !== undefined && props.customSignInDomain !== undefined) {
    throw new Error('ChatBackend: give either domainPrefix (a prefix domain of amazoncognito.com) or customSignInDomain (your own domain), not both');
  }
  if (props.domainPrefix !== undefined) validateDomainPrefix(props.domainPrefix);
  if (props.customSignInDomain !== undefined) validateSignInCustomDomain(props.customSignInDomain);
  const providerNames = providers.map((p) => p.providerName);
  if (new Set(providerNames).size !== providerNames.length) {
    throw new Error(`ChatBackend: identityProviders must have distinct names; got ${providerNames.join(', ')}`);
  }
  const callbackUrls = props.callbackUrls ?? [];
  const logoutUrls = props.logoutUrls ?? [];
  for (const url of callbackUrls) validateRedirectUrl('callbackUrls', url);
  for (const url of logoutUrls) validateRedirectUrl('logoutUrls', url);
  return {
    providers,
    selfSignUpEnabled,
    mfa: props.mfa ?? MfaMode.OPTIONAL,
    tokenValidity,
    allowedDomains,
    autoJoinGroups,
    domainPrefix: props.domainPrefix,
    customSignInDomain: props.customSignInDomain,
    callbackUrls,
    logoutUrls,
    waf: props.waf ?? {},
  };
}

/**
 * The sign-in part of `ChatBackend`: the user pool, its web client, groups, managed login domain and branding,
 * external identity providers, the sign-up triggers and the WAF web ACL associated with the pool. Other parts read
 * `jwtIssuer` and `userPoolClient` to verify tokens, and `userPool` (with `userPool.userPoolArn`) to grant access.
 */
export class SignIn {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly userPoolIdentityProviders: cognito.IUserPoolIdentityProvider[];
  public readonly userPoolDomain: cognito.UserPoolDomain;
  public readonly managedLoginBranding: cognito.CfnManagedLoginBranding;
  public readonly signInDomainRecord?: route53.ARecord;
  /** `https://<prefix>.auth.<region>.amazoncognito.com` or `https://<customSignInDomain>`. */
  public readonly authDomain: string;
  /** The issuer of the pool's tokens (`iss`), for the JWT authorizers. */
  public readonly jwtIssuer: string;
  public readonly preSignUpFunction?: lambda.Function;
  public readonly postConfirmationFunction?: lambda.Function;
  public readonly webAcl?: wafv2.CfnWebACL;
  public readonly wafLogGroup?: logs.ILogGroup;

  private readonly callbackUrls: string[] = [];
  private readonly logoutUrls: string[] = [];

  constructor(ctx: BackendContext, options: SignInOptions) {
    const scope = ctx.scope;
    const removalPolicy = ctx.removalPolicy;
    const { providers, mfa } = options;

    this.userPool = new cognito.UserPool(scope, 'UserPool', {
      selfSignUpEnabled: options.selfSignUpEnabled,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      ...cognitoMfa(mfa),
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    if (mfa === MfaMode.OPTIONAL) {
      acknowledge(this.userPool, {
        id: 'AwsSolutions-COG2',
        reason: 'MFA is optional (TOTP offered to every user) rather than required: required MFA would block sign-up from the embeddable widget. Set mfa: MfaMode.REQUIRED if your organisation needs it.',
      });
    } else if (mfa === MfaMode.OFF) {
      Annotations.of(scope).addWarningV2('cdk-bedrock-chat:mfaOff',
        'ChatBackend: mfa is MfaMode.OFF: users cannot protect their account with a second factor. The default, MfaMode.OPTIONAL, offers TOTP to every user.');
      acknowledge(this.userPool, {
        id: 'AwsSolutions-COG2',
        reason: 'MFA was switched off explicitly with mfa: MfaMode.OFF (the construct adds a warning annotation); the default offers TOTP to every user.',
      });
    }
    acknowledge(this.userPool, {
      id: 'AwsSolutions-COG8',
      reason: 'The Essentials feature plan is the default to keep the per-user price low; threat protection needs the Plus plan, which bills every monthly active user. Switch featurePlan through the escape hatch to enable it.',
    });

    this.userPoolIdentityProviders = providers.map((p, i) => p._bind(scope, `IdentityProvider${i}`, this.userPool));

    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        // Authorization code grant only; the browser client (no secret) uses PKCE.
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
      },
      supportedIdentityProviders: [
        cognito.UserPoolClientIdentityProvider.COGNITO,
        ...providers.map((p) => cognito.UserPoolClientIdentityProvider.custom(p.providerName)),
      ],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // Refresh token rotation: every refresh at the token endpoint returns a new refresh token and invalidates the
      // old one after the grace period, so a refresh token taken from a page stops working at the page's next refresh
      // (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-refresh-token.html).
      // With it on, the app client no longer allows the REFRESH_TOKEN_AUTH flow of InitiateAuth: SDK clients refresh
      // with GetTokensFromRefreshToken. 10 s of grace: a retried refresh after a lost reply still succeeds.
      refreshTokenRotationGracePeriod: Duration.seconds(10),
      ...options.tokenValidity,
    });
    for (const provider of this.userPoolIdentityProviders) this.userPoolClient.node.addDependency(provider);
    // Rendered at synth time, so BedrockChatFrontend (or the app) can add its URL after construction. Cognito refuses
    // a client with the code flow and no callback URL ("CallbackUrls can not be empty when code flow or implicit flow
    // is selected", InvalidOAuthFlowException of CreateUserPoolClient), so a backend nobody registered a URL on
    // (no frontend, no callbackUrls) gets a client without OAuth: SRP sign-in (tokenProvider) still works.
    const cfnClient = this.userPoolClient.node.defaultChild as cognito.CfnUserPoolClient;
    const oauthOn = () => this.callbackUrls.length > 0;
    const oauthFlows = cfnClient.allowedOAuthFlows;
    const oauthScopes = cfnClient.allowedOAuthScopes;
    cfnClient.allowedOAuthFlowsUserPoolClient = Lazy.any({ produce: () => oauthOn() });
    cfnClient.allowedOAuthFlows = Lazy.list({ produce: () => (oauthOn() ? oauthFlows : undefined) });
    cfnClient.allowedOAuthScopes = Lazy.list({ produce: () => (oauthOn() ? oauthScopes : undefined) });
    cfnClient.callbackUrLs = Lazy.list({ produce: () => (oauthOn() ? [...this.callbackUrls] : undefined) });
    cfnClient.logoutUrLs = Lazy.list({ produce: () => (this.logoutUrls.length > 0 ? [...this.logoutUrls] : undefined) });
    for (const url of options.callbackUrls) this.addCallbackUrl(url);
    for (const url of options.logoutUrls) this.addLogoutUrl(url);
    scope.node.addValidation({
      validate: () => {
        if (!oauthOn()) {
          Annotations.of(scope).addWarningV2('cdk-bedrock-chat:noCallbackUrl',
            'ChatBackend: no callback URL is registered, so the app client has no OAuth flow and the managed login pages cannot sign anyone in to an app: put a BedrockChatFrontend in front of this backend (it registers its URLs), or set callbackUrls / call addCallbackUrl().');
        }
        return [];
      },
    });

    for (const group of USER_POOL_GROUPS) {
      this.userPool.addGroup(group.id, { groupName: group.name, description: group.description });
    }
    const stack = Stack.of(scope);
    this.jwtIssuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;

    // A managed login domain always exists: the app and the widget sign users in (and up, with self sign-up) there.
    const custom = options.customSignInDomain;
    this.userPoolDomain = this.userPool.addDomain('Domain', {
      ...(custom
        ? { customDomain: { domainName: custom.domainName, certificate: custom.certificate } }
        : { cognitoDomain: { domainPrefix: options.domainPrefix ?? derivedDomainPrefix(scope) } }),
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    if (custom?.hostedZone) {
      this.signInDomainRecord = new route53.ARecord(scope, 'SignInDomainRecord', {
        zone: custom.hostedZone,
        // A trailing dot makes the name absolute (the zone's name may be unknown, as for fromHostedZoneId).
        recordName: `${custom.domainName}.`,
        // The domain's own CloudFrontDistribution attribute (UserPoolDomainTarget would read it with a custom resource).
        target: route53.RecordTarget.fromAlias({
          bind: () => ({
            dnsName: (this.userPoolDomain.node.defaultChild as cognito.CfnUserPoolDomain).attrCloudFrontDistribution,
            hostedZoneId: targets.CloudFrontTarget.getHostedZoneId(scope),
          }),
        }),
      });
    }
    // Managed login (version 2) shows a page per app client only once the client has a branding style.
    this.managedLoginBranding = new cognito.CfnManagedLoginBranding(scope, 'ManagedLoginBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.userPoolClient.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    this.managedLoginBranding.node.addDependency(this.userPoolDomain);
    // A custom domain's name is known at synth time: use it rather than the domain's Ref (the same string).
    this.authDomain = custom ? `https://${custom.domainName}` : this.userPoolDomain.baseUrl();

    // ---------------------------------------------------------------- sign-up triggers
    if (options.allowedDomains) {
      this.preSignUpFunction = ctx.functions.create('PreSignUp', CognitoPreSignUpFunction, {
        description: 'bedrock-chat: Cognito pre sign-up trigger (allowed email domains)',
        // Cognito waits at most 5 seconds for a trigger.
        timeout: Duration.seconds(5),
        memorySize: 256,
        environment: { ALLOWED_EMAIL_DOMAINS: options.allowedDomains.join(',') },
      });
      this.userPool.addTrigger(cognito.UserPoolOperation.PRE_SIGN_UP, this.preSignUpFunction);
    }
    if (options.autoJoinGroups.length > 0) {
      this.postConfirmationFunction = ctx.functions.create('PostConfirmation', CognitoPostConfirmationFunction, {
        description: 'bedrock-chat: Cognito post confirmation trigger (adds new users to the auto-join groups)',
        timeout: Duration.seconds(5),
        memorySize: 256,
        environment: { AUTO_JOIN_GROUPS: options.autoJoinGroups.join(',') },
      });
      this.userPool.addTrigger(cognito.UserPoolOperation.POST_CONFIRMATION, this.postConfirmationFunction);
      // The pool references the function (trigger) and the function's role would reference the pool: a grant on
      // the role's default policy makes a cycle (the function depends on that policy). A separate policy attached
      // to the role depends on the pool without the function depending on it, and names this pool exactly.
      const policy = new iam.Policy(scope, 'PostConfirmationPolicy', {
        statements: [new iam.PolicyStatement({
          actions: ['cognito-idp:AdminAddUserToGroup'],
          resources: [this.userPool.userPoolArn],
        })],
      });
      this.postConfirmationFunction.role!.attachInlinePolicy(policy);
    }

    // ---------------------------------------------------------------- WAF (user pool only)
    if (options.waf.enabled ?? true) {
      const created = createWebAcl(scope, options.waf, { retention: ctx.logRetention, removalPolicy });
      this.webAcl = created.webAcl;
      this.wafLogGroup = created.logGroup;
      new wafv2.CfnWebACLAssociation(scope, 'UserPoolWebAclAssociation', {
        resourceArn: this.userPool.userPoolArn,
        webAclArn: this.webAcl.attrArn,
      });
    } else {
      Annotations.of(scope).addWarningV2('cdk-bedrock-chat:wafDisabled',
        'ChatBackend: waf.enabled is false: the Cognito user pool has no rate limit per IP and no AWS managed rules in front of it.');
    }
  }

  /** See `ChatBackend.addCallbackUrl`. */
  public addCallbackUrl(url: string): void {
    validateRedirectUrl('callbackUrls', url);
    if (!this.callbackUrls.includes(url)) this.callbackUrls.push(url);
  }

  /** See `ChatBackend.addLogoutUrl`. */
  public addLogoutUrl(url: string): void {
    validateRedirectUrl('logoutUrls', url);
    if (!this.logoutUrls.includes(url)) this.logoutUrls.push(url);
  }
}

/** The user pool MFA settings for a mode: TOTP only, never SMS. */
function cognitoMfa(mode: MfaMode): Pick<cognito.UserPoolProps, 'mfa' | 'mfaSecondFactor'> {
  switch (mode.mode) {
    case 'OFF': return { mfa: cognito.Mfa.OFF };
    case 'REQUIRED': return { mfa: cognito.Mfa.REQUIRED, mfaSecondFactor: { otp: true, sms: false } };
    default: return { mfa: cognito.Mfa.OPTIONAL, mfaSecondFactor: { otp: true, sms: false } };
  }
}

function describeDuration(d: Duration): string {
  return d.toHumanString();
}

/** Token validity within Cognito's limits, and the refresh token living at least as long as the others. */
function validateTokenValidity(v: Record<keyof typeof TOKEN_LIMITS, Duration>): void {
  const seconds = (d: Duration) => d.toSeconds({ integral: false });
  for (const [name, limit] of Object.entries(TOKEN_LIMITS) as Array<[keyof typeof TOKEN_LIMITS, typeof TOKEN_LIMITS.idTokenValidity]>) {
    const d = v[name];
    if (d.isUnresolved()) continue;
    if (seconds(d) < seconds(limit.min) || seconds(d) > seconds(limit.max)) {
      throw new Error(`ChatBackend: ${name} must be between ${limit.text} (Cognito's limits); got ${describeDuration(d)}`);
    }
  }
  for (const name of ['idTokenValidity', 'accessTokenValidity'] as const) {
    if (v[name].isUnresolved() || v.refreshTokenValidity.isUnresolved()) continue;
    if (seconds(v.refreshTokenValidity) < seconds(v[name])) {
      throw new Error(`ChatBackend: refreshTokenValidity (${describeDuration(v.refreshTokenValidity)}) must be at least ${name} (${describeDuration(v[name])})`);
    }
  }
}

/** The allowed domains, lower-cased, or `undefined` for any domain. */
function validateEmailDomains(domains: string[] | undefined): string[] | undefined {
  if (domains === undefined) return undefined;
  if (domains.length === 0) {
    throw new Error('ChatBackend: allowedSignUpEmailDomains is empty, which would refuse every sign-up: leave it unset to allow any domain, or set selfSignUpEnabled: false');
  }
  const normalized = domains.map((d) => (Token.isUnresolved(d) ? d : d.trim().toLowerCase()));
  const bad = normalized.filter((d) => !Token.isUnresolved(d) && !isValidDomain(d));
  if (bad.length > 0) {
    throw new Error(`ChatBackend: allowedSignUpEmailDomains holds entries that are not domain names (e.g. 'example.com'; no '@', no wildcards, internationalised names in their xn-- form): ${bad.join(', ')}`);
  }
  return [...new Set(normalized)];
}

function validateAutoJoinGroups(scope: Construct, groups: string[]): string[] {
  const known = USER_POOL_GROUPS.map((g) => g.name);
  const unknown = groups.filter((g) => !known.includes(g));
  if (unknown.length > 0) {
    throw new Error(`ChatBackend: autoJoinGroups must name groups of the user pool (${known.join(', ')}); unknown: ${unknown.join(', ')}`);
  }
  if (groups.includes('Admin')) {
    Annotations.of(scope).addWarningV2('cdk-bedrock-chat:autoJoinAdmin',
      'ChatBackend: autoJoinGroups includes Admin: every new user becomes an administrator.');
  }
  return [...new Set(groups)];
}

function validateDomainPrefix(prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
    throw new Error(`ChatBackend: domainPrefix '${prefix}' must be 1 to 63 lower-case letters, digits and hyphens (not at either end) and must not contain 'aws', 'amazon' or 'cognito'`);
  }
}

/**
 * A prefix domain unique in the Region across all accounts and stable per stack, computed at deploy time:
 * `chat-<8 hex digits of the construct's address>-<UUID of AWS::StackId>`. A stack id is
 * `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>` (the UUID is lower-case hex and hyphens),
 * so the prefix is 50 characters of the allowed alphabet, never contains `aws`, `amazon` or `cognito` (none of them
 * is spelled with hex digits), and two ChatBackends of one stack differ by their address.
 * Rules: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-userpooldomain.html
 * (pattern `^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`, 1 to 63 characters).
 */
function derivedDomainPrefix(scope: Construct): string {
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return Fn.join('-', ['chat', scope.node.addr.slice(2, 10), stackUuid]);
}

function validateSignInCustomDomain(domain: SignInCustomDomain): void {
  const name = domain.domainName;
  if (!Token.isUnresolved(name) && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(name)) {
    throw new Error(`ChatBackend: customSignInDomain.domainName '${name}' is not a domain name (e.g. 'auth.example.com': lower-case letters, digits, hyphens, dots)`);
  }
  const region = certificateRegion(domain.certificate);
  if (region && region !== CLOUDFRONT_REGION) {
    throw new Error(`ChatBackend: customSignInDomain.certificate is in ${region}, but Cognito serves custom domains through CloudFront and needs the certificate in ${CLOUDFRONT_REGION}: request or import it there (a us-east-1 stack with crossRegionReferences: true works)`);
  }
}

function validateRedirectUrl(prop: string, url: string): void {
  if (Token.isUnresolved(url)) return;
  const ok = /^https:\/\/[^\s/#]+[^\s#]*$/.test(url) || /^http:\/\/localhost(:\d+)?(\/[^\s#]*)?$/.test(url);
  if (!ok) {
    throw new Error(`ChatBackend: ${prop}: '${url}' must be an https:// URL, or http://localhost[:port] for development, without a fragment (#)`);
  }
}
