import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import { botsChanged } from './bot-list.js';
import type { BedrockChatKnowledgeSettings } from './knowledge-settings.js';
import type { BedrockChatShareDialog } from './share-dialog.js';
import { botStyles } from './styles.js';
import { draftOf, emptyDraft, validate } from './validate.js';
import type { Draft } from './validate.js';
import { routes } from '../app/routes.js';
import { ApiError, BotsApi, CONTENT_FILTERS, fieldOf, FILTER_STRENGTHS, LIMITS } from '../shared/bots.js';
import type { Bot, BotInput, BotPatch, FieldError, FilterStrength, ModelInfo } from '../shared/bots.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { LocaleController } from '../shared/i18n.js';

const filterLabel = (f: string): string => ({
  hate: msg('Hate'),
  insults: msg('Insults'),
  sexual: msg('Sexual'),
  violence: msg('Violence'),
  misconduct: msg('Misconduct'),
  promptAttack: msg('Prompt attacks'),
} as Record<string, string>)[f] ?? f;
const strengthLabel = (s: FilterStrength): string => ({ NONE: msg('Off'), LOW: msg('Low'), MEDIUM: msg('Medium'), HIGH: msg('High') })[s];

/**
 * `<bedrock-chat-bot-editor>`: creates (no `bot-id`) or edits a bot: title, description, instructions, generation
 * parameters, quick starters, allowed models and the default model, prompt caching, a guardrail (an existing one by
 * id and version, or one defined by content-filter strengths and grounding/relevance thresholds), whether retrieved
 * chunks are shown. The draft is checked as the server checks it; the server's 400 is shown beside the field it
 * names. Once saved, a preview chat talks to the bot as saved; Share opens the share dialog; Delete asks first. A
 * saved bot of a deployment with a knowledge base (`knowledge` not null) has a Knowledge section below the form
 * (`<bedrock-chat-bot-knowledge>`, part `knowledge`); the form has the bot's knowledge settings
 * (`<bedrock-chat-knowledge-settings>`, part `knowledge-settings`, sent as `knowledge` when the deployment offers them).
 *
 * @attr bot-id - the bot to edit (none: a new bot).
 * @fires bedrock-chat-bots-changed - `{botId}` after a save, a share or a deletion.
 * @csspart base, form, save, share, delete, delete-confirm, delete-cancel, preview, knowledge, knowledge-settings, status, error
 */
export class BedrockChatBotEditor extends LitElement {
  static override styles = [botStyles, css`
    .layout { display: grid; grid-template-columns: minmax(0, 1fr) minmax(18rem, 26rem); gap: 1rem; align-items: start; }
    @media (max-width: 899.98px) { .layout { grid-template-columns: minmax(0, 1fr); } }
    .knowledge-area { display: block; margin: 1rem 0 0; }
    .preview { border: 1px solid var(--_border); border-radius: 0.6rem; height: 32rem; display: flex; flex-direction: column; }
    .preview bedrock-chat { flex: 1; min-height: 0; }
    .preview h3 { padding: 0.5rem 0.75rem 0; }
    .starter { border: 1px solid var(--_border); border-radius: 0.5rem; padding: 0.5rem; margin: 0 0 0.5rem; }
    .actions { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 0.5rem 0 1rem; }
  `];

  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;
  @property({ attribute: 'bot-id' }) botId?: string;

  @state() private draft: Draft = emptyDraft();
  @state() private errors: FieldError[] = [];
  /** A message for the whole form (a failure without a field, or "Saved"). */
  @state() private formError = '';
  @state() private statusText = '';
  @state() private saving = false;
  @state() private confirmingDelete = false;
  /** Bumped on each save, so that the preview chat starts again with the bot as saved. */
  @state() private saved = 0;
  @state() private stored?: Bot;

  protected readonly locale = new LocaleController(this);

  @query('bedrock-chat-share-dialog') private shareDialog?: BedrockChatShareDialog;
  @query('bedrock-chat-knowledge-settings') private knowledgeSettings?: BedrockChatKnowledgeSettings;

