import { msg, str } from '@lit/localize';
import { html, LitElement, nothing, svg } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { keyed } from 'lit/directives/keyed.js';
import { styles } from './bedrock-chat.styles.js';
import type { ChatBot } from './bot.js';
import { clearAnswer, createMessage, fileLabel, newestLeaf, pathTo, renderAnswer, siblingsOf } from './conversation.js';
import type { ChatMessage, Citation, StoredMessage } from './conversation.js';
import { ERROR_TEXT, quotaText } from './events.js';
import type {
  BedrockChatConversationDetail, BedrockChatErrorDetail, BedrockChatMessageDetail, BedrockChatSendDetail,
} from './events.js';
import { FeedbackController } from './feedback.js';
import { ACCEPT, AttachmentsController, fitsInFrame, fitsInline, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGES_PER_MESSAGE } from '../shared/attachments-controller.js';
import { jwtClaims } from '../shared/auth/jwt.js';
import { api, apiOk, AuthError, fetchConfig, tokenFrom } from '../shared/config.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { formatNumber, formatUsd, LocaleController } from '../shared/i18n.js';
import { markdownStyles, safeUrl } from '../shared/markdown/index.js';
import { randomId } from '../shared/protocol.js';
import type { ClientFrame, ContentBlock, EndFrame, ServerFrame } from '../shared/protocol.js';
import { ScrollPinController } from '../shared/scroll-pin-controller.js';
import { SocketController } from '../shared/socket-controller.js';
import type { SocketStatus } from '../shared/socket-controller.js';

export type { BedrockChatConfig, TokenProvider } from '../shared/config.js';

/** A request being answered. */
interface Turn {
  readonly requestId: string;
  readonly kind: 'send' | 'regenerate' | 'continue';
  /** The user message being answered. */
  readonly user: ChatMessage;
  assistant?: ChatMessage;
  /** The text of the user message, put back into the input if a new message cannot be sent. */
  readonly text?: string;
  stopping?: boolean;
  /** After a lost connection: `resume` was sent and no frame of the answer has come since. */
  resuming?: boolean;
}

interface ModelItem {
  readonly id: string;
  /** Display name (GET /models); the id when absent. */
  readonly name?: string;
  readonly default?: boolean;
}

const STORAGE_PREFIX = 'bedrock-chat:conversation:';

/** An inline icon (no emoji font needed, no request, allowed by a strict CSP). */
const PAPERCLIP = svg`<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false" fill="none"
  stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path
  d="M21.4 11.1 12.2 20.3a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5"/></svg>`;
/** After Stop, the answer is closed locally if the server does not end it in this time. */
const STOP_GRACE_MS = 5000;
/**
 * After `resumed` (not done), the worker sends the answer so far within its 500 ms poll; without a frame in this
 * time (a worker that died, or a final write that failed), the stored conversation is loaded instead.
 */
const RESUME_GRACE_MS = 10_000;
const TYPING = html`<div part="typing" class="typing" aria-hidden="true"><span>●</span><span>●</span><span>●</span></div>`;
const TOO_LONG = () => msg('Your text was too long for one message, so it was attached as a text file. Add your question and send.');
const TOO_LONG_EDIT = () => msg('This text is too long for one message. Shorten it, or send it as a new message: long text is then attached as a text file.');
/** A conversation id's length, for measuring a frame before it has one. */
const ID_PLACEHOLDER = 'c'.repeat(26);

/**
 * `<bedrock-chat>`: a streaming chat with a model on Amazon Bedrock, over the bedrock-chat WebSocket protocol v1.
 *
 * @attr config-url - where to load `config.json` from (default `/config.json`); ignored when `config` is set.
 * @attr lang - the language of the texts (one of the 16 locales; default: the page's `lang`, then the browser's).
 * @attr model - the model id to ask (default: the backend's default model); preselects the model picker.
 * @attr conversation-id - the conversation to open (loaded with GET); changes when a new conversation starts.
 * @attr bot-id - the custom bot to talk to (a new chat sends its id; the conversation's own bot wins when one is
 *   open): its title, description and quick starters are shown and the model choice is limited to its models.
 * @attr math - boolean: formulas in answers (`$…$`, `\(…\)`, `$$…$$`, `\[…\]`) are shown as MathML (off: `$` is text).
 * @fires bedrock-chat-send - cancelable, before a message is sent; `detail.text` may be rewritten.
 * @fires bedrock-chat-message - an answer finished streaming.
 * @fires bedrock-chat-error - an error frame or a failure (config, connection, history, attachment, feedback).
 * @fires bedrock-chat-conversation - a conversation started, got its title, or was opened (or a new chat began).
 * @csspart base, header, title, model, model-picker, new-chat, log, message, user, assistant, failed, message-text,
 *   message-note, message-actions, branch-nav, branch-prev, branch-next, edit, edit-input, edit-save, edit-cancel,
 *   regenerate, continue, copy, retry, feedback-up, feedback-down, feedback-form, feedback-category,
 *   feedback-comment, feedback-error, feedback-submit, feedback-cancel, reasoning, tool-use, tool-result, citations, citation, usage, attachments,
 *   attachment, attachment-remove, typing, notice, status, error, composer, attach, input, reasoning-toggle, send, stop
 */
export class BedrockChat extends LitElement {
  static override styles = [styles, markdownStyles];
  /**
   * The reactive properties, declared here rather than with `@property`/`@state` decorators: the decorators' runtime
   * (0.4 KB gzip) would be in the widget's chunks, within the 45 KB budget (docs/architecture.md, "Widget size").
   * Attributes are only the documented ones; the rest is internal state (`attribute: false` also tells the manifest).
   */
  static override properties = {
    configUrl: { attribute: 'config-url' },
    model: {},
    tokenProvider: { attribute: false },
    config: { attribute: false },
    conversationId: { attribute: 'conversation-id' },
    math: { type: Boolean },
    botId: { attribute: 'bot-id' },
    chatBot: { state: true, attribute: false },
    loadedConfig: { state: true, attribute: false },
    all: { state: true, attribute: false },
    leaf: { state: true, attribute: false },
    conversationTitle: { state: true, attribute: false },
    errorText: { state: true, attribute: false },
    announcement: { state: true, attribute: false },
    turn: { state: true, attribute: false },
    restoring: { state: true, attribute: false },
    models: { state: true, attribute: false },
    pickedModel: { state: true, attribute: false },
    reasoningOn: { state: true, attribute: false },
    editing: { state: true, attribute: false },
    copied: { state: true, attribute: false },
    dragging: { state: true, attribute: false },
    reconnecting: { state: true, attribute: false },
  };

