import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { connectionExpired } from './core/auth';
import { acceptContinue, AcceptDeps, acceptMessage, acceptRegenerate, acceptResume, acceptStop } from './core/chat';
import { toChatError } from './core/errors';
import { errorFields } from './core/log';
import { ClientFrame, parseClientFrame, SUBPROTOCOL } from './core/protocol';
import { QuotaError } from './core/usage';
import { dispatchTurn } from './wiring/dispatch';
import { log, modelSettings } from './wiring/env';
import { groupsOf } from './wiring/groups';
import { closeConnection, sinkFor } from './wiring/management-api';
import { requests, store } from './wiring/store';
import { usage } from './wiring/usage';

type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: { authorizer?: { userId?: string; exp?: string; groups?: string } };
};

const OK = { statusCode: 200, body: '' };

/** Every WebSocket route of protocol v1. Routes return at once; answers are streamed by the chat worker. */
export async function handler(event: WebSocketEvent): Promise<APIGatewayProxyResult> {
  const { routeKey, connectionId } = event.requestContext;
  if (routeKey === '$connect') return { ...OK, headers: { 'Sec-WebSocket-Protocol': SUBPROTOCOL } };
  if (routeKey === '$disconnect') return OK;

  const userId = event.requestContext.authorizer?.userId;
  const sink = sinkFor(connectionId);
  const parsed = parseClientFrame(event.body);
  if (!parsed.ok) {
    await sink.send({ type: 'error', requestId: parsed.requestId, code: 'BAD_REQUEST', message: parsed.message });
    return OK;
  }
  const frame = parsed.frame;
  // A connection is authorized until its token expires, not for the connection's whole life: after `exp` every frame
  // (a ping too) is answered AUTH_EXPIRED and the connection closed; the client reconnects with a fresh token and
  // resumes (docs/architecture.md, "Sessions that end").
  if (connectionExpired(event.requestContext.authorizer?.exp, Date.now())) {
    await sink.send({ type: 'error', requestId: 'requestId' in frame ? frame.requestId : undefined, code: 'AUTH_EXPIRED', message: 'Your sign-in has expired.' });
    await closeConnection(connectionId);
    return OK;
  }
  if (frame.action === 'ping') {
    await sink.send({ type: 'pong' });
    return OK;
  }
  if (!userId) {
    await sink.send({ type: 'error', requestId: frame.requestId, code: 'UNAUTHORIZED', message: 'Sign in first.' });
    return OK;
  }
  const rlog = log.child({ requestId: frame.requestId, userId, connectionId, action: frame.action });
  // The $connect authorizer passes the token's groups comma-joined (ws-authorizer.lambda.ts).
  const tokenGroups = (event.requestContext.authorizer?.groups ?? '').split(',').filter(Boolean);
  const deps: AcceptDeps = {
    store: store(),
    requests: requests(),
    sink,
    dispatch: dispatchTurn,
    models: modelSettings(),
    log: rlog,
    usage: usage(),
    groups: await groupsOf({ userId, tokenGroups }),
  };
  try {
    await route(deps, userId, connectionId, frame);
  } catch (err) {
    const e = toChatError(err);
    if (e.code === 'INTERNAL') rlog.error('action failed', errorFields(err));
    const conversationId = 'conversationId' in frame ? frame.conversationId : undefined;
    await sink.send({ type: 'error', requestId: frame.requestId, conversationId, code: e.code, message: e.message, ...(e instanceof QuotaError ? { quota: e.quota } : {}) });
  }
  return OK;
}

function route(deps: AcceptDeps, userId: string, connectionId: string, frame: Exclude<ClientFrame, { action: 'ping' }>): Promise<void> {
  switch (frame.action) {
    case 'sendMessage': return acceptMessage(deps, userId, connectionId, frame);
    case 'regenerate': return acceptRegenerate(deps, userId, connectionId, frame);
    case 'continue': return acceptContinue(deps, userId, connectionId, frame);
    case 'stop': return acceptStop(deps, userId, frame);
    case 'resume': return acceptResume(deps, userId, connectionId, frame);
  }
}
