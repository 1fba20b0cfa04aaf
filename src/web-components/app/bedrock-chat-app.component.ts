import { msg, str } from '@lit/localize';
import { html, LitElement, nothing, svg } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { ifDefined } from 'lit/directives/if-defined.js';
import { styles } from './bedrock-chat-app.styles.js';
import { parseRoute, routes } from './routes.js';
import type { Route } from './routes.js';
import { ERROR_TEXT, formatResetTime } from '../bedrock-chat/events.js';
import type { BedrockChatConversationDetail, BedrockChatMessageDetail } from '../bedrock-chat/events.js';
import '../history/define.js';
import type { BedrockChatHistory, BedrockChatDeleteDetail, BedrockChatSelectDetail } from '../history/bedrock-chat-history.component.js';
import type { BedrockChatElement } from '../launcher/bedrock-chat-element.js';
import { LazyAuthController } from '../shared/auth/lazy-auth-controller.js';
import type { AuthConfig } from '../shared/auth/pkce.js';
import { api, fetchConfig, tokenFrom } from '../shared/config.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { formatNumber, formatUsd, LocaleController } from '../shared/i18n.js';
import { LOCALE_NAMES } from '../shared/locale-names.js';
import { LOCALES, matchLocale, preferredLocale } from '../shared/locales.js';
import type { Locale } from '../shared/locales.js';
import type { UsageReport } from '../shared/protocol.js';

export type Theme = 'system' | 'light' | 'dark';
export const THEME_KEY = 'bedrock-chat-app:theme';
export const MODEL_KEY = 'bedrock-chat-app:model';
export const LANG_KEY = 'bedrock-chat-app:lang';
/** Below this width the sidebar is behind the menu button (the same value as in the styles). */
const NARROW = '(max-width: 719.98px)';
const themes = (): readonly (readonly [Theme, string])[] => [['system', msg('Same as the system')], ['light', msg('Light')], ['dark', msg('Dark')]];
const MENU = svg`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none"
  stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M4 6h16M4 12h16M4 18h16"/></svg>`;

interface ModelItem {
  readonly id: string;
  readonly name?: string;
  readonly default?: boolean;
}

/**
 * `<bedrock-chat-app>`: the full web app page: `<bedrock-chat-history>` in a sidebar and `<bedrock-chat>` in the
 * chat pane, wired both ways, and a settings dialog (language, theme, default model). Below 720 px the sidebar is
 * behind a menu button.
 *
 * Sign-in: a host page that signs users in sets `tokenProvider`; otherwise, when `config.json` has `authDomain` and
 * `userPoolClientId`, the app signs in with the Cognito managed login (authorization code + PKCE): a sign-in screen
 * in the pane until then, and the signed-in user with Sign out at the foot of the sidebar.
 *
 * @attr config-url - where to load `config.json` from (default `/config.json`); ignored when `config` is set.
 * @attr lang - the language (one of the 16 locales); the language setting sets it; default: the page's, then the
 *   browser's.
 * @attr math - boolean: formulas in answers are shown as MathML (passed to the chat's `math`).
 * @attr app-title - the name in the top bar (default "Bedrock Chat"); config.json's `appName` (branding) wins.
 * @attr data-theme - `system`, `light` or `dark` (set by the element from the saved setting).
 * Routes (hash addresses, app/routes.ts): `#/`, `#/c/<conversationId>`, `#/bots/<botId>`, `#/bots/<botId>/edit`,
 * `#/new-bot`, `#/store`, `#/admin/usage` (admins' usage limits); Back and Forward move between them. Branding from config.json: `appName`, `logoUrl` (at the
 * top of the sidebar) and `accentColor` (`--bedrock-chat-accent`, with a readable `--bedrock-chat-accent-fg`).
 *
 * @csspart base, topbar, menu, brand, settings, sidebar, logo, bots, store, editor, history, account, user, sign-in, sign-out, sign-in-pane,
 *   auth-error, pane, chat, settings-dialog, language, theme, default-model, usage, usage-window, settings-close,
 *   usage-admin-link, usage-admin
 */
