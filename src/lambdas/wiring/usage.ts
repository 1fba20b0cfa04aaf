import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { env, once } from './env';
import { UsageLedger, UsageStore, usageConfigFrom } from '../core/usage';

const documentClient = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));

/** The usage limits of the deployment (`USAGE_LIMITS_JSON`); undefined when budgets are switched off. */
export const usage = /* @__PURE__ */ once((): UsageStore | undefined => {
  const config = usageConfigFrom(process.env);
  return config ? new UsageStore(documentClient(), env('TABLE_NAME'), config) : undefined;
});

/** Settlement only (the worker's on-failure destination releases reservations, nothing else). */
export const usageLedger = /* @__PURE__ */ once((): UsageLedger | undefined =>
  (process.env.USAGE_LIMITS_JSON ? new UsageLedger(documentClient(), env('TABLE_NAME')) : undefined));
