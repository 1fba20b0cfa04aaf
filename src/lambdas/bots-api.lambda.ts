import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { knowledgeDeploymentFrom } from './core/bot-knowledge';
import { ChatError } from './core/errors';
import { releaseSharedDocuments } from './core/knowledge-documents';
import { BOTS_FUNCTION_ROUTES, routeRest } from './core/rest';
import { bedrockControl, guardrailNamePrefix } from './wiring/bedrock-control';
import { botStore } from './wiring/bots';
import { groupsOf as poolGroupsOf, searchGroups, searchUsers } from './wiring/cognito';
import { env, log, modelSettings } from './wiring/env';
import { groupsOf } from './wiring/groups';
import { deleteSharedDocuments } from './wiring/knowledge-release';
import { restRequestOf, resultOf } from './wiring/rest-event';
import { startExecution } from './wiring/state-machines';
import { documentClient } from './wiring/store';

/** What the deployment offers bots for their knowledge (KnowledgeBaseFactory's environment: docs/knowledge-contract.md). */
const knowledgeDeployment = () => knowledgeDeploymentFrom(process.env);

/** None of BOTS_FUNCTION_ROUTES uses these (they are the api function's: conversations, Bedrock titles, uploads). */
const notHere = (what: string) => (): never => {
  throw new ChatError('INTERNAL', `${what} is served by the api function, not by bots-api.`);
};

/**
 * The REST routes of bots, the store, the user and group searches, `/me` and `/openapi.json`, behind the HTTP API's
 * JWT authorizer on routes of their own (`/bots`, `/bots/{proxy+}`, ...: ChatBackend's RestApi part), so that the
 * api function carries neither the bot code nor the Bedrock control plane and user pool clients.
 */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  const req = restRequestOf(event);
  const res = await routeRest(BOTS_FUNCTION_ROUTES, {
    get store() {
      return notHere('The conversation store')();
    },
    log: log.child({ requestId: event.requestContext.requestId, userId: req.caller?.userId }),
    settings: modelSettings,
    bedrock: notHere('Bedrock'),
    presignUpload: notHere('Uploading'),
    deleteUploads: notHere('Deleting uploads'),
    bots: () => ({
      store: botStore(),
      groupsOf: poolGroupsOf,
      searchUsers,
      searchGroups,
      guardrails: { bedrock: bedrockControl(), db: documentClient(), tableName: env('BOT_TABLE_NAME'), namePrefix: guardrailNamePrefix(), log },
      // Set by KnowledgeBaseFactory (docs/knowledge-contract.md): bots then carry `knowledge: {documentCount}`.
      knowledge: !!process.env.KNOWLEDGE_BASE_ID,
      knowledgeDeployment: knowledgeDeployment(),
      ...(process.env.KNOWLEDGE_PROVISION_ARN ? {
        machines: { deployment: knowledgeDeployment(), startExecution, db: documentClient(), tableName: env('BOT_TABLE_NAME'), log },
      } : {}),
      // Needs the shared CUSTOM data source's id (KnowledgeBaseFactory sets it with the dedicated part).
      ...(process.env.KNOWLEDGE_DATA_SOURCE_ID ? {
        releaseSharedDocuments: async (botId: string) => {
          await releaseSharedDocuments({ db: documentClient(), tableName: env('BOT_TABLE_NAME'), deleteFromIndex: deleteSharedDocuments }, botId);
        },
      } : {}),
    }),
    groupsOf: (c) => groupsOf({ userId: c.userId, username: c.username, tokenGroups: c.groups }),
  }, req);
  return resultOf(res);
}
