import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { callerFromClaims } from './core/auth';
import { handleRest, ModelSettings } from './core/rest';
import { bedrock } from './wiring/bedrock';
import { chatSettings, log } from './wiring/env';
import { store } from './wiring/store';

/** Models: `DEFAULT_MODEL_ID`, `ALLOWED_MODEL_IDS` (comma-separated), `TITLE_MODEL_ID` (default: the default model). */
const settings = (): ModelSettings => {
  const { defaultModelId, allowedModelIds } = chatSettings();
  return { defaultModelId, allowedModelIds, titleModelId: process.env.TITLE_MODEL_ID || defaultModelId };
};

/** The REST router behind the HTTP API's JWT authorizer (which has already verified the token). */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  let caller;
  try {
    caller = claims ? callerFromClaims(claims) : undefined;
  } catch {
    caller = undefined;
  }
  const res = await handleRest({ store: store(), log: log.child({ requestId: event.requestContext.requestId }), settings, bedrock }, {
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
