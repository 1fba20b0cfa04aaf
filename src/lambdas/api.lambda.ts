import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { callerFromClaims } from './core/auth';
import { handleRest } from './core/rest';
import { bedrock } from './wiring/bedrock';
import { log, modelSettings } from './wiring/env';
import { groupsOf } from './wiring/groups';
import { store } from './wiring/store';
import { deleteUploads, presignUpload } from './wiring/uploads';
import { usage } from './wiring/usage';
import { usageOverrides } from './wiring/usage-overrides';

/** The REST router behind the HTTP API's JWT authorizer (which has already verified the token). */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  let caller;
  try {
    caller = claims ? callerFromClaims(claims) : undefined;
  } catch {
    caller = undefined;
  }
  const res = await handleRest({
    store: store(),
    // The user id (never the token) attributes each request's cost and abuse.
    log: log.child({ requestId: event.requestContext.requestId, userId: caller?.userId }),
    settings: modelSettings,
    bedrock,
    presignUpload,
    deleteUploads,
    usage,
    usageOverrides,
    groupsOf: (c) => groupsOf({ userId: c.userId, tokenGroups: c.groups }),
  }, {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    body: event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
    caller,
  });
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (res.body === undefined) return { statusCode: res.status, headers: { 'cache-control': 'no-store' } };
  return { statusCode: res.status, headers, body: JSON.stringify(res.body) };
}
