import { ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockRuntimeClient, ContentBlock as BedrockBlock, Message as BedrockMessage, SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { documentNameProblem, imageProblem, imageSize, toDocumentName, uniqueDocumentName } from './attachment-files';
import type { Message } from './conversations';
import { ChatError, invalid } from './errors';
import { ANSWER_MAX_TOKENS, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGES_PER_MESSAGE, mb } from './limits';
import type { GuardrailRef } from './models';
import type { ContentBlock, Usage } from './protocol';

export type ModelEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'reasoning'; readonly text: string }
  | { readonly type: 'toolUse'; readonly toolUseId: string; readonly name: string; readonly input: unknown }
  /** `content`: the assistant message as the model wrote it (text, reasoning with its signature, tool uses), for a tool loop. */
  | { readonly type: 'end'; readonly stopReason: string; readonly usage: Usage; readonly content: BedrockBlock[] };

/** A tool the model may call (ToolSpecification: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolSpecification.html). */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: { readonly json: Record<string, unknown> };
}

export interface ModelRequest {
  readonly modelId: string;
  readonly messages: BedrockMessage[];
  readonly maxTokens?: number;
  readonly system?: string;
  /** Extended thinking budget in tokens (models that reason); omitted: no reasoning. */
  readonly reasoningBudget?: number;
  /** The model only accepts adaptive thinking: the budget is left to it. */
  readonly adaptiveReasoning?: boolean;
  /**
   * Put a cache point after the latest user message: the next turn's prompt starts with this one, so the model reads
   * the conversation so far from its prompt cache (cheaper, faster). Below the model's minimum size nothing is cached.
   */
  readonly cacheConversation?: boolean;
  readonly guardrail?: GuardrailRef;
  /**
   * Contextual grounding (with `guardrail` only): the retrieved passages as the guardrail's grounding source and the
   * user's question as its query (see `groundingBlocks`). Omitted: the request carries no guardContent at all.
   */
  readonly grounding?: Grounding;
  /** A bot's generation parameters (InferenceConfiguration: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InferenceConfiguration.html). */
  readonly temperature?: number;
  readonly topP?: number;
  readonly stopSequences?: string[];
  /** Anthropic's `top_k`, an additional model request field (only set for models that take it: core/bots.ts takesTopK). */
  readonly topK?: number;
  /**
   * Tools the model may call (`toolConfig.tools`); Bedrock requires it on every request whose messages hold toolUse or
   * toolResult blocks (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolConfiguration.html,
   * https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html).
   */
  readonly tools?: readonly ToolSpec[];
}

/** The grounding source (the numbered `<sources>` block, which the model reads) and the query of a turn. */
export interface Grounding {
  readonly source: string;
  readonly query: string;
  /** The whole question, when the query is only its first 1,000 characters (the content filters still see it all). */
  readonly question?: string;
}

/**
 * Where ConverseStream takes a contextual grounding check's inputs: `guardContent` blocks
 * (GuardrailConverseContentBlock) whose text carries `qualifiers`, `grounding_source` for the reference the answer must
 * be grounded in and `query` for the user's question (GuardrailConverseTextBlock: "The qualifier details for the
 * guardrails contextual grounding filter", valid values `grounding_source | query | guard_content`:
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailConverseTextBlock.html). The check needs
 * the three of them, grounding source, query and the content to guard (the model's answer); several blocks of one
 * qualifier are combined (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-contextual-grounding-check.html).
 * - The source goes into the system prompt as a guardContent block in place of the sources' text block: the model reads
 *   guardContent text like any other content (it is how Converse marks part of a prompt for the guardrail, not a
 *   separate channel: https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-converse-api.html), so the
 *   prompt the model reads is the same, in two system blocks instead of one.
 * - The query is added to the latest user message, the user's text kept (a message with a document needs a text block,
 *   so the text cannot be replaced). It is also `guard_content`: once a request has guardContent blocks, the guardrail's
 *   other filters evaluate only those (same page, "Evaluate only specific content in a message"), so the question
 *   stays under the content filters; the earlier turns, already checked when they were asked, are not evaluated again.
 * Limits of the check: 100,000 characters of grounding source, 1,000 of query, 5,000 of answer (contextual grounding
 * page): the sources are at most 5 x 8,000 characters and the query is cut at 1,000 (core/retrieval.ts).
 */