  private readonly loading = new Task(this, {
    task: async ([config, provider, botId], { signal }) => {
      if (!config || !provider) return undefined;
      const api = new BotsApi(config, provider);
      const [models, bot] = await Promise.all([api.models(signal).catch(() => [] as ModelInfo[]), botId ? api.get(botId, signal) : undefined]);
      return { models, bot };
    },
    args: () => [this.config, this.tokenProvider, this.botId] as const,
    onComplete: (value) => {
      this.stored = value?.bot;
      this.draft = value?.bot ? draftOf(value.bot) : emptyDraft();
      this.errors = [];
      this.formError = '';
      this.statusText = '';
    },
  });

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('botId')) this.confirmingDelete = false;
  }

  protected override render(): TemplateResult {
    return html`<section part="base" aria-labelledby="editor-title">
      ${this.loading.render({
          pending: () => html`<p part="status" class="status">${msg('Loading…')}</p>`,
          error: (e) => html`<p part="error" class="error" role="alert">${e instanceof ApiError && (e.status === 404 || e.status === 403)
            ? msg('This bot does not exist or you cannot edit it.') : msg('The bot could not be loaded.')}</p>`,
          complete: (value) => (value ? this.renderEditor(value.models) : nothing),
        })}
    </section>`;
  }

  private renderEditor(models: ModelInfo[]): TemplateResult {
    const bot = this.stored;
    if (bot && bot.owner !== 'you') {
      return html`<h2 id="editor-title">${bot.title}</h2><p part="status" class="status">${bot.owner === 'deployment'
        ? msg('This bot is part of the deployment: it is changed in code, not here.') : msg('Only the owner can edit this bot.')}</p>`;
    }
    const d = this.draft;
    const allowed = d.models.length ? models.filter((m) => d.models.includes(m.id)) : models;
    return html`<h2 id="editor-title">${bot ? msg(str`Edit “${bot.title}”`) : msg('New bot')}</h2>
      <div class="layout">
        <div>
        <form part="form" novalidate @submit=${(e: Event) => { e.preventDefault(); void this.save(models); }}>
          ${this.formError ? html`<p part="error" class="error" role="alert">${this.formError}</p>` : nothing}
          ${this.text('title', msg('Title'), d.title, (v) => { d.title = v; })}
          ${this.area('description', msg('Description'), d.description, (v) => { d.description = v; }, msg('Shown to everyone the bot is shared with.'))}
          ${this.area('instructions', msg('Instructions'), d.instructions, (v) => { d.instructions = v; }, msg('The system prompt: how the bot answers. Only you see it.'))}
          <fieldset>
            <legend>${msg('Generation parameters')}</legend>
            <p class="hint">${msg('Empty: the model\'s default. Each allowed model must accept the values.')}</p>
            <div class="grid">
              ${this.num('generation.maxTokens', msg('Maximum tokens'), d.maxTokens, (v) => { d.maxTokens = v; }, '1')}
              ${this.num('generation.temperature', msg('Temperature'), d.temperature, (v) => { d.temperature = v; }, '0.01')}
              ${this.num('generation.topP', msg('Top P'), d.topP, (v) => { d.topP = v; }, '0.01')}
              ${this.num('generation.topK', msg('Top K'), d.topK, (v) => { d.topK = v; }, '1')}
              ${this.num('generation.reasoningBudget', msg('Reasoning budget'), d.reasoningBudget, (v) => { d.reasoningBudget = v; }, '1')}
            </div>
            ${this.area('generation.stopSequences', msg('Stop sequences'), d.stopSequences, (v) => { d.stopSequences = v; }, msg(str`One a line, at most ${LIMITS.stopSequences}.`))}
          </fieldset>
          <fieldset>
            <legend>${msg('Quick starters')}</legend>
            ${d.quickStarters.map((q, i) => html`<div class="starter" role="group" aria-label=${msg(str`Quick starter ${i + 1}`)}>
              ${this.text(`quickStarters.${i}.title`, msg('Title'), q.title, (v) => { q.title = v; }, `quickStarters.${i}`)}
              ${this.area(`quickStarters.${i}.example`, msg('Message'), q.example, (v) => { q.example = v; }, undefined, `quickStarters.${i}`)}
              ${this.errorFor(`quickStarters.${i}`)}
              <button type="button" class="danger" @click=${() => { d.quickStarters.splice(i, 1); this.requestUpdate(); }}>${msg(str`Remove quick starter ${i + 1}`)}</button>
            </div>`)}
            ${this.errorFor('quickStarters')}
            <button type="button" ?disabled=${d.quickStarters.length >= LIMITS.quickStarters}
              @click=${() => { d.quickStarters.push({ title: '', example: '' }); this.requestUpdate(); }}>${msg('Add a quick starter')}</button>
          </fieldset>
          <fieldset>
            <legend>${msg('Models')}</legend>
            <p class="hint">${msg('None ticked: every model of this service.')}</p>
            ${models.map((m) => html`<label class="row"><input type="checkbox" .checked=${d.models.includes(m.id)}
              @change=${(e: Event) => { d.models = (e.target as HTMLInputElement).checked ? [...d.models, m.id] : d.models.filter((x) => x !== m.id); this.requestUpdate(); }}>
              ${m.name ?? m.id}</label>`)}
            ${this.errorFor('models')}
            <label class="field"><span>${msg('Default model')}</span>
              <select id="f-defaultModel" aria-invalid=${this.has('defaultModel')} aria-describedby="e-defaultModel"
                @change=${(e: Event) => { d.defaultModel = (e.target as HTMLSelectElement).value; this.requestUpdate(); }}>
                <option value="" ?selected=${!d.defaultModel}>${msg('The service\'s default')}</option>
                ${allowed.map((m) => html`<option value=${m.id} ?selected=${m.id === d.defaultModel}>${m.name ?? m.id}</option>`)}
              </select>${this.errorFor('defaultModel')}</label>
            <label class="row"><input type="checkbox" .checked=${d.promptCaching}
              @change=${(e: Event) => { d.promptCaching = (e.target as HTMLInputElement).checked; }}> ${msg('Prompt caching (cheaper repeated instructions on models that support it)')}</label>
          </fieldset>
          ${this.renderGuardrail(d)}
          ${!bot || bot.knowledge ? html`<bedrock-chat-knowledge-settings part="knowledge-settings" .config=${this.config}
            .tokenProvider=${this.tokenProvider} .value=${bot?.knowledge}></bedrock-chat-knowledge-settings>` : nothing}
          <label class="row"><input type="checkbox" .checked=${d.showRetrievedChunks}
            @change=${(e: Event) => { d.showRetrievedChunks = (e.target as HTMLInputElement).checked; }}> ${msg('Show retrieved chunks with the answers')}</label>
          <div class="actions">
            <button part="save" class="primary" type="submit" ?disabled=${this.saving}>${bot ? msg('Save') : msg('Create')}</button>
            ${bot ? html`<button part="share" type="button" aria-haspopup="dialog" @click=${() => this.shareDialog?.open(bot)}>${msg('Share…')}</button>
              ${this.confirmingDelete ? html`<span class="row" role="group" aria-label=${msg('Confirm deletion')}>${msg('Delete this bot for everyone?')}
                <button part="delete-confirm" class="danger" type="button" @click=${() => void this.deleteBot(bot)}>${msg('Delete')}</button>
                <button part="delete-cancel" type="button" @click=${() => { this.confirmingDelete = false; }}>${msg('Cancel')}</button></span>`
                  : html`<button part="delete" class="danger" type="button" @click=${() => { this.confirmingDelete = true; }}>${msg('Delete')}</button>`}` : nothing}
          </div>
          <p part="status" class="status" role="status">${this.statusText}</p>
        </form>
        ${bot?.knowledge ? html`<bedrock-chat-bot-knowledge part="knowledge" class="knowledge-area" .config=${this.config} .tokenProvider=${this.tokenProvider}
          bot-id=${bot.id} .knowledge=${bot.knowledge}></bedrock-chat-bot-knowledge>` : nothing}
        </div>
        ${bot ? html`<div part="preview" class="preview"><h3>${msg('Preview')}</h3>${keyed(this.saved, html`<bedrock-chat
          .config=${this.config} .tokenProvider=${this.tokenProvider} bot-id=${bot.id}></bedrock-chat>`)}</div>` : nothing}
      </div>
      ${bot ? html`<bedrock-chat-share-dialog .config=${this.config} .tokenProvider=${this.tokenProvider}
        @bedrock-chat-bots-changed=${() => void this.loading.run()}></bedrock-chat-share-dialog>` : nothing}`;
  }

  private renderGuardrail(d: Draft): TemplateResult {
    // "None" on a bot that has a guardrail sends `guardrail: null` (PATCH removes it; one defined here is deleted).
    const kind = (k: Draft['guardrailKind'], label: string) => html`<label class="row"><input type="radio" name="guardrail" .checked=${d.guardrailKind === k}
      @change=${() => { d.guardrailKind = k; this.requestUpdate(); }}> ${label}</label>`;
    return html`<fieldset>
      <legend>${msg('Guardrail')}</legend>
      ${kind('none', msg('None'))}
      ${kind('existing', msg('An existing guardrail (id and version)'))}
      ${kind('defined', msg('Defined here (created in Amazon Bedrock when saved)'))}
      ${d.guardrailKind === 'existing' ? html`<div class="grid">
        ${this.text('guardrail.id', msg('Guardrail id'), d.guardrailId, (v) => { d.guardrailId = v; })}
        ${this.text('guardrail.version', msg('Version'), d.guardrailVersion, (v) => { d.guardrailVersion = v; })}
      </div>` : nothing}
      ${d.guardrailKind === 'defined' ? html`<div class="grid">
        ${CONTENT_FILTERS.map((f) => html`<label class="field"><span>${filterLabel(f)}</span>
          <select @change=${(e: Event) => { d.filters[f] = (e.target as HTMLSelectElement).value as FilterStrength; }}>
            ${FILTER_STRENGTHS.map((s) => html`<option value=${s} ?selected=${d.filters[f] === s}>${strengthLabel(s)}</option>`)}
          </select></label>`)}
        ${this.num('guardrail.grounding', msg('Grounding threshold'), d.grounding, (v) => { d.grounding = v; }, '0.01')}
        ${this.num('guardrail.relevance', msg('Relevance threshold'), d.relevance, (v) => { d.relevance = v; }, '0.01')}
      </div>
      ${this.area('guardrail.blockedMessage', msg('Message when blocked'), d.blockedMessage, (v) => { d.blockedMessage = v; })}
      ${this.stored?.guardrailStatus ? html`<p class="hint">${this.stored.guardrailStatus === 'READY' ? msg('The guardrail is ready.')
          : this.stored.guardrailStatus === 'CREATING' ? msg('The guardrail is being created…') : msg('The guardrail could not be created. Save again to retry.')}</p>` : nothing}` : nothing}
      ${this.errorFor('guardrail')}
    </fieldset>`;
  }

  private has(field: string): 'true' | 'false' {
    return this.errors.some((e) => e.field === field) ? 'true' : 'false';
  }

  private errorFor(field: string): TemplateResult {
    const error = this.errors.find((e) => e.field === field);
    return html`<p class="field-error" id=${`e-${field}`}>${error?.message ?? ''}</p>`;
  }

  private text(field: string, label: string, value: string, set: (v: string) => void, errorField = field): TemplateResult {
    return html`<div class="field"><label for=${`f-${field}`}>${label}</label>
      <input type="text" id=${`f-${field}`} .value=${value} aria-invalid=${this.has(errorField)} aria-describedby=${`e-${errorField}`}
        @input=${(e: Event) => set((e.target as HTMLInputElement).value)}>
      ${errorField === field ? this.errorFor(field) : nothing}</div>`;
  }

  private area(field: string, label: string, value: string, set: (v: string) => void, hint?: string, errorField = field): TemplateResult {
    return html`<div class="field"><label for=${`f-${field}`}>${label}</label>
      <textarea id=${`f-${field}`} .value=${value} aria-invalid=${this.has(errorField)}
        aria-describedby=${hint ? `h-${field} e-${errorField}` : `e-${errorField}`}
        @input=${(e: Event) => set((e.target as HTMLTextAreaElement).value)}></textarea>
      ${hint ? html`<p class="hint" id=${`h-${field}`}>${hint}</p>` : nothing}
      ${errorField === field ? this.errorFor(field) : nothing}</div>`;
  }

  private num(field: string, label: string, value: string, set: (v: string) => void, step: string): TemplateResult {
    return html`<div class="field"><label for=${`f-${field}`}>${label}</label>
      <input type="number" inputmode="decimal" step=${step} id=${`f-${field}`} .value=${value} aria-invalid=${this.has(field)}
        aria-describedby=${`e-${field}`} @input=${(e: Event) => set((e.target as HTMLInputElement).value)}>
      ${this.errorFor(field)}</div>`;
  }

  private focusFirstError(): void {
    void this.updateComplete.then(() => {
      const first = this.errors[0];
      if (!first) return;
      const el = this.renderRoot.querySelector<HTMLElement>(`[aria-describedby~="e-${first.field}"]`);
      el?.focus();
    });
  }

  private async save(models: ModelInfo[]): Promise<void> {
    const { config } = this;
    if (!config || this.saving) return;
    this.formError = '';
    this.statusText = '';
    const { input, errors } = validate(this.draft, models);
    this.errors = errors;
    if (!input) return this.focusFirstError();
    // The knowledge settings check themselves (the same ranges and crawler URL rules as the server) and show why.
    const knowledge = this.knowledgeSettings?.check();
    if (knowledge?.errors.length) return;
    if (knowledge?.settings) Object.assign(input, { knowledge: knowledge.settings });
    this.saving = true;
    try {
      const api = new BotsApi(config, this.tokenProvider);
      const bot = this.stored ? await api.update(this.stored.id, patchOf(this.stored, input)) : await api.create(input);
      this.stored = bot;
      this.saved += 1;
      this.statusText = msg('Saved.');
      botsChanged(this, bot.id);
      // A new bot gets its address (the editor's, in place of "new bot": Back goes where the user came from).
      if (!this.botId) location.replace(routes.edit(bot.id));
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const field = fieldOf(err.message);
        if (field?.startsWith('knowledge') && this.knowledgeSettings) {
          this.knowledgeSettings.showError({ field, message: err.message });
        } else if (field) {
          this.errors = [{ field, message: err.message }];
          this.focusFirstError();
        } else {
          this.formError = err.message;
        }
      } else if (err instanceof ApiError && err.status === 403) {
        this.formError = msg('You are not allowed to do this (creating bots needs the CreatingBotAllowed group).');
      } else {
        this.formError = msg('The bot could not be saved. Please try again.');
      }
    } finally {
      this.saving = false;
    }
  }

  private async deleteBot(bot: Bot): Promise<void> {
    if (!this.config) return;
    try {
      await new BotsApi(this.config, this.tokenProvider).remove(bot.id);
      botsChanged(this, bot.id);
      location.hash = routes.home();
    } catch {
      this.confirmingDelete = false;
      this.formError = msg('The bot could not be deleted. Please try again.');
    }
  }
}

/**
 * The PATCH body of a saved draft: what the draft leaves out but the bot has (a default model, a guardrail) is sent
 * as `null`, which removes it; PATCH keeps what is not sent.
 */
export function patchOf(stored: Bot, input: BotInput): BotPatch {
  return {
    ...input,
    ...(stored.defaultModel !== undefined && input.defaultModel === undefined ? { defaultModel: null } : {}),
    ...(stored.guardrail !== undefined && input.guardrail === undefined ? { guardrail: null } : {}),
  };
}
