import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { botsChanged } from './bot-list.js';
import { botStyles } from './styles.js';
import { routes } from '../app/routes.js';
import { appendPage, BotsApi, LIMITS } from '../shared/bots.js';
import type { BotPage, BotSummary, Me } from '../shared/bots.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { formatNumber, LocaleController } from '../shared/i18n.js';

type Shelf = 'essentials' | 'popular' | 'pickup';

interface Shelves {
  readonly me?: Me;
  readonly essentials: BotPage;
  readonly popular: BotPage;
  readonly pickup: BotPage;
}

/** The largest pin order the route takes (`PUT /admin/bots/{id}/pin`: 0 to 999). */
const MAX_PIN_ORDER = 999;

/**
 * `<bedrock-chat-bot-store>`: the bots shared with everyone: search by words of title and description, essentials
 * (pinned by admins, in order), popular (by use) and pick-up (random). Each card opens the bot or stars it. Search
 * results and popular page: "Show more" appends the next page (a bot already shown is not shown twice).
 *
 * Admins (`GET /me` says `isAdmin`) also pin a card's bot as an essential or unpin it, and order the essentials with
 * "Move up" / "Move down" buttons (keyboard operable; the focus follows the moved bot and the new position is
 * announced). Others see no pin controls (and the server refuses them anyway).
 *
 * @csspart base, search, search-input, search-submit, results, shelf, card, open, star, pin, move-up, move-down, more,
 * status, error
 */
export class BedrockChatBotStore extends LitElement {
  static override styles = [botStyles, css`
    .more { margin: 0 0 1rem; }
  `];

  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;

  /** Stars changed here, by bot id (the lists are not loaded again for a star). */
  @state() private starred = new Map<string, boolean>();
  /** Pins changed here, by bot id (search results are not searched again for a pin). */
  @state() private pinned = new Map<string, boolean>();
  @state() private errorText = '';
  /** Announced politely (a pin, an unpin, a move). */
  @state() private statusText = '';
  @state() private query = '';
  /** Bumped to load the shelves again (after a pin). */
  @state() private version = 0;
  /** Popular as extended by "Show more" since the shelves were loaded. */
  @state() private popularMore?: BotPage;
  /** Search results as extended by "Show more" since the search ran. */
  @state() private resultsMore?: BotPage;
  @state() private busy = false;

  protected readonly locale = new LocaleController(this);

  private readonly shelves = new Task(this, {
    task: async ([config, provider], { signal }): Promise<Shelves | undefined> => {
      if (!config || !provider) return undefined;
      const api = new BotsApi(config, provider);
      const [essentials, popular, pickup, me] = await Promise.all([
        api.store('essentials', signal), api.store('popular', signal), api.store('pickup', signal), api.me(signal).catch(() => undefined),
      ]);
      this.popularMore = undefined;
      return { me, essentials, popular, pickup };
    },
    args: () => [this.config, this.tokenProvider, this.version] as const,
  });

  /** Runs on submit only (`run()`), not on every keystroke. */
  private readonly results = new Task<[string], BotPage & { q: string }>(this, {
    task: async ([q], { signal }) => {
      this.resultsMore = undefined;
      const page = this.config ? await new BotsApi(this.config, this.tokenProvider).search(q, signal) : { items: [] };
      return { ...page, q };
    },
    autoRun: false,
  });