export class BedrockChatApp extends LitElement {
  static override styles = styles;

  @property({ attribute: 'config-url' }) configUrl = '/config.json';
  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;
  @property({ attribute: 'app-title' }) appTitle = 'Bedrock Chat';
  /** Formulas in answers as MathML (the chat's `math`). */
  @property({ type: Boolean }) math = false;

  @state() private loadedConfig?: BedrockChatConfig;
  @state() private configError = '';
  @state() private theme: Theme = 'system';
  /** The default model chosen in the settings ('' = the backend's default). */
  @state() private model = '';
  @state() private models: ModelItem[] = [];
  @state() private menuOpen = false;
  @state() private currentId?: string;
  /** The language chosen in the settings ('' = the page's or the browser's). */
  @state() private language = '';
  /** The caller's usage (GET /usage), loaded when the settings open; 'error' when it could not be loaded. */
  @state() private usage?: ({ enabled: boolean } & Partial<UsageReport>) | 'loading' | 'error';
  /** The screen of the address (`location.hash`, see routes.ts). */
  @state() private route: Route = { screen: 'chat' };
  /** The bot a new chat talks to (the `#/bots/<id>` route). */
  @state() private botId?: string;
  /** The caller is an admin (`GET /me`, groups read from the user pool): the sidebar links the usage limits screen. */
  @state() private isAdmin = false;

  /** The page's language (`lang` on the element or an ancestor); re-renders when it changes. */
  protected readonly locale = new LocaleController(this);

  /** Built-in sign-in; off while the host provides `tokenProvider` or the config has no `authDomain`. */
  private readonly auth = new LazyAuthController(this, {
    config: () => (this.tokenProvider ? undefined : this.currentConfig as (BedrockChatConfig & AuthConfig) | undefined),
  });

  /** The `lang` attribute the page gave the element, restored when the setting goes back to the default. */
  private pageLang?: string | null;

  @query('bedrock-chat') private chat?: BedrockChatElement;
  @query('bedrock-chat-history') private history?: BedrockChatHistory;
  @query('dialog') private dialog?: HTMLDialogElement;

  private configRequest?: string;
  /** The bot screens' chunk (list, store, editor, share dialog), imported once there is a config. */
  private botsChunk?: Promise<unknown>;
  /** The usage limits admin screen's chunk, imported the first time `#/admin/usage` is shown. */
  private usageAdminChunk?: Promise<unknown>;
  private brandedFor?: BedrockChatConfig;
  /** The address the page was opened with, applied once the chat element is rendered. */
  private firstRoute?: Route;
  private narrow?: MediaQueryList;
  /** The token provider the model list was loaded with. */
  private modelsFor?: TokenProvider;
  private modelsConfig?: BedrockChatConfig;
  private readonly builtInProvider: TokenProvider = () => this.auth.idToken();
  private readonly onHashChange = (): void => this.applyRoute(parseRoute(location.hash));
  /** A bot was saved, shared, starred or deleted (or used): the sidebar's bot lists are loaded again. */
  private readonly onBotsChanged = (): void => this.renderRoot.querySelector<HTMLElement & { refresh(): void }>('bedrock-chat-bot-list')?.refresh();

  get currentConfig(): BedrockChatConfig | undefined {
    return this.config ?? this.loadedConfig;
  }

  /** Opens a stored conversation in the chat pane (its address is `#/c/<id>`). */
  openConversation(conversationId: string): void {
    this.go(routes.conversation(conversationId));
  }

  /** Starts a new chat (`#/`). */
  newChat(): void {
    this.go(routes.home());
  }

  /** Starts a new chat with a bot (`#/bots/<id>`). */
  openBot(botId: string): void {
    this.go(routes.bot(botId));
  }

  /** Goes to an address: a new history entry, unless it is the current one (then the screen is applied again). */
  private go(hash: string): void {
    if (location.hash === hash || (hash === routes.home() && !location.hash)) this.applyRoute(parseRoute(hash));
    else location.hash = hash;
  }

