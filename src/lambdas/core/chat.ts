import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { ConversationStore, Message, pathTo } from './conversations';
import { ChatError, invalid, notFound, toChatError } from './errors';
import { FrameSink, TextCoalescer } from './frames';
import { ulid } from './ids';
import { errorFields, Logger } from './log';
import { streamAnswer } from './model';
import type { SendMessageFrame, Usage } from './protocol';

/** What the WebSocket route hands to the asynchronously invoked worker. */
export interface TurnJob {
  readonly userId: string;
  readonly connectionId: string;
  readonly requestId: string;
  readonly conversationId: string;
  readonly userMessageId: string;
  readonly modelId: string;
}

export interface ChatSettings {
  readonly defaultModelId: string;
  /** Models a client may ask for. @default - only the default model */
  readonly allowedModelIds?: readonly string[];
}

export interface AcceptDeps {
  readonly store: ConversationStore;
  readonly sink: FrameSink;
  readonly dispatch: (job: TurnJob) => Promise<void>;
  readonly settings: ChatSettings;
  readonly log: Logger;
}

const TITLE_LENGTH = 60;

/**
 * `sendMessage`: stores the user's message (so it is never lost), acknowledges it, and hands the answer to the
 * worker. Returns at once: the 29-second API Gateway integration limit never applies to generation.
 */
export async function acceptMessage(deps: AcceptDeps, userId: string, connectionId: string, frame: SendMessageFrame): Promise<void> {
  const { store, sink, settings } = deps;
  const modelId = frame.model ?? settings.defaultModelId;
  const allowed = settings.allowedModelIds ?? [settings.defaultModelId];
  if (!allowed.includes(modelId)) throw invalid(`The model "${modelId}" is not available in this deployment.`);

  const createdAt = new Date().toISOString();
  const userMessage = (parentId: string | null): Message => ({
    id: ulid(), parentId, role: 'user', content: frame.content.map((b) => ({ text: b.text })), createdAt,
  });

  let conversationId: string;
  let message: Message;
  if (frame.conversationId) {
    conversationId = frame.conversationId;
    const conv = await store.get(userId, conversationId);
    if (!conv) throw notFound('This conversation does not exist or was deleted.');
    const parentId = frame.parentMessageId ?? conv.lastMessageId;
    if (frame.parentMessageId && !(await store.hasMessage(userId, conversationId, frame.parentMessageId))) {
      throw notFound('The message you replied to does not exist in this conversation.');
    }
    message = userMessage(parentId);
    await store.putMessage(userId, conversationId, message);
    await store.advance(userId, conversationId, message.id);
  } else {
    if (frame.parentMessageId) throw invalid('parentMessageId needs a conversationId.');
    conversationId = ulid();
    message = userMessage(null);
    await store.create(userId, { id: conversationId, title: titleOf(frame.content.map((b) => b.text).join(' ')), model: modelId }, message);
  }

  await sink.send({ type: 'ack', requestId: frame.requestId, conversationId, messageId: message.id });
  await deps.dispatch({ userId, connectionId, requestId: frame.requestId, conversationId, userMessageId: message.id, modelId });
}

export interface TurnDeps {
  readonly store: ConversationStore;
  readonly sink: FrameSink;
  readonly bedrock: BedrockRuntimeClient;
  readonly log: Logger;
  /** Coalescing of text frames. */
  readonly coalesce?: { intervalMs?: number; maxChars?: number };
}

/**
 * One assistant answer: streams it from Bedrock to the client in coalesced frames and stores it. The answer is stored
 * even if the client went away; a model failure keeps the partial answer (stopReason `error`) and tells the client.
 * Never throws: an asynchronously invoked Lambda that throws would be retried and answer twice.
 */
export async function runTurn(deps: TurnDeps, job: TurnJob): Promise<void> {
  const { store, sink, log } = deps;
  const ids = { requestId: job.requestId, conversationId: job.conversationId };
  const assistantId = ulid();
  let text = '';
  let stopReason = 'error';
  let usage: Usage | undefined;
  let failure: ChatError | undefined;

  const coalescer = new TextCoalescer((delta) => sink.send({ type: 'text', ...ids, messageId: assistantId, delta }), deps.coalesce);
  try {
    const found = await store.getWithMessages(job.userId, job.conversationId);
    if (!found) throw notFound('This conversation does not exist or was deleted.');
    const history = pathTo(found.messages, job.userMessageId);
    if (history.length === 0) throw notFound('The message to answer was not found.');
    await sink.send({ type: 'start', ...ids, messageId: assistantId, parentMessageId: job.userMessageId, model: job.modelId });
    for await (const event of streamAnswer(deps.bedrock, { modelId: job.modelId, history })) {
      if (event.type === 'text') {
        text += event.text;
        coalescer.push(event.text);
      } else {
        stopReason = event.stopReason;
        usage = event.usage;
      }
    }
  } catch (err) {
    failure = toChatError(err);
    if (failure.code === 'INTERNAL' || failure.code === 'MODEL_ERROR' || failure.code === 'THROTTLED') {
      log.error('turn failed', { ...ids, ...errorFields(err) });
    }
  }

  try {
    await coalescer.close();
  } catch (err) {
    log.warn('could not deliver a frame', { ...ids, ...errorFields(err) });
  }

  try {
    if (text || !failure) {
      await store.putMessage(job.userId, job.conversationId, {
        id: assistantId,
        parentId: job.userMessageId,
        role: 'assistant',
        content: [{ text }],
        createdAt: new Date().toISOString(),
        model: job.modelId,
        ...(usage ? { usage } : {}),
        stopReason,
      });
      await store.advance(job.userId, job.conversationId, assistantId, usage);
    }
  } catch (err) {
    log.error('could not store the answer', { ...ids, ...errorFields(err) });
    failure ??= toChatError(err);
  }

  try {
    if (failure) {
      await sink.send({ type: 'error', ...ids, messageId: assistantId, code: failure.code, message: failure.message });
    } else {
      await sink.send({
        type: 'end',
        ...ids,
        messageId: assistantId,
        stopReason,
        usage: usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      });
    }
  } catch (err) {
    log.warn('could not deliver the final frame', { ...ids, ...errorFields(err) });
  }
  log.info('turn done', { ...ids, stopReason: failure ? `error:${failure.code}` : stopReason, outputChars: text.length, outputTokens: usage?.outputTokens });
}

function titleOf(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length <= TITLE_LENGTH ? clean : clean.slice(0, TITLE_LENGTH - 1).trimEnd() + '…';
}
