import { countRequestWords, countWords, FakeRequest, FakeScript } from './emulators/bedrock';
import { CONTINUE_INSTRUCTION } from '../lambdas/core/model';

/** The model id of the deterministic offline model of the playground. */
export const OFFLINE_MODEL_ID = 'local.offline-model-v1';

export interface OfflineModelOptions {
  /** Delay before each word (default 25 ms). */
  readonly wordDelayMs?: number;
  /**
   * Cut every answer after this many words with stopReason `max_tokens` (to try Continue). A continue request (the
   * conversation ends with the cut answer as a prefill, or with the cut answer and then the user turn asking to
   * continue, for models without prefill) gets the rest of the same reply, cut again if still too long, so the
   * continued answer is exactly the reply. Default: never cut.
   */
  readonly maxOutputWords?: number;
}

/** The exact reply of the offline model to a user message (with `system`: see sourcedReply). */
export function offlineReply(userText: string, system?: string): string {
  const sourced = system === undefined ? undefined : sourcedReply(userText, system);
  return sourced ?? `I am the offline model of cdk-bedrock-chat, running on this machine: no request left it. You said: "${userText}"`;
}

/** A source of the system prompt (core/retrieval.ts, sourcesPrompt). */
export interface PromptSource { readonly id: string; readonly document: string; readonly text: string }

/** The numbered sources of a system prompt (`<sources><source id="n" document="...">text</source>...</sources>`). */
export function promptSources(system: string): PromptSource[] {
  const block = /<sources>([\s\S]*)<\/sources>/.exec(system)?.[1];
  if (!block) return [];
  const unescape = (v: string) => v.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return [...block.matchAll(/<source id="([^"]+)" document="([^"]*)"[^>]*>\n([\s\S]*?)\n<\/source>/g)]
    .map((m) => ({ id: m[1], document: unescape(m[2]), text: m[3] }));
}

const wordsOf = (text: string) => new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 2));

/**
 * With sources in the system prompt, the offline model answers from them like a model told to cite: the opening of
 * the passage(s) sharing the most words with the question (at most two, in their order), each with its `[^n]`
 * marker; when none shares a word, it says the sources do not contain the answer. Only the first 500 characters of a
 * passage are read (what a stored citation keeps), so a continued answer, whose sources are its stored citations,
 * gets the same reply.
 */
export function sourcedReply(userText: string, system: string): string | undefined {
  const sources = promptSources(system);
  if (sources.length === 0) return undefined;
  const question = wordsOf(userText);
  const scored = sources.map((s, i) => {
    const head = s.text.replace(/\s+/g, ' ').trim().slice(0, 499);
    const score = [...wordsOf(head)].filter((w) => question.has(w)).length;
    return { s, i, head, score };
  });
  const best = scored.filter((x) => x.score > 0).sort((a, b) => b.score - a.score || a.i - b.i).slice(0, 2).sort((a, b) => a.i - b.i);
  if (best.length === 0) return `The documents I was given do not contain the answer to "${userText}".`;
  const quote = (head: string) => {
    const sentence = /^.*?[.!?](?=\s|$)/.exec(head)?.[0] ?? head;
    return sentence.length <= 200 ? sentence : `${sentence.slice(0, 199).trimEnd()}…`;
  };
  return `From the documents: ${best.map((x) => `${quote(x.head)}[^${x.s.id}]`).join(' ')}`;
}

/** The knowledge tool's name (core/retrieval.ts KNOWLEDGE_TOOL). */
const KNOWLEDGE_TOOL = 'knowledge_search';

/** Whether the request offers the knowledge tool (`toolConfig.tools[].toolSpec.name`). */
function offersKnowledgeTool(req: FakeRequest): boolean {
  const tools = (req.body.toolConfig as { tools?: Array<{ toolSpec?: { name?: unknown } }> } | undefined)?.tools ?? [];
  return tools.some((t) => t.toolSpec?.name === KNOWLEDGE_TOOL);
}

/**
 * The text of the tool results the request ends with (a user message of toolResult blocks, the numbered passages the
 * worker found), or undefined when its last message is not one.
 */
export function toolResultsText(req: FakeRequest): string | undefined {
  const last = req.body.messages?.[req.body.messages.length - 1];
  const results = (last?.role === 'user' ? last.content : []).map((b) => b.toolResult as { content?: Array<{ text?: unknown }> } | undefined).filter(Boolean);
  if (results.length === 0) return undefined;
  return results.flatMap((r) => r!.content ?? []).map((c) => (typeof c.text === 'string' ? c.text : '')).join('\n');
}

/** The system prompt as the model reads it: its text blocks and the text of its guardContent blocks (a grounded turn's sources). */
function systemText(req: FakeRequest): string {
  return (req.body.system ?? []).map((b) => {
    if (typeof b.text === 'string') return b.text;
    const guarded = (b.guardContent as { text?: { text?: unknown } } | undefined)?.text?.text;
    return typeof guarded === 'string' ? guarded : '';
  }).join('\n');
}