export function groundingBlocks(grounding: Grounding): { system: SystemContentBlock; query: BedrockBlock[] } {
  const query: BedrockBlock[] = grounding.question
    // A question longer than a query: the query for the check, the whole question for the other filters.
    ? [
      { guardContent: { text: { text: grounding.query, qualifiers: ['query'] } } },
      { guardContent: { text: { text: grounding.question, qualifiers: ['guard_content'] } } },
    ]
    : [{ guardContent: { text: { text: grounding.query, qualifiers: ['query', 'guard_content'] } } }];
  return { system: { guardContent: { text: { text: grounding.source, qualifiers: ['grounding_source'] } } }, query };
}

/** The messages with the query blocks added to the last user message that is not a tool's results (the question). */
function withQuery(messages: BedrockMessage[], blocks: BedrockBlock[]): BedrockMessage[] {
  const i = messages.map((m) => (m.role === 'user' && !m.content!.some((b) => b.toolResult) ? 'q' : '')).lastIndexOf('q');
  if (i < 0) return messages;
  return messages.map((m, j) => (j === i ? { ...m, content: [...m.content!, ...blocks] } : m));
}

/** The messages with a cache point closing the last user message. */
export function withCachePoint(messages: BedrockMessage[]): BedrockMessage[] {
  const i = messages.map((m) => m.role).lastIndexOf('user');
  if (i < 0) return messages;
  return messages.map((m, j) => (j === i ? { ...m, content: [...m.content!, { cachePoint: { type: 'default' } }] } : m));
}

/** Reads an uploaded file from the large-message bucket; throws NOT_FOUND when it is gone. */
export type BlobLoader = (key: string) => Promise<Uint8Array>;

/**
 * The user turn that asks a model without assistant prefill to continue its cut answer (which precedes it as an
 * assistant turn). The reply is joined to the stored answer by `Seam`, which also removes a repeated tail.
 */
export const CONTINUE_INSTRUCTION = 'Your previous answer was cut off at the output limit. Continue it from exactly where it stopped, '
  + 'as if you had never been interrupted: do not repeat any of it, do not comment on the interruption, and start with the '
  + 'very next characters (even in the middle of a sentence, a word or a code block).';

export interface ConverseMessageOptions {
  /**
   * The model accepts a conversation that ends with an assistant turn (prefill). Without it, a trailing assistant
   * turn (continue) is followed by a user turn with CONTINUE_INSTRUCTION. @default false
   */
  readonly assistantPrefill?: boolean;
}

/**
 * The conversation path as Bedrock Converse messages, files read from the large-message bucket. Consecutive messages
 * of one role (a user message whose answer failed, then another) are merged, since Converse requires alternating
 * roles starting with the user. A trailing assistant message (continue) is a prefill for models that accept one (its
 * trailing whitespace removed, which models require); for the others a user turn asking to continue follows it.
 *
 * Bedrock's per-message limits (limits.ts) are checked on the merged messages: at most 20 images and 5 documents,
 * images at most 3.75 MB and 8,000 px per side (read from the image header), documents at most 4.5 MB. A message over
 * a limit is refused with a BAD_REQUEST naming it (the stored conversation is unchanged). Document names that Bedrock
 * would refuse (stored by an older version, or two equal names after merging) are rewritten to names it accepts.
 */
export async function toConverseMessages(
  history: readonly Message[], load: BlobLoader, options: ConverseMessageOptions = {},
): Promise<BedrockMessage[]> {
  const out: Array<BedrockMessage & { merged?: number }> = [];
  for (const m of history) {
    const content: BedrockBlock[] = [];
    for (const b of m.content) {
      const block = await toBedrockBlock(b, load);
      if (block) content.push(block);
    }
    if (content.length === 0) continue;
    // Converse needs a text block beside documents; a message of files only gets a neutral one.
    if (m.role === 'user' && content.some((b) => 'document' in b) && !content.some((b) => 'text' in b)) {
      content.push({ text: 'See the attached document.' });
    }
    const last = out[out.length - 1];
    if (last && last.role === m.role) {
      last.content!.push(...content);
      last.merged = (last.merged ?? 1) + 1;
    } else {
      out.push({ role: m.role, content });
    }
  }
  while (out.length && out[0].role !== 'user') out.shift();
  for (const m of out) checkLimits(m);
  const messages: BedrockMessage[] = out.map(({ role, content }) => ({ role, content }));
  const tail = messages[messages.length - 1];
  if (tail?.role === 'assistant') {
    const lastBlock = tail.content![tail.content!.length - 1];
    if (lastBlock && 'text' in lastBlock && typeof lastBlock.text === 'string') {
      (lastBlock as { text: string }).text = lastBlock.text.trimEnd();
    }
    // https://platform.claude.com/docs/en/about-claude/models/migration-guide: "Prefilling assistant messages returns
    // a 400 error" on Claude 4.6 models ("This model does not support assistant message prefill. The conversation must
    // end with a user message."); the conversation then ends with a user turn instead.
    if (!options.assistantPrefill) messages.push({ role: 'user', content: [{ text: CONTINUE_INSTRUCTION }] });
  }
  return messages;
}