  private get isAdmin(): boolean {
    return this.shelves.value?.me?.isAdmin === true;
  }

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
      <p part="status" class="sr-only" role="status">${this.statusText}</p>
      <div part="results" aria-live="polite">${this.results.render({
    pending: () => html`<p part="status" class="status">${msg('Searching…')}</p>`,
    complete: (found) => {
      const shown = this.resultsMore ?? found;
      return html`<h3 id="store-results">${msg('Search results')}</h3>${shown.items.length ? this.cards(shown.items, 'results')
        : html`<p part="status" class="status">${msg('No public bot matches these words.')}</p>`}
        ${this.moreButton(shown, 'store-results', () => this.moreResults(found.q, shown))}`;
    },
    error: () => html`<p part="error" class="error" role="alert">${msg('The search failed. Please try again.')}</p>`,
  })}</div>
      ${this.shelves.render({
          // While the shelves load again (after a pin) the old ones stay, so the focus stays where it was.
          pending: () => (this.shelves.value ? this.renderShelves(this.shelves.value) : html`<p part="status" class="status">${msg('Loading the store…')}</p>`),
          complete: (shelves) => (shelves ? this.renderShelves(shelves) : nothing),
          error: () => html`<p part="error" class="error" role="alert">${msg('The store could not be loaded.')}</p>`,
        })}
    </section>`;
  }

  private renderShelves(shelves: Shelves): TemplateResult[] {
    const kinds: Shelf[] = ['essentials', 'popular', 'pickup'];
    return kinds.map((kind) => {
      const page = kind === 'popular' ? (this.popularMore ?? shelves.popular) : shelves[kind];
      if (!page.items.length) return html``;
      const id = `shelf-${kind}`;
      return html`<section part="shelf" aria-labelledby=${id}>
        <h3 id=${id}>${kind === 'essentials' ? msg('Essentials') : kind === 'popular' ? msg('Popular') : msg('Pick-up')}</h3>
        ${this.cards(page.items, kind)}
        ${kind === 'popular' ? this.moreButton(page, id, () => this.morePopular(page)) : nothing}
      </section>`;
    });
  }

  private moreButton(page: BotPage, labelledBy: string, load: () => Promise<void>): TemplateResult | typeof nothing {
    return page.nextToken ? html`<button part="more" class="more" type="button" aria-describedby=${labelledBy} ?disabled=${this.busy}
      @click=${() => void load()}>${msg('Show more')}</button>` : nothing;
  }

  private cards(items: BotSummary[], where: Shelf | 'results'): TemplateResult {
    const admin = this.isAdmin;
    return html`<ul class="cards">${items.map((b, i) => {
      const starred = this.starred.get(b.id) ?? !!b.starred;
      const pinned = where === 'essentials' || (this.pinned.get(b.id) ?? !!b.pinned);
      const titleId = `title-${where}-${b.id}`;
      return html`<li part="card" class="card">
        <strong id=${titleId}>${b.title}</strong>
        ${b.description ? html`<p>${b.description}</p>` : nothing}
        <p>${msg(str`Used ${formatNumber(b.usageCount ?? 0)} times`)}</p>
        <div class="row">
          <a part="open" href=${routes.bot(b.id)} aria-label=${msg(str`Chat with “${b.title}”`)}>${msg('Chat')}</a>
          <button part="star" type="button" aria-pressed=${starred ? 'true' : 'false'} aria-label=${msg(str`Star “${b.title}”`)}
            @click=${() => this.star(b, !starred)}>${starred ? '★' : '☆'}</button>
          ${admin ? html`<button part="pin" type="button" data-focus=${`${where}:${b.id}:pin`} ?disabled=${this.busy}
            aria-label=${pinned ? msg(str`Unpin “${b.title}” from the essentials`) : msg(str`Pin “${b.title}” as an essential`)}
            @click=${() => this.pin(b, !pinned)}>${pinned ? msg('Unpin') : msg('Pin')}</button>` : nothing}
        </div>
        ${admin && where === 'essentials' && items.length > 1 ? html`<div class="row">
          <!-- Named by their visible text (what voice control users say), described by the bot's title. -->
          <button part="move-up" type="button" data-focus=${`essentials:${b.id}:up`} ?disabled=${this.busy || i === 0}
            aria-describedby=${titleId} @click=${() => this.move(items, i, -1)}>${msg('Move up')}</button>
          <button part="move-down" type="button" data-focus=${`essentials:${b.id}:down`} ?disabled=${this.busy || i === items.length - 1}
            aria-describedby=${titleId} @click=${() => this.move(items, i, 1)}>${msg('Move down')}</button>
        </div>` : nothing}
      </li>`;
    })}</ul>`;
  }

  private onSearch(event: Event): void {
    event.preventDefault();
    const q = this.query.trim();
    if (!q) return;
    void this.results.run([q]);
  }

  private async moreResults(q: string, shown: BotPage): Promise<void> {
    if (!this.config || !shown.nextToken) return;
    const run = this.results.value;
    await this.loadMore(async () => {
      const next = await new BotsApi(this.config!, this.tokenProvider).search(q, undefined, shown.nextToken);
      // Another search meanwhile: this page belongs to the old one.
      if (this.results.value === run) this.resultsMore = appendPage(shown, next);
    });
  }

  private async morePopular(shown: BotPage): Promise<void> {
    if (!this.config || !shown.nextToken) return;
    const version = this.version;
    await this.loadMore(async () => {
      const next = await new BotsApi(this.config!, this.tokenProvider).store('popular', undefined, shown.nextToken);
      if (version === this.version) this.popularMore = appendPage(shown, next);
    });
  }

  private async loadMore(load: () => Promise<void>): Promise<void> {
    this.errorText = '';
    this.busy = true;
    try {
      await load();
    } catch {
      this.errorText = msg('More bots could not be loaded. Please try again.');
    } finally {
      this.busy = false;
    }
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

  /** Pins a bot after the last essential, or unpins it; then the shelves are loaded again. */
  private async pin(bot: BotSummary, pinned: boolean): Promise<void> {
    const essentials = this.shelves.value?.essentials.items ?? [];
    const last = essentials.reduce((max, b) => Math.max(max, b.pinOrder ?? 0), -1);
    await this.adminChange(async (api) => {
      await api.pin(bot.id, pinned, pinned ? Math.min(last + 1, MAX_PIN_ORDER) : undefined);
      this.pinned = new Map(this.pinned).set(bot.id, pinned);
    }, pinned ? msg(str`“${bot.title}” is pinned as an essential.`) : msg(str`“${bot.title}” is no longer an essential.`),
    pinned ? msg(str`“${bot.title}” could not be pinned. Please try again.`) : msg(str`“${bot.title}” could not be unpinned. Please try again.`));
  }

  /**
   * Moves the essential at `index` one place (`by` -1: up, 1: down): every essential gets its position as its pin
   * order (only those whose order changes are sent), then the shelves are loaded again and the focus stays on the
   * moved bot's button (the other one when it reached an end).
   */
  private async move(items: BotSummary[], index: number, by: -1 | 1): Promise<void> {
    const target = index + by;
    if (target < 0 || target >= items.length) return;
    const order = [...items];
    [order[index], order[target]] = [order[target], order[index]];
    const bot = items[index];
    const atEnd = target === 0 || target === order.length - 1;
    const focus = `essentials:${bot.id}:${atEnd ? (by < 0 ? 'down' : 'up') : (by < 0 ? 'up' : 'down')}`;
    await this.adminChange(async (api) => {
      for (const [position, b] of order.entries()) {
        if (b.pinOrder !== position) await api.pin(b.id, true, Math.min(position, MAX_PIN_ORDER));
      }
    }, msg(str`“${bot.title}” moved to position ${formatNumber(target + 1)} of ${formatNumber(order.length)}.`),
    msg(str`“${bot.title}” could not be moved. Please try again.`), focus);
  }

  private async adminChange(change: (api: BotsApi) => Promise<void>, done: string, failed: string, focus?: string): Promise<void> {
    if (!this.config || this.busy) return;
    const active = focus ?? (this.renderRoot as ShadowRoot).activeElement?.getAttribute('data-focus') ?? undefined;
    this.errorText = '';
    this.statusText = '';
    this.busy = true;
    try {
      await change(new BotsApi(this.config, this.tokenProvider));
      this.statusText = done;
    } catch {
      this.errorText = failed;
    } finally {
      this.busy = false;
    }
    this.version += 1;
    await this.updateComplete;
    await this.shelves.taskComplete.catch(() => undefined);
    await this.updateComplete;
    if (active) this.renderRoot.querySelector<HTMLElement>(`[data-focus="${CSS.escape(active)}"]`)?.focus();
  }
}
