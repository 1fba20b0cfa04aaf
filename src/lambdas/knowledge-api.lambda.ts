import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { knowledgeDeploymentFrom } from './core/bot-knowledge';
import { ChatError } from './core/errors';
import { DocumentStore } from './core/knowledge-documents';
import { KNOWLEDGE_ROUTES } from './core/knowledge-routes';
import { routeRest } from './core/rest-routing';
import { botStore } from './wiring/bots';
import { groupsOf } from './wiring/cognito';
import { env, log, modelSettings, once } from './wiring/env';
import { dedicatedKnowledgeIndex, knowledgeIndex } from './wiring/knowledge-index';
import { knowledgeObjects } from './wiring/knowledge-objects';
import { restRequestOf, resultOf } from './wiring/rest-event';
import { startExecution } from './wiring/state-machines';
import { documentClient } from './wiring/store';

/** None of KNOWLEDGE_ROUTES uses these (they are the api function's). */
const notHere = (what: string) => (): never => {
  throw new ChatError('INTERNAL', `${what} is served by the api function, not by knowledge-api.`);
};

const documents = once(() => new DocumentStore({ db: documentClient(), tableName: env('BOT_TABLE_NAME'), objects: knowledgeObjects(), index: knowledgeIndex() }));

/** The bulk sync's item (`KNOWLEDGE_SYNC_TABLE`, key `SYNC#<KNOWLEDGE_BULK_DATA_SOURCE_ID>`: bulk-sync.ts). */
async function syncState(): Promise<Record<string, unknown> | undefined> {
  const res = await documentClient().send(new GetCommand({
    TableName: env('KNOWLEDGE_SYNC_TABLE'),
    Key: { pk: `SYNC#${env('KNOWLEDGE_BULK_DATA_SOURCE_ID')}` },
    ConsistentRead: true,
  }));
  return res.Item;
}

/**
 * The REST routes of bots' documents (`/knowledge/{proxy+}`, behind the HTTP API's JWT authorizer; routes:
 * core/knowledge-routes.ts, contract: docs/knowledge-contract.md). Created by KnowledgeBaseFactory.
 */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  const req = restRequestOf(event);
  const res = await routeRest(KNOWLEDGE_ROUTES, {
    get store() {
      return notHere('The conversation store')();
    },
    log: log.child({ requestId: event.requestContext.requestId, userId: req.caller?.userId }),
    settings: modelSettings,
    bedrock: notHere('Bedrock'),
    presignUpload: notHere('Uploading attachments'),
    deleteUploads: notHere('Deleting attachments'),
    knowledge: () => {
      // KnowledgeBaseFactory's environment (docs/knowledge-contract.md): the offer, the machines' ARNs.
      const deployment = knowledgeDeploymentFrom(process.env);
      return {
        bots: botStore(),
        documents: documents(),
        groupsOf,
        syncState,
        deployment,
        dedicatedIndex: dedicatedKnowledgeIndex,
        ...(deployment.provisionArn ? { machines: { deployment, startExecution, db: documentClient(), tableName: env('BOT_TABLE_NAME'), log } } : {}),
      };
    },
  }, req);
  return resultOf(res);
}
