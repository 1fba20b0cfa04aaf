import { AdminAddUserToGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { createLogger, errorFields } from './core/log';
import { groupsToJoin, parseGroups } from './core/signup';

const log = createLogger({ fn: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local' });

/** Created at first use, so `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` set by a test is honoured. */
let client: CognitoIdentityProviderClient | undefined;
const cognito = () => (client ??= new CognitoIdentityProviderClient({}));

/**
 * Cognito post confirmation trigger: adds a newly confirmed user (a confirmed sign-up, or a federated user's first
 * sign-in) to the groups in `AUTO_JOIN_GROUPS` (comma-separated). Password resets join nothing.
 *
 * A failure is logged and thrown: Cognito then reports the error to the client. The account stays confirmed
 * either way, so the user can sign in; an administrator adds the missing group.
 */
export async function handler(event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> {
  const groups = groupsToJoin(event.triggerSource, parseGroups(process.env.AUTO_JOIN_GROUPS));
  for (const group of groups) {
    try {
      await cognito().send(new AdminAddUserToGroupCommand({
        UserPoolId: event.userPoolId,
        Username: event.userName,
        GroupName: group,
      }));
    } catch (err) {
      log.error('could not add the new user to a group', { group, ...errorFields(err) });
      throw new Error(`Your account is confirmed, but joining the group ${group} failed; ask an administrator to add you.`);
    }
  }
  // The user id (sub) identifies the account in the logs; the email address is never logged.
  log.info('user confirmed', { triggerSource: event.triggerSource, userId: event.request?.userAttributes?.sub, groups: groups.join(',') });
  return event;
}
