import { CognitoClient } from './cognito-client';
import { env, once } from './env';
import type { FoundGroup, FoundUser } from '../core/bot-routes';

/** The small signed client (cognito-client.ts), created at first use, so `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` (the local stack's emulator) is honoured. */
const cognito = once(() => new CognitoClient());

/**
 * The user's groups, read from the user pool now (not from a token minted before a change): AdminListGroupsForUser,
 * every page. Username is the user's user name (or an alias, or the sub of a local user)
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminListGroupsForUser.html).
 */
export async function groupsOf(username: string): Promise<string[]> {
  const groups: string[] = [];
  let nextToken: string | undefined;
  do {
    const res = await cognito().send('AdminListGroupsForUser', { UserPoolId: env('USER_POOL_ID'), Username: username, Limit: 60, NextToken: nextToken });
    for (const g of res.Groups ?? []) if (g.GroupName) groups.push(g.GroupName);
    nextToken = res.NextToken;
  } while (nextToken);
  return groups;
}

/**
 * The ListUsers filter `email ^= "<prefix>"` (a prefix match). Quotation marks inside the value are escaped with a
 * backslash, as the filter syntax requires; a backslash is escaped too so that it cannot escape the closing quote
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListUsers.html, Filter).
 */
export function emailPrefixFilter(prefix: string): string {
  return `email ^= "${prefix.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Users whose email starts with `prefix`: at most 20 (ListUsers takes a Limit of 1 to 60). */
export async function searchUsers(prefix: string): Promise<FoundUser[]> {
  const res = await cognito().send('ListUsers', { UserPoolId: env('USER_POOL_ID'), Filter: emailPrefixFilter(prefix), Limit: 20 });
  return (res.Users ?? []).flatMap((u) => {
    const attr = (name: string) => u.Attributes?.find((a) => a.Name === name)?.Value;
    const id = attr('sub');
    const email = attr('email');
    if (!id || !email) return [];
    const name = attr('name');
    return [{ id, email, ...(name ? { name } : {}) }];
  });
}

/**
 * Groups whose name starts with `prefix` (case-insensitive): ListGroups has no filter, so pages of 60 are read and
 * matched here, at most 5 pages (300 groups)
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListGroups.html).
 */
export async function searchGroups(prefix: string): Promise<FoundGroup[]> {
  const wanted = prefix.toLowerCase();
  const found: FoundGroup[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 5 && found.length < 20; page++) {
    const res = await cognito().send('ListGroups', { UserPoolId: env('USER_POOL_ID'), Limit: 60, NextToken: nextToken });
    for (const g of res.Groups ?? []) {
      if (!g.GroupName || !g.GroupName.toLowerCase().startsWith(wanted)) continue;
      found.push({ name: g.GroupName, ...(g.Description ? { description: g.Description } : {}) });
    }
    nextToken = res.NextToken;
    if (!nextToken) break;
  }
  return found.slice(0, 20);
}
