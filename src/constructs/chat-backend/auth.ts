import { SecretValue, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';

/**
 * Multi-factor authentication of the user pool. The second factor is a TOTP authenticator app (no SMS: it
 * needs an SNS role and a sending budget, and is the weakest factor).
 *
 * MFA applies to users who sign in with a password; users from an external identity provider are
 * authenticated (and, where it requires it, challenged for MFA) by that provider.
 */
export class MfaMode {
  /** No MFA. Users sign in with a password only (a warning is added: this switches off a secure default). */
  public static readonly OFF = new MfaMode('OFF');
  /** Every user can set up a TOTP authenticator; those who do are asked for a code at each sign-in. */
  public static readonly OPTIONAL = new MfaMode('OPTIONAL');
  /** Every user must set up a TOTP authenticator at first sign-in and enter a code at each sign-in. */
  public static readonly REQUIRED = new MfaMode('REQUIRED');

  /**
   * @param mode `OFF`, `OPTIONAL` or `REQUIRED` (Cognito's `MfaConfiguration`)
   */
  private constructor(public readonly mode: string) {}
}

/** Sign in with Google. */
export interface GoogleIdentityProviderProps {
  /** The OAuth client id of your Google Cloud project (`...apps.googleusercontent.com`). */
  readonly clientId: string;
  /**
   * The OAuth client secret. Use `SecretValue.secretsManager(...)` (or `ssmSecure`): the template then holds a
   * dynamic reference, never the secret.
   */
  readonly clientSecret: SecretValue;
  /**
   * The scopes requested from Google.
   * @default ['openid', 'email', 'profile']
   */
  readonly scopes?: string[];
}

/** Sign in with any OpenID Connect provider (Microsoft Entra ID, Okta, Auth0, Keycloak, ...). */
export interface OidcIdentityProviderProps {
  /**
   * The provider name shown on the managed login page and used in `identity_provider=` of the authorize URL.
   * 3 to 32 characters: letters, digits, `.`, `-` and `_`, not starting or ending with a punctuation mark;
   * not a name Cognito reserves (`Google`, `Facebook`, `LoginWithAmazon`, `SignInWithApple`, `COGNITO`).
   */
  readonly name: string;
  /** The client id registered at the provider. */
  readonly clientId: string;
  /** The client secret registered at the provider (use `SecretValue.secretsManager(...)`). */
  readonly clientSecret: SecretValue;
  /** The issuer URL (`https://...`); the endpoints are discovered from `<issuer>/.well-known/openid-configuration`. */
  readonly issuerUrl: string;
  /**
   * The scopes requested from the provider.
   * @default ['openid', 'email', 'profile']
   */
  readonly scopes?: string[];
}

/** Sign in with a SAML 2.0 identity provider (Microsoft Entra ID, Okta, ADFS, Google Workspace, ...). */
export interface SamlIdentityProviderProps {
  /** The provider name (same rules as `OidcIdentityProviderProps.name`). */
  readonly name: string;
  /**
   * The URL of the provider's SAML metadata document (`https://...`). Give exactly one of `metadataUrl` and
   * `metadataContent`.
   * @default - `metadataContent` is used
   */
  readonly metadataUrl?: string;
  /**
   * The provider's SAML metadata document (XML). Give exactly one of `metadataUrl` and `metadataContent`.
   * @default - `metadataUrl` is used
   */
  readonly metadataContent?: string;
  /**
   * The SAML attribute that carries the user's email address (mapped to the `email` attribute, which the user
   * pool requires).
   * @default 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'
   */
  readonly emailAttribute?: string;
  /**
   * The SAML attribute saying whether the address is verified (`true`/`false`), mapped to `email_verified`. With
   * `allowedSignUpEmailDomains`, a first federated sign-in is refused unless `email_verified` is `true`, so a SAML
   * provider needs this (or the pool refuses its new users while an allowlist is set).
   * @default - not mapped
   */
  readonly emailVerifiedAttribute?: string;
  /**
   * Email domains or other identifiers that route a user to this provider from the managed login page.
   * @default - none
   */
  readonly identifiers?: string[];
  /**
   * Whether signing out also signs the user out of the SAML provider (single logout).
   * @default false
   */
  readonly idpSignout?: boolean;
}

/**
 * Your own domain for the Cognito managed login pages (`https://<domainName>/oauth2/authorize`, ...), instead of
 * `<prefix>.auth.<region>.amazoncognito.com`.
 *
 * Cognito serves a custom domain through CloudFront, so the certificate must be in us-east-1 whatever the Region
 * of the user pool ("you must provide an SSL certificate in the US East (N. Virginia) Region",
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolDomain.html), and
 * the parent domain (`example.com` for `auth.example.com`) must already resolve to an A record
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-add-custom-domain.html).
 */
export interface SignInCustomDomain {
  /** The domain name of the sign-in pages, e.g. `auth.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for `domainName` in us-east-1 (for a stack elsewhere: a us-east-1 stack with `crossRegionReferences: true`). */
  readonly certificate: acm.ICertificate;
  /**
   * The Route 53 public hosted zone of `domainName`: receives an A alias record pointing at Cognito's CloudFront
   * distribution.
   * @default - no record is created: point a CNAME (or alias) at `ChatBackend.userPoolDomain.cloudFrontEndpoint` yourself
   */
  readonly hostedZone?: route53.IHostedZone;
}

/** The SAML attribute most providers use for the email address. */
const SAML_EMAIL_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
const RESERVED_NAMES = ['google', 'facebook', 'loginwithamazon', 'signinwithapple', 'cognito'];

type ProviderFactory = (scope: Construct, id: string, userPool: cognito.IUserPool) => cognito.IUserPoolIdentityProvider;

/**
 * An external identity provider users can sign in with. Create one with `IdentityProvider.google(...)`,
 * `IdentityProvider.oidc(...)` or `IdentityProvider.saml(...)` and pass it in `ChatBackendProps.identityProviders`.
 *
 * Every provider maps the user's email address to the pool's required `email` attribute; the email domain check
 * (`allowedSignUpEmailDomains`) then applies to the address the provider asserts, and only when the provider also
 * asserts `email_verified` `true` (Google and OIDC map it; SAML with `emailVerifiedAttribute`).
 */
export class IdentityProvider {
  /** Sign in with Google. */
  public static google(props: GoogleIdentityProviderProps): IdentityProvider {
    return new IdentityProvider('Google', (scope, id, userPool) => new cognito.UserPoolIdentityProviderGoogle(scope, id, {
      userPool,
      clientId: props.clientId,
      clientSecretValue: props.clientSecret,
      scopes: props.scopes ?? DEFAULT_SCOPES,
      attributeMapping: {
        email: cognito.ProviderAttribute.GOOGLE_EMAIL,
        emailVerified: cognito.ProviderAttribute.other('email_verified'),
        fullname: cognito.ProviderAttribute.GOOGLE_NAME,
      },
    }));
  }

  /** Sign in with an OpenID Connect provider. */
  public static oidc(props: OidcIdentityProviderProps): IdentityProvider {
    validateProviderName(props.name);
    if (!Token.isUnresolved(props.issuerUrl) && !/^https:\/\/[^\s/]+/.test(props.issuerUrl)) {
      throw new Error(`IdentityProvider.oidc: issuerUrl '${props.issuerUrl}' must be an https:// URL (the issuer of the provider's tokens)`);
    }
    return new IdentityProvider(props.name, (scope, id, userPool) => new cognito.UserPoolIdentityProviderOidc(scope, id, {
      userPool,
      name: props.name,
      clientId: props.clientId,
      // A Secrets Manager or SSM SecretValue renders as a dynamic reference resolved by CloudFormation.
      clientSecret: props.clientSecret.unsafeUnwrap(),
      issuerUrl: props.issuerUrl,
      scopes: props.scopes ?? DEFAULT_SCOPES,
      attributeRequestMethod: cognito.OidcAttributeRequestMethod.GET,
      attributeMapping: {
        email: cognito.ProviderAttribute.other('email'),
        emailVerified: cognito.ProviderAttribute.other('email_verified'),
        fullname: cognito.ProviderAttribute.other('name'),
      },
    }));
  }

  /** Sign in with a SAML 2.0 provider. */
  public static saml(props: SamlIdentityProviderProps): IdentityProvider {
    validateProviderName(props.name);
    if ((props.metadataUrl === undefined) === (props.metadataContent === undefined)) {
      throw new Error(`IdentityProvider.saml '${props.name}': give exactly one of metadataUrl and metadataContent`);
    }
    if (props.metadataUrl !== undefined && !Token.isUnresolved(props.metadataUrl) && !/^https:\/\/[^\s/]+/.test(props.metadataUrl)) {
      throw new Error(`IdentityProvider.saml '${props.name}': metadataUrl '${props.metadataUrl}' must be an https:// URL`);
    }
    const metadata = props.metadataUrl !== undefined
      ? cognito.UserPoolIdentityProviderSamlMetadata.url(props.metadataUrl)
      : cognito.UserPoolIdentityProviderSamlMetadata.file(props.metadataContent!);
    return new IdentityProvider(props.name, (scope, id, userPool) => new cognito.UserPoolIdentityProviderSaml(scope, id, {
      userPool,
      name: props.name,
      metadata,
      identifiers: props.identifiers,
      idpSignout: props.idpSignout ?? false,
      attributeMapping: {
        email: cognito.ProviderAttribute.other(props.emailAttribute ?? SAML_EMAIL_CLAIM),
        ...(props.emailVerifiedAttribute ? { emailVerified: cognito.ProviderAttribute.other(props.emailVerifiedAttribute) } : {}),
      },
    }));
  }

  /**
   * @param providerName the name the user pool client lists in its supported identity providers
   * @param factory creates the provider in the user pool
   */
  private constructor(
    /** The provider name (`Google`, or the `name` given to `oidc`/`saml`). */
    public readonly providerName: string,
    private readonly factory: ProviderFactory,
  ) {}

  /**
   * Creates the provider in `userPool`. Used by `ChatBackend`.
   * @internal
   */
  public _bind(scope: Construct, id: string, userPool: cognito.IUserPool): cognito.IUserPoolIdentityProvider {
    return this.factory(scope, id, userPool);
  }
}

function validateProviderName(name: string): void {
  if (Token.isUnresolved(name)) return;
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,30})[A-Za-z0-9]$/.test(name) || RESERVED_NAMES.includes(name.toLowerCase())) {
    throw new Error(`IdentityProvider: name '${name}' must be 3 to 32 letters, digits, '.', '-' or '_' (starting and ending with a letter or digit) and not one of Google, Facebook, LoginWithAmazon, SignInWithApple, COGNITO`);
  }
}

