import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { botsChanged } from './bot-list.js';
import { botStyles } from './styles.js';
import { ApiError, BotsApi, LIMITS } from '../shared/bots.js';
import type { Bot, BotScope, GroupHit, UserHit } from '../shared/bots.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { LocaleController } from '../shared/i18n.js';

/** Search waits for a pause in typing (a new keystroke aborts the waiting run: Task aborts its previous run). */
const SEARCH_DEBOUNCE_MS = 250;

async function pause(signal: AbortSignal): Promise<void> {
  await new Promise((done) => setTimeout(done, SEARCH_DEBOUNCE_MS));
  signal.throwIfAborted();
}

/**
 * `<bedrock-chat-share-dialog>`: who may use a bot: only the owner, named users and groups (searched with
 * `/users/search` and `/groups/search`), or everyone (then it is listed in the store). `open(bot)` shows it.
 *
 * @csspart dialog, scope, user-search, user-hit, group-search, group-hit, chosen, unchoose, save, cancel, error
 */
export class BedrockChatShareDialog extends LitElement {
  static override styles = botStyles;

  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;

  @state() private bot?: Bot;
  @state() private scope: BotScope = 'private';
  @state() private users: { id: string; label: string }[] = [];
  @state() private groups: string[] = [];
  @state() private userQuery = '';
  @state() private groupQuery = '';
  @state() private errorText = '';
  @state() private saving = false;

  protected readonly locale = new LocaleController(this);

  @query('dialog') private dialog?: HTMLDialogElement;

  private readonly userHits = new Task(this, {
    task: async ([q, config, open], { signal }): Promise<UserHit[]> => {
      if (!open || !config || !q.trim()) return [];
      await pause(signal);
      return new BotsApi(config, this.tokenProvider).users(q.trim(), signal);
    },
    args: () => [this.userQuery, this.config, this.scope === 'partial' && !!this.bot] as const,
  });

  private readonly groupHits = new Task(this, {
    task: async ([q, config, open], { signal }): Promise<GroupHit[]> => {
      if (!open || !config) return [];
      await pause(signal);
      return new BotsApi(config, this.tokenProvider).groups(q.trim(), signal);
    },
    args: () => [this.groupQuery, this.config, this.scope === 'partial' && !!this.bot] as const,
  });

  /** Shows the dialog for `bot` (its current sharing preselected). */
  open(bot: Bot): void {
    this.bot = bot;
    this.scope = bot.scope ?? 'private';
    this.users = (bot.sharing?.users ?? []).map((id) => ({ id, label: id }));
    this.groups = [...(bot.sharing?.groups ?? [])];
    this.userQuery = '';
    this.groupQuery = '';
    this.errorText = '';
    void this.updateComplete.then(() => this.dialog?.showModal());
  }

  protected override render(): TemplateResult {
    const bot = this.bot;
    const scope = (value: BotScope, label: string, hint: string) => html`<label class="row"><input part="scope" type="radio" name="scope"
      value=${value} .checked=${this.scope === value} @change=${() => { this.scope = value; }}> ${label} <span class="hint">${hint}</span></label>`;
    return html`<dialog part="dialog" aria-labelledby="share-title" @close=${() => { this.bot = undefined; }}>
      ${bot ? html`<form @submit=${(e: Event) => { e.preventDefault(); void this.save(bot); }}>
        <h2 id="share-title">${msg(str`Share “${bot.title}”`)}</h2>
        <fieldset><legend>${msg('Who may use this bot')}</legend>
          ${scope('private', msg('Only me'), '')}
          ${scope('partial', msg('Named users and groups'), '')}
          ${scope('all', msg('Everyone'), msg('(listed in the store)'))}
        </fieldset>
        ${this.scope === 'partial' ? this.renderPartial() : nothing}
        ${this.errorText ? html`<p part="error" class="error" role="alert">${this.errorText}</p>` : nothing}
        <div class="row">
          <button part="save" class="primary" type="submit" ?disabled=${this.saving}>${msg('Save sharing')}</button>
          <button part="cancel" type="button" @click=${() => this.dialog?.close()}>${msg('Cancel')}</button>
        </div>
      </form>` : nothing}
    </dialog>`;
  }

  private renderPartial(): TemplateResult {
    return html`
      <label class="field"><span>${msg('Add users (search by email)')}</span>
        <input part="user-search" type="search" maxlength=${LIMITS.userQuery} .value=${this.userQuery}
          @input=${(e: Event) => { this.userQuery = (e.target as HTMLInputElement).value; }}></label>
      ${this.userHits.render({
          pending: () => html`<p class="status">${msg('Searching…')}</p>`,
          complete: (hits) => html`<ul class="plain" aria-label=${msg('Users found')}>${hits.filter((h) => !this.users.some((u) => u.id === h.id)).map((h) => html`<li>
          <button part="user-hit" type="button" ?disabled=${this.users.length >= LIMITS.shareUsers}
            @click=${() => { this.users = [...this.users, { id: h.id, label: h.email }]; }}>${msg(str`Add ${h.email}`)}</button></li>`)}</ul>`,
          error: () => html`<p class="error" role="alert">${msg('The search failed. Please try again.')}</p>`,
        })}
      <label class="field"><span>${msg('Add groups')}</span>
        <input part="group-search" type="search" maxlength=${LIMITS.groupQuery} .value=${this.groupQuery}
          @input=${(e: Event) => { this.groupQuery = (e.target as HTMLInputElement).value; }}></label>
      ${this.groupHits.render({
          pending: () => html`<p class="status">${msg('Searching…')}</p>`,
          complete: (hits) => html`<ul class="plain" aria-label=${msg('Groups found')}>${hits.filter((h) => !this.groups.includes(h.name)).map((h) => html`<li>
          <button part="group-hit" type="button" ?disabled=${this.groups.length >= LIMITS.shareGroups}
            @click=${() => { this.groups = [...this.groups, h.name]; }}>${msg(str`Add group ${h.name}`)}</button>
          ${h.description ? html`<span class="hint">${h.description}</span>` : nothing}</li>`)}</ul>`,
          error: () => html`<p class="error" role="alert">${msg('The search failed. Please try again.')}</p>`,
        })}
      <h3>${msg('Shared with')}</h3>
      <ul part="chosen" class="plain">
        ${this.users.map((u) => html`<li class="row">${u.label}<button part="unchoose" type="button" aria-label=${msg(str`Remove ${u.label}`)}
          @click=${() => { this.users = this.users.filter((x) => x.id !== u.id); }}>×</button></li>`)}
        ${this.groups.map((g) => html`<li class="row">${msg(str`Group ${g}`)}<button part="unchoose" type="button" aria-label=${msg(str`Remove group ${g}`)}
          @click=${() => { this.groups = this.groups.filter((x) => x !== g); }}>×</button></li>`)}
        ${this.users.length || this.groups.length ? nothing : html`<li class="status">${msg('Nobody yet.')}</li>`}
      </ul>`;
  }

  private async save(bot: Bot): Promise<void> {
    if (!this.config) return;
    this.saving = true;
    this.errorText = '';
    try {
      const sharing = this.scope === 'partial' ? { scope: this.scope, users: this.users.map((u) => u.id), groups: this.groups } : { scope: this.scope };
      await new BotsApi(this.config, this.tokenProvider).share(bot.id, sharing);
      botsChanged(this, bot.id);
      this.dialog?.close();
    } catch (err) {
      this.errorText = err instanceof ApiError && err.status === 400 ? err.message : msg('The sharing could not be saved. Please try again.');
    } finally {
      this.saving = false;
    }
  }
}