  /** Where to load the runtime config from. Ignored when the `config` property is set. */
  configUrl = '/config.json';

  /** The model id sent with each message (preselected in the picker); the backend's default model when unset. */
  model?: string;

  /** Returns the id token used for the WebSocket subprotocol and the REST API. */
  tokenProvider?: TokenProvider;

  /** The runtime config, as an alternative to `config-url`. */
  config?: BedrockChatConfig;

  /**
   * The open conversation. Set it (or the `conversation-id` attribute) to open a stored conversation (empty: a new
   * chat); the element sets it when a new conversation starts or one is restored.
   */
  conversationId?: string;

  /** Formulas in answers become MathML (the converter is loaded the first time an answer has one). */
  math = false;

  /** The bot a new chat talks to (`bot-id`). An open conversation keeps its own bot (or none). */
  botId?: string;

  /** The bot of the open conversation (or, for a new chat, `botId`). */
  private chatBot?: string;
  /** The bot's controller, in its own chunk, loaded the first time there is a bot. */
  private bot?: ChatBot;
  private botChunk?: Promise<unknown>;

  private loadedConfig?: BedrockChatConfig;
  /** Every message of the conversation (a tree through `parent`), in creation order. */
  private all: ChatMessage[] = [];
  /** The chosen leaf: the visible path is root → leaf. */
  private leaf?: ChatMessage;
  private conversationTitle = '';
  private errorText = '';
  private announcement = '';
  private turn?: Turn;
  private restoring = false;
  private models: ModelItem[] = [];
  private pickedModel?: string;
  private reasoningOn = false;
  private editing?: ChatMessage;
  private copied?: { key: string; ok: boolean };
  private dragging = false;
  /** The connection was lost and is being re-opened. */
  private reconnecting = false;

  /** The page's language (`lang` on the element or an ancestor); re-renders when it changes. */
  protected readonly locale = new LocaleController(this);

  private readonly socket = new SocketController(this, {
    url: () => this.currentConfig?.webSocketUrl,
    token: () => this.token(),
    onFrame: (frame) => this.onFrame(frame),
    onStatus: (status, lost) => this.onSocketStatus(status, lost),
  });

  private readonly attachments = new AttachmentsController(this, {
    restApiUrl: () => this.currentConfig?.restApiUrl,
    token: () => this.token(),
    onReject: (message) => this.fail('ATTACHMENT', undefined, undefined, message),
  });

  private readonly feedback = new FeedbackController(this, {
    send: async (m, feedback) => {
      const config = this.currentConfig;
      if (!config || !this.conversationId || !m.id) throw new Error('Nothing to give feedback on');
      await apiOk(config, `/conversations/${encodeURIComponent(this.conversationId)}/messages/${encodeURIComponent(m.id)}/feedback`,
        await this.token(), { method: 'PUT', body: feedback });
    },
    sent: () => { this.announcement = msg('Thank you for your feedback.'); },
    failed: (err) => this.fail('FEEDBACK', String(err)),
  });

  private readonly scrollPin = new ScrollPinController(this, () => this.renderRoot.querySelector<HTMLElement>('.log'));
  /** Incremented whenever config, token provider or conversation change, to drop stale async results. */
  private session = 0;
  private storageKey?: string;
  private configRequest?: string;
  /** The conversation id as the element itself last set it (a different `conversationId` was set by the host). */
  private ownId?: string;
  /** A conversation the host asked for ('' = a new chat), opened once config and token provider are there. */
  private wanted?: string;
  private copyTimer?: ReturnType<typeof setTimeout>;
  /** The turn that was streaming when the connection was lost (resumed once the socket is open again). */
  private lostTurn?: Turn;
  private resumeTimer?: ReturnType<typeof setTimeout>;

  /** The config in effect: the `config` property, else the one loaded from `config-url`. */
  get currentConfig(): BedrockChatConfig | undefined {
    return this.config ?? this.loadedConfig;
  }

