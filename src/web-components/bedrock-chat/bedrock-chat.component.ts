import { html, LitElement, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { ifDefined } from 'lit/directives/if-defined.js';
import { repeat } from 'lit/directives/repeat.js';
import { styles } from './bedrock-chat.styles.js';
import { ERROR_TEXT } from './events.js';
import type { BedrockChatErrorDetail, BedrockChatMessageDetail, BedrockChatSendDetail } from './events.js';
import { MarkdownStream, markdownStyles } from '../shared/markdown/index.js';
import { randomId } from '../shared/protocol.js';
import type { ContentBlock, SendMessageFrame, ServerFrame } from '../shared/protocol.js';
import { ScrollPinController } from '../shared/scroll-pin-controller.js';
import { SocketController } from '../shared/socket-controller.js';
import type { SocketStatus } from '../shared/socket-controller.js';

/** Returns a current id token (called before each connection and REST call, so it may refresh). */
export type TokenProvider = () => Promise<string>;

/** The runtime config (`config.json`) written by BedrockChatFrontend. */
export interface BedrockChatConfig {
  readonly version?: number;
  readonly region?: string;
  readonly webSocketUrl: string;
  readonly restApiUrl: string;
  readonly userPoolId?: string;
  readonly userPoolClientId?: string;
  readonly defaultModel?: string;
}

type Role = 'user' | 'assistant';
type MessageStatus = 'sending' | 'streaming' | 'done' | 'failed';

interface ChatMessage {
  /** Local key for rendering; stable while the server id is still unknown. */
  readonly key: string;
  id?: string;
  parentId?: string;
  readonly role: Role;
  text: string;
  /**
   * The rendered body: a text node for user messages; for answers, an element filled by `markdown`. Streamed
   * deltas go to it directly, without a Lit re-render.
   */
  readonly node: Text | HTMLElement;
  /** Answers only: the incremental markdown renderer writing into `node`. */
  readonly markdown?: MarkdownStream;
  status: MessageStatus;
}

interface Turn {
  readonly requestId: string;
  readonly user: ChatMessage;
  assistant?: ChatMessage;
}

interface StoredMessage {
  readonly id: string;
  readonly parentId?: string | null;
  readonly role: string;
  readonly content?: ContentBlock[];
}

const STORAGE_PREFIX = 'bedrock-chat:conversation:';
const TYPING = html`<div part="typing" class="typing" aria-hidden="true"><span>●</span><span>●</span><span>●</span></div>`;

/**
 * `<bedrock-chat>`: a streaming chat with a model on Amazon Bedrock, over the bedrock-chat WebSocket protocol v1.
 *
 * @attr config-url - where to load `config.json` from (default `/config.json`); ignored when `config` is set.
 * @attr model - the model id to ask (default: the backend's default model).
 * @fires bedrock-chat-send - cancelable, before a message is sent; `detail.text` may be rewritten.
 * @fires bedrock-chat-message - an answer finished streaming.
 * @fires bedrock-chat-error - an error frame or a failure (config, connection, history).
 * @csspart base, header, model, new-chat, log, message, user, assistant, failed, message-text, message-note,
 *   typing, notice, error, composer, input, send
 */
export class BedrockChat extends LitElement {
  static override styles = [styles, markdownStyles];

  /** Where to load the runtime config from. Ignored when the `config` property is set. */
  @property({ attribute: 'config-url' }) configUrl = '/config.json';

  /** The model id sent with each message; the backend's default model when unset. */
  @property() model?: string;

  /** Returns the id token used for the WebSocket subprotocol and the REST API. */
  @property({ attribute: false }) tokenProvider?: TokenProvider;

  /** The runtime config, as an alternative to `config-url`. */
  @property({ attribute: false }) config?: BedrockChatConfig;

  @state() private loadedConfig?: BedrockChatConfig;
  @state() private messages: ChatMessage[] = [];
  @state() private conversationId?: string;
  @state() private errorText = '';
  @state() private announcement = '';
  @state() private turn?: Turn;
  @state() private restoring = false;

  private readonly socket = new SocketController(this, {
    url: () => this.currentConfig?.webSocketUrl,
    token: () => this.token(),
    onFrame: (frame) => this.onFrame(frame),
    onStatus: (status, lost) => this.onSocketStatus(status, lost),
  });

  private readonly scrollPin = new ScrollPinController(this, () => this.renderRoot.querySelector<HTMLElement>('.log'));
  /** Incremented whenever config, token provider or conversation change, to drop stale async results. */
  private session = 0;
  private storageKey?: string;
  private configRequest?: string;

  /** The config in effect: the `config` property, else the one loaded from `config-url`. */
  get currentConfig(): BedrockChatConfig | undefined {
    return this.config ?? this.loadedConfig;
  }

  /** Forgets the current conversation and starts a new one. */
  newChat(): void {
    this.session += 1;
    this.turn = undefined;
    this.messages = [];
    this.conversationId = undefined;
    this.errorText = '';
    this.announcement = '';
    this.restoring = false;
    if (this.storageKey) removeStored(this.storageKey);
    this.input?.focus();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.configRequest = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.config && (changed.has('configUrl') || this.configRequest === undefined)) {
      this.loadConfig(this.configUrl);
    }
    if (changed.has('config') || changed.has('tokenProvider') || changed.has('loadedConfig' as keyof BedrockChat)) {
      this.begin();
    }
  }

  protected override render(): TemplateResult {
    const config = this.currentConfig;
    const canChat = !!this.tokenProvider && !!config;
    const busy = !!this.turn || this.restoring;
    const modelName = this.model ?? config?.defaultModel;
    return html`
      <div part="base" class="base">
        <div part="header" class="header">
          <span part="model" class="model">${modelName ? `Model: ${modelName}` : ''}</span>
          <button part="new-chat" class="new-chat" type="button" @click=${this.newChat}
            ?disabled=${!canChat}>New chat</button>
        </div>
        <div part="log" class="log" role="log" aria-live="off" aria-label="Conversation" tabindex="0"
          aria-busy=${busy ? 'true' : 'false'}>
          ${repeat(this.messages, (m) => m.key, (m) => this.renderMessage(m))}
          ${this.turn && !this.turn.assistant ? TYPING : nothing}
        </div>
        <div class="sr-only" aria-live="polite" aria-atomic="true">${this.announcement}</div>
        ${this.tokenProvider ? nothing : html`<p part="notice" class="notice">Sign-in is not configured on this page.</p>`}
        <div part="error" class="error" role="alert">${this.errorText}</div>
        <form part="composer" class="composer" @submit=${this.onSubmit}>
          <textarea part="input" aria-label="Message" placeholder="Write a message…" rows="1"
            ?disabled=${!canChat} @keydown=${this.onKeyDown}></textarea>
          <button part="send" class="send" type="submit" ?disabled=${!canChat || busy}>Send</button>
        </form>
      </div>
    `;
  }

  private renderMessage(m: ChatMessage): TemplateResult {
    const failed = m.status === 'failed';
    const note = m.role === 'user' ? 'Not sent.' : 'The answer is incomplete.';
    return html`
      <div part="message ${m.role}${failed ? ' failed' : ''}" class="message ${m.role}"
        data-message-id=${ifDefined(m.id)} data-status=${m.status}>
        <span class="sr-only">${m.role === 'user' ? 'You said:' : 'Assistant:'}</span>
        <div part="message-text" class="text">${m.node}</div>
        ${failed ? html`<div part="message-note" class="message-note">${note}</div>` : nothing}
      </div>
    `;
  }

  private get input(): HTMLTextAreaElement | null {
    return this.renderRoot?.querySelector('textarea') ?? null;
  }

  private loadConfig(url: string): void {
    this.configRequest = url;
    fetch(url, { credentials: 'same-origin' })
      .then(async (response) => {
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        const value = (await response.json()) as BedrockChatConfig;
        if (typeof value?.webSocketUrl !== 'string' || typeof value.restApiUrl !== 'string') {
          throw new Error(`${url}: webSocketUrl and restApiUrl are required`);
        }
        if (this.configRequest === url && !this.config) this.loadedConfig = value;
      })
      .catch((err: unknown) => {
        if (this.configRequest === url) this.fail('CONFIG', String(err));
      });
  }

  /** Called when config or token provider change: restore the remembered conversation and connect. */
  private begin(): void {
    const config = this.currentConfig;
    this.session += 1;
    const session = this.session;
    this.turn = undefined;
    this.messages = [];
    this.conversationId = undefined;
    this.socket.close();
    if (!config || !this.tokenProvider) return;
    this.restoring = true;
    this.restore(config, session)
      .catch((err: unknown) => {
        if (session === this.session) this.fail(err instanceof AuthError ? 'AUTH' : 'HISTORY', String(err));
      })
      .finally(() => {
        if (session === this.session) this.restoring = false;
      });
    this.socket.connect();
  }

  private async restore(config: BedrockChatConfig, session: number): Promise<void> {
    const token = await this.token();
    if (session !== this.session) return;
    this.storageKey = storageKeyFor(config.webSocketUrl, token);
    const id = readStored(this.storageKey);
    if (!id) return;
    const url = `${config.restApiUrl.replace(/\/+$/, '')}/conversations/${encodeURIComponent(id)}`;
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (session !== this.session) return;
    if (response.status === 404 || response.status === 403) {
      removeStored(this.storageKey);
      return;
    }
    if (response.status === 401) throw new AuthError('HTTP 401 from the REST API');
    if (!response.ok) throw new Error(`GET conversation: HTTP ${response.status}`);
    const body = (await response.json()) as { conversation?: { lastMessageId?: string }; messages?: StoredMessage[] };
    if (session !== this.session) return;
    const path = pathTo(body.conversation?.lastMessageId, body.messages ?? []);
    this.conversationId = id;
    this.messages = path.map((m) => {
      const message = createMessage(m.role === 'user' ? 'user' : 'assistant', textOf(m.content), 'done');
      message.id = m.id;
      message.parentId = m.parentId ?? undefined;
      return message;
    });
  }

  private async token(): Promise<string> {
    if (!this.tokenProvider) throw new AuthError('No token provider');
    const token = await this.tokenProvider();
    if (!token) throw new AuthError('The token provider returned no token');
    return token;
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
  }

  private onSubmit(event: Event): void {
    event.preventDefault();
    this.send();
  }

  private send(): void {
    const input = this.input;
    if (!input || !input.value.trim() || this.turn || this.restoring || !this.currentConfig || !this.tokenProvider) return;
    const detail: BedrockChatSendDetail = { text: input.value };
    if (!this.emit('bedrock-chat-send', detail, true)) return;
    const text = detail.text;
    if (!text.trim()) return;

    const requestId = randomId();
    const user = createMessage('user', text, 'sending');
    const parentMessageId = this.lastMessageId();
    user.parentId = parentMessageId;
    this.turn = { requestId, user };
    this.messages = [...this.messages, user];
    this.errorText = '';
    this.announcement = '';
    input.value = '';
    this.scrollPin.pin();

    const frame: SendMessageFrame = {
      action: 'sendMessage',
      v: 1,
      requestId,
      ...(this.conversationId ? { conversationId: this.conversationId } : {}),
      ...(parentMessageId ? { parentMessageId } : {}),
      ...(this.model ? { model: this.model } : {}),
      content: [{ text }],
    };
    const session = this.session;
    this.socket.send(frame).catch((err: unknown) => {
      if (session !== this.session || this.turn?.requestId !== requestId) return;
      if (this.input && !this.input.value) this.input.value = text;
      this.failTurn(err instanceof AuthError ? 'AUTH' : 'CONNECTION', String(err));
    });
  }

  /** The id of the last message of the current path (the parent of the next user message). */
  private lastMessageId(): string | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i];
      if (m.id && m.status !== 'failed') return m.id;
    }
    return undefined;
  }

  private onFrame(frame: ServerFrame): void {
    const turn = this.turn;
    if (!turn || frame.requestId !== turn.requestId) {
      if (frame.type === 'error' && !frame.requestId) this.fail(frame.code, frame.message);
      return;
    }
    switch (frame.type) {
      case 'ack':
        turn.user.id = frame.messageId;
        turn.user.status = 'done';
        if (frame.conversationId) this.rememberConversation(frame.conversationId);
        this.requestUpdate();
        break;
      case 'start':
        this.startAnswer(turn, frame.messageId, frame.parentMessageId);
        break;
      case 'text': {
        const answer = turn.assistant ?? this.startAnswer(turn);
        answer.text += frame.delta;
        // Incremental: only the open markdown block of this answer is rendered again; earlier messages and
        // finished blocks are not touched.
        answer.markdown?.append(frame.delta);
        this.scrollPin.follow();
        break;
      }
      case 'end':
        this.finishAnswer(turn, frame.messageId, frame.stopReason, frame.usage);
        break;
      case 'error':
        this.failTurn(frame.code, frame.message);
        break;
      default:
        break;
    }
  }

  private startAnswer(turn: Turn, messageId?: string, parentMessageId?: string): ChatMessage {
    if (turn.assistant) return turn.assistant;
    const answer = createMessage('assistant', '', 'streaming');
    answer.id = messageId;
    answer.parentId = parentMessageId ?? turn.user.id;
    turn.assistant = answer;
    this.messages = [...this.messages, answer];
    return answer;
  }

  private finishAnswer(turn: Turn, messageId?: string, stopReason?: string, usage?: BedrockChatMessageDetail['usage']): void {
    const answer = turn.assistant ?? this.startAnswer(turn, messageId);
    if (messageId) answer.id = messageId;
    answer.status = 'done';
    answer.markdown?.end();
    this.turn = undefined;
    this.announcement = answer.text;
    this.requestUpdate();
    this.emit<BedrockChatMessageDetail>('bedrock-chat-message', {
      conversationId: this.conversationId,
      messageId: answer.id ?? '',
      parentMessageId: answer.parentId,
      text: answer.text,
      stopReason,
      usage,
    });
  }

  private failTurn(code: string, serverMessage?: string): void {
    const turn = this.turn;
    if (turn) {
      if (turn.assistant) {
        turn.assistant.status = 'failed';
        turn.assistant.markdown?.end();
      } else if (turn.user.status === 'sending') {turn.user.status = 'failed';}
      this.turn = undefined;
    }
    this.fail(code, serverMessage, turn?.requestId);
  }

  private fail(code: string, serverMessage?: string, requestId?: string): void {
    const message = ERROR_TEXT[code] ?? ERROR_TEXT.INTERNAL;
    this.errorText = message;
    this.emit<BedrockChatErrorDetail>('bedrock-chat-error', { code, message, serverMessage, requestId });
  }

  private onSocketStatus(status: SocketStatus, lost: boolean): void {
    if (lost && this.turn) this.failTurn('LOST');
    if (status === 'open' && this.errorText === ERROR_TEXT.CONNECTION) this.errorText = '';
  }

  private rememberConversation(id: string): void {
    this.conversationId = id;
    const config = this.currentConfig;
    const key = this.storageKey ?? (config ? storageKeyFor(config.webSocketUrl) : undefined);
    if (key) writeStored(key, id);
  }

  private emit<T>(type: string, detail: T, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true, cancelable }));
  }
}

