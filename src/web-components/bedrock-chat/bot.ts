/**
 * The bot of a `<bedrock-chat>` (its `bot-id`, or the bot of the open conversation): loaded with `GET /bots/{id}`
 * through `@lit/task`, shown as a header (title, description, quick starters that send themselves) and applied to
 * the model choice. A bot the user can no longer use (deleted, unshared: 403/404, or a `BOT_UNAVAILABLE` frame)
 * leaves the conversation readable and the composer disabled with a message.
 *
 * A chunk of its own (`bedrock-chat-bot-[hash].js`), imported by the chat only when it has a bot: the widget's full
 * chunk of a page without bots does not grow by it (docs/architecture.md, "Custom bots in the app and the widget").
 */
// The full chunk (already loaded: it is what imports this one): importing it keeps Lit, lit-localize and the shared
// modules in it, instead of a common chunk that the full chunk would then have to import too.
import '../launcher/full.js';
import { msg, str } from '@lit/localize';
import { Task, TaskStatus } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { ReactiveControllerHost, TemplateResult } from 'lit';
import type { Citation } from './conversation.js';
import { ApiError, BotsApi } from '../shared/bots.js';
import type { Bot } from '../shared/bots.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { adoptLazyStyles } from '../shared/lazy-styles.js';
import { safeUrl } from '../shared/markdown/index.js';

/** What the chat element gives its bot controller. */
export interface BotHost extends ReactiveControllerHost {
  readonly currentConfig: BedrockChatConfig | undefined;
  readonly tokenProvider?: TokenProvider;
  /** Shows a failure in the chat and fires `bedrock-chat-error`. */
  fail(code: string, serverMessage?: string, requestId?: string, text?: string): void;
}

/** The text of `BOT_UNAVAILABLE` and of a bot that cannot be loaded any more (403/404). */
export const unavailableText = (): string => msg('This bot is no longer available to you: it was deleted or is no longer shared with you. You can read this conversation, but not continue it.');

/**
 * The header's styles, adopted by the chat's shadow root when this chunk loads: a constructed style sheet, like Lit's
 * own styles, which `style-src 'self'` does not block (CSP governs style elements, attributes and fetched sheets; no
 * browser blocks CSSOM, https://developer.mozilla.org/docs/Web/HTTP/Headers/Content-Security-Policy/style-src; the
 * bots e2e test runs under the app's strict CSP). Adopted sheets come after the root's own,
 * https://developer.mozilla.org/docs/Web/API/Document/adoptedStyleSheets
 */
const styles = css`
  .bot { padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--_border); }
  .bot-title { margin: 0; font-size: 1em; font-weight: 600; }
  .bot-description { margin: 0.25rem 0 0; color: var(--_muted); font-size: 0.875em; white-space: pre-line; }
  [part~="bot-unavailable"] .bot-description { color: inherit; }
  .source { padding: 0; border: 0; background: none; color: inherit; font: inherit; text-align: start; cursor: pointer;
    text-decoration: underline; text-decoration-color: var(--_accent); text-decoration-thickness: 2px; text-underline-offset: 2px; }
  .source-page { color: var(--_muted); }
  .starters { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.5rem 0 0; padding: 0; list-style: none; }
`;

export class ChatBot {
  /** Set by a `BOT_UNAVAILABLE` error frame for the bot in effect. */
  private lostId?: string;

  private readonly task: Task<[string | undefined, BedrockChatConfig | undefined, TokenProvider | undefined], Bot | undefined>;

  constructor(private readonly host: BotHost, private readonly id: () => string | undefined) {
    const root = (host as unknown as { renderRoot?: Node }).renderRoot;
    if (root) adoptLazyStyles(root, styles);
    this.task = new Task(host, {
      task: async ([botId, config, provider], { signal }) => (botId && config && provider
        ? new BotsApi(config, provider).get(botId, signal) : undefined),
      args: () => [this.id(), this.host.currentConfig, this.host.tokenProvider],
    });
  }

  /** The loaded bot (undefined while loading, without a bot, or when it is unavailable). */
  get bot(): Bot | undefined {
    return this.unavailable ? undefined : this.task.value;
  }

  /** The bot is gone for this user: the composer is disabled. */
  get unavailable(): boolean {
    const id = this.id();
    if (!id) return false;
    if (this.lostId === id) return true;
    const error = this.task.status === TaskStatus.ERROR ? this.task.error : undefined;
    return error instanceof ApiError && (error.status === 403 || error.status === 404);
  }

  /** A `BOT_UNAVAILABLE` frame arrived: the bot in effect cannot be used any more. */
  lost(): void {
    this.lostId = this.id();
    this.host.requestUpdate();
  }

  /** The text for an error code this controller knows (`BOT_UNAVAILABLE`). */
  errorText(code: string): string | undefined {
    return code === 'BOT_UNAVAILABLE' ? unavailableText() : undefined;
  }

