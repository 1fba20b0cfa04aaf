import { html, LitElement, svg } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { ifDefined } from 'lit/directives/if-defined.js';
import { styles } from './bedrock-chat-app.styles.js';
import type { BedrockChatConversationDetail, BedrockChatMessageDetail } from '../bedrock-chat/events.js';
import '../history/define.js';
import type { BedrockChatHistory, BedrockChatDeleteDetail, BedrockChatSelectDetail } from '../history/bedrock-chat-history.component.js';
import type { BedrockChatElement } from '../launcher/bedrock-chat-element.js';
import { api, fetchConfig, tokenFrom } from '../shared/config.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';

export type Theme = 'system' | 'light' | 'dark';
export const THEME_KEY = 'bedrock-chat-app:theme';
export const MODEL_KEY = 'bedrock-chat-app:model';
/** Below this width the sidebar is behind the menu button (the same value as in the styles). */
const NARROW = '(max-width: 719.98px)';
const THEMES: readonly (readonly [Theme, string])[] = [['system', 'Same as the system'], ['light', 'Light'], ['dark', 'Dark']];
const MENU = svg`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none"
  stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M4 6h16M4 12h16M4 18h16"/></svg>`;

interface ModelItem {
  readonly id: string;
  readonly name?: string;
  readonly default?: boolean;
}

/**
 * `<bedrock-chat-app>`: the full web app page: `<bedrock-chat-history>` in a sidebar and `<bedrock-chat>` in the
 * chat pane, wired both ways, and a settings dialog (theme, default model). Below 720 px the sidebar is behind a
 * menu button.
 *
 * @attr config-url - where to load `config.json` from (default `/config.json`); ignored when `config` is set.
 * @attr app-title - the name in the top bar (default "Bedrock Chat").
 * @attr data-theme - `system`, `light` or `dark` (set by the element from the saved setting).
 * @csspart base, topbar, menu, brand, settings, sidebar, history, pane, chat, settings-dialog, theme, default-model,
 *   settings-close
 */
export class BedrockChatApp extends LitElement {
  static override styles = styles;

  @property({ attribute: 'config-url' }) configUrl = '/config.json';
  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;
  @property({ attribute: 'app-title' }) appTitle = 'Bedrock Chat';

  @state() private loadedConfig?: BedrockChatConfig;
  @state() private configError = '';
  @state() private theme: Theme = 'system';
  /** The default model chosen in the settings ('' = the backend's default). */
  @state() private model = '';
  @state() private models: ModelItem[] = [];
  @state() private menuOpen = false;
  @state() private currentId?: string;

  @query('bedrock-chat') private chat?: BedrockChatElement;
  @query('bedrock-chat-history') private history?: BedrockChatHistory;
  @query('dialog') private dialog?: HTMLDialogElement;

  private configRequest?: string;
  private narrow?: MediaQueryList;

  get currentConfig(): BedrockChatConfig | undefined {
    return this.config ?? this.loadedConfig;
  }

  /** Opens a stored conversation in the chat pane. */
  openConversation(conversationId: string): void {
    this.currentId = conversationId;
    if (this.chat) this.chat.conversationId = conversationId;
  }

  /** Starts a new chat. */
  newChat(): void {
    this.currentId = undefined;
    this.chat?.newChat();
  }

