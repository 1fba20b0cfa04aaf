import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { botModelFor, BotRecord, BotTurnSettings, turnRequestOptions } from './bots';
import { fittingStream } from './context-window';
import { ConversationStore, Message, pathTo } from './conversations';
import { ChatError, forbidden, invalid, notFound, toChatError } from './errors';
import { AnswerRelay, FrameSink, TextCoalescer } from './frames';
import { ulid } from './ids';
import { errorFields, Logger } from './log';
import { AnswerStopped, BlobLoader, streamAnswer, toConverseMessages } from './model';
import { findModel, ModelSettings, priceOf, RuntimeModel } from './models';
import { textOf } from './protocol';
import type { Citation, ContentBlock, ContinueFrame, RegenerateFrame, ResumeFrame, SendMessageFrame, StopFrame, Usage } from './protocol';
import type { RequestStore } from './requests';
import {
  groundedSystem, KNOWLEDGE_TOOL, KnowledgeDeps, knowledgeTargetOf, KnowledgeRecord, KnowledgeTarget, knowledgeTool, MAX_SEARCHES, queryOf,
  retrieveSources, Source, sourcesFromCitations, systemWithSources, TOOL_INSTRUCTIONS, toolResultText, withoutToolBlocks,
} from './retrieval';
import { Seam } from './seam';
import { proposeTitle } from './titles';
import { endCall, estimateOf, QuotaError, Reservation, reserveCall, unreportedUsage, UsageStore } from './usage';

/** What the WebSocket route hands to the asynchronously invoked worker. */
export interface TurnJob {
  readonly userId: string;
  readonly connectionId: string;
  readonly requestId: string;
  readonly conversationId: string;
  /** `answer`: answer the user message `messageId`; `continue`: extend the assistant message `messageId`. */
  readonly kind: 'answer' | 'continue';
  readonly messageId: string;
  /** Model key. */
  readonly model: string;
  readonly reasoning?: boolean;
  /** The conversation was created by this request: the worker proposes its title after the answer. */
  readonly newConversation?: boolean;
  /**
   * `sendMessage`: the question (`messageId`), handed over while the WebSocket function is still storing it. The
   * worker builds the history from it (its parents are stored already), starts the model request, and sends nothing
   * and stores nothing until the request item says the question is stored and acknowledged (see `runTurn`).
   */
  readonly question?: Message;
  /** Jobs from an earlier version: a new conversation's only message, stored before the job was sent. */
  readonly firstMessage?: Message;
  /**
   * The conversation's bot, read once for this turn by the WebSocket function (the worker does not read it again).
   * Its instructions (at most 40,000 characters) and the question (under 32 KB) keep the job far below the 1 MB of an
   * asynchronous invocation (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html).
   */
  readonly bot?: BotTurnSettings;
  /**
   * The bot had documents (`documentCount > 0`) when the turn was accepted: the worker retrieves passages of them for
   * an answer (not for a continue, which keeps the answer's citations), when the deployment has a knowledge base.
   */
  readonly retrieve?: boolean;
  /**
   * Where the answer retrieves from (core/retrieval.ts `knowledgeTargetOf`, read from the bot record when the turn was
   * accepted); a job with `retrieve` and no `knowledge` (an earlier version's) retrieves from the shared one.
   */
  readonly knowledge?: KnowledgeTarget;
  /** The usage reserved for this answer (core/usage.ts): the worker settles it, the on-failure destination releases it. */
  readonly reservation?: Reservation;
  /** The user's Cognito groups when the turn was accepted (the limits of the title call). */
  readonly groups?: readonly string[];
}

/** The bots a turn may use (core/bots.ts BotStore, with the caller's groups read from the user pool at use time). */
export interface TurnBots {
  /** The bot of this turn for this caller: throws BOT_UNAVAILABLE when the caller may no longer use it. */
  readonly resolve: (botId: string) => Promise<{ bot: BotRecord; settings: BotTurnSettings }>;
  /** Records the use: the caller's recent and the bot's usage count. */
  readonly recordUse: (bot: BotRecord) => Promise<void>;
}

export interface AcceptDeps {
  readonly store: ConversationStore;
  readonly requests: RequestStore;
  readonly sink: FrameSink;
  readonly dispatch: (job: TurnJob) => Promise<void>;
  readonly models: ModelSettings;
  readonly log: Logger;
  /** Bots (issue 11); without it a frame naming a bot is refused. */
  readonly bots?: TurnBots;
  /** Usage limits (absent: budgets off). */
  readonly usage?: UsageStore;
  /** The caller's Cognito groups (whose limits apply). */
  readonly groups?: readonly string[];
}

const TITLE_LENGTH = 60;

/**
 * The bot of a turn (issue 11), read once: `requested` is the frame's botId, `stored` the conversation's. A turn of
 * a conversation with a bot uses that bot (a different botId is refused); a conversation without one cannot get one.
 */
async function botOfTurn(deps: AcceptDeps, requested: string | undefined, stored: string | undefined, isNew: boolean) {
  if (!isNew && requested !== undefined && requested !== stored) {
    throw invalid(stored ? 'This conversation is with another bot: leave botId out or send its own.' : 'This conversation is not with a bot: leave botId out.');
  }
  const botId = isNew ? requested : stored;
  if (!botId) return undefined;
  if (!deps.bots) throw invalid('Bots are not configured in this deployment.');
  return deps.bots.resolve(botId);
}

