import { MarkdownStream } from '../shared/markdown/index.js';
import { randomId } from '../shared/protocol.js';
import type { ContentBlock, Usage } from '../shared/protocol.js';

export type Role = 'user' | 'assistant';
export type MessageStatus = 'sending' | 'streaming' | 'done' | 'failed';

export interface ToolCard {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
  result?: { readonly status: string; readonly content: unknown };
}

export type FeedbackCategory = 'notFactuallyCorrect' | 'notFollowingInstructions' | 'other';

/** Feedback on an answer (`PUT …/feedback`; stored feedback comes with the message). */
export interface Feedback {
  readonly thumbsUp: boolean;
  readonly category?: FeedbackCategory;
  readonly comment?: string;
}

export interface Citation {
  /** The source's id from the `citation` frame (a footnote `[^<sourceId>]` names it). */
  readonly sourceId: string;
  readonly title: string;
  readonly url?: string;
  readonly snippet?: string;
  /** A document of the conversation's bot (docs/knowledge-contract.md): opened through its source route. */
  readonly documentId?: string;
  /** The page of the document the passage is on. */
  readonly page?: number;
}

/** One message of the conversation tree. */
export interface ChatMessage {
  /** Local key for rendering; stable while the server id is still unknown. */
  readonly key: string;
  id?: string;
  parent?: ChatMessage;
  readonly role: Role;
  /** The raw text (markdown for answers). */
  text: string;
  /** Attachments (image and document blocks) of a user message. */
  readonly files: ContentBlock[];
  /**
   * The rendered body: a text node for user messages; for answers, an element filled by `markdown`. Streamed
   * deltas go to it directly, without a Lit re-render.
   */
  node: Text | HTMLElement;
  /** Answers only: the incremental markdown renderer writing into `node`. */
  markdown?: MarkdownStream;
  status: MessageStatus;
  stopReason?: string;
  /** Messages of the history the server left out so the request fit the model's context window. */
  contextTrimmed?: number;
  usage?: Usage;
  price?: number;
  model?: string;
  /** Reasoning text, streamed into `reasoningNode` without a re-render. */
  reasoning: Text;
  tools: ToolCard[];
  citations: Citation[];
  /** Answers: the user's feedback, once given (or stored). */
  feedback?: Feedback;
}

/** A message as `GET /conversations/{id}` returns it. */
export interface StoredMessage {
  readonly id: string;
  readonly parentId?: string | null;
  readonly role: string;
  readonly content?: ContentBlock[];
  readonly model?: string;
  readonly usage?: Usage;
  readonly stopReason?: string;
  readonly reasoning?: string;
  readonly feedback?: Feedback;
  readonly createdAt?: string;
  /** The answer's retrieved sources, stored with it (docs/knowledge-contract.md): rendered again after a reload. */
  readonly citations?: Citation[];
}

export function createMessage(role: Role, text: string, status: MessageStatus, files: ContentBlock[] = [], math = false,
  citations: Citation[] = []): ChatMessage {
  const message: ChatMessage = {
    key: randomId(),
    role,
    text,
    files,
    status,
    node: document.createTextNode(text),
    reasoning: document.createTextNode(''),
    tools: [],
    citations,
  };
  if (role === 'assistant') renderAnswer(message, status !== 'streaming', math);
  return message;
}

/**
 * (Re)renders an answer's markdown from its text into a fresh element, with createElement/textContent only (no HTML
 * is parsed). Open (`final` false) while it streams, so that later deltas are appended incrementally. `math`: formulas
 * become MathML (by default as the answer was rendered before).
 */
export function renderAnswer(message: ChatMessage, final: boolean, math = message.markdown?.math ?? false): void {
  const node = document.createElement('div');
  node.className = 'md';
  message.node = node;
  // The answer's retrieved sources: a footnote that matches one renders as that citation.
  message.markdown = new MarkdownStream(node, { math, citations: () => message.citations });
  message.markdown.append(message.text);
  if (final) message.markdown.end();
}

/**
 * Empties a streaming answer (text, reasoning, tools, citations) and opens a fresh renderer, for a snapshot that
 * replaces what was shown (`start` with `resumed`: the answer moved to a new connection).
 */
export function clearAnswer(message: ChatMessage): void {
  message.text = '';
  message.reasoning.data = '';
  message.tools = [];
  message.citations = [];
  renderAnswer(message, false);
}

/** Root → leaf. */
export function pathTo(leaf: ChatMessage | undefined): ChatMessage[] {
  const path: ChatMessage[] = [];
  for (let m = leaf; m && path.length < 10_000; m = m.parent) path.push(m);
  return path.reverse();
}

/** The versions of a message: same parent, same role, in creation order (itself included). */
export function siblingsOf(all: ChatMessage[], message: ChatMessage): ChatMessage[] {
  return all.filter((m) => m.parent === message.parent && m.role === message.role);
}

/** The newest message under `root` (or `root` itself); it is always a leaf, as children are newer than parents. */
export function newestLeaf(all: ChatMessage[], root: ChatMessage): ChatMessage {
  for (let i = all.length - 1; i >= 0; i--) {
    for (let m: ChatMessage | undefined = all[i]; m; m = m.parent) if (m === root) return all[i];
  }
  return root;
}

/** The label of a file block: a document's name, or an image's file name from its key. */
export function fileLabel(block: ContentBlock): { label: string; format: string } {
  if (block.document) return { label: block.document.name, format: block.document.format };
  const key = block.image?.key ?? '';
  let label = key.slice(key.lastIndexOf('/') + 1);
  try {
    label = decodeURIComponent(label);
  } catch {
    // Keep it encoded.
  }
  return { label: label || 'image', format: block.image?.format ?? '' };
}
