import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { env, once } from './env';
import { BotStore } from '../core/bots';
import { ConversationStore } from '../core/conversations';
import { RequestStore } from '../core/requests';

const documentClient = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));

export const store = once(() => new ConversationStore(documentClient(), env('TABLE_NAME')));

export const requests = once(() => new RequestStore(documentClient(), env('TABLE_NAME')));

export const botStore = once(() => new BotStore(documentClient(), env('BOT_TABLE_NAME')));
