import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Caller, callerFromClaims } from '../core/auth';
import type { RestRequest, RestResponse } from '../core/rest-router';

/**
 * The HTTP API's event (payload format 2.0, behind the JWT authorizer, which has already verified the token) as a
 * RestRequest, and a RestResponse as the function's result: shared by the api and bots-api functions.
 */
export function restRequestOf(event: APIGatewayProxyEventV2WithJWTAuthorizer): RestRequest & { caller: Caller | undefined } {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  let caller: Caller | undefined;
  try {
    caller = claims ? callerFromClaims(claims) : undefined;
  } catch {
    caller = undefined;
  }
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    body: event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
    caller,
  };
}

export function resultOf(res: RestResponse): APIGatewayProxyStructuredResultV2 {
  if (res.body === undefined) return { statusCode: res.status, headers: { 'cache-control': 'no-store' } };
  return { statusCode: res.status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(res.body) };
}