  /** Shows the screen of a route (the chat element stays, hidden behind the store and the editor). */
  private applyRoute(route: Route): void {
    this.route = route;
    if (route.screen === 'chat' && route.conversationId) {
      this.currentId = route.conversationId;
      if (this.chat) this.chat.conversationId = route.conversationId;
    } else if (route.screen === 'chat' || route.screen === 'bot') {
      this.botId = route.screen === 'bot' ? route.botId : undefined;
      this.currentId = undefined;
      if (this.chat) {
        // The attribute now (the template sets the same on the next render): the new chat talks to this bot.
        if (this.botId) this.chat.setAttribute('bot-id', this.botId);
        else this.chat.removeAttribute('bot-id');
        this.chat.newChat();
      }
    }
    this.closeMenuIfNarrow();
  }

  /** Opens the settings dialog. */
  showSettings(): void {
    this.dialog?.showModal();
    this.loadUsage();
  }

  /** Built-in sign-in: redirects to the Cognito managed login page. */
  signIn(): Promise<void> {
    return this.auth.signIn();
  }

  /** Built-in sign-in: forgets the tokens and signs out of the Cognito managed login. */
  signOut(): Promise<void> {
    return this.auth.signOut();
  }

  /** The token provider in effect: the host's, else the built-in sign-in's once signed in. */
  private get provider(): TokenProvider | undefined {
    return this.tokenProvider ?? (this.auth.status === 'signed-in' ? this.builtInProvider : undefined);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.theme = readTheme();
    this.model = read(MODEL_KEY) ?? '';
    this.narrow = window.matchMedia(NARROW);
    this.pageLang ??= this.getAttribute('lang');
    this.setLanguage(matchLocale(read(LANG_KEY)) ?? '', false);
    // A page without a language gets the one the app shows (screen readers pronounce by it).
    if (!document.documentElement.hasAttribute('lang')) document.documentElement.lang = preferredLocale(this);
    window.addEventListener('hashchange', this.onHashChange);
    this.addEventListener('bedrock-chat-bots-changed', this.onBotsChanged);
    // The first address: a conversation or a bot opens once the chat is there; `#/` (or none) keeps the chat's
    // remembered conversation.
    this.route = parseRoute(location.hash);
    if (this.route.screen === 'bot') this.botId = this.route.botId;
    this.firstRoute = this.route.screen === 'chat' && !this.route.conversationId ? undefined : this.route;
  }

