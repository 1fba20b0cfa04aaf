import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { env, once } from './env';
import { UsageStore, usageConfigFrom } from '../core/usage';

const documentClient = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));

/** The usage limits of the deployment (`USAGE_LIMITS_JSON`); undefined when budgets are switched off. */
export const usage = once((): UsageStore | undefined => {
  const config = usageConfigFrom(process.env);
  return config ? new UsageStore(documentClient(), env('TABLE_NAME'), config) : undefined;
});