/** Where the bot of the turn retrieves from, as the job's `knowledge` (docs/knowledge-contract.md, "Retrieval (chat)"). */
function knowledgeOf(turnBot: { bot: BotRecord } | undefined): { knowledge?: KnowledgeTarget } {
  const knowledge = turnBot && knowledgeTargetOf(turnBot.bot as KnowledgeRecord);
  return knowledge ? { knowledge } : {};
}

/** Records the use of a bot once its turn is accepted; a failure is logged, the turn goes on. */
async function recordBotUse(deps: AcceptDeps, turnBot: { bot: BotRecord } | undefined): Promise<void> {
  if (!turnBot || !deps.bots) return;
  await deps.bots.recordUse(turnBot.bot).catch((err: unknown) => deps.log.warn('bot use not recorded', { botId: turnBot.bot.id, ...errorFields(err) }));
}

function modelFor(models: ModelSettings, requested: string | undefined): RuntimeModel {
  if (!requested) return models.defaultModel;
  const model = findModel(models.models, requested);
  if (!model) throw invalid(`The model "${requested}" is not available in this deployment.`);
  return model;
}

/** Files must be the caller's own uploads. */
function checkOwnership(userId: string, content: readonly ContentBlock[]): void {
  for (const b of content) {
    const key = 'image' in b ? b.image.key : 'document' in b ? b.document.key : undefined;
    if (key && !key.startsWith(`uploads/${userId}/`)) throw forbidden('An attachment does not belong to you.');
  }
}

/**
 * `sendMessage`: validates, claims the request id, hands the answer to the worker at once, stores the user's message
 * (so it is never lost), acknowledges it, and then marks the request accepted. Returns at once: the 29-second API
 * Gateway integration limit never applies to generation. A retried frame (same requestId) is acknowledged again with
 * the same ids and never makes a second answer.
 *
 * The worker is dispatched right after the claim, in parallel with the question's writes: it reads the history up to
 * the question's parent (stored by earlier turns), starts the model request, and holds every frame and every write
 * until the request item's `pending` flag is gone (a strongly consistent read, retried with short backoff). This
 * function clears the flag only after the question is stored AND the `ack` was handed to API Gateway, so the client
 * sees `ack` before `start`. The interleavings:
 * - writes fast (the usual case): the flag is gone long before the model's first token; nothing waits.
 * - writes slow: the worker's frames wait for the flag; the model's tokens are buffered meanwhile.
 * - a write fails: the claim is released (deleted), the client gets an `error`; the worker's read finds no item (or,
 *   after a retry claimed the id again, an item naming another message) and stops the model stream quietly: no
 *   frame, no answer, no write. If even the release fails, the worker gives up after `acceptWaitMs` (longer than
 *   this function can run), again without a trace.
 * - the ack cannot be posted (410: the client left): the flag is cleared anyway, the answer is stored and can be
 *   resumed, as before; another ack failure is reported after clearing the flag, as before.
 * - a duplicate frame: its claim fails, it is acknowledged from the first record and dispatches nothing.
 * - `stop` before the flag is cleared: the worker's reads see it and abort the model request; once the question is
 *   stored the (empty) answer ends `stopped`, as a stop before the first token always did.
 * - `resume` before the flag is cleared: the item's connection moves; the flag write leaves it alone, and the worker
 *   moves the answer at its next poll or final write, as for any resume.
 */
