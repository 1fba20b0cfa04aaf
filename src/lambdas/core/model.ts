import { ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockRuntimeClient, Message as BedrockMessage } from '@aws-sdk/client-bedrock-runtime';
import type { Message } from './conversations';
import { ChatError } from './errors';
import type { Usage } from './protocol';

export type ModelEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'end'; readonly stopReason: string; readonly usage: Usage };

export interface ModelRequest {
  readonly modelId: string;
  readonly history: readonly Message[];
  readonly maxTokens?: number;
  readonly system?: string;
}

/**
 * The conversation path as Bedrock Converse messages. Consecutive messages of one role (a user message whose answer
 * failed, then another) are merged, since Converse requires alternating roles starting with the user.
 */
export function toConverseMessages(history: readonly Message[]): BedrockMessage[] {
  const out: BedrockMessage[] = [];
  for (const m of history) {
    const content = m.content.filter((b) => b.text).map((b) => ({ text: b.text }));
    if (content.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.role === m.role) last.content!.push(...content);
    else out.push({ role: m.role, content });
  }
  while (out.length && out[0].role !== 'user') out.shift();
  return out;
}

/** Streams one answer from Bedrock ConverseStream as text deltas followed by one end event. */
export async function* streamAnswer(client: BedrockRuntimeClient, req: ModelRequest, signal?: AbortSignal): AsyncGenerator<ModelEvent> {
  let res;
  try {
    res = await client.send(new ConverseStreamCommand({
      modelId: req.modelId,
      messages: toConverseMessages(req.history),
      system: req.system ? [{ text: req.system }] : undefined,
      inferenceConfig: { maxTokens: req.maxTokens ?? 4096 },
    }), { abortSignal: signal });
  } catch (err) {
    throw modelError(err);
  }
  let stopReason = 'end_turn';
  let usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  try {
    for await (const event of res.stream ?? []) {
      const text = event.contentBlockDelta?.delta?.text;
      if (text) yield { type: 'text', text };
      if (event.messageStop?.stopReason) stopReason = event.messageStop.stopReason;
      const u = event.metadata?.usage;
      if (u) {
        usage = {
          inputTokens: u.inputTokens ?? 0,
          outputTokens: u.outputTokens ?? 0,
          cacheReadTokens: u.cacheReadInputTokens ?? 0,
          cacheWriteTokens: u.cacheWriteInputTokens ?? 0,
        };
      }
    }
  } catch (err) {
    throw modelError(err);
  }
  yield { type: 'end', stopReason, usage };
}

/** Bedrock failures in words a user understands; the SDK has already retried throttling with backoff. */
export function modelError(err: unknown): ChatError {
  const name = (err as { name?: string })?.name ?? '';
  if (name === 'ThrottlingException' || name === 'ServiceQuotaExceededException') {
    return new ChatError('THROTTLED', 'The model is receiving too many requests right now. Please try again in a moment.');
  }
  if (name === 'AccessDeniedException') {
    return new ChatError('MODEL_ERROR', 'This deployment is not allowed to use the selected model. Ask your administrator to enable model access in Amazon Bedrock.');
  }
  if (name === 'ValidationException') {
    return new ChatError('MODEL_ERROR', 'The model rejected the request.');
  }
  return new ChatError('MODEL_ERROR', 'The model stopped with an error before finishing its answer.');
}
