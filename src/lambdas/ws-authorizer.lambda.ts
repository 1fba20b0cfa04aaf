import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { errorFields } from './core/log';
import { tokenFromSubprotocols } from './core/protocol';
import { log } from './wiring/env';
import { tokenVerifier } from './wiring/verifier';

/**
 * `$connect` authorizer. The browser cannot set headers on a WebSocket, so the ID token travels as the second
 * subprotocol (`Sec-WebSocket-Protocol: bedrock-chat.v1, <token>`), never in the URL (URLs end up in logs).
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const header = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'sec-websocket-protocol')?.[1];
  const token = tokenFromSubprotocols(header ?? undefined);
  if (!token) throw new Error('Unauthorized');
  try {
    const caller = await tokenVerifier()(token);
    return {
      principalId: caller.userId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      // `exp` lets every later frame of the connection be refused once the token has expired (ws.lambda.ts): API Gateway
      // passes this context to every route of the connection, not just $connect
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html).
      context: {
        userId: caller.userId,
        username: caller.username,
        groups: caller.groups.join(','),
        ...(caller.expiresAt !== undefined ? { exp: String(caller.expiresAt) } : {}),
      },
    };
  } catch (err) {
    log.warn('connection refused', errorFields(err));
    throw new Error('Unauthorized');
  }
}