export async function acceptMessage(deps: AcceptDeps, userId: string, connectionId: string, frame: SendMessageFrame): Promise<void> {
  const { store, sink } = deps;
  let model = frame.botId === undefined ? modelFor(deps.models, frame.model) : deps.models.defaultModel;
  checkOwnership(userId, frame.content);
  let storedBotId: string | undefined;
  const createdAt = new Date().toISOString();
  const content = frame.content.map((b) => ({ ...b }));
  let parentId: string | null = null;
  let conversationId: string;
  if (frame.conversationId) {
    conversationId = frame.conversationId;
    // The conversation and the message replied to (or edited) are read together: one round trip, not two.
    const other = frame.editOf ?? frame.parentMessageId;
    const [conv, named] = await Promise.all([
      store.get(userId, conversationId),
      other ? store.getMessage(userId, conversationId, other) : undefined,
    ]);
    if (!conv) throw notFound('This conversation does not exist or was deleted.');
    storedBotId = conv.botId;
    if (frame.editOf) {
      if (frame.parentMessageId) throw invalid('Send either parentMessageId or editOf, not both.');
      if (!named || named.role !== 'user') throw notFound('The message you edit does not exist in this conversation.');
      parentId = named.parentId;
    } else {
      parentId = frame.parentMessageId ?? conv.lastMessageId;
      if (frame.parentMessageId && !named) throw notFound('The message you replied to does not exist in this conversation.');
    }
  } else {
    if (frame.parentMessageId || frame.editOf) throw invalid('parentMessageId and editOf need a conversationId.');
    conversationId = ulid();
  }
  // The bot is read once, before anything is written: BOT_UNAVAILABLE leaves no trace.
  const turnBot = await botOfTurn(deps, frame.botId, storedBotId, !frame.conversationId);
  if (turnBot) model = botModelFor(turnBot.bot, deps.models, frame.model);
  const message: Message = { id: ulid(), parentId, role: 'user', content, createdAt };
  const ids = { requestId: frame.requestId, conversationId, messageId: message.id };

  // Usage limits: the estimate is reserved before anything is written; over a limit, QUOTA and nothing written.
  const caller = { userId, groups: deps.groups ?? [] };
  const reservation = await reserveCall(deps.usage, caller, frame.requestId, estimateOf(textOf(content), model.prices));
  const release = () => endCall(deps.usage, userId, reservation, undefined, model.prices, deps.log);
  const claim = await deps.requests.claim(userId, { ...ids, createdAt }, connectionId, { pending: true }).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  if (!claim.fresh) {
    await release();
    await sink.send({ type: 'ack', requestId: frame.requestId, conversationId: claim.existing.conversationId, messageId: claim.existing.messageId });
    return;
  }
  // The hand-over starts now; the worker waits for `pending` to go before it sends or stores anything.
  const dispatched = deps.dispatch({
    userId,
    connectionId,
    ...ids,
    kind: 'answer',
    model: model.key,
    reasoning: frame.reasoning,
    newConversation: !frame.conversationId,
    question: message,
    ...(turnBot ? { bot: turnBot.settings } : {}),
    ...knowledgeOf(turnBot),
    ...(reservation ? { reservation, groups: deps.groups ?? [] } : {}),
  }).then(() => undefined, (err: unknown) => ({ err }));
  try {
    if (frame.conversationId) {
      await store.putMessage(userId, conversationId, message);
      await store.advance(userId, conversationId, message.id);
    } else {
      await store.create(userId, {
        id: conversationId, title: titleOf(content), model: model.key, ...(turnBot ? { botId: turnBot.bot.id, botTitle: turnBot.bot.title } : {}),
      }, message);
    }
  } catch (err) {
    // Nothing is answered: the worker finds the claim gone and stops quietly, and a retry of this requestId is
    // processed again rather than acknowledged.
    await deps.requests.release(userId, frame.requestId).catch(() => undefined);
    await dispatched;
    await release();
    throw err;
  }
  const acked = await sink.send({ type: 'ack', ...ids }).then(() => undefined, (err: unknown) => ({ err }));
  // Only now may the worker send `start`: after the ack was handed over, so the client sees them in this order.
  const accepted = await deps.requests.accept(userId, frame.requestId, message.id).then(
    (found) => (found ? undefined : { err: new Error('The request item disappeared before it was accepted.') }),
    (err: unknown) => ({ err }),
  );
  const notDispatched = await dispatched;
  // The worker never got the job: it will settle nothing.
  if (notDispatched) await release();
  const failed = acked ?? accepted ?? notDispatched;
  if (failed) throw failed.err;
  await recordBotUse(deps, turnBot);
}

/** `regenerate`: a new answer to an existing user message, as a sibling of the earlier answers. */
export async function acceptRegenerate(deps: AcceptDeps, userId: string, connectionId: string, frame: RegenerateFrame): Promise<void> {
  let model = modelFor(deps.models, frame.model);
  const [message, conv] = await Promise.all([
    deps.store.getMessage(userId, frame.conversationId, frame.messageId),
    deps.bots ? deps.store.get(userId, frame.conversationId) : undefined,
  ]);
  if (!message) throw notFound('This message does not exist in this conversation.');
  if (message.role !== 'user') throw invalid('Only a user message can be answered again; pass the id of the question.');
  const turnBot = await botOfTurn(deps, undefined, conv?.botId, false);
  if (turnBot) model = botModelFor(turnBot.bot, deps.models, frame.model);
  const fresh = await acceptJob(deps, userId, {
    userId,
    connectionId,
    requestId: frame.requestId,
    conversationId: frame.conversationId,
    kind: 'answer',
    messageId: message.id,
    model: model.key,
    reasoning: frame.reasoning,
    ...(turnBot ? { bot: turnBot.settings } : {}),
    // A regenerated answer retrieves again (the documents may have changed since).
    ...knowledgeOf(turnBot),
  }, `${turnBot?.settings.instructions ?? ''}${textOf(message.content)}`);
  if (fresh) await recordBotUse(deps, turnBot);
}

/** `continue`: extends an answer that stopped at the token limit. */
export async function acceptContinue(deps: AcceptDeps, userId: string, connectionId: string, frame: ContinueFrame): Promise<void> {
  const [message, conv] = await Promise.all([
    deps.store.getMessage(userId, frame.conversationId, frame.messageId),
    deps.bots ? deps.store.get(userId, frame.conversationId) : undefined,
  ]);
  if (!message) throw notFound('This message does not exist in this conversation.');
  if (message.role !== 'assistant' || message.stopReason !== 'max_tokens') {
    throw invalid('Only an answer cut at the token limit can be continued.');
  }
  let model = findModel(deps.models.models, message.model ?? '') ?? deps.models.defaultModel;
  const turnBot = await botOfTurn(deps, undefined, conv?.botId, false);
  // The answer continues with its own model while the bot allows it, else with the bot's default.
  if (turnBot) model = botModelFor(turnBot.bot, deps.models, allowsModel(turnBot.bot, deps.models, model) ? model.key : undefined);
  const fresh = await acceptJob(deps, userId, {
    userId,
    connectionId,
    requestId: frame.requestId,
    conversationId: frame.conversationId,
    kind: 'continue',
    messageId: message.id,
    model: model.key,
    ...(turnBot ? { bot: turnBot.settings } : {}),
  }, turnBot?.settings.instructions ?? '');
  if (fresh) await recordBotUse(deps, turnBot);
}

