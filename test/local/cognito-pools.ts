/**
 * One user pool with the same groups and users in the local Cognito emulator and in moto_server's cognito-idp, for
 * the tests that make the same calls to both and expect the same answers.
 */
import {
  AdminAddUserToGroupCommand, AdminCreateUserCommand, CognitoIdentityProviderClient, CreateGroupCommand, CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoIdp } from '../../src/local/emulators/cognito-idp';
import { startDynamoDb } from '../../src/local/emulators/dynamodb';

export interface PoolGroup { readonly name: string; readonly description?: string }
export interface PoolUser { readonly username: string; readonly email: string; readonly groups: readonly string[] }
/** A cognito-idp endpoint with the pool, and how to stop it. */
export interface PoolTarget { readonly endpoint: string; readonly poolId: string; readonly stop: () => Promise<void> }

/** The same credentials for both servers (moto accepts any; the emulator does not check them). */
export const POOL_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The local emulator with the pool `us-east-1_Local1234`; user `i` has the sub `00000000-0000-4000-8000-00000000000<i>`. */
export async function emulatorPool(groups: readonly PoolGroup[], users: readonly PoolUser[]): Promise<PoolTarget> {
  const poolId = 'us-east-1_Local1234';
  const emu = await startCognitoIdp([{ userPoolId: poolId, groups, users: users.map((u, i) => ({ ...u, sub: `00000000-0000-4000-8000-00000000000${i}` })) }]);
  return { endpoint: emu.endpoint, poolId, stop: emu.stop };
}

/** moto_server with a pool created and filled through the real SDK client (users created without a welcome message). */
export async function motoPool(groups: readonly PoolGroup[], users: readonly PoolUser[]): Promise<PoolTarget> {
  const server = await startDynamoDb({ backend: 'moto' });
  const client = new CognitoIdentityProviderClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: POOL_CREDENTIALS });
  const pool = await client.send(new CreateUserPoolCommand({ PoolName: 'p' }));
  const poolId = pool.UserPool!.Id!;
  for (const g of groups) await client.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: g.name, Description: g.description }));
  for (const u of users) {
    await client.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: u.username, UserAttributes: [{ Name: 'email', Value: u.email }], MessageAction: 'SUPPRESS' }));
    for (const g of u.groups) await client.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: u.username, GroupName: g }));
  }
  return { endpoint: server.endpoint, poolId, stop: server.stop };
}