/** Bedrock's per-message limits on one merged Converse message; document names made acceptable and unique. */
function checkLimits(m: BedrockMessage & { merged?: number }): void {
  const blocks = m.content ?? [];
  const images = blocks.filter((b) => 'image' in b && b.image);
  const documents = blocks.filter((b) => 'document' in b && b.document);
  const merged = (m.merged ?? 1) > 1 ? ' (counting the unanswered message before it, which is sent together with it)' : '';
  if (images.length > MAX_IMAGES_PER_MESSAGE) {
    throw invalid(`This message carries ${images.length} images${merged}; Amazon Bedrock accepts at most ${MAX_IMAGES_PER_MESSAGE} per message. Edit it to attach fewer images.`);
  }
  if (documents.length > MAX_DOCUMENTS_PER_MESSAGE) {
    throw invalid(`This message carries ${documents.length} documents${merged}; Amazon Bedrock accepts at most ${MAX_DOCUMENTS_PER_MESSAGE} per message. Edit it to attach fewer documents.`);
  }
  for (const b of images) {
    const bytes = b.image!.source!.bytes!;
    const problem = imageProblem('An attached image', bytes.length, imageSize(bytes));
    if (problem) throw invalid(`${problem}. Edit the message and attach a smaller image.`);
  }
  const names = new Set<string>();
  for (const b of documents) {
    const doc = b.document! as { name: string; source?: { bytes?: Uint8Array } };
    const size = doc.source?.bytes?.length ?? 0;
    if (size > MAX_DOCUMENT_BYTES) {
      throw invalid(`An attached document is ${mb(size)}; a document can be at most ${mb(MAX_DOCUMENT_BYTES)}. Edit the message and attach a smaller one.`);
    }
    const acceptable = documentNameProblem(doc.name) ? toDocumentName(doc.name, false) : doc.name;
    doc.name = uniqueDocumentName(acceptable, names);
    names.add(doc.name);
  }
}

async function toBedrockBlock(b: ContentBlock, load: BlobLoader): Promise<BedrockBlock | undefined> {
  if ('text' in b) return b.text ? { text: b.text } : undefined;
  if ('image' in b) return { image: { format: b.image.format, source: { bytes: await load(b.image.key) } } };
  return { document: { format: b.document.format, name: b.document.name, source: { bytes: await load(b.document.key) } } };
}

/** Thinking (a budget, or adaptive) and Anthropic's top_k, as ConverseStream's additionalModelRequestFields. */
function additionalFields(req: ModelRequest): never | undefined {
  const fields: Record<string, unknown> = {};
  if (req.reasoningBudget) fields.thinking = req.adaptiveReasoning ? { type: 'adaptive' } : { type: 'enabled', budget_tokens: req.reasoningBudget };
  if (req.topK !== undefined) fields.top_k = req.topK;
  return Object.keys(fields).length ? fields as never : undefined;
}

