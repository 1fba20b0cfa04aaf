import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { acceptMessage } from './core/chat';
import { toChatError } from './core/errors';
import { errorFields } from './core/log';
import { parseClientFrame, SUBPROTOCOL } from './core/protocol';
import { dispatchTurn } from './wiring/dispatch';
import { chatSettings, log } from './wiring/env';
import { sinkFor } from './wiring/management-api';
import { store } from './wiring/store';

type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: { authorizer?: { userId?: string } };
};

/** Every WebSocket route of protocol v1. Routes return at once; answers are streamed by the chat worker. */
export async function handler(event: WebSocketEvent): Promise<APIGatewayProxyResult> {
  const { routeKey, connectionId } = event.requestContext;
  if (routeKey === '$connect') {
    return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': SUBPROTOCOL }, body: '' };
  }
  if (routeKey === '$disconnect') return { statusCode: 200, body: '' };

  const userId = event.requestContext.authorizer?.userId;
  const sink = sinkFor(connectionId);
  const parsed = parseClientFrame(event.body);
  if (!parsed.ok) {
    await sink.send({ type: 'error', requestId: parsed.requestId, code: 'BAD_REQUEST', message: parsed.message });
    return { statusCode: 200, body: '' };
  }
  const frame = parsed.frame;
  if (frame.action === 'ping') {
    await sink.send({ type: 'pong' });
    return { statusCode: 200, body: '' };
  }
  if (!userId) {
    await sink.send({ type: 'error', requestId: frame.requestId, code: 'UNAUTHORIZED', message: 'Sign in first.' });
    return { statusCode: 200, body: '' };
  }
  const rlog = log.child({ requestId: frame.requestId, connectionId });
  try {
    await acceptMessage({ store: store(), sink, dispatch: dispatchTurn, settings: chatSettings(), log: rlog }, userId, connectionId, frame);
  } catch (err) {
    const e = toChatError(err);
    if (e.code === 'INTERNAL') rlog.error('sendMessage failed', errorFields(err));
    await sink.send({ type: 'error', requestId: frame.requestId, conversationId: frame.conversationId, code: e.code, message: e.message });
  }
  return { statusCode: 200, body: '' };
}