/** The text of the last user message of a Converse request (its text blocks joined with newlines). */
export function lastUserText(req: FakeRequest): string {
  const messages = req.body.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    const texts = (m.content ?? []).map((b) => b.text).filter((t): t is string => typeof t === 'string');
    if (texts.length > 0) return texts.join('\n');
  }
  return '';
}

/** Splits a text into words, each with its trailing whitespace, so that joining them gives the text back. */
export function splitWords(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** The text of a trailing assistant message (a prefill: the answer being continued), else ''. */
export function prefillText(req: FakeRequest): string {
  const last = req.body.messages?.[req.body.messages.length - 1];
  if (last?.role !== 'assistant') return '';
  return textOfMessage(last);
}

function textOfMessage(m: { content?: Array<Record<string, unknown>> }): string {
  return (m.content ?? []).map((b) => b.text).filter((t): t is string => typeof t === 'string').join('');
}

/**
 * A continue request: the question and the answer so far. Either shape: the answer as a trailing assistant turn
 * (prefill), or the answer followed by the user turn with CONTINUE_INSTRUCTION (models without prefill).
 */
export function continuationOf(req: FakeRequest): { question: string; partial: string } | undefined {
  const messages = req.body.messages ?? [];
  const prefill = prefillText(req);
  if (prefill) return { question: lastUserText(req), partial: prefill };
  const n = messages.length;
  if (n >= 3 && messages[n - 1].role === 'user' && textOfMessage(messages[n - 1]) === CONTINUE_INSTRUCTION && messages[n - 2].role === 'assistant') {
    return { question: lastUserText({ ...req, body: { ...req.body, messages: messages.slice(0, n - 2) } }), partial: textOfMessage(messages[n - 2]) };
  }
  return undefined;
}

/**
 * The deterministic default model of the playground: streams, one text step per word,
 * a reply saying it is the offline model and quoting the user's last message verbatim.
 */
export function offlineModel(options: OfflineModelOptions = {}): (req: FakeRequest) => FakeScript {
  const wordDelayMs = options.wordDelayMs ?? 25;
  const max = options.maxOutputWords;
  return (req) => {
    const title = titleRequest(req);
    if (title !== undefined) return { steps: [{ type: 'text', text: title }], usage: { inputTokens: countRequestWords(req.body), outputTokens: countWords(title) } };
    const continuing = continuationOf(req);
    const results = toolResultsText(req);
    if (results === undefined && !continuing && offersKnowledgeTool(req)) {
      // A model with the knowledge tool searches first, with the question as its query (one search per answer).
      const query = lastUserText(req).replace(/\s+/g, ' ').trim().slice(0, 1000);
      if (query) {
        return {
          steps: [{ type: 'toolUse', toolUseId: `tooluse_offline_${req.body.messages?.length ?? 0}`, name: KNOWLEDGE_TOOL, input: { query }, delayMs: wordDelayMs }],
          stopReason: 'tool_use',
          usage: { inputTokens: countRequestWords(req.body), outputTokens: 1 },
        };
      }
    }
    // After its search, it answers from the results as from sources in the system prompt (citing their numbers).
    const sources = results ?? systemText(req);
    const question = continuing ? continuing.question : lastUserText(req);
    const reply = results !== undefined && promptSources(sources).length === 0
      ? `The documents I was given do not contain the answer to "${question}".`
      : offlineReply(question, sources);
    const partial = continuing?.partial ?? '';
    let words = splitWords(partial && reply.startsWith(partial) ? reply.slice(partial.length) : reply);
    let stopReason: FakeScript['stopReason'] = 'end_turn';
    if (max !== undefined && max > 0 && words.length > max) {
      // Cut like a model at its limit: after a word, without the whitespace that follows it.
      words = words.slice(0, max);
      words[max - 1] = words[max - 1].trimEnd();
      stopReason = 'max_tokens';
    }
    return {
      steps: words.map((text) => ({ type: 'text', text, delayMs: wordDelayMs })),
      stopReason,
      usage: { inputTokens: countRequestWords(req.body), outputTokens: countWords(words.join('')) },
    };
  };
}

/**
 * Title requests (a Converse call whose system prompt asks to name the conversation) get the first words of the
 * conversation's first question: deterministic, and readable in the playground's history.
 */
function titleRequest(req: FakeRequest): string | undefined {
  if (req.operation !== 'Converse') return undefined;
  const system = (req.body.system ?? []).map((b) => (typeof b.text === 'string' ? b.text : '')).join(' ');
  if (!/\bname\b.*\bconversations?\b|\btitle\b/i.test(system)) return undefined;
  const prompt = lastUserText(req);
  const question = /^User:\s*(.*)$/m.exec(prompt)?.[1] ?? prompt;
  return question.split(/\s+/).filter(Boolean).slice(0, 6).join(' ').replace(/[.?!,;:]+$/, '') || 'New conversation';
}