function allowsModel(bot: BotRecord, settings: ModelSettings, model: RuntimeModel): boolean {
  return bot.models.length === 0 ? settings.models.some((m) => m.key === model.key) : bot.models.includes(model.key);
}

/**
 * regenerate, continue: reserve (usage limits), claim, ack, dispatch; `text`: what the call sends anew (the estimate).
 * True when this frame started the turn (not a retry of one already claimed).
 */
async function acceptJob(deps: AcceptDeps, userId: string, job: TurnJob, text: string): Promise<boolean> {
  const { requestId, conversationId, messageId } = job;
  const prices = (findModel(deps.models.models, job.model) ?? deps.models.defaultModel).prices;
  const reservation = await reserveCall(deps.usage, { userId, groups: deps.groups ?? [] }, requestId, estimateOf(text, prices));
  const release = () => endCall(deps.usage, userId, reservation, undefined, prices, deps.log);
  try {
    const claim = await deps.requests.claim(userId, { requestId, conversationId, messageId, createdAt: new Date().toISOString() }, job.connectionId);
    if (!claim.fresh) await release();
    await deps.sink.send({ type: 'ack', requestId: job.requestId, conversationId: job.conversationId, messageId: job.messageId });
    if (claim.fresh) await deps.dispatch(reservation ? { ...job, reservation, groups: deps.groups ?? [] } : job);
    return claim.fresh;
  } catch (err) {
    await release();
    throw err;
  }
}

/** `stop`: asks the worker generating `requestId` to stop; it keeps the partial answer, marked `stopped`. */
export async function acceptStop(deps: Pick<AcceptDeps, 'requests'>, userId: string, frame: StopFrame): Promise<void> {
  if (!(await deps.requests.requestStop(userId, frame.requestId))) throw notFound('There is no answer to stop for this requestId.');
}

/**
 * `resume`: the client lost its connection while an answer streamed and asks for it on this one. One conditional
 * write moves the request item to this connection (another user's request id is simply not found under the caller's
 * key). If the worker already marked the request finished, the answer is stored: `done: true` and the client reloads
 * it. Otherwise the worker sees the new connection at its next poll (or at its final write, see RequestStore.finish)
 * and sends a snapshot of the answer so far, then the rest, to this connection.
 */
export async function acceptResume(deps: Pick<AcceptDeps, 'requests' | 'sink'>, userId: string, connectionId: string, frame: ResumeFrame): Promise<void> {
  const found = await deps.requests.resume(userId, frame.requestId, connectionId);
  if (!found) throw notFound('There is no answer to resume for this requestId.');
  await deps.sink.send({ type: 'resumed', requestId: frame.requestId, conversationId: found.conversationId, done: found.finished });
}

export interface TurnDeps {
  readonly store: ConversationStore;
  readonly requests: RequestStore;
  /** Frames to the connection the request came from (`job.connectionId`). */
  readonly sink: FrameSink;
  /** Frames to another connection, when the client resumes the answer there. Without it the answer cannot move. */
  readonly sinkFor?: (connectionId: string) => FrameSink;
  readonly bedrock: BedrockRuntimeClient;
  readonly loadBlob: BlobLoader;
  readonly models: ModelSettings;
  readonly log: Logger;
  /** Coalescing of text frames. */
  readonly coalesce?: { intervalMs?: number; maxChars?: number };
  /** How often the worker reads its request item (stop flag, connection). @default 500 */
  readonly stopPollMs?: number;
  /**
   * How long the worker waits for a `sendMessage`'s question to be stored before it gives up quietly: longer than the
   * WebSocket function can run (29 s), so a question still being stored is never abandoned. @default 30000
   */
  readonly acceptWaitMs?: number;
  /**
   * How long the worker may stream from its start: then it stops the model request, stores the partial answer with
   * stopReason `timeBudget` and ends it so (the handler passes the invocation's remaining time less a margin for the
   * final writes). Without it, no budget.
   */
  readonly timeBudgetMs?: number;
  /** Usage limits: the job's reservation is settled with the answer's usage; the title call reserves its own. */
  readonly usage?: UsageStore;
  /** The deployment's knowledge base (core/retrieval.ts); without it no turn retrieves. */
  readonly knowledge?: KnowledgeDeps;
}

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

/**
 * One assistant answer: streams it from Bedrock to the client in coalesced frames and stores it. The answer is stored
 * even if the client went away; a stop keeps the partial answer (stopReason `stopped`); a model failure keeps the
 * partial answer (stopReason `error`) and tells the client. If the client resumes the answer on a new connection, the
 * rest goes there after a snapshot (AnswerRelay). It first claims the turn (RequestStore.claimTurn): a repeated
 * delivery of the same job ends at once, without a trace. After the claim it never throws.
 *
 * For `sendMessage` the job arrives while the question is still being stored (see `acceptMessage`): the model request
 * starts at once, but no frame is sent and nothing is stored before the request item confirms the question
 * (`questionStored`); if it never does, the model stream is aborted and the worker ends without a trace.
 */
