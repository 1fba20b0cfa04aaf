/**
 * Sign-up rules of the user pool, without AWS event types: which email domains may create an account, and which
 * groups a newly confirmed user joins. The Cognito triggers (`cognito-pre-sign-up.lambda.ts`,
 * `cognito-post-confirmation.lambda.ts`) decode their events and call these functions.
 */

/** How an account is being created, from the pre sign-up trigger source. */
export type SignUpKind = 'self' | 'federated' | 'admin';

/**
 * The kind of sign-up for a pre sign-up trigger source. Unknown sources are treated as self sign-up, so any
 * future source is checked rather than let through.
 */
export function signUpKind(triggerSource: string): SignUpKind {
  switch (triggerSource) {
    case 'PreSignUp_AdminCreateUser': return 'admin';
    case 'PreSignUp_ExternalProvider': return 'federated';
    default: return 'self';
  }
}

/** A lower-case DNS name with at least two labels (ASCII; internationalised domains in their `xn--` form). */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Whether `domain` is a domain name this module can compare exactly (used to validate the configuration). */
export function isValidDomain(domain: string): boolean {
  return DOMAIN.test(domain);
}

/**
 * The domain of an email address, lower-cased, or `undefined` when the address has no single `@` or the part
 * after it is not a plain domain name. Addresses with more than one `@` are refused rather than parsed: which
 * `@` a mail server honours is exactly what an attacker would play with (`a@evil.org@example.com`).
 */
export function emailDomain(email: string | undefined): string | undefined {
  if (typeof email !== 'string') return undefined;
  const parts = email.split('@');
  if (parts.length !== 2 || parts[0].length === 0) return undefined;
  const domain = parts[1].toLowerCase();
  return DOMAIN.test(domain) ? domain : undefined;
}

/**
 * The allowed domains from their configuration (comma-separated, as in the `ALLOWED_EMAIL_DOMAINS` variable),
 * lower-cased. An empty or missing value means any domain. Throws on an entry that is not a domain name, so a
 * typo fails closed at the first sign-up instead of letting everybody in.
 */
export function parseAllowedDomains(value: string | undefined): string[] | undefined {
  const domains = (value ?? '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
  if (domains.length === 0) return undefined;
  const invalid = domains.filter((d) => !DOMAIN.test(d));
  if (invalid.length > 0) throw new Error(`ALLOWED_EMAIL_DOMAINS holds entries that are not domain names: ${invalid.join(', ')}`);
  return domains;
}

/** The result of the sign-up check: allowed, or refused with a message for the user. */
export type SignUpDecision = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

/**
 * Whether an account may be created.
 *
 * - With no allowed domains configured, every sign-up is allowed.
 * - Accounts created by an administrator (`AdminCreateUser`) are always allowed: creating users needs IAM
 *   permissions on the pool, and administrators may deliberately invite someone from another organisation.
 * - Self sign-up and the first sign-in through an external identity provider need an email address whose domain
 *   is exactly one of the allowed domains, compared case-insensitively. Subdomains are not included
 *   (`sub.example.com` is not `example.com`), and neither are look-alikes such as `evil-example.com` or
 *   `example.com.evil.org`.
 *
 * - A first sign-in through an external identity provider also needs the provider to say the address is verified
 *   (`email_verified` mapped to `true`): the pre sign-up event's `userAttributes` hold the attributes mapped from
 *   the provider (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html), and
 *   an unverified address at an allowed domain proves nothing (many providers let anyone type any address). Without
 *   the attribute the sign-in is refused (fails closed). Self sign-ups verify their address afterwards with
 *   Cognito's confirmation code, so their `email_verified` is not checked here.
 *
 * The message names the refused domain, never the allowed ones.
 */
export function checkSignUp(
  request: { readonly triggerSource: string; readonly email?: string; readonly emailVerified?: string },
  allowedDomains: readonly string[] | undefined,
): SignUpDecision {
  if (!allowedDomains || allowedDomains.length === 0) return { allowed: true };
  const kind = signUpKind(request.triggerSource);
  if (kind === 'admin') return { allowed: true };
  if (kind === 'federated' && !isTrue(request.emailVerified)) {
    return { allowed: false, message: 'Sign-in needs an email address your identity provider has verified.' };
  }
  const domain = emailDomain(request.email);
  if (!domain) {
    return { allowed: false, message: 'Sign-up needs a valid email address (name@domain) to check its domain.' };
  }
  if (allowedDomains.includes(domain)) return { allowed: true };
  return {
    allowed: false,
    message: `Sign-up with an email address at ${domain} is not allowed in this deployment. Use your organisation's email address.`,
  };
}

/** User attributes are strings: `email_verified` is `"true"` (some providers send `"True"`). */
function isTrue(value: string | undefined): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

/** The groups from their configuration (comma-separated, as in the `AUTO_JOIN_GROUPS` variable). */
export function parseGroups(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(',').map((g) => g.trim()).filter(Boolean))];
}

/**
 * The groups a user joins for a post confirmation trigger source. Only a confirmed sign-up (which is also the
 * source of a federated user's first sign-in) joins groups: `PostConfirmation_ConfirmForgotPassword` runs on every
 * password reset, and joining there would put back a user an administrator had removed from a group.
 */
export function groupsToJoin(triggerSource: string, groups: readonly string[]): string[] {
  return triggerSource === 'PostConfirmation_ConfirmSignUp' ? [...groups] : [];
}
