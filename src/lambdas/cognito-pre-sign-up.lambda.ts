import type { PreSignUpTriggerEvent } from 'aws-lambda';
import { createLogger } from './core/log';
import { checkSignUp, emailDomain, parseAllowedDomains, signUpKind } from './core/signup';

const log = createLogger({ fn: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local' });

/**
 * Cognito pre sign-up trigger: refuses self sign-ups and first federated sign-ins whose email domain is not one of
 * `ALLOWED_EMAIL_DOMAINS` (comma-separated). Accounts created by an administrator are let through.
 * Throwing refuses the sign-up; Cognito shows the client "PreSignUp failed with error <message>".
 */
export async function handler(event: PreSignUpTriggerEvent): Promise<PreSignUpTriggerEvent> {
  const allowed = parseAllowedDomains(process.env.ALLOWED_EMAIL_DOMAINS);
  const email = event.request?.userAttributes?.email;
  const emailVerified = event.request?.userAttributes?.email_verified;
  const decision = checkSignUp({ triggerSource: event.triggerSource, email, emailVerified }, allowed);
  // The domain is logged, never the address.
  const fields = { triggerSource: event.triggerSource, kind: signUpKind(event.triggerSource), domain: emailDomain(email), emailVerified: emailVerified === undefined ? undefined : emailVerified.trim().toLowerCase() === 'true' };
  if (!decision.allowed) {
    log.warn('sign-up refused', fields);
    throw new Error(decision.message);
  }
  log.info('sign-up allowed', fields);
  return event;
}