  /** Opens the settings dialog. */
  showSettings(): void {
    this.dialog?.showModal();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.theme = readTheme();
    this.model = read(MODEL_KEY) ?? '';
    this.narrow = window.matchMedia(NARROW);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.config && (changed.has('configUrl') || this.configRequest === undefined)) this.loadConfig(this.configUrl);
    const config = this.currentConfig;
    if ((changed.has('config') || changed.has('tokenProvider') || changed.has('loadedConfig' as keyof BedrockChatApp))) {
      this.models = [];
      if (config && this.tokenProvider) this.loadModels(config, this.tokenProvider);
    }
    if (changed.has('theme' as keyof BedrockChatApp)) this.setAttribute('data-theme', this.theme);
  }

  protected override render(): TemplateResult {
    const config = this.currentConfig;
    return html`<div part="base" class=${this.menuOpen ? 'app menu-open' : 'app'} @keydown=${this.onKeyDown}>
      <div part="topbar" class="topbar">
        <button part="menu" class="menu" type="button" aria-label="Conversations" aria-controls="sidebar"
          aria-expanded=${this.menuOpen ? 'true' : 'false'} @click=${() => this.toggleMenu()}>${MENU}</button>
        <span part="brand" class="brand">${this.appTitle}</span>
        <button part="settings" type="button" aria-haspopup="dialog" @click=${this.showSettings}>Settings</button>
      </div>
      ${config ? html`
        <div part="sidebar" class="sidebar" id="sidebar">
          <bedrock-chat-history part="history" .config=${config} .tokenProvider=${this.tokenProvider}
            conversation-id=${ifDefined(this.currentId)}
            @bedrock-chat-select=${this.onSelect} @bedrock-chat-new-chat=${this.onNewChat}
            @bedrock-chat-delete=${this.onDelete}></bedrock-chat-history>
        </div>
        <div part="pane" class="pane">
          <bedrock-chat part="chat" .config=${config} .tokenProvider=${this.tokenProvider} model=${ifDefined(this.model || undefined)}
            @bedrock-chat-conversation=${this.onConversation} @bedrock-chat-message=${this.onMessage}></bedrock-chat>
        </div>`
          : html`<p class=${this.configError ? 'status error' : 'status'} role=${this.configError ? 'alert' : 'status'}>${this.configError || 'Loading…'}</p>`}
      ${this.renderSettings()}
    </div>`;
  }

  private renderSettings(): TemplateResult {
    const backendDefault = this.models.find((m) => m.default);
    return html`<dialog part="settings-dialog" aria-labelledby="settings-title">
      <form method="dialog">
        <h2 id="settings-title">Settings</h2>
        <fieldset>
          <legend>Theme</legend>
          ${THEMES.map(([value, label]) => html`<label><input part="theme" type="radio" name="theme" value=${value}
            .checked=${this.theme === value} @change=${() => this.setTheme(value)}> ${label}</label>`)}
        </fieldset>
        <label class="field">Default model
          <select part="default-model" ?disabled=${!this.models.length} @change=${this.onModelChange}>
            <option value="" ?selected=${!this.model}>The service's default${backendDefault ? ` (${backendDefault.name ?? backendDefault.id})` : ''}</option>
            ${this.models.map((m) => html`<option value=${m.id} ?selected=${m.id === this.model}>${m.name ?? m.id}</option>`)}
          </select>
        </label>
        <div class="dialog-actions"><button part="settings-close" class="primary" type="submit">Close</button></div>
      </form>
    </dialog>`;
  }

  private setTheme(theme: Theme): void {
    this.theme = theme;
    write(THEME_KEY, theme);
  }

  private onModelChange(event: Event): void {
    this.model = (event.target as HTMLSelectElement).value;
    write(MODEL_KEY, this.model);
  }

  private toggleMenu(open = !this.menuOpen): void {
    this.menuOpen = open;
    if (open) void this.updateComplete.then(() => this.history?.shadowRoot?.querySelector<HTMLElement>('[aria-current="page"], [part~="select"], [part~="new-chat"]')?.focus());
  }

  /** On a phone the sidebar closes once a choice is made (the focus goes back to the menu button). */
  private closeMenuIfNarrow(): void {
    if (!this.menuOpen || !this.narrow?.matches) return;
    this.menuOpen = false;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[part~="menu"]')?.focus());
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this.menuOpen && this.narrow?.matches && !this.dialog?.open) this.closeMenuIfNarrow();
  }

  private onSelect(event: CustomEvent<BedrockChatSelectDetail>): void {
    this.openConversation(event.detail.conversationId);
    this.closeMenuIfNarrow();
  }

  private onNewChat(): void {
    this.newChat();
    this.closeMenuIfNarrow();
  }

  private onDelete(event: CustomEvent<BedrockChatDeleteDetail>): void {
    if (event.detail.conversationId === this.currentId) this.newChat();
  }

  private onConversation(event: CustomEvent<BedrockChatConversationDetail>): void {
    const { conversationId, title, reason } = event.detail;
    this.currentId = conversationId;
    if (conversationId && (reason === 'started' || reason === 'titled')) this.history?.upsert(conversationId, title, reason === 'started');
  }

  private onMessage(event: CustomEvent<BedrockChatMessageDetail>): void {
    // The conversation was just used: it moves to the top, as the backend orders by recency.
    const id = event.detail.conversationId;
    if (id) this.history?.upsert(id, '', true);
  }

  private loadConfig(url: string): void {
    this.configRequest = url;
    fetchConfig(url).then((value) => {
      if (this.configRequest === url && !this.config) this.loadedConfig = value;
    }, () => {
      if (this.configRequest === url) this.configError = 'The chat is not configured correctly (config.json could not be loaded).';
    });
  }

  private loadModels(config: BedrockChatConfig, provider: TokenProvider): void {
    tokenFrom(provider)
      .then((token) => api<{ items?: ModelItem[] }>(config, '/models', token))
      .then(({ body }) => {
        if (config === this.currentConfig && provider === this.tokenProvider && Array.isArray(body?.items)) {
          this.models = body.items.filter((m) => typeof m?.id === 'string');
        }
      })
      .catch(() => {
        // Without the list the setting offers only the service's default.
      });
  }
}

function readTheme(): Theme {
  const value = read(THEME_KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

function read(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage may be unavailable: the setting lasts for this page only.
  }
}

