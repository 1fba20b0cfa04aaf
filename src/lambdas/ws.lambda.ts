import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { connectionExpired } from './core/auth';
import { acceptContinue, AcceptDeps, acceptMessage, acceptRegenerate, acceptResume, acceptStop } from './core/chat';
import { toChatError } from './core/errors';
import { errorFields } from './core/log';
import { ClientFrame, parseClientFrame, SUBPROTOCOL } from './core/protocol';
import { dispatchTurn } from './wiring/dispatch';
import { log, modelSettings } from './wiring/env';
import { closeConnection, sinkFor } from './wiring/management-api';
import { viewerOf } from './core/bots';
import { groupsOf } from './wiring/cognito';
import { botStore, requests, store } from './wiring/store';

type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: { authorizer?: { userId?: string; username?: string; exp?: string } };
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
  const deps: AcceptDeps = {
    store: store(), requests: requests(), sink, dispatch: dispatchTurn, models: modelSettings(), log: rlog, bots: turnBots(userId, event.requestContext.authorizer?.username),
  };
  try {
    await route(deps, userId, connectionId, frame);
  } catch (err) {
    const e = toChatError(err);
    if (e.code === 'INTERNAL') rlog.error('action failed', errorFields(err));
    const conversationId = 'conversationId' in frame ? frame.conversationId : undefined;
    await sink.send({ type: 'error', requestId: frame.requestId, conversationId, code: e.code, message: e.message });
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

/**
 * The bots of this caller's turns (when the deployment has a bot table): the bot is read once per turn and the
 * caller's groups come from the user pool at use time (not from the token the connection was opened with).
 */
function turnBots(userId: string, username: string | undefined): AcceptDeps['bots'] {
  if (!process.env.BOT_TABLE_NAME) return undefined;
  // AdminListGroupsForUser takes the user name, or the sub of a local user.
  const viewer = viewerOf({ userId, username: username || userId }, groupsOf);
  return {
    resolve: (botId) => botStore().forTurn(botId, viewer),
    recordUse: (bot) => botStore().recordUse(userId, bot),
  };
}
