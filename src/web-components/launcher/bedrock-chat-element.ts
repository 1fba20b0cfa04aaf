/**
 * `<bedrock-chat>` as defined by the entry script: a small element without Lit that loads the full chat (the
 * `bedrock-chat-full.js` chunk, which defines `<bedrock-chat-panel>`) at once in inline mode, or on the first open of
 * the launcher button in launcher mode, and renders it into its own shadow root.
 *
 * Attributes and properties set on `<bedrock-chat>` (also before either script loaded) are forwarded to the
 * panel; its events bubble and are composed, so they reach listeners on `<bedrock-chat>` and the document.
 */
import { LAUNCHER_TEXT } from './launcher-text.js';
import { LAUNCHER_CSS } from './launcher.styles.js';
import { preferredLocale } from '../shared/locales.js';

/** Attributes passed to the full element as they are. */
export const FORWARDED_ATTRIBUTES = ['config-url', 'model', 'lang', 'conversation-id', 'bot-id', 'math'] as const;
/** Properties passed to the full element (rich values, or the property form of the attributes). */
export const FORWARDED_PROPERTIES = ['config', 'tokenProvider', 'configUrl', 'model', 'conversationId', 'math'] as const;

/** What `<bedrock-chat>` needs of the full element. */
export interface ChatPanel extends HTMLElement {
  renderTarget?: HTMLElement;
  readonly updateComplete: Promise<boolean>;
  readonly currentConfig?: unknown;
  newChat(): void;
  signIn(): Promise<void>;
  signOut(): Promise<void>;
}

interface FullChunk {
  BedrockChatPanel: { readonly sheets: CSSStyleSheet[] };
}

/** The public API of `<bedrock-chat>`. */
export interface BedrockChatElement extends HTMLElement {
  /** `inline` (default) or `launcher`. */
  mode: 'inline' | 'launcher';
  /** Launcher mode: whether the panel is open. */
  readonly open: boolean;
  /** Resolves once the full element has rendered (in launcher mode before the first open: at once). */
  readonly updateComplete: Promise<boolean>;
  /** The full element, once loaded. */
  readonly panel?: ChatPanel;
  configUrl: string;
  model?: string;
  conversationId?: string;
  /** Formulas in answers become MathML (the `math` attribute). */
  math: boolean;
  config?: unknown;
  tokenProvider?: () => Promise<string>;
  /** Loads the full element (in launcher mode without opening the panel). */
  load(): Promise<ChatPanel>;
  /** Launcher mode: opens (loading the full element the first time) or closes the panel. */
  show(): Promise<void>;
  hide(): void;
  newChat(): void;
  signIn(): Promise<void>;
  signOut(): Promise<void>;
}

/** Icon paths (a speech bubble, a cross), drawn with createElementNS: no markup parsing (Trusted Types safe). */
const CHAT_ICON = 'M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z';
const CLOSE_ICON = 'M6 6l12 12M18 6 6 18';

let chunk: Promise<FullChunk> | undefined;

/** Imports the full chunk once (relative to the entry's URL, so it works when the entry comes from another origin). */
function loadChunk(url: string): Promise<FullChunk> {
  chunk ??= (import(/* @vite-ignore */ url) as Promise<FullChunk>).catch((err: unknown) => {
    chunk = undefined; // a later attempt may succeed (network)
    throw err;
  });
  return chunk;
}