  protected override updated(): void {
    const route = this.firstRoute;
    if (route && this.chat) {
      this.firstRoute = undefined;
      this.applyRoute(route);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHashChange);
    this.removeEventListener('bedrock-chat-bots-changed', this.onBotsChanged);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.config && (changed.has('configUrl') || this.configRequest === undefined)) this.loadConfig(this.configUrl);
    this.auth.sync();
    const config = this.currentConfig;
    const provider = this.provider;
    if (provider !== this.modelsFor || config !== this.modelsConfig) {
      this.modelsFor = provider;
      this.modelsConfig = config;
      this.models = [];
      this.isAdmin = false;
      if (config && provider) this.loadModels(config, provider);
      if (config && provider) this.loadAdmin(config, provider);
    }
    if (changed.has('theme' as keyof BedrockChatApp)) this.setAttribute('data-theme', this.theme);
    if (config) this.botsChunk ??= import('../bots/define.js');
    if (config && this.route.screen === 'usage-admin') this.usageAdminChunk ??= import('../usage-admin/define.js');
    if (config !== this.brandedFor) {
      this.brandedFor = config;
      this.applyBranding(config);
    }
  }

  /** Branding from config.json: the accent colour (and a readable text colour on it) as custom properties. */
  private applyBranding(config: BedrockChatConfig | undefined): void {
    const accent = config?.accentColor;
    if (accent && /^#[0-9a-fA-F]{6}$/.test(accent)) {
      this.style.setProperty('--bedrock-chat-accent', accent);
      this.style.setProperty('--bedrock-chat-accent-fg', textOn(accent));
    } else {
      this.style.removeProperty('--bedrock-chat-accent');
      this.style.removeProperty('--bedrock-chat-accent-fg');
    }
    if (config?.appName) document.title = config.appName;
  }

  protected override render(): TemplateResult {
    const config = this.currentConfig;
    const provider = this.provider;
    return html`<div part="base" class=${this.menuOpen ? 'app menu-open' : 'app'} @keydown=${this.onKeyDown}>
      <div part="topbar" class="topbar">
        <button part="menu" class="menu" type="button" aria-label=${msg('Conversations')} aria-controls="sidebar"
          aria-expanded=${this.menuOpen ? 'true' : 'false'} @click=${() => this.toggleMenu()}>${MENU}</button>
        <span part="brand" class="brand">${config?.appName || this.appTitle}</span>
        <button part="settings" type="button" aria-haspopup="dialog" @click=${this.showSettings}>${msg('Settings')}</button>
      </div>
      ${config ? html`
        <div part="sidebar" class="sidebar" id="sidebar">
          ${config.logoUrl ? html`<img part="logo" class="logo" src=${config.logoUrl} alt=${config.appName || this.appTitle}>` : nothing}
          ${provider ? html`<bedrock-chat-bot-list part="bots" .config=${config} .tokenProvider=${provider}
            bot-id=${ifDefined(this.route.screen === 'bot' ? this.route.botId : undefined)}></bedrock-chat-bot-list>` : nothing}
          ${provider && this.isAdmin ? html`<a part="usage-admin-link" class="admin-link" href=${routes.usageAdmin()}
            aria-current=${ifDefined(this.route.screen === 'usage-admin' ? 'page' : undefined)}>${msg('Usage limits')}</a>` : nothing}
          <bedrock-chat-history part="history" .config=${config} .tokenProvider=${provider}
            conversation-id=${ifDefined(this.currentId)}
            @bedrock-chat-select=${this.onSelect} @bedrock-chat-new-chat=${this.onNewChat}
            @bedrock-chat-delete=${this.onDelete}></bedrock-chat-history>
          ${this.renderAccount()}
        </div>
        <div part="pane" class="pane">
          ${this.auth.enabled && !provider ? this.renderSignIn() : html`<bedrock-chat part="chat" .config=${config}
            .tokenProvider=${provider} model=${ifDefined(this.model || undefined)} ?math=${this.math}
            bot-id=${ifDefined(this.botId)} ?hidden=${this.route.screen === 'store' || this.route.screen === 'editor' || this.route.screen === 'usage-admin'}
            @bedrock-chat-conversation=${this.onConversation} @bedrock-chat-message=${this.onMessage}></bedrock-chat>
            ${this.route.screen === 'store' ? html`<bedrock-chat-bot-store part="store" class="screen" .config=${config} .tokenProvider=${provider}></bedrock-chat-bot-store>` : nothing}
            ${this.route.screen === 'editor' ? html`<bedrock-chat-bot-editor part="editor" class="screen" .config=${config} .tokenProvider=${provider}
              bot-id=${ifDefined(this.route.botId)}></bedrock-chat-bot-editor>` : nothing}
            ${this.route.screen === 'usage-admin' ? html`<bedrock-chat-usage-admin part="usage-admin" class="screen" .config=${config}
              .tokenProvider=${provider}></bedrock-chat-usage-admin>` : nothing}`}
        </div>`
          : html`<p class=${this.configError ? 'status error' : 'status'} role=${this.configError ? 'alert' : 'status'}>${this.configError || msg('Loading…')}</p>`}
      ${this.renderSettings()}
    </div>`;
  }

  /** The foot of the sidebar with built-in sign-in: who is signed in and Sign out, or Sign in. */
  private renderAccount(): TemplateResult | typeof nothing {
    if (!this.auth.enabled) return nothing;
    if (this.auth.status === 'signed-in') {
      return html`<div part="account" class="account">
        <span part="user" class="user" title=${this.auth.user?.name ?? ''}>${this.auth.user?.name || msg('Signed in')}</span>
        <button part="sign-out" type="button" @click=${() => void this.signOut()}>${msg('Sign out')}</button>
      </div>`;
    }
    const busy = this.auth.status === 'redirecting' || this.auth.status === 'completing';
    return html`<div part="account" class="account">
      <button part="sign-in" class="primary" type="button" ?disabled=${busy} @click=${() => void this.signIn()}>${msg('Sign in')}</button>
    </div>`;
  }

  /** The pane before built-in sign-in: what to do, the button, and the last sign-in error. */
  private renderSignIn(): TemplateResult {
    const busy = this.auth.status === 'redirecting' || this.auth.status === 'completing';
    return html`<section part="sign-in-pane" class="sign-in" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">${busy ? msg('Signing in…') : msg('Sign in to start chatting.')}</h2>
      <button part="sign-in" class="primary" type="button" ?disabled=${busy} @click=${() => void this.signIn()}>${msg('Sign in')}</button>
      ${this.auth.error ? html`<p part="auth-error" class="status error" role="alert">${this.auth.error}</p>` : nothing}
    </section>`;
  }

  private renderSettings(): TemplateResult {
    const backendDefault = this.models.find((m) => m.default);
    return html`<dialog part="settings-dialog" aria-labelledby="settings-title">
      <form method="dialog">
        <h2 id="settings-title">${msg('Settings')}</h2>
        <label class="field">${msg('Language')}
          <select part="language" @change=${(e: Event) => this.setLanguage(matchLocale((e.target as HTMLSelectElement).value) ?? '')}>
            <option value="" ?selected=${!this.language}>${msg('Same as the page')}</option>
            ${LOCALES.map((l) => html`<option value=${l} lang=${l} ?selected=${l === this.language}>${LOCALE_NAMES[l]}</option>`)}
          </select>
        </label>
        <fieldset>
          <legend>${msg('Theme')}</legend>
          ${themes().map(([value, label]) => html`<label><input part="theme" type="radio" name="theme" value=${value}
            .checked=${this.theme === value} @change=${() => this.setTheme(value)}> ${label}</label>`)}
        </fieldset>
        <label class="field">${msg('Default model')}
          <select part="default-model" ?disabled=${!this.models.length} @change=${this.onModelChange}>
            <option value="" ?selected=${!this.model}>${backendDefault ? msg(str`The service's default (${backendDefault.name ?? backendDefault.id})`) : msg('The service\'s default')}</option>
            ${this.models.map((m) => html`<option value=${m.id} ?selected=${m.id === this.model}>${m.name ?? m.id}</option>`)}
          </select>
        </label>
        ${this.renderUsage()}
        <div class="dialog-actions"><button part="settings-close" class="primary" type="submit">${msg('Close')}</button></div>
      </form>
    </dialog>`;
  }

  /** Used and remaining per window, as the service counts them (usage limits, see docs/architecture.md). */
  private renderUsage(): TemplateResult | typeof nothing {
    const usage = this.usage;
    if (!usage) return nothing;
    const body = usage === 'loading' ? html`<p class="status">${msg('Loading usage…')}</p>`
      : usage === 'error' ? html`<p class="status error">${msg('Usage could not be loaded.')}</p>`
        : !usage.enabled || !usage.windows ? nothing
          : html`<dl class="usage">${usage.windows.map((w) => {
            const name = w.window === 'hour' ? msg('This hour') : w.window === 'day' ? msg('Today') : msg('This month');
            const tokens = w.tokens.limit === undefined
              ? msg(str`Tokens: ${formatNumber(w.tokens.used)} used, no limit`)
              : msg(str`Tokens: ${formatNumber(w.tokens.used)} of ${formatNumber(w.tokens.limit)} used, ${formatNumber(w.tokens.remaining ?? 0)} left`);
            const cost = w.costUsd.limit === undefined
              ? msg(str`Cost: ${formatUsd(w.costUsd.used)} used, no limit`)
              : msg(str`Cost: ${formatUsd(w.costUsd.used)} of ${formatUsd(w.costUsd.limit)} used, ${formatUsd(w.costUsd.remaining ?? 0)} left`);
            return html`<dt>${name}</dt><dd part="usage-window" data-window=${w.window}>${tokens}<br>${cost}<br>
              <span class="resets">${msg(str`Resets at ${formatResetTime(w.resetsAt)}`)}</span></dd>`;
          })}</dl>`;
    if (body === nothing) return nothing;
    return html`<section part="usage" aria-labelledby="usage-title"><h3 id="usage-title">${msg('Usage')}</h3>${body}</section>`;
  }

  private loadUsage(): void {
    const config = this.currentConfig;
    const provider = this.provider;
    if (!config || !provider) return;
    this.usage = 'loading';
    tokenFrom(provider)
      .then((token) => api<{ enabled: boolean } & Partial<UsageReport>>(config, '/usage', token))
      .then(({ status, body }) => { this.usage = status === 200 && body ? body : 'error'; })
      .catch(() => { this.usage = 'error'; });
  }

  /** Applies a language ('' = the page's); `save` keeps the choice in localStorage. */
  private setLanguage(language: Locale | '', save = true): void {
    this.language = language;
    if (save) write(LANG_KEY, language);
    if (language) this.setAttribute('lang', language);
    else if (this.pageLang) this.setAttribute('lang', this.pageLang);
    else this.removeAttribute('lang');
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
  }

  private onNewChat(): void {
    this.newChat();
  }

  private onDelete(event: CustomEvent<BedrockChatDeleteDetail>): void {
    if (event.detail.conversationId === this.currentId) this.newChat();
  }

  private onConversation(event: CustomEvent<BedrockChatConversationDetail>): void {
    const { conversationId, title, reason } = event.detail;
    this.currentId = conversationId;
    // The open conversation has its address; a conversation started here replaces the new chat's entry (Back goes
    // where the user was before), one opened through its address already has it.
    const chatShown = this.route.screen === 'chat' || this.route.screen === 'bot';
    if (conversationId && chatShown && (reason === 'started' || reason === 'opened') && location.hash !== routes.conversation(conversationId)) {
      history.replaceState(history.state, '', routes.conversation(conversationId));
      this.route = { screen: 'chat', conversationId };
    }
    if (conversationId && (reason === 'started' || reason === 'titled')) this.history?.upsert(conversationId, title, reason === 'started');

  }

  private onMessage(event: CustomEvent<BedrockChatMessageDetail>): void {
    // The conversation was just used: it moves to the top, as the backend orders by recency.
    const id = event.detail.conversationId;
    if (id) this.history?.upsert(id, '', true);
    // A turn with a bot made it recent (and counted a use) when it was accepted: the sidebar's bot lists are loaded
    // again once the answer is there.
    if (this.botId) this.onBotsChanged();
  }

  private loadConfig(url: string): void {
    this.configRequest = url;
    fetchConfig(url).then((value) => {
      if (this.configRequest === url && !this.config) this.loadedConfig = value;
    }, () => {
      if (this.configRequest === url) this.configError = ERROR_TEXT.CONFIG;
    });
  }

  /** Whether the caller is an admin (`GET /me`); only decides whether the link is shown: the server answers 403 anyway. */
  private loadAdmin(config: BedrockChatConfig, provider: TokenProvider): void {
    tokenFrom(provider)
      .then((token) => api<{ isAdmin?: boolean }>(config, '/me', token))
      .then(({ body }) => {
        if (config === this.currentConfig && provider === this.provider) this.isAdmin = body?.isAdmin === true;
      })
      .catch(() => {
        // Without the answer the link stays hidden; an admin can still open #/admin/usage.
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

/** Black or white, whichever reads better on `#rrggbb` (WCAG relative luminance). */
function textOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white (1.05 / (l + 0.05)) against contrast with black ((l + 0.05) / 0.05).
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#ffffff' : '#000000';
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

