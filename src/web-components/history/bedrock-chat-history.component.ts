import { msg, str } from '@lit/localize';
import { html, LitElement, nothing, svg } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { styles } from './bedrock-chat-history.styles.js';
import { ERROR_TEXT } from '../bedrock-chat/events.js';
import type { BedrockChatErrorDetail } from '../bedrock-chat/events.js';
import { apiOk, AuthError, fetchConfig, HttpError, tokenFrom } from '../shared/config.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { LocaleController } from '../shared/i18n.js';

/** One conversation of `GET /conversations`. */
export interface ConversationSummary {
  readonly id: string;
  readonly title: string;
  readonly model?: string;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  /** The custom bot the conversation is with (its title when the conversation started). */
  readonly botId?: string;
  readonly botTitle?: string;
}

/** One hit of `GET /conversations/search`. */
interface SearchHit {
  readonly conversationId: string;
  readonly title: string;
  readonly messageId?: string;
  readonly snippet: string;
}

/** `bedrock-chat-select`: a conversation was chosen. */
export interface BedrockChatSelectDetail {
  readonly conversationId: string;
}
/** `bedrock-chat-delete`: a conversation was deleted. */
export interface BedrockChatDeleteDetail {
  readonly conversationId: string;
}
/** `bedrock-chat-rename`: a conversation was renamed. */
export interface BedrockChatRenameDetail {
  readonly conversationId: string;
  readonly title: string;
}

declare global {
  interface HTMLElementEventMap {
    'bedrock-chat-select': CustomEvent<BedrockChatSelectDetail>;
    'bedrock-chat-delete': CustomEvent<BedrockChatDeleteDetail>;
    'bedrock-chat-rename': CustomEvent<BedrockChatRenameDetail>;
    'bedrock-chat-new-chat': CustomEvent<Record<string, never>>;
  }
}

/** Search starts this long after the last keystroke. */
export const SEARCH_DEBOUNCE_MS = 300;
/** The backend's limits on `q` and titles. */
const MIN_QUERY = 2;
const MAX_QUERY = 100;
const MAX_TITLE = 200;
const untitled = () => msg('Untitled conversation');

const ICON = (d: string) => svg`<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"
  fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d=${d}/></svg>`;
const PENCIL = ICON('M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z');
const TRASH = ICON('M3 6h18M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2m3 0-1 14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2L4 6');

/**
 * `<bedrock-chat-history>`: the signed-in user's conversations (newest first, paged), keyword search, inline rename,
 * delete with confirmation and a New chat button. It only lists: opening a conversation is the host's job (listen to
 * `bedrock-chat-select` and set `conversationId` on `<bedrock-chat>`).
 *
 * @attr config-url - where to load `config.json` from (default `/config.json`); ignored when `config` is set.
 * @attr lang - the language of the texts (one of the 16 locales; default: the page's `lang`, then the browser's).
 * @attr conversation-id - the open conversation (marked `aria-current="page"`).
 * @attr page-size - conversations per page (1-100, default 30).
 * @fires bedrock-chat-select - `{conversationId}`: a conversation was chosen.
 * @fires bedrock-chat-new-chat - the New chat button was pressed.
 * @fires bedrock-chat-rename - `{conversationId, title}` after a rename was stored.
 * @fires bedrock-chat-delete - `{conversationId}` after a deletion.
 * @fires bedrock-chat-error - `{code: 'HISTORY' | 'AUTH', message, serverMessage}` when a call failed.
 * @csspart base, new-chat, search, status, error, list, item, current, select, bot-title, snippet, rename, rename-input,
 *   rename-save, rename-cancel, delete, delete-confirm, delete-cancel, load-more
 */
export class BedrockChatHistory extends LitElement {
  static override styles = styles;

  @property({ attribute: 'config-url' }) configUrl = '/config.json';
  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;
  /** The open conversation, highlighted in the list. */
  @property({ attribute: 'conversation-id' }) conversationId?: string;
  @property({ attribute: 'page-size', type: Number }) pageSize = 30;

  /** The page's language (`lang` on the element or an ancestor); re-renders when it changes. */
  protected readonly locale = new LocaleController(this);

  @state() private loadedConfig?: BedrockChatConfig;
  @state() private items: ConversationSummary[] = [];
  @state() private nextToken?: string;
  @state() private loading = false;
  @state() private loaded = false;
  /** The search being shown (trimmed), '' for the list. */
  @state() private query = '';
  @state() private hits: SearchHit[] = [];
  @state() private hitsToken?: string;
  @state() private renaming?: string;
  @state() private confirming?: string;
  @state() private busyId?: string;
  @state() private errorText = '';
  @state() private statusText = '';

  private configRequest?: string;
  /** Incremented when config, token provider or the query change, to drop stale answers. */
  private generation = 0;
  private searchTimer?: ReturnType<typeof setTimeout>;

