/**
 * A stored conversation, read when one is restored: every page of it (shared/conversation-pages.ts) and its messages
 * as the chat's tree. A chunk of its own (`bedrock-chat-stored-conversation-[hash].js`), imported by the chat the first
 * time it restores a conversation: a chat that opens empty never loads it. It imports only types from the chat's
 * modules and gets the message factory from the caller: a value imported from them makes Rolldown move the modules
 * both chunks use into a third one (docs/architecture.md, "Widget size").
 */
import type { ChatMessage, Citation, Role, StoredMessage } from './conversation.js';
import type { ContentBlock } from '../shared/protocol.js';

export { fetchConversation } from '../shared/conversation-pages.js';

/**
 * Makes a finished message (conversation.ts createMessage, with the chat's options); `citations` are known before its
 * markdown is rendered, so that its `[^n]` link to them.
 */
export type MessageFactory = (role: Role, text: string, files: ContentBlock[], citations: Citation[]) => ChatMessage;

export function fromStored(stored: StoredMessage, create: MessageFactory): ChatMessage {
  const content = stored.content ?? [];
  const role = stored.role === 'user' ? 'user' : 'assistant';
  // The stored sources of an answer (at most 5, docs/knowledge-contract.md), as the citation frames gave them.
  const citations = role === 'assistant' && Array.isArray(stored.citations)
    ? stored.citations.filter((c) => typeof c?.sourceId === 'string').map((c) => ({ ...c, title: c.title || c.sourceId })) : [];
  const message = create(role, content.map((b) => b.text ?? '').join(''), content.filter((b) => b.image || b.document), citations);
  message.id = stored.id;
  message.stopReason = stored.stopReason;
  message.usage = stored.usage;
  message.model = stored.model;
  message.reasoning.data = stored.reasoning ?? '';
  if (stored.feedback && typeof stored.feedback.thumbsUp === 'boolean') message.feedback = stored.feedback;
  for (const block of content) {
    if (block.toolUse) message.tools.push({ id: block.toolUse.toolUseId ?? '', name: block.toolUse.name ?? '', input: block.toolUse.input });
    const result = block.toolResult;
    const tool = result && message.tools.find((t) => t.id === result.toolUseId);
    if (tool && result) tool.result = { status: result.status ?? '', content: result.content };
  }
  return message;
}

/** The stored messages as a tree (parents linked, in creation order); unknown parents become roots. */
export function treeOf(stored: StoredMessage[], create: MessageFactory): ChatMessage[] {
  const sorted = [...stored].sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id));
  const messages = sorted.map((s) => fromStored(s, create));
  const byId = new Map(messages.map((m) => [m.id!, m]));
  sorted.forEach((s, i) => {
    let parent = s.parentId ? byId.get(s.parentId) : undefined;
    // Guard against cycles: a parent must not descend from the message itself.
    for (let p = parent; p; p = p.parent) if (p === messages[i]) parent = undefined;
    messages[i].parent = parent;
  });
  return messages;
}