export async function runTurn(deps: TurnDeps, job: TurnJob): Promise<void> {
  const { store } = deps;
  // Every line of the turn names its user (the Cognito `sub`, never a token), so cost and abuse can be attributed.
  const log = deps.log.child({ userId: job.userId });
  // At-least-once delivery: a second delivery of this job (or a retry after the turn was answered) finds the turn
  // claimed and ends here, before any frame, write or model call (RequestStore.claimTurn). A failing claim throws:
  // nothing was claimed, and the invocation's failure handling takes over.
  if (!(await deps.requests.claimTurn(job.userId, job.requestId, job.messageId))) {
    log.info('turn already claimed: this delivery does nothing', { requestId: job.requestId, conversationId: job.conversationId });
    return;
  }
  const sink = new AnswerRelay(job.connectionId, deps.sink, deps.sinkFor);
  const ids = { requestId: job.requestId, conversationId: job.conversationId };
  const model = findModel(deps.models.models, job.model) ?? deps.models.defaultModel;
  const continuing = job.kind === 'continue';
  const assistantId = continuing ? job.messageId : ulid();
  let text = '';
  let reasoning = '';
  let stopReason = 'error';
  let usage: Usage | undefined;
  /** The text of the messages sent to the model (what a usage estimate counts when the stream reports none). */
  let sentText = '';
  /** Where the output of the model call under way began (text, reasoning): unset once the call reported its usage. */
  let cut: [number, number] | undefined;
  /** Messages of the history left out so the request fits the model's context window. */
  let leftOut = 0;
  let failure: ChatError | undefined;
  let previous: Message | undefined;
  /** `continue`: joins the continuation to the stored answer (whitespace at the seam, a repeated tail). */
  let seam: Seam | undefined;
  /** The sources the model is given (retrieved for an answer; a continued answer's stored citations). */
  let sources: Source[] = [];
  /** The Retrieve query of the turn (the contextual grounding check's query). */
  let retrievedQuery = '';
  // Where the answer retrieves from (not a continue: it keeps the answer's citations); a model that calls tools gets
  // the knowledge tool instead of the passages (the tool loop below), the others the slice 1 retrieval.
  const target = !continuing && job.bot && deps.knowledge ? job.knowledge ?? (job.retrieve ? { mode: 'shared' as const } : undefined) : undefined;
  const toolTurn = target !== undefined && model.capabilities?.tools === true;
  let searches = 0;

  const abort = new AbortController();
  // The time budget: the stream stops before the invocation would be cut off, and the partial answer is kept.
  let outOfTime = false;
  const budget = deps.timeBudgetMs === undefined ? undefined : setTimeout(() => {
    outOfTime = true;
    abort.abort();
  }, deps.timeBudgetMs);
  // sendMessage: true once the question is stored and acknowledged; false if its writes failed. Nothing leaves this
  // function before it is true.
  const accepted = job.question ? questionStored(deps, job, abort) : Promise.resolve(true);
  void accepted.then((ok) => { if (!ok) abort.abort(); });
  let started: Promise<boolean> | undefined;
  // One read of the request item per poll: the stop flag, and the connection the client is on now (it changes when
  // the client resumes on a new connection). After the stream, `polling` is false: from then on only the final write
  // (RequestStore.finish) moves the answer, so a late poll cannot move it back to a connection read earlier.
  let polling = true;
  let reading = false;
  const moveTo = (connectionId: string) => {
    sink.moveTo(connectionId)
      .then((delivered) => { if (delivered !== undefined) log.info('answer moved to a new connection', { ...ids, connectionId, delivered }); })
      .catch((err) => log.warn('could not move the answer', { ...ids, ...errorFields(err) }));
  };
  const poller = setInterval(() => {
    if (reading) return;
    reading = true;
    deps.requests.poll(job.userId, job.requestId)
      .then((state) => {
        // No item, or one a retry claimed after this request's question failed: not this answer's (see questionStored).
        if (!state || state.messageId !== job.messageId) return;
        if (state.stopRequested) abort.abort();
        if (polling && state.connectionId && state.connectionId !== sink.connectionId) moveTo(state.connectionId);
      })
      .catch((err) => log.warn('request poll failed', errorFields(err)))
      .finally(() => { reading = false; });
  }, deps.stopPollMs ?? 500);

  const frame = { ...ids, messageId: assistantId };
  const textOut = new TextCoalescer((delta) => sink.send({ type: 'text', ...frame, delta }), deps.coalesce);
  const reasoningOut = new TextCoalescer((delta) => sink.send({ type: 'reasoning', ...frame, delta }), deps.coalesce);
  try {
    const history = job.question?.id === job.messageId
      ? await historyBefore(store, job, job.question)
      : job.firstMessage?.id === job.messageId ? [job.firstMessage] : await historyOf(store, job);
    if (continuing) {
      previous = history[history.length - 1];
      const before = previous.content.map((b) => ('text' in b ? b.text : '')).join('');
      sink.continues({ text: before, reasoning: previous.reasoning });
      seam = new Seam(before);
    }
    // Models without assistant prefill get the cut answer followed by a user turn asking to continue it.
    const messages = await toConverseMessages(history, deps.loadBlob, { assistantPrefill: model.capabilities?.assistantPrefill === true });
    sentText = messages.flatMap((m) => m.content ?? []).map((b) => b.text ?? '').join('');
    // The start frame goes out while the model request is already on its way, once the question is confirmed.
    const start = {
      type: 'start' as const, ...frame, parentMessageId: continuing ? previous!.parentId ?? '' : job.messageId, model: model.key, ...(continuing ? { continued: true } : {}),
    };
    started = accepted.then(async (ok) => {
      if (ok) await sink.send(start);
      return ok;
    });
    // Awaited below (at the first event, or after the stream): a failure must not count as unhandled meanwhile.
    started.catch(() => undefined);
    const question = textOf(history[history.length - 1].content);
    /** Sends a search's step (toolUse, toolResult) and its new sources (citation frames). */
    const searchFrames = async (toolUseId: string, query: string | undefined, found: { sources: Source[]; failed: boolean }) => {
      if (query !== undefined) await sink.send({ type: 'toolUse', ...frame, toolUseId, name: KNOWLEDGE_TOOL, input: { query } });
      await sink.send({
        type: 'toolResult',
        ...frame,
        toolUseId,
        status: found.failed ? 'error' : 'success',
        content: found.failed ? 'The documents could not be searched; answering without them.' : passagesFound(found.sources.length),
      });
      for (const s of found.sources) await sink.send({ type: 'citation', ...frame, ...s.citation });
    };
    if (continuing) {
      // A continue keeps the answer's sources (and their numbers): no retrieval, no new citation frames.
      sources = sourcesFromCitations(previous!.citations);
    } else if (target && !toolTurn) {
      // Knowledge (core/retrieval.ts): the question's passages, while the question is being confirmed. The step and
      // the sources go to the client after `start` and before the first text; a failure answers without sources.
      const found = await retrieveSources(deps.knowledge!, job.bot!.botId, question, log.child(ids), abort.signal, target);
      sources = found.sources;
      retrievedQuery = found.query;
      // A question of files only has no query: nothing was searched, no step is shown.
      started = started.then(async (ok) => {
        if (ok && found.query) await searchFrames(`knowledge-${assistantId}`, found.query, found);
        return ok;
      });
      started.catch(() => undefined);
    }
    // The bot's instructions, parameters, prompt caching and guardrail, or the deployment's (core/bots.ts); the
    // sources follow the instructions in the system prompt.
    // With sources the system prompt differs from turn to turn, so no later prompt starts with this one: a cache point
    // would only be paid for (a cache write) and never read. Such turns are not cached.
    const options = turnRequestOptions(job.bot, model, deps.models, job.reasoning);
    // Under a guardrail, the retrieved sources are its grounding source and the question its query (contextual
    // grounding: core/model.ts, groundingBlocks). Not for a continue: its sources are stored snippets and its last user
    // turn is not the question. Without a guardrail or sources the request is as it always was.
    const grounded = options.guardrail?.grounding !== false && options.guardrail && sources.length > 0 && !continuing && retrievedQuery
      ? groundedSystem(options.system, sources, retrievedQuery, question) : undefined;
    const system = grounded ? grounded.system : toolTurn ? (options.system ? `${options.system}\n\n${TOOL_INSTRUCTIONS}` : TOOL_INSTRUCTIONS) : systemWithSources(options.system, sources);
    const request = {
      modelId: model.modelId,
      ...options,
      ...(system ? { system } : {}),
      ...(sources.length || toolTurn ? { cacheConversation: false } : {}),
      ...(grounded ? { grounding: grounded.grounding } : {}),
      ...(toolTurn ? { tools: [knowledgeTool(job.bot!.title)] } : {}),
    };
    if (sources.length || toolTurn) sentText += grounded ? `${system}${grounded.grounding.source}${grounded.grounding.query}${grounded.grounding.question ?? ''}` : system;
    // A conversation longer than the model's context window is sent again without its oldest turns (the question,
    // or the cut answer and what continues it, always stay), and the end frame says how many messages were left out.
    const keepTail = continuing ? (model.capabilities?.assistantPrefill === true ? 2 : 3) : 1;
    let convo = messages;
    let first = true;
    // The tool loop (models that call tools): each call that ends in `tool_use` of knowledge_search gets its results
    // (toolResult blocks, the numbered passages) and the model goes on, at most MAX_SEARCHES searches per turn (a use
    // beyond them, in the same call, is answered that the limit is reached). Once they are used up, the last call goes
    // without the tool and with the searches as text, so it answers: at most MAX_SEARCHES + 1 calls, never a turn that
    // ends in a search. Every call's usage counts (the turn's usage is their sum).
    for (let call = 0; ; call++) {
      // Under a guardrail, once the tool found sources, they are the grounding source and the question the query
      // (core/model.ts groundingBlocks: on the question's message, not the tool results'), the check in sync mode.
      const grounding = toolTurn && options.guardrail?.grounding !== false && options.guardrail && sources.length
        ? { grounding: groundedSystem(undefined, sources, queryOf(question), question).grounding } : {};
      const last = toolTurn && searches >= MAX_SEARCHES;
      const open = (fitting: typeof messages) => streamAnswer(deps.bedrock,
        { ...request, ...grounding, ...(last ? { tools: undefined, messages: withoutToolBlocks(fitting) } : { messages: fitting }) }, abort.signal);
      const stream = fittingStream(open, convo, keepTail + 2 * call, (n) => {
        leftOut = n;
        log.info('history shortened to fit the context window', { ...ids, leftOut: n });
      });
      const uses: { toolUseId: string; input: unknown }[] = [];
      cut = [text.length, reasoning.length];
      let content: NonNullable<Parameters<typeof streamAnswer>[1]['messages'][number]['content']> = [];
      for await (const event of stream) {
        if (first) {
          first = false;
          if (!(await started)) break;
        }
        if (event.type === 'text') {
          const joined = seam ? seam.push(event.text) : event.text;
          text += joined;
          textOut.push(joined);
        } else if (event.type === 'reasoning') {
          reasoning += event.text;
          reasoningOut.push(event.text);
        } else if (event.type === 'toolUse') {
          // The text before the call goes out first (a failure is reported when the answer's frames are closed).
          await textOut.close().catch(() => undefined);
          await sink.send({ type: 'toolUse', ...frame, toolUseId: event.toolUseId, name: event.name, input: event.input });
          uses.push(event);
        } else {
          stopReason = event.stopReason;
          content = event.content;
          cut = undefined;
          const sum: Record<string, number> = { ...event.usage };
          for (const k in usage) sum[k] += usage[k as keyof Usage];
          usage = sum as unknown as Usage;
        }
      }
      if (!toolTurn || stopReason !== 'tool_use' || !uses.length || last) break;
      const results = [];
      for (const use of uses) {
        const query = (use.input as { query?: unknown } | undefined)?.query;
        let result = 'No more searches: answer from the results you have.';
        let status: 'success' | 'error' = 'error';
        if (searches < MAX_SEARCHES) {
          searches++;
          const found = await retrieveSources(deps.knowledge!, job.bot!.botId, typeof query === 'string' ? query : '', log.child(ids), abort.signal, target!, sources.length + 1);
          sources = [...sources, ...found.sources];
          await searchFrames(use.toolUseId, undefined, found);
          result = toolResultText(found);
          status = found.failed ? 'error' : 'success';
        } else {
          await searchFrames(use.toolUseId, undefined, { sources: [], failed: true });
        }
        sentText += result;
        // ToolResultBlock (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolResultBlock.html).
        results.push({ toolResult: { toolUseId: use.toolUseId, content: [{ text: result }], status } });
      }
      convo = [...convo, { role: 'assistant', content }, { role: 'user', content: results }];
    }
  } catch (err) {
    if (err instanceof AnswerStopped) {
      stopReason = outOfTime ? 'timeBudget' : 'stopped';
    } else {
      failure = toChatError(err);
      if (failure.code === 'INTERNAL' || failure.code === 'MODEL_ERROR' || failure.code === 'THROTTLED') {
        log.error('turn failed', { ...ids, ...errorFields(err) });
      }
    }
  } finally {
    clearInterval(poller);
    if (budget) clearTimeout(budget);
    polling = false;
  }
  if (outOfTime) log.warn('time budget reached: the answer is cut', { ...ids, outputChars: text.length });
  const held = seam?.flush();
  if (held) {
    text += held;
    textOut.push(held);
  }
  if (!(await accepted)) {
    // The question was not stored (the client was told by the WebSocket function): no frame, no answer, no write.
    log.info('question not stored: nothing answered', ids);
    await endCall(deps.usage, job.userId, job.reservation, undefined, model.prices, log);
    return;
  }
  try {
    // The start frame comes before whatever follows, even when the stream ended before its first event.
    await started;
  } catch (err) {
    failure ??= toChatError(err);
  }

  try {
    await Promise.all([textOut.close(), reasoningOut.close()]);
  } catch (err) {
    log.warn('could not deliver a frame', { ...ids, ...errorFields(err) });
  }

  const finalStop = failure ? 'error' : stopReason;
  const price = priceOf(model.prices, usage ?? NO_USAGE);
  try {
    if (continuing && previous) {
      if (text) {
        await store.extendMessage(job.userId, job.conversationId, assistantId, { text, stopReason: finalStop, usage, price });
        await store.advance(job.userId, job.conversationId, assistantId, usage, price);
      }
    } else if (text || reasoning || !failure) {
      await store.putMessage(job.userId, job.conversationId, {
        id: assistantId,
        parentId: job.messageId,
        role: 'assistant',
        content: [{ text }],
        createdAt: new Date().toISOString(),
        model: model.key,
        ...(usage ? { usage, price } : {}),
        ...(reasoning ? { reasoning } : {}),
        // An answer the guardrail replaced by its blocked message cites nothing: it is stored without citations.
        ...(sources.length && finalStop !== 'guardrail_intervened' ? { citations: sources.map((src): Citation => src.citation) } : {}),
        stopReason: finalStop,
      });
      await store.advance(job.userId, job.conversationId, assistantId, usage, price);
    }
  } catch (err) {
    log.error('could not store the answer', { ...ids, ...errorFields(err) });
    failure ??= toChatError(err);
  }
  // The reservation becomes what Bedrock reported; when the stream ended without a report after the model wrote
  // (stopped, cut, failed midway), an estimate of what was sent and written; released when nothing came back.
  let counted = usage ?? (text || reasoning ? unreportedUsage(sentText, text + reasoning) : undefined);
  // A later call of the tool loop cut after it wrote: its estimate (its input taken as all that was sent and the answer
  // so far: an upper bound) on top of what the earlier calls reported.
  const cutOutput = usage && cut && text.slice(cut[0]) + reasoning.slice(cut[1]);
  if (cutOutput) {
    const more = unreportedUsage(sentText + text, cutOutput) as unknown as Record<string, number>;
    for (const k in usage) more[k] += usage![k as keyof Usage];
    counted = more as unknown as Usage;
  }
  await endCall(deps.usage, job.userId, job.reservation, counted, model.prices, log);

  try {
    if (failure) {
      await sink.send({ type: 'error', ...frame, code: failure.code, message: failure.message });
    } else {
      await sink.send({ type: 'end', ...frame, stopReason, usage: usage ?? NO_USAGE, price, ...(leftOut ? { contextTrimmed: leftOut } : {}) });
    }
  } catch (err) {
    log.warn('could not deliver the final frame', { ...ids, ...errorFields(err) });
  }
  // After the answer is stored: mark the request finished and learn, in the same atomic write, where the client is
  // now. A resume that came before this write is seen here (the snapshot and the final frame go to its connection); a
  // resume after it sees `finishedAt` and reloads the stored answer. Either way the end is never lost.
  try {
    const latest = await deps.requests.finish(job.userId, job.requestId);
    if (latest && latest !== sink.connectionId) {
      const delivered = await sink.moveTo(latest);
      if (delivered !== undefined) log.info('answer moved to a new connection', { ...ids, connectionId: latest, delivered, final: true });
    }
  } catch (err) {
    log.warn('could not finish the request', { ...ids, ...errorFields(err) });
  }
  // `priceUsd` of this line is what the backend's spend metric sums (a metric filter on the worker's log group).
  log.info('turn done', {
    ...ids,
    model: model.key,
    stopReason: failure ? `error:${failure.code}` : stopReason,
    outputChars: text.length,
    inputTokens: usage?.inputTokens,
    outputTokens: usage?.outputTokens,
    priceUsd: price,
  });

  if (job.newConversation && !failure && text && !outOfTime) await nameConversation(deps, job, sink);
}

