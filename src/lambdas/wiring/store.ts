import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { env, once } from './env';
import { releaseUploads } from './release-uploads';
import { ConversationStore } from '../core/conversations';
import { RequestStore } from '../core/requests';

const documentClient = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));

export const store = once(() => new ConversationStore(documentClient(), env('TABLE_NAME')));

/** The store of the ws handler: storing a message that references uploads first removes their `pending` tag. */
export const storeReleasingUploads = once(() => new ConversationStore(documentClient(), env('TABLE_NAME'), releaseUploads));

export const requests = once(() => new RequestStore(documentClient(), env('TABLE_NAME')));
