import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { API_FUNCTION_ROUTES, routeRest } from './core/rest-router';
import { bedrock } from './wiring/bedrock';
import { log, modelSettings } from './wiring/env';
import { groupsOf } from './wiring/groups';
import { restRequestOf, resultOf } from './wiring/rest-event';
import { store } from './wiring/store';
import { deleteUploads, presignUpload } from './wiring/uploads';
import { usage } from './wiring/usage';
import { usageOverrides } from './wiring/usage-overrides';

/**
 * The REST router of conversations, models, uploads, health and usage, behind the HTTP API's JWT authorizer (`/{proxy+}`).
 * Bots, the store, the searches, `/me` and `/openapi.json` have routes of their own to bots-api.lambda.ts.
 */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  const req = restRequestOf(event);
  const res = await routeRest(API_FUNCTION_ROUTES, {
    store: store(),
    // The user id (never the token) attributes each request's cost and abuse.
    log: log.child({ requestId: event.requestContext.requestId, userId: req.caller?.userId }),
    settings: modelSettings,
    bedrock,
    presignUpload,
    deleteUploads,
    usage,
    usageOverrides,
    groupsOf: (c) => groupsOf({ userId: c.userId, username: c.username, tokenGroups: c.groups }),
  }, req);
  return resultOf(res);
}
