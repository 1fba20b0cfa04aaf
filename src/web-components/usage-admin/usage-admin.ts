import { msg, str } from '@lit/localize';
import { css, html, LitElement, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { fieldProblem, GROUP_NAME, isTokenKey, keyOf, LIMIT_KEYS, limitSetOf, LimitsError, UsageLimitsApi } from './limits.js';
import type { LimitKey, LimitSet, LimitsOverview, Subject } from './limits.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { formatNumber, formatUsd, LocaleController } from '../shared/i18n.js';

const labelOf = (key: LimitKey): string => {
  switch (key) {
    case 'tokensPerHour': return msg('Tokens per hour');
    case 'tokensPerDay': return msg('Tokens per day');
    case 'tokensPerMonth': return msg('Tokens per month');
    case 'costUsdPerHour': return msg('Cost per hour (USD)');
    case 'costUsdPerDay': return msg('Cost per day (USD)');
    default: return msg('Cost per month (USD)');
  }
};

/** The open form: a new or an existing override of one user or group. */
interface Draft {
  readonly subject: Subject;
  readonly isNew: boolean;
  name: string;
  /** The user's email, when chosen through the search. */
  email?: string;
  texts: Partial<Record<LimitKey, string>>;
  unlimited: Partial<Record<LimitKey, boolean>>;
  errors: Partial<Record<LimitKey | 'name' | 'form', string>>;
  busy: boolean;
}

/**
 * `<bedrock-chat-usage-admin>`: the admins' usage limits screen of `<bedrock-chat-app>` (`#/admin/usage`): the
 * deployment's default limits, the overrides per Cognito group and per user, and a form to add, change or remove
 * one (empty field = inherit; "Unlimited" exempts a group). The fields are checked as the server checks them (whole
 * tokens up to 10^12, USD up to 10^6); the server's 400 is shown beside the field it names. The server decides who
 * is an admin (403 for anyone else, shown as such); the app shows the link to admins only.
 *
 * @csspart base, defaults, groups, users, override, edit, remove, add-group, add-user, form, field, user-search,
 *   user-hit, save, cancel, status, error
 */
export class BedrockChatUsageAdmin extends LitElement {
  static override styles = css`
    :host {
      --_fg: var(--bedrock-chat-fg, #1b1f24);
      --_bg: var(--bedrock-chat-bg, #ffffff);
      --_muted: var(--bedrock-chat-muted, #57606a);
      --_border: var(--bedrock-chat-border, #d0d7de);
      --_accent: var(--bedrock-chat-accent, #0b5cad);
      --_accent-fg: var(--bedrock-chat-accent-fg, #ffffff);
      --_danger: var(--bedrock-chat-error-fg, #a40e26);
      --_focus: var(--bedrock-chat-focus-ring, #0969da);
      display: block; color: var(--_fg); font: inherit; padding: 1rem; overflow: auto;
      color-scheme: var(--bedrock-chat-color-scheme, light dark);
    }
    @media (prefers-color-scheme: dark) {
      :host {
        --_fg: var(--bedrock-chat-fg, #e6edf3);
        --_bg: var(--bedrock-chat-bg, #0d1117);
        --_muted: var(--bedrock-chat-muted, #9198a1);
        --_border: var(--bedrock-chat-border, #3d444d);
        --_accent: var(--bedrock-chat-accent, #4493f8);
        --_accent-fg: var(--bedrock-chat-accent-fg, #0d1117);
        --_danger: var(--bedrock-chat-error-fg, #ffa198);
        --_focus: var(--bedrock-chat-focus-ring, #4493f8);
      }
    }
    *, *::before, *::after { box-sizing: border-box; }
    h2 { margin: 0 0 0.75rem; font-size: 1.2em; }
    h3 { margin: 1rem 0 0.4rem; font-size: 1.05em; }
    button, input { font: inherit; color: inherit; }
    button { padding: 0.3rem 0.7rem; border: 1px solid var(--_border); border-radius: 0.4rem; background: var(--_bg); cursor: pointer; }
    button.primary { background: var(--_accent); color: var(--_accent-fg); border-color: var(--_accent); }
    button.danger { color: var(--_danger); }
    button:disabled { opacity: 0.6; cursor: default; }
    button:focus-visible, input:focus-visible { outline: 2px solid var(--_focus); outline-offset: 1px; }
    input[type="text"], input[type="search"] { padding: 0.3rem 0.5rem; border: 1px solid var(--_border); border-radius: 0.4rem; background: var(--_bg); width: 100%; }
    [aria-invalid="true"] { border-color: var(--_danger); }
    table { border-collapse: collapse; width: 100%; margin: 0 0 0.5rem; }
    th, td { text-align: start; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--_border); vertical-align: top; }
    td.actions { white-space: nowrap; }
    ul.limits { margin: 0; padding: 0; list-style: none; font-size: 0.9em; }
    .status { color: var(--_muted); }
    .error, .field-error { color: var(--_danger); font-size: 0.9em; margin: 0.2rem 0 0; }
    form { border: 1px solid var(--_border); border-radius: 0.6rem; padding: 0.75rem; margin: 0.75rem 0; max-width: 40rem; }
    .fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 0.6rem; margin: 0.5rem 0; }
    .field label { display: block; font-weight: 600; margin-bottom: 0.2rem; }
    .field .unlimited { font-weight: normal; display: inline-flex; gap: 0.3rem; align-items: center; margin-top: 0.2rem; }
    .row { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; margin: 0.5rem 0; }
    ul.hits { list-style: none; margin: 0.3rem 0; padding: 0; }
    ul.hits button { border: none; background: none; text-decoration: underline; padding: 0.1rem 0; }
  `;

  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;

  @state() private overview?: LimitsOverview;
  @state() private loadError = '';
  @state() private draft?: Draft;
  @state() private userHits: { id: string; email: string; name?: string }[] = [];
  @state() private groupHits: string[] = [];
  @state() private notice = '';
  /** Emails of users chosen through the search, to show beside their id. */
  private readonly emails = new Map<string, string>();
  private searchSeq = 0;

  protected readonly locale = new LocaleController(this);

  private get api(): UsageLimitsApi | undefined {
    return this.config ? new UsageLimitsApi(this.config, this.tokenProvider) : undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('config') || changed.has('tokenProvider')) void this.load();
  }

  /** Loads the defaults and the overrides again. */
  async load(): Promise<void> {
    const api = this.api;
    if (!api) return;
    try {
      this.overview = await api.list();
      this.loadError = '';
    } catch (e) {
      this.overview = undefined;
      this.loadError = this.errorText(e);
    }
  }

  private errorText(e: unknown): string {
    if (e instanceof LimitsError && e.status === 403) return msg('Only admins can manage usage limits.');
    if (e instanceof LimitsError && e.status === 422) return msg('Usage limits are off in this deployment.');
    return msg('The usage limits could not be loaded.');
  }

  protected override render(): TemplateResult {
    const o = this.overview;
    return html`<section part="base" aria-labelledby="usage-admin-title">
      <h2 id="usage-admin-title">${msg('Usage limits')}</h2>
      ${this.notice ? html`<p part="status" class="status" role="status">${this.notice}</p>` : nothing}
      ${this.loadError ? html`<p part="error" class="error" role="alert">${this.loadError}</p>`
          : !o ? html`<p part="status" class="status" role="status">${msg('Loading…')}</p>`
            : html`
            <h3>${msg('Defaults')}</h3>
            <p class="status">${msg('Set when the stack is deployed (usageLimits). An override replaces a default; the tightest override of a user and their groups wins.')}</p>
            <table part="defaults"><tbody>
              ${LIMIT_KEYS.map((k) => html`<tr><th scope="row">${labelOf(k)}</th><td data-key=${k}>${this.valueText(k, o.defaults[k])}</td></tr>`)}
              <tr><th scope="row">${msg('Answers at a time')}</th><td>${formatNumber(o.maxConcurrentAnswers)}</td></tr>
            </tbody></table>
            ${this.renderOverrides('GROUP', o.groups.map((g) => ({ name: g.group, limits: g.limits })))}
            ${this.renderOverrides('USER', o.users.map((u) => ({ name: u.userId, limits: u.limits })))}
            ${this.draft ? this.renderForm(this.draft) : nothing}`}
    </section>`;
  }

  private valueText(key: LimitKey, value: number | null | undefined): string {
    if (value === undefined || value === null) return msg('Unlimited');
    return isTokenKey(key) ? formatNumber(value) : formatUsd(value);
  }

  private renderOverrides(subject: Subject, items: { name: string; limits: LimitSet }[]): TemplateResult {
    const group = subject === 'GROUP';
    return html`<h3 id=${group ? 'groups-title' : 'users-title'}>${group ? msg('Group overrides') : msg('User overrides')}</h3>
      ${items.length === 0 ? html`<p class="status">${group ? msg('No group has an override.') : msg('No user has an override.')}</p>`
          : html`<table part=${group ? 'groups' : 'users'} aria-labelledby=${group ? 'groups-title' : 'users-title'}>
          <thead><tr><th scope="col">${group ? msg('Group') : msg('User')}</th><th scope="col">${msg('Limits')}</th><th scope="col"><span class="status">${msg('Actions')}</span></th></tr></thead>
          <tbody>${items.map((item) => html`<tr part="override" data-subject=${subject} data-name=${item.name}>
            <td>${item.name}${!group && this.emails.get(item.name) ? html`<br><span class="status">${this.emails.get(item.name)}</span>` : nothing}</td>
            <td><ul class="limits">${LIMIT_KEYS.filter((k) => item.limits[k] !== undefined).map((k) => html`<li>${labelOf(k)}: ${this.valueText(k, item.limits[k])}</li>`)}</ul></td>
            <td class="actions">
              <button part="edit" type="button" aria-label=${msg(str`Edit the override of ${item.name}`)} @click=${() => this.edit(subject, item.name, item.limits)}>${msg('Edit')}</button>
              <button part="remove" class="danger" type="button" aria-label=${msg(str`Remove the override of ${item.name}`)} @click=${() => void this.removeOverride(subject, item.name)}>${msg('Remove')}</button>
            </td></tr>`)}</tbody></table>`}
      <button part=${group ? 'add-group' : 'add-user'} type="button" @click=${() => this.add(subject)}>${group ? msg('Add a group override') : msg('Add a user override')}</button>`;
  }

  private renderForm(d: Draft): TemplateResult {
    const group = d.subject === 'GROUP';
    const title = d.isNew ? (group ? msg('New group override') : msg('New user override')) : msg(str`Override of ${d.name}`);
    return html`<form part="form" aria-labelledby="form-title" novalidate @submit=${this.onSubmit}>
      <h3 id="form-title">${title}</h3>
      ${d.errors.form ? html`<p part="error" class="error" role="alert">${d.errors.form}</p>` : nothing}
      ${d.isNew ? (group ? this.renderGroupName(d) : this.renderUserSearch(d)) : nothing}
      <p class="status">${group ? msg('Leave a field empty to keep the default; Unlimited exempts the group from it.') : msg('Leave a field empty to keep the default.')}</p>
      <div class="fields">${LIMIT_KEYS.map((k) => this.renderField(d, k))}</div>
      <div class="row">
        <button part="save" class="primary" type="submit" ?disabled=${d.busy}>${msg('Save')}</button>
        <button part="cancel" type="button" @click=${() => { this.draft = undefined; }}>${msg('Cancel')}</button>
      </div>
    </form>`;
  }

  private renderGroupName(d: Draft): TemplateResult {
    return html`<div class="field">
      <label for="group-name">${msg('Group')}</label>
      <input id="group-name" type="text" list="group-hits" maxlength="128" autocomplete="off" .value=${d.name}
        aria-invalid=${d.errors.name ? 'true' : 'false'} aria-describedby=${d.errors.name ? 'group-name-error' : nothing}
        @input=${(e: Event) => this.onGroupInput((e.target as HTMLInputElement).value)}>
      <datalist id="group-hits">${this.groupHits.map((g) => html`<option value=${g}></option>`)}</datalist>
      ${d.errors.name ? html`<p id="group-name-error" class="field-error">${d.errors.name}</p>` : nothing}
    </div>`;
  }

  private renderUserSearch(d: Draft): TemplateResult {
    return html`<div class="field">
      <label for="user-search">${msg('User (search by email)')}</label>
      <input part="user-search" id="user-search" type="search" maxlength="64" autocomplete="off"
        aria-invalid=${d.errors.name ? 'true' : 'false'} aria-describedby=${d.errors.name ? 'user-search-error' : nothing}
        @input=${(e: Event) => void this.onUserInput((e.target as HTMLInputElement).value)}>
      ${d.name ? html`<p class="status" role="status">${msg(str`Chosen: ${d.email ?? d.name}`)}</p>` : nothing}
      ${this.userHits.length ? html`<ul class="hits" aria-label=${msg('Users found')}>${this.userHits.map((u) => html`<li>
        <button part="user-hit" type="button" @click=${() => this.chooseUser(u)}>${u.name ? `${u.name} <${u.email}>` : u.email}</button></li>`)}</ul>` : nothing}
      ${d.errors.name ? html`<p id="user-search-error" class="field-error">${d.errors.name}</p>` : nothing}
    </div>`;
  }

  private renderField(d: Draft, key: LimitKey): TemplateResult {
    const error = d.errors[key];
    const id = `limit-${key}`;
    const unlimited = !!d.unlimited[key];
    return html`<div part="field" class="field" data-key=${key}>
      <label for=${id}>${labelOf(key)}</label>
      <input id=${id} type="text" inputmode=${isTokenKey(key) ? 'numeric' : 'decimal'} autocomplete="off"
        placeholder=${msg('Default')} .value=${d.texts[key] ?? ''} ?disabled=${unlimited}
        aria-invalid=${error ? 'true' : 'false'} aria-describedby=${error ? `${id}-error` : nothing}
        @input=${(e: Event) => this.setText(key, (e.target as HTMLInputElement).value)}>
      ${d.subject === 'GROUP' ? html`<label class="unlimited"><input type="checkbox" .checked=${unlimited}
        @change=${(e: Event) => this.setUnlimited(key, (e.target as HTMLInputElement).checked)}> ${msg('Unlimited')}</label>` : nothing}
      ${error ? html`<p id=${`${id}-error`} class="field-error">${error}</p>` : nothing}
    </div>`;
  }

  private add(subject: Subject): void {
    this.notice = '';
    this.userHits = [];
    this.draft = { subject, isNew: true, name: '', texts: {}, unlimited: {}, errors: {}, busy: false };
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>(subject === 'GROUP' ? '#group-name' : '#user-search')?.focus());
  }

  private edit(subject: Subject, name: string, limits: LimitSet): void {
    this.notice = '';
    const texts: Partial<Record<LimitKey, string>> = {};
    const unlimited: Partial<Record<LimitKey, boolean>> = {};
    for (const k of LIMIT_KEYS) {
      const v = limits[k];
      if (v === null) unlimited[k] = true;
      else if (typeof v === 'number') texts[k] = String(v);
    }
    this.draft = { subject, isNew: false, name, email: this.emails.get(name), texts, unlimited, errors: {}, busy: false };
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('#limit-tokensPerHour')?.focus());
  }

  private patch(change: Partial<Draft>): void {
    if (this.draft) this.draft = { ...this.draft, ...change };
  }

  private setText(key: LimitKey, text: string): void {
    if (!this.draft) return;
    this.patch({ texts: { ...this.draft.texts, [key]: text }, errors: { ...this.draft.errors, [key]: undefined, form: undefined } });
  }

  private setUnlimited(key: LimitKey, on: boolean): void {
    if (!this.draft) return;
    this.patch({ unlimited: { ...this.draft.unlimited, [key]: on }, errors: { ...this.draft.errors, [key]: undefined, form: undefined } });
  }

  private onGroupInput(value: string): void {
    if (!this.draft) return;
    this.patch({ name: value.trim(), errors: { ...this.draft.errors, name: undefined } });
    const seq = ++this.searchSeq;
    this.api?.groups(value.trim()).then((hits) => {
      if (seq === this.searchSeq) this.groupHits = hits.map((g) => g.name);
    }, () => { this.groupHits = []; });
  }

  private async onUserInput(value: string): Promise<void> {
    const q = value.trim();
    const seq = ++this.searchSeq;
    if (!q) {
      this.userHits = [];
      return;
    }
    try {
      const hits = await this.api!.users(q);
      if (seq === this.searchSeq) this.userHits = hits;
    } catch {
      if (seq === this.searchSeq) this.userHits = [];
    }
  }

  private chooseUser(u: { id: string; email: string }): void {
    this.emails.set(u.id, u.email);
    this.userHits = [];
    if (this.draft) this.patch({ name: u.id, email: u.email, errors: { ...this.draft.errors, name: undefined } });
  }

  /** The client-side checks (the server's rules); true when the draft may be sent. */
  private check(d: Draft): boolean {
    const errors: Draft['errors'] = {};
    if (d.isNew && !d.name) errors.name = d.subject === 'GROUP' ? msg('Enter a group name.') : msg('Choose a user.');
    else if (d.isNew && d.subject === 'GROUP' && !GROUP_NAME.test(d.name)) errors.name = msg('A group name has up to 128 letters, digits, symbols or punctuation, and no spaces.');
    for (const k of LIMIT_KEYS) {
      if (d.unlimited[k]) continue;
      const problem = fieldProblem(k, d.texts[k] ?? '');
      if (problem === 'tokens') errors[k] = msg('Enter a whole number of tokens from 0 to 1,000,000,000,000.');
      else if (problem === 'usd') errors[k] = msg('Enter an amount in USD from 0 to 1,000,000.');
    }
    if (Object.keys(errors).length === 0 && Object.keys(limitSetOf(d.texts, d.unlimited)).length === 0) {
      errors.form = msg('Set at least one limit, or remove the override.');
    }
    this.patch({ errors });
    if (Object.keys(errors).length) {
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"], [part~="error"]')?.focus());
      return false;
    }
    return true;
  }

  private async onSubmit(event: Event): Promise<void> {
    event.preventDefault();
    const d = this.draft;
    if (!d || d.busy || !this.check(d)) return;
    const api = this.api;
    if (!api) return;
    this.patch({ busy: true });
    try {
      await api.put(d.subject, d.name, limitSetOf(d.texts, d.unlimited));
      this.draft = undefined;
      this.notice = msg(str`The override of ${d.email ?? d.name} was saved.`);
      await this.load();
    } catch (e) {
      const message = e instanceof LimitsError ? e.message : msg('The override could not be saved.');
      const key = e instanceof LimitsError && e.status === 400 ? keyOf(message) : undefined;
      const nameError = e instanceof LimitsError && e.status === 400 && !key && /\b(group|userId)\b/.test(message);
      const text = e instanceof LimitsError && e.status === 403 ? msg('Only admins can manage usage limits.') : message;
      this.patch({ busy: false, errors: key ? { [key]: text } : nameError ? { name: text } : { form: text } });
    }
  }

  private async removeOverride(subject: Subject, name: string): Promise<void> {
    const api = this.api;
    if (!api) return;
    try {
      await api.remove(subject, name);
      if (this.draft?.name === name && this.draft.subject === subject) this.draft = undefined;
      this.notice = msg(str`The override of ${this.emails.get(name) ?? name} was removed.`);
    } catch (e) {
      this.notice = e instanceof LimitsError && e.status === 404 ? msg('This override was already removed.')
        : e instanceof LimitsError && e.status === 403 ? msg('Only admins can manage usage limits.') : msg('The override could not be removed.');
    }
    await this.load();
  }
}
