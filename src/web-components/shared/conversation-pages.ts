import { api } from './config.js';
import type { BedrockChatConfig } from './config.js';

/** One page of `GET /conversations/{id}` (see its OpenAPI entry): the server bounds a page's size, not its messages. */
export interface ConversationPageBody<M> {
  readonly conversation?: { readonly lastMessageId?: string; readonly title?: string; readonly botId?: string };
  readonly messages?: M[];
  /** More text or reasoning of messages of an earlier page, in order. */
  readonly parts?: { readonly messageId: string; readonly text?: string; readonly reasoning?: string }[];
  readonly nextToken?: string;
}

/** The message shape the pages carry (enough to append the parts). */
interface PagedMessage {
  readonly id: string;
  readonly content?: readonly object[];
  readonly reasoning?: string;
}

/** Most pages read for one conversation (a page holds about 5 MiB: far past any conversation a page can show). */
const MAX_PAGES = 200;

/**
 * Every page of a conversation, joined: the messages of all pages, with the `parts` of later pages appended to their
 * message (`text` to its last text block, `reasoning` to its reasoning). The status is the first failing page's, or
 * the first page's; `body` is undefined when a page failed.
 */
export async function fetchConversation<M extends PagedMessage>(config: BedrockChatConfig, id: string, token: string):
Promise<{ status: number; body?: { conversation?: ConversationPageBody<M>['conversation']; messages: M[] } }> {
  const messages: M[] = [];
  const byId = new Map<string, number>();
  let conversation: ConversationPageBody<M>['conversation'];
  let nextToken: string | undefined;
  let status = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const path = `/conversations/${encodeURIComponent(id)}${nextToken ? `?nextToken=${encodeURIComponent(nextToken)}` : ''}`;
    const res = await api<ConversationPageBody<M>>(config, path, token);
    if (page === 0) status = res.status;
    if (res.status !== 200 || !res.body) return { status: res.status };
    conversation ??= res.body.conversation;
    for (const m of res.body.messages ?? []) {
      byId.set(m.id, messages.length);
      messages.push(m);
    }
    for (const part of res.body.parts ?? []) {
      const at = byId.get(part.messageId);
      if (at === undefined) continue;
      messages[at] = appendPart(messages[at], part);
    }
    nextToken = res.body.nextToken;
    if (!nextToken) break;
  }
  return { status, body: { conversation, messages } };
}

function appendPart<M extends PagedMessage>(m: M, part: { text?: string; reasoning?: string }): M {
  let content = m.content;
  if (part.text) {
    const blocks: object[] = [...(m.content ?? [])];
    const last = blocks[blocks.length - 1] as { readonly text?: unknown } | undefined;
    if (last && typeof last.text === 'string') blocks[blocks.length - 1] = { ...last, text: last.text + part.text };
    else blocks.push({ text: part.text });
    content = blocks;
  }
  return { ...m, content, ...(part.reasoning ? { reasoning: (m.reasoning ?? '') + part.reasoning } : {}) };
}
