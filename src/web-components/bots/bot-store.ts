import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { botsChanged } from './bot-list.js';
import { botStyles } from './styles.js';
import { routes } from '../app/routes.js';
import { BotsApi, LIMITS } from '../shared/bots.js';
import type { BotSummary } from '../shared/bots.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { formatNumber, LocaleController } from '../shared/i18n.js';

type Shelf = 'essentials' | 'popular' | 'pickup';

/**
 * `<bedrock-chat-bot-store>`: the bots shared with everyone: search by words of title and description, essentials
 * (pinned by admins, in order), popular (by use) and pick-up (random). Each card opens the bot or stars it.
 *
 * @csspart base, search, search-input, search-submit, results, shelf, card, open, star, status, error
 */
export class BedrockChatBotStore extends LitElement {
  static override styles = botStyles;

  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;

  /** Stars changed here, by bot id (the lists are not loaded again for a star). */
  @state() private starred = new Map<string, boolean>();
  @state() private errorText = '';
  @state() private query = '';

  protected readonly locale = new LocaleController(this);

  private readonly shelves = new Task(this, {
    task: async ([config, provider], { signal }) => {
      if (!config || !provider) return undefined;
      const api = new BotsApi(config, provider);
      const kinds: Shelf[] = ['essentials', 'popular', 'pickup'];
      const lists = await Promise.all(kinds.map((k) => api.store(k, signal)));
      return kinds.map((kind, i) => ({ kind, items: lists[i].items }));
    },
    args: () => [this.config, this.tokenProvider] as const,
  });

  /** Runs on submit only (`run()`), not on every keystroke. */
  private readonly results = new Task<[string], BotSummary[]>(this, {
    task: async ([q], { signal }) => (this.config ? (await new BotsApi(this.config, this.tokenProvider).search(q, signal)).items : []),
    autoRun: false,
  });

  protected override render(): TemplateResult {
    return html`<section part="base" aria-labelledby="store-title">
      <h2 id="store-title">${msg('Bot store')}</h2>
      <form part="search" role="search" aria-label=${msg('Search bots')} class="row" @submit=${this.onSearch}>
        <label class="sr-only" for="store-q">${msg('Search bots')}</label>
        <input part="search-input" class="grow" id="store-q" type="search" maxlength=${LIMITS.storeQuery} placeholder=${msg('Search bots by title or description')}
          .value=${this.query} @input=${(e: Event) => { this.query = (e.target as HTMLInputElement).value; }}>
        <button part="search-submit" class="primary" type="submit">${msg('Search')}</button>
      </form>
      ${this.errorText ? html`<p part="error" class="error" role="alert">${this.errorText}</p>` : nothing}
      <div part="results" aria-live="polite">${this.results.render({
    pending: () => html`<p part="status" class="status">${msg('Searching…')}</p>`,
    complete: (items) => html`<h3>${msg('Search results')}</h3>${items.length ? this.cards(items) : html`<p part="status" class="status">${msg('No public bot matches these words.')}</p>`}`,
    error: () => html`<p part="error" class="error" role="alert">${msg('The search failed. Please try again.')}</p>`,
  })}</div>
      ${this.shelves.render({
          pending: () => html`<p part="status" class="status">${msg('Loading the store…')}</p>`,
          complete: (shelves) => (shelves ?? []).map(({ kind, items }) => (items.length ? html`<section part="shelf" aria-labelledby=${`shelf-${kind}`}>
          <h3 id=${`shelf-${kind}`}>${kind === 'essentials' ? msg('Essentials') : kind === 'popular' ? msg('Popular') : msg('Pick-up')}</h3>
          ${this.cards(items)}</section>` : nothing)),
          error: () => html`<p part="error" class="error" role="alert">${msg('The store could not be loaded.')}</p>`,
        })}
    </section>`;
  }

  private cards(items: BotSummary[]): TemplateResult {
    return html`<ul class="cards">${items.map((b) => {
      const starred = this.starred.get(b.id) ?? !!b.starred;
      return html`<li part="card" class="card">
        <strong>${b.title}</strong>
        ${b.description ? html`<p>${b.description}</p>` : nothing}
        <p>${msg(str`Used ${formatNumber(b.usageCount ?? 0)} times`)}</p>
        <div class="row">
          <a part="open" href=${routes.bot(b.id)} aria-label=${msg(str`Chat with “${b.title}”`)}>${msg('Chat')}</a>
          <button part="star" type="button" aria-pressed=${starred ? 'true' : 'false'} aria-label=${msg(str`Star “${b.title}”`)}
            @click=${() => this.star(b, !starred)}>${starred ? '★' : '☆'}</button>
        </div>
      </li>`;
    })}</ul>`;
  }

  private onSearch(event: Event): void {
    event.preventDefault();
    const q = this.query.trim();
    if (!q) return;
    void this.results.run([q]);
  }

  private async star(bot: BotSummary, starred: boolean): Promise<void> {
    if (!this.config) return;
    this.errorText = '';
    try {
      await new BotsApi(this.config, this.tokenProvider).star(bot.id, starred);
      this.starred = new Map(this.starred).set(bot.id, starred);
      botsChanged(this, bot.id);
    } catch {
      this.errorText = msg(str`“${bot.title}” could not be starred. Please try again.`);
    }
  }
}