/**
 * `sendMessage`: the question (not yet stored, perhaps) after the path to its parent, which earlier turns stored. A
 * new conversation's question has no parent: no read at all.
 */
async function historyBefore(store: ConversationStore, job: TurnJob, question: Message): Promise<Message[]> {
  if (question.parentId === null) return [question];
  const found = await store.getWithMessages(job.userId, job.conversationId);
  if (!found) throw notFound('This conversation does not exist or was deleted.');
  const path = pathTo(found.messages, question.parentId);
  if (path.length === 0) throw notFound('The message to answer was not found.');
  return [...path, question];
}

/**
 * Waits until the request item no longer says `pending`: the question is stored and its `ack` was sent (true). False
 * when the item is gone or names another message (the question's writes failed and the claim was released, perhaps
 * claimed again by a retry), or when it still says `pending` at a read after `acceptWaitMs`. Strongly consistent
 * reads (a completed release is never missed): the first at once, then 10, 20, 40, ... ms apart, at most 250 ms; the
 * model's first token comes hundreds of ms after the request with Bedrock, so the flag is usually gone by then. A stop
 * seen meanwhile aborts the model request at once (the answer still waits for the question, and ends `stopped`).
 */
async function questionStored(deps: TurnDeps, job: TurnJob, abort: AbortController): Promise<boolean> {
  const deadline = Date.now() + (deps.acceptWaitMs ?? 30_000);
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    try {
      const state = await deps.requests.poll(job.userId, job.requestId, { consistent: true });
      if (!state || state.messageId !== job.messageId) return false;
      if (state.stopRequested) abort.abort();
      if (!state.pending) return true;
    } catch (err) {
      deps.log.warn('request read failed', { requestId: job.requestId, ...errorFields(err) });
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      deps.log.warn('question not confirmed in time', { requestId: job.requestId });
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
  }
}