/** Defines `<bedrock-chat>` (once); `fullUrl` is the absolute URL of `bedrock-chat-full.js`. Browser only. */
export function defineBedrockChat(fullUrl: string): void {
  if (customElements.get('bedrock-chat')) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(LAUNCHER_CSS);

  class BedrockChatHost extends HTMLElement {
    static readonly observedAttributes = ['mode', ...FORWARDED_ATTRIBUTES];
    readonly #root = this.attachShadow({ mode: 'open' });
    #panel?: ChatPanel;
    #loading?: Promise<ChatPanel>;
    #built?: string;
    #open = false;
    #launcher?: HTMLButtonElement;
    #dialog?: HTMLElement;
    #view?: HTMLElement;
    /** Waits for the message input to be enabled after the first open (see `show`). */
    #focusWait?: MutationObserver;

    constructor() {
      super();
      this.#root.adoptedStyleSheets = [sheet];
    }

    get mode(): 'inline' | 'launcher' {
      return this.getAttribute('mode') === 'launcher' ? 'launcher' : 'inline';
    }

    set mode(value: 'inline' | 'launcher') {
      this.setAttribute('mode', value);
    }

    get open(): boolean {
      return this.#open;
    }

    get panel(): ChatPanel | undefined {
      return this.#panel;
    }

    get updateComplete(): Promise<boolean> {
      return this.#loading ? this.#loading.then((p) => p.updateComplete) : Promise.resolve(true);
    }

    get currentConfig(): unknown {
      return this.#panel?.currentConfig;
    }

    connectedCallback(): void {
      // Properties set before the element was defined are own properties hiding the accessors: re-set them.
      for (const name of FORWARDED_PROPERTIES) {
        if (Object.prototype.hasOwnProperty.call(this, name)) {
          const value = (this as Record<string, unknown>)[name];
          delete (this as Record<string, unknown>)[name];
          (this as Record<string, unknown>)[name] = value;
        }
      }
      if (this.#built !== this.mode) this.#build();
    }

    attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
      if (name === 'mode') {
        if (this.isConnected && this.#built && this.#built !== this.mode) this.#build();
        return;
      }
      if (name === 'lang') this.#relabel();
      if (this.#panel) {
        if (value === null) this.#panel.removeAttribute(name);
        else this.#panel.setAttribute(name, value);
      }
    }

    load(): Promise<ChatPanel> {
      this.#loading ??= loadChunk(fullUrl).then((mod) => this.#mount(mod), (err: unknown) => {
        this.#loading = undefined;
        throw err;
      });
      return this.#loading;
    }

    async show(): Promise<void> {
      if (this.mode !== 'launcher' || !this.#dialog || this.#open) return;
      this.#setOpen(true);
      let panel: ChatPanel;
      try {
        panel = await this.load();
        await panel.updateComplete;
      } catch {
        this.#status(this.#text.failed, true);
        return;
      }
      if (!this.#open) return;
      const target = this.#focusTarget();
      (target ?? this.#dialog).focus();
      // With config-url the input is still disabled here (the config is loading): it gets the focus once enabled,
      // unless the user moved it meanwhile.
      if (!target) this.#focusWhenReady();
    }

    hide(): void {
      if (!this.#open) return;
      this.#focusWait?.disconnect();
      this.#setOpen(false);
      this.#launcher?.focus();
    }

    #focusTarget(): HTMLElement | null | undefined {
      return this.#view?.querySelector<HTMLElement>('textarea[part="input"]:not(:disabled), [part="sign-in"]:not(:disabled)');
    }

    #focusWhenReady(): void {
      this.#focusWait?.disconnect();
      const observer = this.#focusWait = new MutationObserver(() => {
        const target = this.#focusTarget();
        if (!target) return;
        observer.disconnect();
        if (this.#open && this.#root.activeElement === this.#dialog) target.focus();
      });
      observer.observe(this.#view!, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'] });
    }

    newChat(): void {
      this.#panel?.newChat();
    }

    signIn(): Promise<void> {
      return this.load().then((p) => p.signIn());
    }

    signOut(): Promise<void> {
      return this.load().then((p) => p.signOut());
    }

    #build(): void {
      this.#built = this.mode;
      this.#panel?.remove();
      this.#panel = undefined;
      this.#loading = undefined;
      this.#open = false;
      this.#view = el('div', { class: 'view' });
      if (this.mode === 'launcher') {
        this.#launcher = el('button', {
          'part': 'launcher',
          'class': 'launcher',
          'type': 'button',
          'aria-label': this.#text.open,
          'aria-expanded': 'false',
          'aria-haspopup': 'dialog',
          'aria-controls': 'panel',
        });
        this.#launcher.append(icon(CHAT_ICON));
        this.#launcher.addEventListener('click', () => (this.#open ? this.hide() : void this.show()));
        this.#dialog = el('div', { 'part': 'panel', 'class': 'panel', 'id': 'panel', 'role': 'dialog', 'aria-label': this.#text.chat, 'tabindex': '-1' });
        this.#dialog.hidden = true;
        this.#dialog.addEventListener('keydown', (event) => {
          // Escape in the message editor cancels the edit only.
          if (event.key !== 'Escape' || event.composedPath().some((n) => (n as Element).matches?.('[part~="edit-input"]'))) return;
          event.stopPropagation();
          this.hide();
        });
        this.#dialog.append(this.#view);
        this.#root.replaceChildren(this.#dialog, this.#launcher);
      } else {
        this.#launcher = this.#dialog = undefined;
        this.#root.replaceChildren(this.#view);
        this.load().catch(() => this.#status(this.#text.failed, true));
      }
    }

    #mount(mod: FullChunk): ChatPanel {
      const panel = document.createElement('bedrock-chat-panel') as unknown as ChatPanel;
      panel.renderTarget = this.#view;
      panel.hidden = true;
      for (const name of FORWARDED_ATTRIBUTES) {
        const value = this.getAttribute(name);
        if (value !== null) panel.setAttribute(name, value);
      }
      for (const [name, value] of propsOf(this)) (panel as unknown as Record<string, unknown>)[name] = value;
      this.#root.adoptedStyleSheets = [...mod.BedrockChatPanel.sheets, sheet];
      this.#view?.replaceChildren();
      this.#root.append(panel);
      this.#panel = panel;
      return panel;
    }

    /** The launcher and panel labels follow a changed `lang`. */
    #relabel(): void {
      this.#launcher?.setAttribute('aria-label', this.#text.open);
      this.#dialog?.setAttribute('aria-label', this.#text.chat);
    }

    #setOpen(open: boolean): void {
      this.#open = open;
      this.#dialog!.hidden = !open;
      this.#launcher!.setAttribute('aria-expanded', String(open));
      this.#launcher!.replaceChildren(icon(open ? CLOSE_ICON : CHAT_ICON));
      if (open && !this.#panel) this.#status(this.#text.loading, false);
    }

    /** The entry's own texts, in the language of the element (its `lang`, the page's, else the browser's). */
    get #text() {
      return LAUNCHER_TEXT[preferredLocale(this)];
    }

    #status(text: string, failed: boolean): void {
      if (this.#panel || !this.#view) return;
      const p = el('p', { class: 'status', role: failed ? 'alert' : 'status' });
      p.textContent = text;
      this.#view.replaceChildren(p);
    }
  }

  for (const name of FORWARDED_PROPERTIES) {
    const attribute = name === 'configUrl' ? 'config-url' : name === 'conversationId' ? 'conversation-id' : name === 'model' ? 'model' : undefined;
    Object.defineProperty(BedrockChatHost.prototype, name, {
      configurable: true,
      get(this: BedrockChatHost) {
        const props = propsOf(this);
        if (props.has(name)) return props.get(name);
        if (name === 'math') return this.hasAttribute('math');
        return attribute ? this.getAttribute(attribute) ?? (name === 'configUrl' ? '/config.json' : undefined) : undefined;
      },
      set(this: BedrockChatHost, value: unknown) {
        propsOf(this).set(name, value);
        const panel = this.panel;
        if (panel) (panel as unknown as Record<string, unknown>)[name] = value;
      },
    });
  }

  customElements.define('bedrock-chat', BedrockChatHost);
}

/** Property values set on a `<bedrock-chat>`, by element (kept outside the class so the accessors can reach them). */
const propsByElement = new WeakMap<HTMLElement, Map<string, unknown>>();
function propsOf(element: HTMLElement): Map<string, unknown> {
  let props = propsByElement.get(element);
  if (!props) propsByElement.set(element, props = new Map());
  return props;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function icon(d: string): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const path = document.createElementNS(ns, 'path');
  for (const [name, value] of Object.entries({
    'viewBox': '0 0 24 24',
    'aria-hidden': 'true',
    'focusable': 'false',
    'fill': 'none',
    'stroke': 'currentColor',
    'stroke-width': '2',
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
  })) svg.setAttribute(name, value);
  path.setAttribute('d', d);
  svg.append(path);
  return svg;
}