  /**
   * A source that is a document of the bot: a button that opens it (with its page, "p. 3"), for the chat's Sources
   * list; `undefined` for any other source.
   */
  source(c: Citation): TemplateResult | undefined {
    if (!c.documentId) return undefined;
    return html`<button type="button" class="source" @click=${() => this.open(c)}>${c.title}</button>${c.page
      ? html` <span class="source-page">${msg(str`p. ${c.page}`)}</span>` : nothing}`;
  }

  /**
   * Opens a document source in a new tab: the tab is opened now, during the click (a popup blocker allows a tab opened
   * by a click, not one opened after an await), without an opener, then pointed at the short-lived URL that
   * `GET /knowledge/bots/{botId}/documents/{documentId}/source` returns. If that fails the tab is closed and the chat
   * shows why (`bedrock-chat-error` with code `SOURCE`).
   */
  open(c: Citation | undefined): void {
    const botId = this.id();
    const config = this.host.currentConfig;
    if (!c?.documentId || !botId || !config) return;
    // "noopener" would make open() return null (https://developer.mozilla.org/docs/Web/API/Window/open), so the opener
    // is cut by hand, as noopener leaves it (https://developer.mozilla.org/docs/Web/API/Window/opener). Opening needs
    // the click's user activation, gone after the await (https://developer.mozilla.org/docs/Web/Security/User_activation).
    const tab = window.open('', '_blank');
    if (tab) tab.opener = null;
    const path = `/knowledge/bots/${encodeURIComponent(botId)}/documents/${encodeURIComponent(c.documentId)}/source`;
    new BotsApi(config, this.host.tokenProvider).call<{ url?: string }>(path).then((body) => {
      const url = body?.url ? safeUrl(body.url) : undefined;
      if (!url || !/^https?:/.test(url)) throw new Error('no source URL');
      if (tab) tab.location.href = url;
      else window.open(url, '_blank', 'noopener');
    }).catch((err: unknown) => {
      tab?.close();
      this.host.fail('SOURCE', err instanceof Error ? err.message : String(err), undefined,
        err instanceof ApiError && err.status === 404 ? msg('This source is no longer available.') : msg('The source could not be opened. Please try again.'));
    });
  }

  /** The models the picker offers: the bot's (all when it allows every model of the deployment). */
  models<M extends { id: string }>(all: M[]): M[] {
    const allowed = this.bot?.models;
    return allowed?.length ? all.filter((m) => allowed.includes(m.id)) : all;
  }

  /** The model to send: `candidate` when the bot allows it; otherwise none (the server uses the bot's default). */
  model(candidate: string | undefined): string | undefined {
    const allowed = this.bot?.models;
    if (!this.id()) return candidate;
    if (!candidate) return this.bot?.defaultModel;
    return !allowed?.length || allowed.includes(candidate) ? candidate : this.bot?.defaultModel;
  }

  /**
   * Sends a quick starter as if typed: into the message box, then `requestSubmit()` on the composer, which acts like
   * its Send button (a `submit` event, so the chat's own checks and the cancelable `bedrock-chat-send` apply; `submit()`
   * fires no event), https://developer.mozilla.org/docs/Web/API/HTMLFormElement/requestSubmit
   */
  private send(text: string): void {
    const root = (this.host as unknown as { renderRoot: ParentNode }).renderRoot;
    const input = root.querySelector<HTMLTextAreaElement>('textarea[part="input"]');
    if (!input) return;
    input.value = text;
    input.form?.requestSubmit();
  }

  /** The header above the log: the bot's title and description, and its quick starters while nothing was said. */
  render(empty: boolean, busy: boolean): TemplateResult | typeof nothing {
    if (!this.id()) return nothing;
    if (this.unavailable) {
      return html`<div part="bot bot-unavailable" class="bot" role="status"><p class="bot-description">${unavailableText()}</p></div>`;
    }
    return this.task.render({
      pending: () => html`<div part="bot" class="bot" aria-busy="true"><p class="bot-description">${msg('Loading the bot…')}</p></div>`,
      error: () => html`<div part="bot" class="bot"><p class="bot-description" role="alert">${msg('The bot could not be loaded. Reload the page to try again.')}</p></div>`,
      complete: (bot) => (bot ? html`<div part="bot" class="bot">
        <h2 part="bot-title" class="bot-title">${bot.title}</h2>
        ${bot.description ? html`<p part="bot-description" class="bot-description">${bot.description}</p>` : nothing}
        ${empty && bot.quickStarters?.length ? html`<ul part="quick-starters" class="starters" aria-label=${msg('Quick starters')}>
          ${bot.quickStarters.map((s) => html`<li><button part="quick-starter" type="button" title=${s.example} ?disabled=${busy}
            @click=${() => this.send(s.example)}>${s.title}</button></li>`)}
        </ul>` : nothing}
      </div>` : nothing),
    }) ?? nothing;
  }
}