async function historyOf(store: ConversationStore, job: TurnJob): Promise<Message[]> {
  const found = await store.getWithMessages(job.userId, job.conversationId);
  if (!found) throw notFound('This conversation does not exist or was deleted.');
  const history = pathTo(found.messages, job.messageId);
  if (history.length === 0) throw notFound('The message to answer was not found.');
  return history;
}

/** After the first answer, the title model names the conversation; the answer is never delayed by it. */
async function nameConversation(deps: TurnDeps, job: TurnJob, sink: FrameSink): Promise<void> {
  try {
    const found = await deps.store.getWithMessages(job.userId, job.conversationId);
    if (!found) return;
    // The title is a model call too: it reserves under the user's limits and is skipped when over one.
    const titleModel = deps.models.titleModel;
    let reservation: Reservation | undefined;
    try {
      const excerpt = found.messages.slice(0, 2).map((m) => textOf(m.content).slice(0, 2000)).join('\n');
      reservation = await reserveCall(deps.usage, { userId: job.userId, groups: job.groups ?? [] }, `${job.requestId}.title`, estimateOf(excerpt, titleModel.prices, 40), { title: true });
    } catch (err) {
      if (err instanceof QuotaError) {
        deps.log.info('title skipped: over a usage limit', { requestId: job.requestId, limit: err.quota.kind, window: err.quota.window });
        return;
      }
      throw err;
    }
    let used: Usage | undefined;
    let title: string;
    try {
      title = await proposeTitle(deps.bedrock, titleModel.modelId, found.messages, (u) => { used = u; });
    } finally {
      await endCall(deps.usage, job.userId, reservation, used, titleModel.prices, deps.log);
    }
    await deps.store.rename(job.userId, job.conversationId, title);
    await sink.send({ type: 'title', conversationId: job.conversationId, title });
  } catch (err) {
    deps.log.warn('title not proposed', { requestId: job.requestId, ...errorFields(err) });
  }
}

function passagesFound(n: number): string {
  return n === 0 ? 'No passage of the documents matches.' : n === 1 ? '1 passage found.' : `${n} passages found.`;
}

function titleOf(content: readonly ContentBlock[]): string {
  const text = content.map((b) => ('text' in b ? b.text : 'document' in b ? b.document.name : '')).join(' ');
  const clean = text.replace(/\s+/g, ' ').trim() || 'New conversation';
  return clean.length <= TITLE_LENGTH ? clean : clean.slice(0, TITLE_LENGTH - 1).trimEnd() + '…';
}