/**
 * The regional AWS WAF web ACL in front of the Cognito user pool.
 *
 * Rules, in evaluation order: blocked IPv4/IPv6 ranges, then (when allow lists are given) block every address
 * outside them, then the rate limit per client IP, then the AWS managed rule groups.
 */
export interface WafOptions {
  /**
   * Whether to create the web ACL. It costs about USD 5 per month plus USD 1 per rule and USD 0.60 per million
   * requests (a warning is added when switched off).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * IPv4 ranges (CIDR, e.g. `203.0.113.0/24`) allowed to reach the user pool. When this or
   * `allowedIpv6Ranges` is given, every other address is blocked.
   * @default - every address is allowed
   */
  readonly allowedIpv4Ranges?: string[];
  /**
   * IPv6 ranges (CIDR, e.g. `2001:db8::/32`) allowed to reach the user pool (see `allowedIpv4Ranges`).
   * @default - every address is allowed
   */
  readonly allowedIpv6Ranges?: string[];
  /**
   * IPv4 ranges always blocked (evaluated before the allow lists).
   * @default - none
   */
  readonly blockedIpv4Ranges?: string[];
  /**
   * IPv6 ranges always blocked (evaluated before the allow lists).
   * @default - none
   */
  readonly blockedIpv6Ranges?: string[];
  /**
   * Requests per client IP address in any 5-minute window above which the address is blocked (10 to
   * 2,000,000,000).
   * @default 2000
   */
  readonly rateLimitPer5Minutes?: number;
  /**
   * AWS managed rule groups (vendor `AWS`) evaluated after the IP and rate rules, in this order. An empty list
   * adds none.
   * @default ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList']
   */
  readonly managedRuleGroups?: string[];
  /**
   * Whether to log requests to a CloudWatch Logs log group (named `aws-waf-logs-...`, as WAF requires, with the
   * construct's log retention). Amazon Cognito forwards no personal data (user names, passwords, emails) to WAF.
   * @default false
   */
  readonly loggingEnabled?: boolean;
}
