import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { env, once } from './env';
import { ConversationStore } from '../core/conversations';

export const store = once(() => new ConversationStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
  env('TABLE_NAME'),
));
