import { groupsOf as poolGroupsOf } from './cognito';

/**
 * The Cognito groups of a user whose usage limits apply and who may administer them: THE one place the usage limits
 * read them.
 *
 * When the function knows its user pool (`USER_POOL_ID`, set by `ChatBackend` on the ws and api functions), the groups
 * are read from the pool at use time with AdminListGroupsForUser
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminListGroupsForUser.html), the
 * same call the bots make, so a removal from a group (or from Admin) applies at the next frame or request, not when the
 * user's next token is issued. Without a pool (a function wired by hand), the token's `cognito:groups` claim is used:
 * it names the groups the user had when the token was issued.
 */
export async function groupsOf(caller: {
  readonly userId: string;
  readonly username?: string;
  readonly tokenGroups: readonly string[];
}): Promise<readonly string[]> {
  if (!process.env.USER_POOL_ID) return caller.tokenGroups;
  // AdminListGroupsForUser takes the user name (or the sub of a local user).
  return poolGroupsOf(caller.username || caller.userId);
}
