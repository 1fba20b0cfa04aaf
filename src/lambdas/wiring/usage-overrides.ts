import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { env, once } from './env';
import { UsageOverrides } from '../core/usage-overrides';

const documentClient = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));

/** The admins' overrides (api function only). */
export const usageOverrides = once(() => new UsageOverrides(documentClient(), env('TABLE_NAME')));
