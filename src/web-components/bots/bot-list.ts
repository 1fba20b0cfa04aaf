import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { botStyles } from './styles.js';
import { routes } from '../app/routes.js';
import { appendPage, BotsApi } from '../shared/bots.js';
import type { BotPage, Me } from '../shared/bots.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { LocaleController } from '../shared/i18n.js';

/** `bedrock-chat-bots-changed`: a bot was created, saved, shared, starred, removed from recents or deleted. */
export type BotsChangedDetail = { readonly botId: string };

declare global {
  interface HTMLElementEventMap {
    'bedrock-chat-bots-changed': CustomEvent<BotsChangedDetail>;
  }
}

/** Fires `bedrock-chat-bots-changed` from `el` (bubbles out of the shadow roots, so the sidebar refreshes). */
export function botsChanged(el: HTMLElement, botId: string): void {
  el.dispatchEvent(new CustomEvent<BotsChangedDetail>('bedrock-chat-bots-changed', { detail: { botId }, bubbles: true, composed: true }));
}

type Kind = 'starred' | 'recent' | 'mine';

interface Lists {
  readonly starred: BotPage;
  readonly recent: BotPage;
  readonly mine: BotPage;
  readonly me?: Me;
}

/**
 * `<bedrock-chat-bot-list>`: the sidebar's bots: starred, recently used (with "remove from recents"; a bot the user
 * lost access to is marked), the user's own, links to the store and, for creators, to a new bot. Links are the
 * app's hash routes (`#/bots/<id>`, `#/bots/<id>/edit`, `#/bots/new`, `#/store`). A list with more than a page
 * has "Show more", which appends the next page (a bot already shown is not shown twice).
 *
 * @csspart base, section, bot, current, unavailable, edit, forget, more, store, create, status, error
 */
export class BedrockChatBotList extends LitElement {
  static override styles = [botStyles, css`
    :host { padding: 0.25rem 0.5rem; }
    h2 { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.03em; color: var(--_muted); margin: 0.6rem 0 0.2rem; }
    li { display: flex; align-items: center; gap: 0.25rem; }
    li > a:first-child { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; padding: 0.2rem 0.3rem; border-radius: 0.3rem; color: inherit; text-decoration: none; }
    li > a:first-child:hover, [aria-current="page"] { background: color-mix(in srgb, var(--_accent) 12%, transparent); }
    li button, li a.small { padding: 0 0.35rem; font-size: 0.8em; border: none; background: none; color: var(--_muted); }
    .links { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 0.3rem 0; }
  `];

  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;
  /** The bot open in the chat (marked `aria-current="page"`). */
  @property({ attribute: 'bot-id' }) botId?: string;

  @state() private errorText = '';
  /** Bumped to load the lists again. */
  @state() private version = 0;
  /** The lists as extended by "Show more" since the last load (the first pages are the task's). */
  @state() private extended: Partial<Record<Kind, BotPage>> = {};
  @state() private loadingMore?: Kind;

  protected readonly locale = new LocaleController(this);

  private readonly lists = new Task(this, {
    task: async ([config, provider], { signal }): Promise<Lists | undefined> => {
      if (!config || !provider) return undefined;
      const api = new BotsApi(config, provider);
      const [starred, recent, mine, me] = await Promise.all([
        api.list('starred', signal), api.list('recent', signal), api.list('mine', signal), api.me(signal).catch(() => undefined),
      ]);
      this.extended = {};
      return { starred, recent, mine, me };
    },
    args: () => [this.config, this.tokenProvider, this.version] as const,
  });

  /** Loads the lists again. */
  refresh(): void {
    this.version += 1;
  }

  protected override render(): TemplateResult {
    return html`<nav part="base" aria-label=${msg('Bots')}>
      <div class="links">
        <a part="store" href=${routes.store()}>${msg('Bot store')}</a>
        ${this.lists.value?.me?.canCreateBots ? html`<a part="create" href=${routes.newBot()}>${msg('Create a bot')}</a>` : nothing}
      </div>
      ${this.lists.render({
          pending: () => (this.lists.value ? this.renderLists(this.lists.value) : html`<p part="status" class="status">${msg('Loading bots…')}</p>`),
          complete: (lists) => (lists ? this.renderLists(lists) : nothing),
          error: () => html`<p part="error" class="error" role="alert">${msg('The bots could not be loaded.')}</p>`,
        })}
      ${this.errorText ? html`<p part="error" class="error" role="alert">${this.errorText}</p>` : nothing}
    </nav>`;
  }

  private renderLists(lists: Lists): TemplateResult {
    return html`
      ${this.section(msg('Starred'), this.extended.starred ?? lists.starred, 'starred')}
      ${this.section(msg('Recent'), this.extended.recent ?? lists.recent, 'recent')}
      ${this.section(msg('My bots'), this.extended.mine ?? lists.mine, 'mine')}`;
  }

  private section(title: string, list: BotPage, kind: Kind): TemplateResult | typeof nothing {
    const bots = list.items;
    if (!bots.length) return nothing;
    const id = `bots-${kind}`;
    return html`<section part="section" aria-labelledby=${id}>
      <h2 id=${id}>${title}</h2>
      <ul class="plain">${bots.map((b) => html`<li>
        <a part="bot${b.id === this.botId ? ' current' : ''}${b.available ? '' : ' unavailable'}" href=${routes.bot(b.id)}
          aria-current=${b.id === this.botId ? 'page' : 'false'}>${b.title}${b.available ? '' : html` <span class="status">${msg('(unavailable)')}</span>`}</a>
        ${kind === 'mine' && b.owner === 'you' ? html`<a part="edit" class="small" href=${routes.edit(b.id)} aria-label=${msg(str`Edit “${b.title}”`)}>${msg('Edit')}</a>` : nothing}
        ${kind === 'recent' ? html`<button part="forget" type="button" aria-label=${msg(str`Remove “${b.title}” from recents`)}
          @click=${() => this.forget(b)}>×</button>` : nothing}
      </li>`)}</ul>
      ${list.nextToken ? html`<button part="more" type="button" class="more" aria-describedby=${id} ?disabled=${this.loadingMore === kind}
        @click=${() => this.showMore(kind, list)}>${msg('Show more')}</button>` : nothing}
    </section>`;
  }

  /** Appends the next page of one list. */
  private async showMore(kind: Kind, list: BotPage): Promise<void> {
    const { config, tokenProvider } = this;
    if (!config || !list.nextToken || this.loadingMore) return;
    this.errorText = '';
    this.loadingMore = kind;
    const version = this.version;
    try {
      const next = await new BotsApi(config, tokenProvider).list(kind, undefined, list.nextToken);
      // A reload meanwhile (a bot changed) starts the lists again: this page belongs to the old ones.
      if (version === this.version) this.extended = { ...this.extended, [kind]: appendPage(list, next) };
    } catch {
      this.errorText = msg('More bots could not be loaded. Please try again.');
    } finally {
      this.loadingMore = undefined;
    }
  }

  private async forget(bot: BotPage['items'][number]): Promise<void> {
    const { config, tokenProvider } = this;
    if (!config) return;
    this.errorText = '';
    try {
      await new BotsApi(config, tokenProvider).forget(bot.id);
      this.refresh();
    } catch {
      this.errorText = msg(str`“${bot.title}” could not be removed from recents. Please try again.`);
    }
  }
}
