import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { env, once } from './env';
import { ConversationStore } from '../core/conversations';
import { RequestStore } from '../core/requests';

export const documentClient = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));

export const store = once(() => new ConversationStore(documentClient(), env('TABLE_NAME')));

export const requests = once(() => new RequestStore(documentClient(), env('TABLE_NAME')));