class AuthError extends Error {}

function createMessage(role: Role, text: string, status: MessageStatus): ChatMessage {
  if (role === 'user') return { key: randomId(), role, text, node: document.createTextNode(text), status };
  // Answers are markdown: rendered into a container with createElement/textContent only (no HTML is parsed).
  const node = document.createElement('div');
  node.className = 'md';
  const markdown = new MarkdownStream(node);
  markdown.append(text);
  if (status !== 'streaming') markdown.end();
  return { key: randomId(), role, text, node, markdown, status };
}

function textOf(content: ContentBlock[] | undefined): string {
  return (content ?? []).map((block) => block.text ?? '').join('');
}

/** The messages from the root to `lastId`, following `parentId` (guarding against cycles and gaps). */
function pathTo(lastId: string | undefined, messages: StoredMessage[]): StoredMessage[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const path: StoredMessage[] = [];
  const seen = new Set<string>();
  let current = lastId ? byId.get(lastId) : undefined;
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    path.push(current);
    current = current.parentId ? byId.get(current.parentId) : undefined;
  }
  return path.reverse();
}

/**
 * The localStorage key for the remembered conversation: per backend (webSocketUrl) and, when the token is a JWT,
 * per user (`sub`), so that two users of one browser do not share it.
 */
function storageKeyFor(webSocketUrl: string, token?: string): string {
  const sub = token ? jwtSubject(token) : undefined;
  return `${STORAGE_PREFIX}${webSocketUrl}${sub ? `#${sub}` : ''}`;
}

function jwtSubject(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

function readStored(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeStored(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage may be unavailable (private mode, sandboxed iframe): the conversation is just not remembered.
  }
}

function removeStored(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // See writeStored.
  }
}
