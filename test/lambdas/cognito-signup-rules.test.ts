/**
 * The sign-up rules (src/lambdas/core/signup.ts): exact, case-insensitive email domain matching and the groups a
 * confirmed user joins.
 */
import { checkSignUp, emailDomain, groupsToJoin, parseAllowedDomains, parseGroups, signUpKind } from '../../src/lambdas/core/signup';

const ALLOWED = ['example.com', 'example.org'];
const selfSignUp = (email: string | undefined) => checkSignUp({ triggerSource: 'PreSignUp_SignUp', email }, ALLOWED);

describe('email domain check', () => {
  test.each([
    'alice@example.com',
    'Alice@Example.COM',
    'bob@EXAMPLE.ORG',
    'first.last+tag@example.com',
    'user%other.net@example.com',
  ])('%s is allowed', (email) => {
    expect(selfSignUp(email)).toEqual({ allowed: true });
  });

  test.each([
    ['evil-example.com (suffix of the name)', 'mallory@evil-example.com'],
    ['example.com.evil.org (allowed domain as a prefix)', 'mallory@example.com.evil.org'],
    ['sub.example.com (subdomain)', 'mallory@sub.example.com'],
    ['xample.com (shorter name)', 'mallory@xample.com'],
    ['example.co (prefix of the name)', 'mallory@example.co'],
    ['example.com. (trailing dot)', 'mallory@example.com.'],
    ['two @, allowed domain last', 'mallory@evil.org@example.com'],
    ['two @, allowed domain first', 'mallory@example.com@evil.org'],
    ['a space after the domain', 'mallory@example.com '],
    ['Cyrillic е in the domain', 'mallory@\u0435xample.com'],
    ['no @', 'example.com'],
    ['empty local part', '@example.com'],
  ])('%s is refused', (_name, email) => {
    const decision = selfSignUp(email);
    expect(decision.allowed).toBe(false);
  });

  test('a missing email is refused with a message saying an address is needed', () => {
    expect(selfSignUp(undefined)).toEqual({ allowed: false, message: expect.stringMatching(/valid email address/) });
  });

  test('the message names the refused domain and never the allowed ones', () => {
    const decision = selfSignUp('mallory@Evil.NET');
    expect(decision).toEqual({ allowed: false, message: expect.stringContaining('evil.net is not allowed') });
    if (!decision.allowed) {
      for (const d of ALLOWED) expect(decision.message).not.toContain(d);
    }
  });

  test('federated first sign-ins with a verified address are checked like self sign-ups', () => {
    const federated = (email: string | undefined, emailVerified: string | undefined = 'true') =>
      checkSignUp({ triggerSource: 'PreSignUp_ExternalProvider', email, emailVerified }, ALLOWED);
    expect(federated('a@example.com')).toEqual({ allowed: true });
    expect(federated('a@example.com', 'True')).toEqual({ allowed: true });
    expect(federated('a@gmail.com').allowed).toBe(false);
    expect(federated(undefined).allowed).toBe(false);
  });

  test.each([
    ['"false"', 'false'],
    ['missing (not mapped by the provider)', undefined],
    ['empty', ''],
    ['"yes" (not the attribute\'s value for true)', 'yes'],
    ['"1"', '1'],
  ])('a federated first sign-in at an allowed domain whose email_verified is %s is refused', (_name, emailVerified) => {
    const decision = checkSignUp({ triggerSource: 'PreSignUp_ExternalProvider', email: 'mallory@example.com', emailVerified }, ALLOWED);
    expect(decision).toEqual({ allowed: false, message: expect.stringMatching(/verified/) });
    if (!decision.allowed) for (const d of ALLOWED) expect(decision.message).not.toContain(d);
  });

  test('email_verified does not matter to self sign-ups (they verify with the confirmation code) or without an allowlist', () => {
    expect(checkSignUp({ triggerSource: 'PreSignUp_SignUp', email: 'a@example.com', emailVerified: 'false' }, ALLOWED)).toEqual({ allowed: true });
    expect(checkSignUp({ triggerSource: 'PreSignUp_ExternalProvider', email: 'a@gmail.com', emailVerified: 'false' }, undefined)).toEqual({ allowed: true });
  });

  test('administrators may create users at any domain', () => {
    expect(checkSignUp({ triggerSource: 'PreSignUp_AdminCreateUser', email: 'contractor@elsewhere.net' }, ALLOWED)).toEqual({ allowed: true });
  });

  test('an unknown trigger source is checked (fails closed)', () => {
    expect(signUpKind('PreSignUp_SomethingNew')).toBe('self');
    expect(checkSignUp({ triggerSource: 'PreSignUp_SomethingNew', email: 'a@evil.org' }, ALLOWED).allowed).toBe(false);
  });

  test('no allowed domains configured: every sign-up is allowed', () => {
    expect(checkSignUp({ triggerSource: 'PreSignUp_SignUp', email: 'anyone@anywhere.io' }, undefined)).toEqual({ allowed: true });
    expect(checkSignUp({ triggerSource: 'PreSignUp_SignUp', email: 'anyone@anywhere.io' }, [])).toEqual({ allowed: true });
  });

  test('emailDomain lower-cases and refuses anything but one @ and a domain name', () => {
    expect(emailDomain('A@B.Example.COM')).toBe('b.example.com');
    expect(emailDomain('a@localhost')).toBeUndefined();
    expect(emailDomain('a@-example.com')).toBeUndefined();
    expect(emailDomain('a@exa_mple.com')).toBeUndefined();
    expect(emailDomain(undefined)).toBeUndefined();
  });
});

describe('configuration parsing', () => {
  test('ALLOWED_EMAIL_DOMAINS: comma-separated, trimmed, lower-cased; empty means any', () => {
    expect(parseAllowedDomains(' Example.com, example.ORG ,')).toEqual(['example.com', 'example.org']);
    expect(parseAllowedDomains('')).toBeUndefined();
    expect(parseAllowedDomains(undefined)).toBeUndefined();
  });

  test('ALLOWED_EMAIL_DOMAINS with a malformed entry throws instead of allowing everybody', () => {
    expect(() => parseAllowedDomains('example.com,*.example.org')).toThrow(/not domain names: \*\.example\.org/);
    expect(() => parseAllowedDomains('@example.com')).toThrow(/not domain names/);
  });

  test('AUTO_JOIN_GROUPS: comma-separated, trimmed, without duplicates', () => {
    expect(parseGroups('CreatingBotAllowed, PublishAllowed,CreatingBotAllowed,')).toEqual(['CreatingBotAllowed', 'PublishAllowed']);
    expect(parseGroups(undefined)).toEqual([]);
  });
});

describe('groups to join', () => {
  test('a confirmed sign-up (also a federated first sign-in) joins the groups', () => {
    expect(groupsToJoin('PostConfirmation_ConfirmSignUp', ['CreatingBotAllowed'])).toEqual(['CreatingBotAllowed']);
  });

  test('a password reset joins nothing (it would undo an administrator removing the user from a group)', () => {
    expect(groupsToJoin('PostConfirmation_ConfirmForgotPassword', ['CreatingBotAllowed'])).toEqual([]);
  });
});