/** Streams one answer from Bedrock ConverseStream: text, reasoning and tool-use events, then one end event. */
export async function* streamAnswer(client: BedrockRuntimeClient, req: ModelRequest, signal?: AbortSignal): AsyncGenerator<ModelEvent> {
  const maxTokens = req.maxTokens ?? ANSWER_MAX_TOKENS;
  let res;
  const grounding = req.guardrail && req.grounding ? groundingBlocks(req.grounding) : undefined;
  const cached = req.cacheConversation ? withCachePoint(req.messages) : req.messages;
  const system: SystemContentBlock[] = req.system ? [{ text: req.system }] : [];
  try {
    res = await client.send(new ConverseStreamCommand({
      modelId: req.modelId,
      messages: grounding ? withQuery(cached, grounding.query) : cached,
      system: grounding ? [...system, grounding.system] : system.length ? system : undefined,
      // A grounded turn is checked in sync mode: the guardrail evaluates the answer's chunks before they are sent, so an
      // ungrounded answer never reaches the user (in async mode the chunks go out while the check runs, and a check
      // that fails is only seen after the whole answer was streamed:
      // https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-streaming.html,
      // https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-contextual-grounding-check.html).
      guardrailConfig: req.guardrail
        ? { guardrailIdentifier: req.guardrail.id, guardrailVersion: req.guardrail.version, streamProcessingMode: grounding ? 'sync' : 'async' }
        : undefined,
      // Thinking needs max tokens above its budget.
      inferenceConfig: {
        maxTokens: req.reasoningBudget ? Math.max(maxTokens, req.reasoningBudget + 1024) : maxTokens,
        ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
        ...(req.topP !== undefined ? { topP: req.topP } : {}),
        ...(req.stopSequences?.length ? { stopSequences: req.stopSequences } : {}),
      },
      additionalModelRequestFields: additionalFields(req),
      toolConfig: req.tools ? { tools: req.tools.map((toolSpec) => ({ toolSpec: toolSpec as never })) } : undefined,
    }), { abortSignal: signal });
  } catch (err) {
    throw signal?.aborted ? new AnswerStopped() : modelError(err);
  }
  let stopReason = 'end_turn';
  let usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  const tools = new Map<number, { toolUseId: string; name: string; input: string }>();
  // The assistant message by content block index (ContentBlockDelta: text, reasoningContent text and signature, toolUse
  // input: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlockDelta.html).
  const blocks: { text?: string; reasoningContent?: { reasoningText: { text: string; signature?: string } }; toolUse?: unknown }[] = [];
  try {
    for await (const event of res.stream ?? []) {
      const delta = event.contentBlockDelta?.delta;
      const at = event.contentBlockDelta?.contentBlockIndex ?? 0;
      if (delta?.text) {
        yield { type: 'text', text: delta.text };
        blocks[at] = { text: (blocks[at]?.text ?? '') + delta.text };
      }
      const r = delta?.reasoningContent;
      if (r?.text || r?.signature) {
        if (r.text) yield { type: 'reasoning', text: r.text };
        const t = (blocks[at] ??= { reasoningContent: { reasoningText: { text: '' } } }).reasoningContent!.reasoningText;
        t.text += r.text ?? '';
        if (r.signature) t.signature = r.signature;
      }
      const start = event.contentBlockStart;
      if (start?.start?.toolUse) {
        tools.set(start.contentBlockIndex ?? 0, { toolUseId: start.start.toolUse.toolUseId ?? '', name: start.start.toolUse.name ?? '', input: '' });
      }
      if (delta?.toolUse?.input !== undefined) {
        const tool = tools.get(event.contentBlockDelta!.contentBlockIndex ?? 0);
        if (tool) tool.input += delta.toolUse.input;
      }
      const stop = event.contentBlockStop;
      if (stop && tools.has(stop.contentBlockIndex ?? 0)) {
        const tool = tools.get(stop.contentBlockIndex ?? 0)!;
        tools.delete(stop.contentBlockIndex ?? 0);
        const input = parseJson(tool.input);
        blocks[stop.contentBlockIndex ?? 0] = { toolUse: { toolUseId: tool.toolUseId, name: tool.name, input } };
        yield { type: 'toolUse', toolUseId: tool.toolUseId, name: tool.name, input };
      }
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
    throw signal?.aborted ? new AnswerStopped() : modelError(err);
  }
  if (signal?.aborted) throw new AnswerStopped();
  yield { type: 'end', stopReason, usage, content: blocks.filter(Boolean) as BedrockBlock[] };
}

/** Thrown when the client asked to stop the answer. */
export class AnswerStopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'AnswerStopped';
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return text;
  }
}

/** Bedrock failures in words a user understands; the SDK has already retried throttling with backoff. */
export function modelError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  const name = (err as { name?: string })?.name ?? '';
  if (name === 'ThrottlingException' || name === 'ServiceQuotaExceededException' || name === 'ModelNotReadyException') {
    return new ChatError('THROTTLED', 'The model is receiving too many requests right now. Please try again in a moment.');
  }
  if (name === 'AccessDeniedException') {
    return new ChatError('MODEL_ERROR', 'This deployment is not allowed to use the selected model. Ask your administrator to enable model access in Amazon Bedrock.');
  }
  if (name === 'ValidationException') {
    // Bedrock's validation messages say what was wrong with the request (no data of the user's in them).
    const detail = String((err as { message?: unknown }).message ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
    return new ChatError('MODEL_ERROR', detail ? `The model rejected the request: ${detail}` : 'The model rejected the request.', { cause: err });
  }
  return new ChatError('MODEL_ERROR', 'The model stopped with an error before finishing its answer.');
}
