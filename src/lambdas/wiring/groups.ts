/**
 * The Cognito groups of a user, for the usage limits and the admin check: THE one place they are read.
 *
 * Today: the `cognito:groups` claim of the caller's ID token (verified by the HTTP API's JWT authorizer or the
 * WebSocket `$connect` authorizer). A token names the groups the user had when it was issued, so a removal from a
 * group applies when the user's next token is issued (at most the ID token validity, 1 hour by default). Reading
 * the pool at use time (AdminListGroupsForUser,
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminListGroupsForUser.html) is the
 * planned switch here, once the local stack emulates the Cognito Identity Provider API (docs/architecture.md,
 * "Usage limits").
 */
export async function groupsOf(caller: { readonly userId: string; readonly tokenGroups: readonly string[] }): Promise<readonly string[]> {
  return caller.tokenGroups;
}