  get currentConfig(): BedrockChatConfig | undefined {
    return this.config ?? this.loadedConfig;
  }

  /** Loads the first page again (and repeats the current search). */
  refresh(): Promise<void> {
    return this.query ? this.search(this.query) : this.loadPage(false);
  }

  /**
   * Shows a conversation's new title, or adds it on top when it is not listed (a new conversation) and `moveToTop`
   * (also moves a listed one: it was just used).
   */
  upsert(conversationId: string, title: string, moveToTop = false): void {
    const found = this.items.find((c) => c.id === conversationId);
    const item = { ...found, id: conversationId, title: title || found?.title || '' };
    if (found && !moveToTop) this.items = this.items.map((c) => (c.id === conversationId ? item : c));
    else this.items = [item, ...this.items.filter((c) => c.id !== conversationId)];
    this.hits = this.hits.map((h) => (h.conversationId === conversationId && title ? { ...h, title } : h));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.searchTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.config && (changed.has('configUrl') || this.configRequest === undefined)) this.loadConfig(this.configUrl);
    if (changed.has('config') || changed.has('tokenProvider') || changed.has('loadedConfig' as keyof BedrockChatHistory)) {
      this.generation += 1;
      this.items = [];
      this.hits = [];
      this.nextToken = this.hitsToken = undefined;
      this.loaded = false;
      if (this.currentConfig && this.tokenProvider) void this.refresh();
    }
  }

  protected override render(): TemplateResult {
    const signedIn = !!this.tokenProvider;
    const searching = !!this.query;
    const more = searching ? this.hitsToken : this.nextToken;
    return html`<nav part="base" aria-label=${msg('Conversations')}>
      <button part="new-chat" class="new-chat" type="button" ?disabled=${!signedIn}
        @click=${() => this.emit('bedrock-chat-new-chat', {})}>${msg('New chat')}</button>
      <div role="search">
        <input part="search" type="search" aria-label=${msg('Search conversations')} placeholder=${msg('Search conversations')}
          maxlength=${MAX_QUERY} ?disabled=${!signedIn} @input=${this.onSearchInput}
          @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') this.searchNow(); }}>
      </div>
      <p part="error" class="error" role="alert">${this.errorText}</p>
      <div class="scroll">
        <p part="status" class="status" role="status">${this.status(signedIn)}</p>
        <ul part="list" aria-label=${searching ? msg('Search results') : msg('Recent conversations')} aria-busy=${this.loading ? 'true' : 'false'}
          @keydown=${this.onListKey}>
          ${searching
              ? repeat(this.uniqueHits(), (h) => h.conversationId, (h) => this.renderItem(h.conversationId, h.title, h.snippet))
              : repeat(this.items, (c) => c.id, (c) => this.renderItem(c.id, c.title))}
        </ul>
        ${more ? html`<button part="load-more" class="more" type="button" ?disabled=${this.loading}
          @click=${() => void (searching ? this.search(this.query, true) : this.loadPage(true))}>${msg('Load more')}</button>` : nothing}
      </div>
    </nav>`;
  }

  private status(signedIn: boolean): string {
    if (!signedIn) return msg('Sign in to see your conversations.');
    if (this.statusText) return this.statusText;
    if (this.loading && !(this.query ? this.hits.length : this.items.length)) return this.query ? msg('Searching…') : msg('Loading…');
    if (this.query && this.loaded && !this.hits.length) return msg(str`No conversations match “${this.query}”.`);
    if (!this.query && this.loaded && !this.items.length) return msg('No conversations yet.');
    return '';
  }

  private renderItem(id: string, title: string, snippet?: string): TemplateResult {
    const current = id === this.conversationId;
    const label = title || untitled();
    const busy = this.busyId === id;
    const botTitle = this.items.find((c) => c.id === id)?.botTitle;
    let body: TemplateResult;
    if (this.renaming === id) {
      body = html`<div class="rename">
        <input part="rename-input" aria-label=${msg(str`New title for “${label}”`)} maxlength=${MAX_TITLE} .value=${title}
          @keydown=${(e: KeyboardEvent) => this.onRenameKey(e, id)}>
        <button part="rename-save" type="button" ?disabled=${busy} @click=${() => void this.saveRename(id)}>${msg('Save')}</button>
        <button part="rename-cancel" type="button" @click=${() => this.cancelRename(id)}>${msg('Cancel')}</button>
      </div>`;
    } else if (this.confirming === id) {
      body = html`<div class="confirm" role="group" aria-label=${msg(str`Delete “${label}”?`)}
        @keydown=${(e: KeyboardEvent) => { if (e.key === 'Escape') this.cancelDelete(id); }}>
        <span class="confirm-text">${msg(str`Delete “${label}”? This cannot be undone.`)}</span>
        <button part="delete-confirm" class="danger" type="button" ?disabled=${busy} @click=${() => void this.deleteConversation(id, label)}>${msg('Delete')}</button>
        <button part="delete-cancel" type="button" @click=${() => this.cancelDelete(id)}>${msg('Cancel')}</button>
      </div>`;
    } else {
      body = html`<button part="select" class="select" type="button" title=${label}
          aria-current=${current ? 'page' : 'false'} @click=${() => this.select(id)}>
          <span class="label">${label}</span>${botTitle ? html`<span part="bot-title" class="snippet">${msg(str`Bot: ${botTitle}`)}</span>` : nothing}${snippet ? html`<span part="snippet" class="snippet">${snippet}</span>` : nothing}
        </button>
        <button part="rename" class="icon" type="button" aria-label=${msg(str`Rename “${label}”`)} title=${msg('Rename')}
          @click=${() => this.startRename(id)}>${PENCIL}</button>
        <button part="delete" class="icon" type="button" aria-label=${msg(str`Delete “${label}”`)} title=${msg('Delete')}
          @click=${() => this.askDelete(id)}>${TRASH}</button>`;
    }
    return html`<li part=${current ? 'item current' : 'item'} class=${current ? 'item current' : 'item'} data-id=${id}>${body}</li>`;
  }

  /** One hit per conversation (the newest conversations first, as the backend returns them). */
  private uniqueHits(): SearchHit[] {
    const seen = new Set<string>();
    return this.hits.filter((h) => !seen.has(h.conversationId) && !!seen.add(h.conversationId));
  }

  private titleOf(id: string): string {
    return this.items.find((c) => c.id === id)?.title ?? this.hits.find((h) => h.conversationId === id)?.title ?? '';
  }

  private select(id: string): void {
    this.conversationId = id;
    this.emit<BedrockChatSelectDetail>('bedrock-chat-select', { conversationId: id });
  }

  /** Arrow keys move between the conversations (Home / End: first / last). */
  private onListKey(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    if (!target.matches('[part~="select"]') || !['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
    const all = [...this.renderRoot.querySelectorAll<HTMLElement>('[part~="select"]')];
    const i = all.indexOf(target);
    const next = event.key === 'Home' ? 0 : event.key === 'End' ? all.length - 1 : i + (event.key === 'ArrowDown' ? 1 : -1);
    if (next < 0 || next >= all.length) return;
    event.preventDefault();
    all[next].focus();
  }

  private onSearchInput(event: Event): void {
    const value = (event.target as HTMLInputElement).value;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.applyQuery(value), SEARCH_DEBOUNCE_MS);
  }

  private searchNow(): void {
    clearTimeout(this.searchTimer);
    this.applyQuery(this.renderRoot.querySelector<HTMLInputElement>('[part~="search"]')?.value ?? '');
  }

  private applyQuery(value: string): void {
    const q = value.trim();
    const query = q.length >= MIN_QUERY ? q.slice(0, MAX_QUERY) : '';
    if (query === this.query) return;
    this.query = query;
    this.generation += 1;
    this.hits = [];
    this.hitsToken = undefined;
    this.statusText = '';
    if (query) void this.search(query);
    else this.loaded = this.items.length > 0 || this.loaded;
  }

  private async loadPage(more: boolean): Promise<void> {
    const generation = ++this.generation;
    const params = new URLSearchParams({ limit: String(Math.min(100, Math.max(1, this.pageSize || 30))) });
    if (more && this.nextToken) params.set('nextToken', this.nextToken);
    const page = await this.call<{ items?: ConversationSummary[]; nextToken?: string }>(generation, `/conversations?${params}`);
    if (!page || generation !== this.generation) return;
    const fresh = (page.items ?? []).filter((c) => typeof c?.id === 'string');
    this.items = more ? [...this.items, ...fresh.filter((c) => !this.items.some((i) => i.id === c.id))] : fresh;
    this.nextToken = page.nextToken;
    this.loaded = true;
  }

  private async search(query: string, more = false): Promise<void> {
    const generation = more ? this.generation : ++this.generation;
    const params = new URLSearchParams({ q: query });
    if (more && this.hitsToken) params.set('nextToken', this.hitsToken);
    const page = await this.call<{ items?: SearchHit[]; nextToken?: string }>(generation, `/conversations/search?${params}`);
    if (!page || generation !== this.generation || query !== this.query) return;
    const fresh = (page.items ?? []).filter((h) => typeof h?.conversationId === 'string');
    this.hits = more ? [...this.hits, ...fresh] : fresh;
    this.hitsToken = page.nextToken;
    this.loaded = true;
  }

  private startRename(id: string): void {
    this.renaming = id;
    this.confirming = undefined;
    this.errorText = '';
    void this.updateComplete.then(() => {
      const input = this.partOf(id, 'rename-input') as HTMLInputElement | null;
      input?.focus();
      input?.select();
    });
  }

  private onRenameKey(event: KeyboardEvent, id: string): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      void this.saveRename(id);
    } else if (event.key === 'Escape') {
      event.stopPropagation();
      this.cancelRename(id);
    }
  }

  private cancelRename(id: string): void {
    this.renaming = undefined;
    this.focusPart(id, 'rename');
  }

  private async saveRename(id: string): Promise<void> {
    const input = this.partOf(id, 'rename-input') as HTMLInputElement | null;
    const title = input?.value.replace(/\s+/g, ' ').trim() ?? '';
    if (!title) {
      this.errorText = msg('A title cannot be empty.');
      input?.focus();
      return;
    }
    if (title === this.titleOf(id)) return this.cancelRename(id);
    this.busyId = id;
    const saved = await this.call<ConversationSummary>(this.generation, `/conversations/${encodeURIComponent(id)}`, { method: 'PATCH', body: { title } }, msg('The conversation could not be renamed. Please try again.'));
    this.busyId = undefined;
    if (saved === undefined) return;
    const stored = typeof saved?.title === 'string' ? saved.title : title;
    this.upsert(id, stored);
    this.renaming = undefined;
    this.statusText = msg(str`Renamed to “${stored}”.`);
    this.focusPart(id, 'rename');
    this.emit<BedrockChatRenameDetail>('bedrock-chat-rename', { conversationId: id, title: stored });
  }

  private askDelete(id: string): void {
    this.confirming = id;
    this.renaming = undefined;
    this.errorText = '';
    this.focusPart(id, 'delete-cancel');
  }

  private cancelDelete(id: string): void {
    this.confirming = undefined;
    this.focusPart(id, 'delete');
  }

  private async deleteConversation(id: string, label: string): Promise<void> {
    this.busyId = id;
    const order = [...this.renderRoot.querySelectorAll<HTMLElement>('[part~="item"]')].map((li) => li.dataset.id);
    const done = await this.call<unknown>(this.generation, `/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' },
      msg('The conversation could not be deleted. Please try again.'), [404]);
    this.busyId = undefined;
    if (done === undefined) return;
    this.confirming = undefined;
    this.items = this.items.filter((c) => c.id !== id);
    this.hits = this.hits.filter((h) => h.conversationId !== id);
    this.statusText = msg(str`Deleted “${label}”.`);
    // Keep the keyboard user's place: the next conversation, else the previous one, else New chat.
    const at = order.indexOf(id);
    const neighbour = order[at + 1] ?? order[at - 1];
    if (neighbour) this.focusPart(neighbour, 'select');
    else void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[part~="new-chat"]')?.focus());
    this.emit<BedrockChatDeleteDetail>('bedrock-chat-delete', { conversationId: id });
  }

  /**
   * A REST call with the token. Returns the body (`null` for an empty success), or `undefined` when it failed or is
   * stale; failures are shown in the alert region (`failure`) and fired as `bedrock-chat-error`.
   */
  private async call<T>(generation: number, path: string, init: { method?: string; body?: unknown } = {},
    failure?: string, okStatus: number[] = []): Promise<T | null | undefined> {
    const config = this.currentConfig;
    if (!config) return undefined;
    this.loading = true;
    try {
      const body = await apiOk<T>(config, path, await tokenFrom(this.tokenProvider), init);
      if (generation === this.generation) this.errorText = '';
      return body ?? null;
    } catch (err) {
      if (err instanceof HttpError && okStatus.includes(err.status)) return null;
      if (generation !== this.generation) return undefined;
      const auth = err instanceof AuthError;
      this.errorText = auth ? ERROR_TEXT.AUTH : failure ?? msg('Your conversations could not be loaded. Please try again.');
      this.emit<BedrockChatErrorDetail>('bedrock-chat-error', { code: auth ? 'AUTH' : 'HISTORY', message: this.errorText, serverMessage: String(err) });
      return undefined;
    } finally {
      this.loading = false;
    }
  }

  private loadConfig(url: string): void {
    this.configRequest = url;
    fetchConfig(url).then((value) => {
      if (this.configRequest === url && !this.config) this.loadedConfig = value;
    }, (err: unknown) => {
      if (this.configRequest !== url) return;
      this.errorText = ERROR_TEXT.CONFIG;
      this.emit<BedrockChatErrorDetail>('bedrock-chat-error', { code: 'CONFIG', message: this.errorText, serverMessage: String(err) });
    });
  }

  private partOf(id: string, part: string): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>(`[data-id="${CSS.escape(id)}"] [part~="${part}"]`);
  }

  private focusPart(id: string, part: string): void {
    void this.updateComplete.then(() => this.partOf(id, part)?.focus());
  }

  private emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }
}