  /** Forgets the current conversation and starts a new one. */
  newChat(): void {
    this.session += 1;
    this.wanted = undefined;
    this.reset();
    this.errorText = '';
    this.announcement = '';
    this.restoring = false;
    if (this.storageKey) removeStored(this.storageKey);
    this.input?.focus();
    this.emitConversation('new');
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.configRequest = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.config && (changed.has('configUrl') || this.configRequest === undefined)) {
      this.loadConfig(this.configUrl);
    }
    if (changed.has('conversationId') && this.conversationId !== this.ownId) this.wanted = this.conversationId ?? '';
    if (changed.has('botId') && !this.conversationId) this.chatBot = this.botId || undefined;
    if (changed.has('math')) for (const m of this.all) if (m.role === 'assistant' && m.status !== 'streaming') renderAnswer(m, true, this.math);
    if (changed.has('config') || changed.has('tokenProvider') || changed.has('loadedConfig' as keyof BedrockChat)) {
      this.begin();
    } else if (this.wanted !== undefined && this.currentConfig && this.tokenProvider) {
      this.open();
    }
    this.botChunk ??= this.chatBot ? import('./bot.js').then(({ ChatBot: Bot }) => {
      this.bot = new Bot(this, () => this.chatBot);
      this.requestUpdate();
    }) : undefined;
  }

  /**
   * The visible path, each message keyed by its own key: a message's DOM is never reused for another (another
   * version after a branch switch). Only appends and branch switches change the path, so `repeat`'s moving of nodes
   * is not needed (and its 0.8 KB stays out of the widget; the history list uses it).
   */
  protected override render(): TemplateResult {
    const config = this.currentConfig;
    const canChat = !!this.tokenProvider && !!config && !this.bot?.unavailable;
    const busy = !!this.turn || this.restoring;
    const files = this.attachments.items;
    return html`
      <div part="base" class="base">
        <div part="header" class="header">
          <span part="title" class="title">${this.conversationTitle}</span>
          ${this.offered().length > 1 ? this.renderModelPicker() : html`<span part="model" class="model">${this.modelName() ? msg(str`Model: ${this.modelName()}`) : ''}</span>`}
          <button part="new-chat" class="new-chat" type="button" @click=${this.newChat}
            ?disabled=${!canChat}>${msg('New chat')}</button>
        </div>
        ${this.bot?.render(!this.all.length, busy)}
        <div part="log" class="log" role="log" aria-live="off" aria-label=${msg('Conversation')} tabindex="0"
          aria-busy=${busy ? 'true' : 'false'} @md-source=${(e: CustomEvent<Citation>) => this.bot?.open(e.detail)}>
          ${pathTo(this.leaf).map((m) => keyed(m.key, this.renderMessage(m)))}
          ${this.turn && !this.turn.assistant ? TYPING : nothing}
        </div>
        <div class="sr-only" aria-live="polite" aria-atomic="true">${this.announcement}</div>
        ${this.renderAuth()}
        ${this.reconnecting ? html`<p part="status" class="notice" role="status">${msg('Reconnecting…')}</p>` : nothing}
        <div part="error" class="error" role="alert">${this.errorText}</div>
        <form part="composer" class="composer${this.dragging ? ' dragging' : ''}" @submit=${this.onSubmit}
          @dragover=${this.onDragOver} @dragleave=${() => { this.dragging = false; }} @drop=${this.onDrop}>
          ${files.length ? html`<ul part="attachments" class="chips" aria-label=${msg('Attachments')}>${files.map((a) => html`
            <li part="attachment" class="chip" data-state=${a.state}>
              <span class="chip-name">${a.file.name || a.name}</span>
              <span class="chip-meta">${a.format.toUpperCase()}${a.state === 'ready' ? '' : a.state === 'uploading' ? ` · ${msg('uploading…')}` : ` · ${msg('upload failed')}`}</span>
              <button part="attachment-remove" class="icon" type="button" aria-label=${msg(str`Remove ${a.file.name || a.name}`)}
                @click=${() => this.attachments.remove(a.id)}>×</button>
            </li>`)}</ul>` : nothing}
          <button part="attach" class="tool" type="button" aria-label=${msg('Attach files')} title=${msg('Attach files')}
            ?disabled=${!canChat} @click=${() => { void this.attachments.prepare().catch(() => undefined); this.renderRoot.querySelector<HTMLInputElement>('input[type=file]')?.click(); }}>${PAPERCLIP}</button>
          <input type="file" multiple hidden accept=${ACCEPT} tabindex="-1" @change=${this.onFilesChosen}>
          <textarea part="input" aria-label=${msg('Message')} placeholder=${msg('Write a message…')} rows="1"
            ?disabled=${!canChat} @keydown=${this.onKeyDown} @paste=${this.onPaste}></textarea>
          <button part="reasoning-toggle" class="tool" type="button" aria-pressed=${this.reasoningOn ? 'true' : 'false'}
            title=${msg('Let the model reason before answering')} ?disabled=${!canChat}
            @click=${() => { this.reasoningOn = !this.reasoningOn; }}>${msg('Reason')}</button>
          ${this.turn
              ? html`<button part="stop" class="send" type="button" @click=${this.stop} ?disabled=${!!this.turn.stopping}>${msg('Stop')}</button>`
              : html`<button part="send" class="send" type="submit" ?disabled=${!canChat || busy || this.attachments.busy}>${msg('Send')}</button>`}
        </form>
      </div>
    `;
  }

  /** The models offered: with a bot, only those it allows. */
  private offered(): ModelItem[] {
    return this.bot?.models(this.models) ?? this.models;
  }

  /** The model sent with a request: with a bot, only one it allows (else its default). */
  private sentModel(): string | undefined {
    const model = this.pickedModel ?? this.model;
    return this.bot ? this.bot.model(model) : model;
  }

  private modelId(): string | undefined {
    return this.sentModel() ?? this.models.find((m) => m.default)?.id ?? this.currentConfig?.defaultModel;
  }

  private modelName(): string | undefined {
    const id = this.modelId();
    return this.models.find((m) => m.id === id)?.name ?? id;
  }

  private renderModelPicker(): TemplateResult {
    const chosen = this.modelId();
    // A `model` attribute outside the list is still offered (and sent): the backend decides whether it is allowed.
    const models = this.offered();
    const items = chosen && !models.some((m) => m.id === chosen) ? [{ id: chosen }, ...models] : models;
    return html`<select part="model-picker" class="picker" aria-label=${msg('Model')} ?disabled=${!!this.turn}
      @change=${(e: Event) => { this.pickedModel = (e.target as HTMLSelectElement).value; }}>
      ${items.map((m) => html`<option value=${m.id} ?selected=${m.id === chosen}>${m.name ?? m.id}</option>`)}
    </select>`;
  }

  private renderMessage(m: ChatMessage): TemplateResult {
    const failed = m.status === 'failed';
    const user = m.role === 'user';
    const notes: string[] = [];
    if (failed) notes.push(user ? msg('Not sent.') : m.text || m.tools.length ? msg('The answer is incomplete.') : msg('No answer.'));
    if (m.stopReason === 'stopped') notes.push(msg('Stopped'));
    if (m.stopReason === 'max_tokens' && m.status === 'done') notes.push(msg('The answer reached the length limit.'));
    if (m.contextTrimmed) notes.push(msg('The oldest messages were left out so that the conversation fits what the model can read.'));
    // The worker's time budget ran out (docs/architecture.md, "Delivery of the worker's job"): the answer is cut.
    if (m.stopReason === 'timeBudget' && m.status === 'done') notes.push(msg('The answer was cut off because it took too long.'));
    const usage = m.status === 'done' ? usageText(m) : '';
    return html`
      <div part="message ${m.role}${failed ? ' failed' : ''}" class="message ${m.role}" data-key=${m.key}
        data-message-id=${ifDefined(m.id)} data-status=${m.status}>
        <span class="sr-only">${user ? msg('You said:') : msg('Assistant:')}</span>
        ${m.reasoning.data ? html`<details part="reasoning" class="reasoning"><summary>${msg('Reasoning')}</summary><div class="reasoning-text">${m.reasoning}</div></details>` : nothing}
        ${m.tools.map((t) => html`
          <div part="tool-use" class="card"><div class="card-title">${msg(str`Tool: ${t.name}`)}</div><pre>${asJson(t.input)}</pre></div>
          ${t.result ? html`<div part="tool-result" class="card"><div class="card-title">${t.result.status ? msg(str`Result (${t.result.status})`) : msg('Result')}</div><pre>${asJson(t.result.content)}</pre></div>` : nothing}`)}
        ${this.editing === m ? this.renderEditor(m) : m.text ? html`<div part="message-text" class="text">${m.node}</div>` : nothing}
        ${m.files.length ? html`<ul class="chips" aria-label=${msg('Attachments')}>${m.files.map((b) => {
            const { label, format } = fileLabel(b);
            return html`<li part="attachment" class="chip"><span class="chip-name">${label}</span><span class="chip-meta">${format.toUpperCase()}</span></li>`;
          })}</ul>` : nothing}
        ${m.citations.length ? html`<ol part="citations" class="citations" aria-label=${msg('Sources')}>${m.citations.map((c) => {
            const url = c.url ? safeUrl(c.url) : undefined;
            // A cited page (a crawled one, a source of an existing knowledge base) opens only over https: (the contract).
            return html`<li part="citation">${url && /^https:/.test(url)
              ? html`<a href=${url} target="_blank" rel="noopener noreferrer nofollow">${c.title}</a>` : this.bot?.source(c) ?? c.title}</li>`;
          })}</ol>` : nothing}
        ${notes.length ? html`<div part="message-note" class="message-note">${notes.join(' ')}</div>` : nothing}
        ${usage ? html`<div part="usage" class="usage">${usage}</div>` : nothing}
        ${m.status === 'streaming' || m.status === 'sending' || this.editing === m ? nothing : this.renderActions(m)}
        ${this.feedback.renderForm(m)}
      </div>
    `;
  }

  private renderActions(m: ChatMessage): TemplateResult {
    const busy = !!this.turn || this.restoring;
    const versions = siblingsOf(this.all, m);
    const i = versions.indexOf(m);
    const copied = this.copied?.key === m.key ? (this.copied.ok ? msg('Copied') : msg('Copy failed')) : msg('Copy');
    const answered = !!m.parent?.id && !!this.conversationId;
    return html`<div part="message-actions" class="actions">
      ${versions.length > 1 ? html`<span part="branch-nav" class="branch" role="group" aria-label=${msg(str`Version ${i + 1} of ${versions.length}`)}>
        <button part="branch-prev" class="icon" type="button" aria-label=${msg('Previous version')} ?disabled=${busy || i === 0}
          @click=${() => this.showVersion(versions[i - 1], 'branch-prev')}>‹</button>
        <span aria-hidden="true">${i + 1}/${versions.length}</span>
        <button part="branch-next" class="icon" type="button" aria-label=${msg('Next version')} ?disabled=${busy || i === versions.length - 1}
          @click=${() => this.showVersion(versions[i + 1], 'branch-next')}>›</button>
      </span>` : nothing}
      ${m.role === 'user'
          ? (m.id ? html`<button part="edit" type="button" ?disabled=${busy} @click=${() => this.startEdit(m)}>${msg('Edit')}</button>` : nothing)
          : html`
          ${m.text ? html`<button part="copy" type="button" @click=${() => this.copy(m)}>${copied}</button>` : nothing}
          ${m.id && this.conversationId && m.status === 'done' ? this.feedback.renderButtons(m, this.restoring) : nothing}
          ${m.status === 'failed'
              ? (answered ? html`<button part="retry" type="button" ?disabled=${busy} @click=${() => this.regenerate(m)}>${msg('Retry')}</button>` : nothing)
              : answered ? html`<button part="regenerate" type="button" ?disabled=${busy} @click=${() => this.regenerate(m)}>${msg('Regenerate')}</button>` : nothing}
          ${m.stopReason === 'max_tokens' && m.id && this.conversationId
              ? html`<button part="continue" type="button" ?disabled=${busy} @click=${() => this.continueAnswer(m)}>${msg('Continue')}</button>` : nothing}`}
    </div>`;
  }

  private renderEditor(m: ChatMessage): TemplateResult {
    return html`<div class="editor">
      <textarea part="edit-input" aria-label=${msg('Edit message')} .value=${m.text} @keydown=${(e: KeyboardEvent) => this.onEditKey(e, m)}></textarea>
      <div class="actions">
        <button part="edit-save" class="send" type="button" ?disabled=${!!this.turn} @click=${() => this.saveEdit(m)}>${msg('Save')}</button>
        <button part="edit-cancel" type="button" @click=${this.cancelEdit}>${msg('Cancel')}</button>
      </div>
    </div>`;
  }

  /** Above the composer: without a token provider, the sign-in notice (built-in sign-in overrides this). */
  protected renderAuth(): TemplateResult | typeof nothing {
    return this.tokenProvider ? nothing : html`<p part="notice" class="notice">${msg('Sign-in is not configured on this page.')}</p>`;
  }

  private get input(): HTMLTextAreaElement | null {
    return this.renderRoot?.querySelector('textarea[part="input"]') ?? null;
  }

  /** Focuses a part inside a message once it is rendered (keeps the keyboard user's place after a switch). */
  private focusLater(key: string, ...parts: string[]): void {
    void this.updateComplete.then(() => {
      for (const part of parts) {
        const el = this.renderRoot.querySelector<HTMLElement>(`[data-key="${key}"] [part~="${part}"]`);
        if (el && !(el as HTMLButtonElement).disabled) return el.focus();
      }
    });
  }

  private reset(): void {
    this.turn = undefined;
    this.all = [];
    this.leaf = undefined;
    this.editing = undefined;
    this.conversationId = this.ownId = undefined;
    this.conversationTitle = '';
    this.chatBot = this.botId || undefined;
    this.feedback.reset();
  }

  private loadConfig(url: string): void {
    this.configRequest = url;
    fetchConfig(url)
      .then((value) => {
        if (this.configRequest === url && !this.config) this.loadedConfig = value;
      })
      .catch((err: unknown) => {
        if (this.configRequest === url) this.fail('CONFIG', String(err));
      });
  }

  /** Called when config or token provider change: restore the remembered conversation, load models, connect. */
  private begin(): void {
    const config = this.currentConfig;
    this.session += 1;
    const session = this.session;
    this.reset();
    this.models = [];
    this.socket.close();
    if (!config || !this.tokenProvider) return;
    this.load(config, session);
    this.loadModels(config, session).catch(() => {
      // Without the list there is no picker: messages use the `model` attribute or the backend's default.
    });
    this.socket.connect();
  }

  /** Opens the conversation the host asked for (`conversationId`), or a new chat when it was emptied. */
  private open(): void {
    const config = this.currentConfig;
    this.session += 1;
    this.reset();
    this.errorText = '';
    this.announcement = '';
    if (config) this.load(config, this.session);
  }

  /** Restores the wanted or remembered conversation (the composer waits). */
  private load(config: BedrockChatConfig, session: number): void {
    const wanted = this.wanted;
    this.wanted = undefined;
    this.restoring = true;
    this.restore(config, session, wanted)
      .catch((err: unknown) => {
        if (session === this.session) this.fail(err instanceof AuthError ? 'AUTH' : 'HISTORY', String(err));
      })
      .finally(() => {
        if (session === this.session) this.restoring = false;
      });
  }

  private async loadModels(config: BedrockChatConfig, session: number): Promise<void> {
    const { body: list } = await api<{ items?: ModelItem[] }>(config, '/models', await this.token());
    if (session === this.session && Array.isArray(list?.items)) this.models = list.items.filter((m) => typeof m?.id === 'string');
  }

  /** Loads `wanted` (the host's choice; '' = a new chat), else the remembered conversation. */
  private async restore(config: BedrockChatConfig, session: number, wanted?: string): Promise<void> {
    const token = await this.token();
    if (session !== this.session) return;
    this.storageKey = storageKeyFor(config.webSocketUrl, token);
    if (wanted === '') removeStored(this.storageKey);
    const id = wanted === undefined ? readStored(this.storageKey) : wanted;
    if (!id) return;
    // Every page: a very large conversation comes in several (see fetchConversation, in a chunk of its own with the
    // tree of stored messages: a chat that restores nothing never loads it).
    const { fetchConversation, treeOf } = await import('./stored-conversation.js');
    const { status, body } = await fetchConversation<StoredMessage>(config, id, token);
    if (session !== this.session) return;
    if (status === 404 || status === 403) {
      removeStored(this.storageKey);
      if (wanted) this.fail('NOT_FOUND', `GET conversation: HTTP ${status}`);
      return;
    }
    if (status === 401) throw new AuthError('HTTP 401 from the REST API');
    if (!body) throw new Error(`GET conversation: HTTP ${status}`);
    this.conversationId = this.ownId = id;
    this.conversationTitle = body.conversation?.title ?? '';
    this.chatBot = body.conversation?.botId;
    this.all = treeOf(body.messages ?? [], (role, text, files, cites) => createMessage(role, text, 'done', files, this.math, cites));
    const last = body.conversation?.lastMessageId;
    this.leaf = this.all.find((m) => m.id === last) ?? this.all[this.all.length - 1];
    if (wanted) writeStored(this.storageKey, id);
    this.emitConversation('opened');
  }

  private token(): Promise<string> {
    return tokenFrom(this.tokenProvider);
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

  private onPaste(event: ClipboardEvent): void {
    const data = event.clipboardData;
    const files = [...(data?.files ?? [])];
    const text = data?.getData('text/plain') ?? '';
    if (files.length && !text) {
      event.preventDefault();
      this.attachments.add(files);
    } else if (text && !fitsInline(text)) {
      // Measured in UTF-8 bytes of the frame: 20,000 characters of Japanese are about 60 KB, over the 32 KB frame.
      event.preventDefault();
      this.attachLongText(text);
    }
  }

  private attachLongText(text: string): void {
    this.attachments.add([new File([text], `${msg('Pasted text')}.txt`, { type: 'text/plain' })]);
  }

  private onFilesChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    this.attachments.add([...(input.files ?? [])]);
    input.value = '';
  }

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files') || !this.tokenProvider) return;
    event.preventDefault();
    if (!this.dragging) void this.attachments.prepare().catch(() => undefined);
    this.dragging = true;
  }

  private onDrop(event: DragEvent): void {
    this.dragging = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (!files.length || !this.tokenProvider) return;
    event.preventDefault();
    this.attachments.add(files);
  }

  /** Whether a new request may start now. */
  private get ready(): boolean {
    return !this.turn && !this.restoring && !!this.currentConfig && !!this.tokenProvider;
  }

  /** Emits the cancelable send event; returns the (possibly rewritten) text, or undefined when vetoed. */
  private approve(text: string): string | undefined {
    const detail: BedrockChatSendDetail = { text };
    return this.emit('bedrock-chat-send', detail, true) ? detail.text : undefined;
  }

  private send(): void {
    const input = this.input;
    if (!input || !this.ready || this.attachments.busy) return;
    const tooLong = (text: string) => {
      // Too long for one frame (API Gateway closes the socket past 32 KB): sent as a document instead, through the
      // large-message bucket like any file (the user adds a question).
      this.attachLongText(text);
      input.value = '';
      this.errorText = TOO_LONG();
    };
    if (!fitsInline(input.value)) return tooLong(input.value);
    const files = this.attachments.blocks();
    if (!input.value.trim() && !files.length) return;
    const text = this.approve(input.value);
    if (text === undefined || (!text.trim() && !files.length)) return;
    const parent = this.anchor();
    const over = mergedLimitProblem(files, parent);
    if (over) {
      this.errorText = over;
      return;
    }
    const frame = {
      action: 'sendMessage',
      ...(parent?.id ? { parentMessageId: parent.id } : {}),
      ...this.options(true),
      content: content(text, files),
    };
    // The whole frame, in bytes, as it will be sent (the host may have made the text longer).
    if (!fitsInFrame({ ...frame, conversationId: ID_PLACEHOLDER })) return tooLong(text);
    input.value = '';
    this.attachments.clear();
    this.request({ kind: 'send', user: this.addUser(text, files, parent), text }, frame);
  }

  private startEdit(m: ChatMessage): void {
    this.editing = m;
    this.focusLater(m.key, 'edit-input');
  }

  private onEditKey(event: KeyboardEvent, m: ChatMessage): void {
    if (event.key === 'Escape') {
      this.cancelEdit();
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.saveEdit(m);
    }
  }

  private cancelEdit(): void {
    const m = this.editing;
    this.editing = undefined;
    if (m) this.focusLater(m.key, 'edit');
  }

  private saveEdit(m: ChatMessage): void {
    const field = this.renderRoot.querySelector<HTMLTextAreaElement>('[part="edit-input"]');
    if (!field || !m.id || !this.ready) return;
    if (!field.value.trim() && !m.files.length) return;
    const text = this.approve(field.value);
    if (text === undefined || (!text.trim() && !m.files.length)) return;
    const frame = { action: 'sendMessage', editOf: m.id, ...this.options(true), content: content(text, m.files) };
    if (!fitsInFrame({ ...frame, conversationId: ID_PLACEHOLDER })) {
      this.errorText = TOO_LONG_EDIT();
      return;
    }
    this.editing = undefined;
    this.request({ kind: 'send', user: this.addUser(text, m.files, m.parent) }, frame);
  }

  private regenerate(answer: ChatMessage): void {
    const user = answer.parent;
    if (!user?.id || !this.conversationId || !this.ready) return;
    if (!answer.id) this.all = this.all.filter((m) => m !== answer);
    this.leaf = user;
    this.request({ kind: 'regenerate', user }, { action: 'regenerate', messageId: user.id, ...this.options() });
  }

  private continueAnswer(answer: ChatMessage): void {
    if (!answer.id || !answer.parent || !this.conversationId || !this.ready) return;
    this.request({ kind: 'continue', user: answer.parent, assistant: answer }, { action: 'continue', messageId: answer.id });
  }

  private stop(): void {
    const turn = this.turn;
    if (!turn || turn.stopping) return;
    turn.stopping = true;
    this.requestUpdate();
    this.socket.send({ action: 'stop', v: 1, requestId: turn.requestId }).catch(() => undefined);
    setTimeout(() => {
      if (this.turn === turn) this.finishAnswer(turn, { type: 'end', v: 1, stopReason: 'stopped' });
    }, STOP_GRACE_MS);
  }

  /** `model` and `reasoning` of a request; for a new message (`send`) also the bot (a conversation keeps its bot). */
  private options(send?: boolean): { botId?: string; model?: string; reasoning?: true } {
    const model = this.sentModel();
    const bot = send && this.chatBot ? { botId: this.chatBot } : {};
    return { ...bot, ...(model ? { model } : {}), ...(this.reasoningOn ? { reasoning: true } : {}) };
  }

  private addUser(text: string, files: ContentBlock[], parent: ChatMessage | undefined): ChatMessage {
    this.prune();
    const user = createMessage('user', text, 'sending', files);
    user.parent = parent;
    this.all = [...this.all, user];
    this.leaf = user;
    return user;
  }

  /** Sends a request frame (adding `v`, `requestId` and `conversationId`) and makes it the current turn. */
  private request(turn: Omit<Turn, 'requestId'>, frame: Record<string, unknown> & { action: string }): void {
    const requestId = randomId();
    const current: Turn = { ...turn, requestId };
    this.turn = current;
    this.errorText = '';
    this.announcement = '';
    this.scrollPin.pin();
    const session = this.session;
    const full = { ...frame, v: 1, requestId, ...(this.conversationId ? { conversationId: this.conversationId } : {}) };
    this.socket.send(full as unknown as ClientFrame).catch((err: unknown) => {
      if (session !== this.session || this.turn !== current) return;
      if (current.text !== undefined && this.input && !this.input.value) this.input.value = current.text;
      this.failTurn(err instanceof AuthError ? 'AUTH' : 'CONNECTION', String(err));
    });
  }

  /** The message a new user message answers: the last sent message of the path. */
  private anchor(): ChatMessage | undefined {
    let m = this.leaf;
    while (m && (!m.id || m.status === 'failed')) m = m.parent;
    return m;
  }

  /** Drops messages that never reached the server (failed, without an id). */
  private prune(): void {
    this.leaf = this.anchor() ?? this.leaf;
    this.all = this.all.filter((m) => m.id || m.status !== 'failed');
    if (this.leaf && !this.all.includes(this.leaf)) this.leaf = undefined;
  }

  private showVersion(m: ChatMessage, part: string): void {
    this.leaf = newestLeaf(this.all, m);
    this.focusLater(m.key, part, part === 'branch-prev' ? 'branch-next' : 'branch-prev');
  }

  private copy(m: ChatMessage): void {
    const done = (ok: boolean) => {
      this.copied = { key: m.key, ok };
      clearTimeout(this.copyTimer);
      this.copyTimer = setTimeout(() => { this.copied = undefined; }, 2000);
    };
    navigator.clipboard.writeText(m.text).then(() => done(true), () => done(false));
  }

  private onFrame(frame: ServerFrame): void {
    // The connection outlived its token: the server closes it right after this frame. Nothing to show: the close
    // reconnects with a fresh token from the provider (refreshed by the auth controller) and resumes the answer.
    if (frame.type === 'error' && frame.code === 'AUTH_EXPIRED') return;
    if (frame.type === 'title') {
      if (frame.conversationId && frame.conversationId === this.conversationId) {
        this.conversationTitle = frame.title;
        this.emitConversation('titled');
      }
      return;
    }
    const turn = this.turn;
    if (!turn || frame.requestId !== turn.requestId) {
      if (frame.type === 'error' && !frame.requestId) this.fail(frame.code, frame.message);
      return;
    }
    if (turn.resuming) {
      if (frame.type === 'resumed') return this.onResumed(turn, frame.done, frame.conversationId);
      // NOT_FOUND (the request never reached the server), or a failure before the answer started.
      if (frame.type === 'error') return this.catchUp(turn, turn.kind === 'send' && !turn.user.id);
      turn.resuming = false;
      clearTimeout(this.resumeTimer);
    }
    switch (frame.type) {
      case 'ack':
        if (turn.kind === 'send') {
          turn.user.id = frame.messageId;
          turn.user.status = 'done';
        }
        if (frame.conversationId) this.rememberConversation(frame.conversationId);
        this.requestUpdate();
        break;
      case 'start':
        if (frame.resumed && turn.assistant) {
          // The answer moved to this connection: the snapshot that follows replaces what was shown.
          clearAnswer(turn.assistant);
          this.requestUpdate();
        }
        if (frame.resumed && turn.kind === 'send' && !turn.user.id && frame.parentMessageId) {
          turn.user.id = frame.parentMessageId;
          turn.user.status = 'done';
        }
        this.startAnswer(turn, frame.messageId, frame.model);
        break;
      case 'text':
      case 'reasoning': {
        const answer = this.startAnswer(turn);
        // Incremental: only the open markdown block of this answer (or the reasoning text node) changes; a Lit
        // render only happens when the first delta makes the part appear.
        const first = frame.type === 'text' ? !answer.text : !answer.reasoning.data;
        if (frame.type === 'text') {
          answer.text += frame.delta;
          answer.markdown?.append(frame.delta);
        } else {answer.reasoning.appendData(frame.delta);}
        if (first) this.requestUpdate();
        this.scrollPin.follow();
        break;
      }
      case 'toolUse':
        this.startAnswer(turn).tools.push({ id: frame.toolUseId, name: frame.name, input: frame.input });
        this.requestUpdate();
        break;
      case 'toolResult': {
        const answer = this.startAnswer(turn);
        const result = { status: frame.status, content: frame.content };
        const tool = answer.tools.find((t) => t.id === frame.toolUseId);
        if (tool) tool.result = result;
        else answer.tools.push({ id: frame.toolUseId, name: '', input: undefined, result });
        this.requestUpdate();
        break;
      }
      case 'citation':
        // With `documentId` and `page` for a bot's document (docs/knowledge-contract.md).
        this.startAnswer(turn).citations.push({ ...frame, sourceId: frame.sourceId ?? '', title: frame.title || frame.sourceId || msg('Source') });
        this.requestUpdate();
        break;
      case 'end':
        this.finishAnswer(turn, frame);
        break;
      case 'error':
        // Over a usage limit: which limit and when it resets, in words (the refused turn was not stored).
        this.failTurn(frame.code, frame.message, frame.code === 'QUOTA' ? quotaText(frame.quota) : undefined);
        break;
      default:
        break;
    }
  }

  /** The answer of the turn, created on its first frame; a continued answer is opened again for more text. */
  private startAnswer(turn: Turn, messageId?: string, model?: string): ChatMessage {
    let answer = turn.assistant;
    if (!answer) {
      answer = createMessage('assistant', '', 'streaming', [], this.math);
      answer.parent = turn.user;
      turn.assistant = answer;
      this.all = [...this.all, answer];
      this.leaf = answer;
    } else if (answer.status !== 'streaming') {
      answer.status = 'streaming';
      answer.stopReason = undefined;
      renderAnswer(answer, false);
      this.requestUpdate();
    }
    if (messageId) answer.id = messageId;
    if (model) answer.model = model;
    return answer;
  }

  private finishAnswer(turn: Turn, frame: EndFrame): void {
    const answer = this.startAnswer(turn, frame.messageId);
    answer.status = 'done';
    answer.stopReason = frame.stopReason;
    answer.usage = frame.usage;
    answer.price = frame.price;
    if (typeof frame.contextTrimmed === 'number' && frame.contextTrimmed > 0) answer.contextTrimmed = frame.contextTrimmed;
    // The guardrail replaced an ungrounded answer with its message, which cites nothing (it is stored without citations).
    if (frame.stopReason === 'guardrail_intervened') answer.citations = [];
    answer.markdown?.end();
    this.turn = undefined;
    this.announcement = answer.text;
    this.requestUpdate();
    this.emit<BedrockChatMessageDetail>('bedrock-chat-message', {
      conversationId: this.conversationId,
      messageId: answer.id ?? '',
      parentMessageId: answer.parent?.id,
      text: answer.text,
      stopReason: frame.stopReason,
      usage: frame.usage,
      price: frame.price,
      model: answer.model,
    });
  }

  private failTurn(code: string, serverMessage?: string, text?: string): void {
    const turn = this.turn;
    if (turn) {
      this.turn = undefined;
      const answer = turn.assistant;
      if (turn.kind === 'continue' && answer) {
        // The answer keeps what it had (and what came); it can be continued again.
        answer.markdown?.end();
        answer.status = 'done';
        answer.stopReason = 'max_tokens';
      } else if (answer) {
        answer.status = 'failed';
        answer.markdown?.end();
      } else if (turn.user.status === 'sending') {
        turn.user.status = 'failed';
      } else {
        // Accepted but not answered: a failed answer, so that Retry is offered.
        const failed = createMessage('assistant', '', 'failed');
        failed.parent = turn.user;
        this.all = [...this.all, failed];
        this.leaf = failed;
      }
    }
    this.fail(code, serverMessage, turn?.requestId, text);
  }

  fail(code: string, serverMessage?: string, requestId?: string, text?: string): void {
    if (code === 'BOT_UNAVAILABLE') this.bot?.lost();
    const message = text ?? ERROR_TEXT[code] ?? this.bot?.errorText(code) ?? ERROR_TEXT.INTERNAL;
    this.errorText = message;
    this.emit<BedrockChatErrorDetail>('bedrock-chat-error', { code, message, serverMessage, requestId });
  }

  private onSocketStatus(status: SocketStatus, lost: boolean): void {
    if (lost) {
      // An answer being streamed goes on without us: it is resumed on the next connection.
      this.reconnecting = status === 'reconnecting';
      this.lostTurn = this.turn;
      if (!this.reconnecting && this.turn) this.failTurn('LOST');
    } else if (status === 'open' && this.reconnecting) {
      this.reconnecting = false;
      this.afterReconnect();
    } else if (status === 'closed' || status === 'idle') {
      this.reconnecting = false;
    }
    if (status === 'open' && this.errorText === ERROR_TEXT.CONNECTION) this.errorText = '';
  }

  /** Open again after a lost connection: take over the answer that was streaming, or catch up quietly. */
  private afterReconnect(): void {
    const turn = this.turn;
    const lost = this.lostTurn;
    this.lostTurn = undefined;
    if (turn && turn === lost) {
      turn.resuming = true;
      // If this send fails, the socket closed again: the next reconnection resumes.
      this.socket.send({ action: 'resume', v: 1, requestId: turn.requestId }).catch(() => undefined);
    } else if (!turn && !this.restoring && !this.editing) {
      // Anything finished while we were away (here or in another tab) shows up.
      this.reload();
    }
  }

  private onResumed(turn: Turn, done: boolean, conversationId?: string): void {
    if (conversationId && !this.conversationId) this.rememberConversation(conversationId);
    if (done) return this.catchUp(turn);
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      if (this.turn === turn && turn.resuming) this.catchUp(turn);
    }, RESUME_GRACE_MS);
  }

  /** The answer cannot be (or need not be) taken over: the stored conversation is shown instead. */
  private catchUp(turn: Turn, neverArrived = false): void {
    clearTimeout(this.resumeTimer);
    if (this.turn !== turn) return;
    if (neverArrived) return this.failTurn('LOST');
    this.turn = undefined;
    this.reload();
  }

  /** Loads the open conversation again (the way a reload restores it), replacing what is shown. */
  private reload(): void {
    const config = this.currentConfig;
    if (!config || !this.conversationId) return;
    this.session += 1;
    this.wanted = this.conversationId;
    this.load(config, this.session);
  }

  private rememberConversation(id: string): void {
    const started = id !== this.conversationId;
    this.conversationId = this.ownId = id;
    const config = this.currentConfig;
    const key = this.storageKey ?? (config ? storageKeyFor(config.webSocketUrl) : undefined);
    if (key) writeStored(key, id);
    if (started) this.emitConversation('started');
  }

  private emitConversation(reason: BedrockChatConversationDetail['reason']): void {
    this.emit<BedrockChatConversationDetail>('bedrock-chat-conversation', {
      conversationId: this.conversationId,
      title: this.conversationTitle,
      reason,
    });
  }

  private emit<T>(type: string, detail: T, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true, cancelable }));
  }
}

