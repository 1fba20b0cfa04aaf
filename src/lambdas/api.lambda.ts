import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { callerFromClaims } from './core/auth';
import { handleRest } from './core/rest';
import { log } from './wiring/env';
import { store } from './wiring/store';

/** The REST router behind the HTTP API's JWT authorizer (which has already verified the token). */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  let caller;
  try {
    caller = claims ? callerFromClaims(claims) : undefined;
  } catch {
    caller = undefined;
  }
  const res = await handleRest({ store: store(), log }, {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    caller,
  });
  return {
    statusCode: res.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(res.body),
  };
}