/**
 * Bedrock counts images and documents per message after consecutive user turns are merged: a question whose answer
 * failed is sent together with the next one. Says so when the files of both together are over a limit.
 */
function mergedLimitProblem(files: ContentBlock[], parent: ChatMessage | undefined): string | undefined {
  const all = [...files];
  for (let m = parent; m?.role === 'user'; m = m.parent) all.push(...m.files);
  if (all.length === files.length) return undefined;
  const images = all.filter((b) => b.image).length;
  const documents = all.filter((b) => b.document).length;
  if (images > MAX_IMAGES_PER_MESSAGE) {
    return msg(str`With the unanswered message before it, this message would carry ${images} images; Amazon Bedrock accepts at most ${MAX_IMAGES_PER_MESSAGE} per message. Remove some images.`);
  }
  if (documents > MAX_DOCUMENTS_PER_MESSAGE) {
    return msg(str`With the unanswered message before it, this message would carry ${documents} documents; Amazon Bedrock accepts at most ${MAX_DOCUMENTS_PER_MESSAGE} per message. Remove some documents.`);
  }
  return undefined;
}

function content(text: string, files: ContentBlock[]): ContentBlock[] {
  return [...(text.trim() ? [{ text }] : []), ...files];
}

/** JSON as text (rendered through a text binding, never as HTML). */
function asJson(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return String(value);
  }
}

/** "1,234 tokens · $0.0042" in the page's language; empty when neither is known. */
function usageText(m: ChatMessage): string {
  const tokens = (m.usage?.inputTokens ?? 0) + (m.usage?.outputTokens ?? 0);
  const price = m.price ?? 0;
  const parts: string[] = [];
  if (tokens > 0) parts.push(msg(str`${formatNumber(tokens)} tokens`));
  if (price > 0) parts.push(price >= 0.0001 ? formatUsd(price) : `< ${formatUsd(0.0001)}`);
  return parts.join(' · ');
}

/**
 * The localStorage key for the remembered conversation: per backend (webSocketUrl) and, when the token is a JWT,
 * per user (`sub`), so that two users of one browser do not share it.
 */
function storageKeyFor(webSocketUrl: string, token?: string): string {
  const sub = token ? jwtClaims(token)?.sub : undefined;
  return `${STORAGE_PREFIX}${webSocketUrl}${typeof sub === 'string' ? `#${sub}` : ''}`;
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
