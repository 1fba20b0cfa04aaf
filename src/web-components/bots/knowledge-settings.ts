import { msg, str } from '@lit/localize';
import { html, LitElement, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { botStyles } from './styles.js';
import { BotsApi } from '../shared/bots.js';
import type { BotKnowledge, Chunking, DedicatedSettings, FieldError, KnowledgeBases, KnowledgeMode, KnowledgeSettings } from '../shared/bots.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { LocaleController } from '../shared/i18n.js';
import { crawlerUrlProblem, KNOWLEDGE_RANGES, MAX_CRAWL_PATTERN } from '../shared/knowledge-rules.js';
import type { CrawlerUrlProblem } from '../shared/knowledge-rules.js';

type Strategy = Chunking['strategy'];
type Options = readonly (readonly [string, string])[];

/** The section's form state: numbers as typed, lists one item a line. */
interface KnowledgeDraft {
  mode: KnowledgeMode;
  numberOfResults: string;
  searchType: '' | 'SEMANTIC' | 'HYBRID';
  knowledgeBaseId: string;
  embeddingModelId: string;
  strategy: Strategy;
  maxTokens: string;
  overlapPercentage: string;
  parentMaxTokens: string;
  childMaxTokens: string;
  overlapTokens: string;
  bufferSize: string;
  breakpointPercentileThreshold: string;
  parsing: '' | 'BEDROCK_FOUNDATION_MODEL' | 'BEDROCK_DATA_AUTOMATION';
  parsingModelId: string;
  crawl: boolean;
  seedUrls: string;
  scope: '' | 'HOST_ONLY' | 'SUBDOMAINS';
  includePatterns: string;
  excludePatterns: string;
  maxPagesPerMinute: string;
}

/** Bedrock's console defaults for each strategy (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-chunking.html). */
const DEFAULTS = {
  maxTokens: '300',
  overlapPercentage: '20',
  parentMaxTokens: '1500',
  childMaxTokens: '300',
  overlapTokens: '60',
  bufferSize: '0',
  breakpointPercentileThreshold: '95',
};

function draftOf(k: BotKnowledge | null | undefined, bases: KnowledgeBases | undefined): KnowledgeDraft {
  const d = k?.dedicated;
  const c = d?.chunking as Record<string, unknown> | undefined;
  const n = (key: string, fallback: string) => (typeof c?.[key] === 'number' ? String(c[key]) : fallback);
  const crawler = d?.webCrawler;
  return {
    mode: k?.mode ?? 'shared',
    numberOfResults: String(k?.numberOfResults ?? 5),
    searchType: k?.searchType ?? '',
    knowledgeBaseId: k?.existing?.knowledgeBaseId ?? bases?.existing[0]?.knowledgeBaseId ?? '',
    embeddingModelId: d?.embeddingModelId ?? bases?.dedicated?.embeddingModels[0]?.modelId ?? '',
    strategy: d?.chunking.strategy ?? 'FIXED_SIZE',
    maxTokens: n('maxTokens', DEFAULTS.maxTokens),
    overlapPercentage: n('overlapPercentage', DEFAULTS.overlapPercentage),
    parentMaxTokens: n('parentMaxTokens', DEFAULTS.parentMaxTokens),
    childMaxTokens: n('childMaxTokens', DEFAULTS.childMaxTokens),
    overlapTokens: n('overlapTokens', DEFAULTS.overlapTokens),
    bufferSize: n('bufferSize', DEFAULTS.bufferSize),
    breakpointPercentileThreshold: n('breakpointPercentileThreshold', DEFAULTS.breakpointPercentileThreshold),
    parsing: d?.parsing?.strategy ?? '',
    parsingModelId: (d?.parsing && 'modelId' in d.parsing ? d.parsing.modelId : undefined) ?? bases?.dedicated?.parsingModels[0] ?? '',
    crawl: !!crawler,
    seedUrls: (crawler?.seedUrls ?? []).join('\n'),
    scope: crawler?.scope ?? '',
    includePatterns: (crawler?.includePatterns ?? []).join('\n'),
    excludePatterns: (crawler?.excludePatterns ?? []).join('\n'),
    maxPagesPerMinute: crawler?.maxPagesPerMinute === undefined ? '' : String(crawler.maxPagesPerMinute),
  };
}

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

const crawlerText = (problem: CrawlerUrlProblem): string => ({
  invalid: msg('not a valid URL'),
  scheme: msg('only https: and http: URLs can be crawled'),
  userinfo: msg('a URL with a user name or password cannot be crawled'),
  length: msg('a URL can be at most 2,048 characters'),
  address: msg('an address that is not public (loopback, private, link-local, reserved, multicast…) cannot be crawled'),
  name: msg('a local, internal or instance metadata host name cannot be crawled'),
})[problem];

const strategyLabel = (s: Strategy): string => ({
  FIXED_SIZE: msg('Fixed size'),
  HIERARCHICAL: msg('Hierarchical'),
  SEMANTIC: msg('Semantic'),
  NONE: msg('None (each file is one chunk)'),
})[s];

/**
 * `<bedrock-chat-knowledge-settings>`: where a bot's knowledge comes from (docs/knowledge-contract.md, "Slice 2"), in
 * the bot editor's form: the shared knowledge base, a dedicated one (embedding model, chunking and its fields, parsing,
 * a web crawler) or an existing one of the deployment (with its search type), and the number of results. Dedicated
 * and existing are offered only when `GET /knowledge/bases` offers them; the section renders nothing when the
 * deployment has no knowledge base. The editor calls `check()` before it saves: the same ranges as the server, and
 * every crawler URL through the contract's `checkCrawlerUrl` rules, each refusal shown beside its field.
 *
 * @csspart base, mode, dedicated, crawler, existing
 */
export class BedrockChatKnowledgeSettings extends LitElement {
  static override styles = [botStyles];

  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;
  /** The bot's `knowledge` as stored (none: a new bot). */
  @property({ attribute: false }) value?: BotKnowledge | null;

  /** What the deployment offers: undefined while loading, null when it has no knowledge base. */
  @state() private bases?: KnowledgeBases | null;
  @state() private draft: KnowledgeDraft = draftOf(undefined, undefined);
  @state() private errors: FieldError[] = [];

  protected readonly locale = new LocaleController(this);
  private request = 0;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('config') || changed.has('tokenProvider')) void this.loadBases();
    if (changed.has('value')) {
      this.draft = draftOf(this.value, this.bases ?? undefined);
      this.errors = [];
    }
  }

  private async loadBases(): Promise<void> {
    if (!this.config || !this.tokenProvider) return;
    const request = ++this.request;
    try {
      const body = await new BotsApi(this.config, this.tokenProvider).call<KnowledgeBases>('/knowledge/bases');
      if (request !== this.request) return;
      this.bases = body && Array.isArray(body.existing) ? body : null;
    } catch {
      if (request === this.request) this.bases = null;
    }
    if (this.bases) this.draft = draftOf(this.value, this.bases);
  }

  /** Whether the section is shown (the deployment has a knowledge base). */
  get available(): boolean {
    return !!this.bases;
  }

  /**
   * The settings to send, or the errors (shown, the first focused). `settings` is undefined when there is nothing to
   * send (no knowledge base in the deployment, or its offer not loaded yet: the server keeps the bot's as it is).
   */
  check(): { settings?: KnowledgeSettings; errors: FieldError[] } {
    if (!this.bases) return { errors: [] };
    const { settings, errors } = this.validate(this.draft, this.bases);
    this.errors = errors;
    if (errors.length) {
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[aria-describedby~="ke-${errors[0].field}"]`)?.focus());
    }
    return { settings, errors };
  }

  /** Shows the server's refusal of a `knowledge…` field beside it. */
  showError(error: FieldError): void {
    this.errors = [error];
    void this.updateComplete.then(async () => {
      // A field this form has no input for (or "knowledge" itself): the message goes under the legend.
      if (!this.renderRoot.querySelector(`[id="ke-${CSS.escape(error.field)}"]`)) {
        this.errors = [{ field: 'knowledge', message: error.message }];
        await this.updateComplete;
      }
      const el = this.renderRoot.querySelector<HTMLElement>(`[aria-describedby~="ke-${this.errors[0].field}"]`)
        ?? this.renderRoot.querySelector<HTMLElement>('input, select, textarea');
      el?.focus();
    });
  }

  private validate(d: KnowledgeDraft, bases: KnowledgeBases): { settings?: KnowledgeSettings; errors: FieldError[] } {
    const errors: FieldError[] = [];
    const int = (field: string, text: string, [min, max]: readonly [number, number]): number => {
      const value = Number(text.trim());
      if (!text.trim() || !Number.isInteger(value) || value < min || value > max) {
        errors.push({ field, message: msg(str`A whole number from ${min} to ${max}.`) });
      }
      return value;
    };
    const R = KNOWLEDGE_RANGES;
    const settings: KnowledgeSettings = { mode: d.mode, numberOfResults: int('knowledge.numberOfResults', d.numberOfResults, R.numberOfResults) };
    if (d.mode === 'existing') {
      if (!bases.existing.some((b) => b.knowledgeBaseId === d.knowledgeBaseId)) {
        errors.push({ field: 'knowledge.existing.knowledgeBaseId', message: msg('Choose a knowledge base.') });
      }
      settings.existing = { knowledgeBaseId: d.knowledgeBaseId };
      if (d.searchType) settings.searchType = d.searchType;
    }
    if (d.mode === 'dedicated') {
      const p = 'knowledge.dedicated.chunking';
      const chunking: Chunking = d.strategy === 'FIXED_SIZE'
        ? { strategy: d.strategy, maxTokens: int(`${p}.maxTokens`, d.maxTokens, R.maxTokens), overlapPercentage: int(`${p}.overlapPercentage`, d.overlapPercentage, R.overlapPercentage) }
        : d.strategy === 'HIERARCHICAL'
          ? {
            strategy: d.strategy,
            parentMaxTokens: int(`${p}.parentMaxTokens`, d.parentMaxTokens, R.maxTokens),
            childMaxTokens: int(`${p}.childMaxTokens`, d.childMaxTokens, R.maxTokens),
            overlapTokens: int(`${p}.overlapTokens`, d.overlapTokens, R.overlapTokens),
          }
          : d.strategy === 'SEMANTIC'
            ? {
              strategy: d.strategy,
              maxTokens: int(`${p}.maxTokens`, d.maxTokens, R.maxTokens),
              bufferSize: int(`${p}.bufferSize`, d.bufferSize, R.bufferSize),
              breakpointPercentileThreshold: int(`${p}.breakpointPercentileThreshold`, d.breakpointPercentileThreshold, R.breakpointPercentileThreshold),
            }
            : { strategy: 'NONE' };
      // As the server: child chunks are cut from their parents.
      if (chunking.strategy === 'HIERARCHICAL' && !errors.length && chunking.childMaxTokens >= chunking.parentMaxTokens) {
        errors.push({ field: `${p}.childMaxTokens`, message: msg('Child chunks must be smaller than parent chunks.') });
      }
      const dedicated: DedicatedSettings = { embeddingModelId: d.embeddingModelId, chunking };
      if (d.parsing === 'BEDROCK_DATA_AUTOMATION') dedicated.parsing = { strategy: d.parsing };
      if (d.parsing === 'BEDROCK_FOUNDATION_MODEL') dedicated.parsing = { strategy: d.parsing, modelId: d.parsingModelId };
      if (d.crawl) {
        const w = 'knowledge.dedicated.webCrawler';
        const seedUrls = lines(d.seedUrls);
        const [min, max] = R.seedUrls;
        if (seedUrls.length < min || seedUrls.length > max) {errors.push({ field: `${w}.seedUrls`, message: msg(str`From ${min} to ${max} URLs, one a line.`) });} else {
          const refused = seedUrls.map((u) => [u, crawlerUrlProblem(u)] as const).filter(([, problem]) => problem);
          if (refused.length) errors.push({ field: `${w}.seedUrls`, message: refused.map(([u, problem]) => msg(str`${u} cannot be crawled: ${crawlerText(problem!)}.`)).join(' ') });
        }
        const includePatterns = lines(d.includePatterns);
        const excludePatterns = lines(d.excludePatterns);
        const patterns = (field: string, list: string[]) => {
          if (list.length > R.patterns[1]) errors.push({ field, message: msg(str`At most ${R.patterns[1]} patterns, one a line.`) });
          else if (list.some((x) => x.length > MAX_CRAWL_PATTERN)) errors.push({ field, message: msg(str`A pattern can be at most ${MAX_CRAWL_PATTERN} characters.`) });
        };
        patterns(`${w}.includePatterns`, includePatterns);
        patterns(`${w}.excludePatterns`, excludePatterns);
        dedicated.webCrawler = {
          seedUrls,
          ...(d.scope ? { scope: d.scope } : {}),
          ...(includePatterns.length ? { includePatterns } : {}),
          ...(excludePatterns.length ? { excludePatterns } : {}),
          ...(d.maxPagesPerMinute.trim() ? { maxPagesPerMinute: int(`${w}.maxPagesPerMinute`, d.maxPagesPerMinute, R.maxPagesPerMinute) } : {}),
        };
      }
      settings.dedicated = dedicated;
    }
    return errors.length ? { errors } : { settings, errors };
  }

  protected override render(): TemplateResult | typeof nothing {
    const bases = this.bases;
    if (!bases) return nothing;
    const d = this.draft;
    const set = (patch: Partial<KnowledgeDraft>) => { this.draft = { ...this.draft, ...patch }; };
    const mode = (m: KnowledgeMode, label: string) => html`<label class="row"><input type="radio" name="knowledge-mode" value=${m}
      aria-describedby="ke-knowledge" .checked=${d.mode === m} @change=${() => set({ mode: m })}> ${label}</label>`;
    return html`<fieldset part="base mode">
      <legend>${msg('Knowledge source')}</legend>
      <p class="field-error" id="ke-knowledge" role="alert">${this.errors.find((e) => e.field === 'knowledge')?.message ?? ''}</p>
      ${mode('shared', msg('Documents added to this bot (the deployment\'s knowledge base)'))}
      ${bases.dedicated || d.mode === 'dedicated' ? mode('dedicated', msg('A knowledge base of this bot\'s own (documents and web pages)')) : nothing}
      ${bases.existing.length || d.mode === 'existing' ? mode('existing', msg('An existing knowledge base of the deployment')) : nothing}
      ${d.mode === 'dedicated' && bases.dedicated ? this.renderDedicated(d, bases.dedicated, set) : nothing}
      ${d.mode === 'existing' ? html`<div part="existing">
        ${this.select('knowledge.existing.knowledgeBaseId', msg('Knowledge base'), d.knowledgeBaseId, (v) => set({ knowledgeBaseId: v }),
            bases.existing.map((b) => [b.knowledgeBaseId, b.name] as const))}
        ${bases.existing.find((b) => b.knowledgeBaseId === d.knowledgeBaseId)?.description
            ? html`<p class="hint">${bases.existing.find((b) => b.knowledgeBaseId === d.knowledgeBaseId)?.description}</p>` : nothing}
        ${this.select('knowledge.searchType', msg('Search type'), d.searchType, (v) => set({ searchType: v as KnowledgeDraft['searchType'] }),
            [['', msg('Decided by Amazon Bedrock')], ['SEMANTIC', msg('Semantic')], ['HYBRID', msg('Hybrid (semantic and keyword)')]])}
      </div>` : nothing}
      ${this.num('knowledge.numberOfResults', msg('Number of results'), d.numberOfResults, (v) => set({ numberOfResults: v }),
          msg(str`Passages retrieved for each question, ${KNOWLEDGE_RANGES.numberOfResults[0]} to ${KNOWLEDGE_RANGES.numberOfResults[1]}.`))}
    </fieldset>`;
  }

  private renderDedicated(d: KnowledgeDraft, offer: NonNullable<KnowledgeBases['dedicated']>, set: (patch: Partial<KnowledgeDraft>) => void): TemplateResult {
    const p = 'knowledge.dedicated.chunking';
    const w = 'knowledge.dedicated.webCrawler';
    const stored = this.value?.mode === 'dedicated';
    return html`<div part="dedicated">
      ${stored ? html`<p class="hint">${msg('Changing the embedding model, chunking or parsing builds the knowledge base again and indexes its documents again.')}</p>` : nothing}
      ${this.select('knowledge.dedicated.embeddingModelId', msg('Embedding model'), d.embeddingModelId, (v) => set({ embeddingModelId: v }),
          offer.embeddingModels.map((m) => [m.modelId, `${m.modelId} (${m.dimensions})`] as const))}
      ${this.select(`${p}.strategy`, msg('Chunking'), d.strategy, (v) => set({ strategy: v as Strategy }),
          (['FIXED_SIZE', 'HIERARCHICAL', 'SEMANTIC', 'NONE'] as const).map((s) => [s, strategyLabel(s)] as const))}
      <div class="grid">
        ${d.strategy === 'FIXED_SIZE' || d.strategy === 'SEMANTIC' ? this.num(`${p}.maxTokens`, msg('Maximum tokens'), d.maxTokens, (v) => set({ maxTokens: v })) : nothing}
        ${d.strategy === 'FIXED_SIZE' ? this.num(`${p}.overlapPercentage`, msg('Overlap (%)'), d.overlapPercentage, (v) => set({ overlapPercentage: v })) : nothing}
        ${d.strategy === 'HIERARCHICAL' ? html`
          ${this.num(`${p}.parentMaxTokens`, msg('Parent chunk tokens'), d.parentMaxTokens, (v) => set({ parentMaxTokens: v }))}
          ${this.num(`${p}.childMaxTokens`, msg('Child chunk tokens'), d.childMaxTokens, (v) => set({ childMaxTokens: v }))}
          ${this.num(`${p}.overlapTokens`, msg('Overlap tokens'), d.overlapTokens, (v) => set({ overlapTokens: v }))}` : nothing}
        ${d.strategy === 'SEMANTIC' ? html`
          ${this.num(`${p}.bufferSize`, msg('Buffer size'), d.bufferSize, (v) => set({ bufferSize: v }))}
          ${this.num(`${p}.breakpointPercentileThreshold`, msg('Breakpoint percentile threshold'), d.breakpointPercentileThreshold, (v) => set({ breakpointPercentileThreshold: v }))}` : nothing}
      </div>
      ${this.select('knowledge.dedicated.parsing', msg('Parsing'), d.parsing, (v) => set({ parsing: v as KnowledgeDraft['parsing'] }), [
          ['', msg('Default parser (text only)')],
          ...(offer.parsingModels.length ? [['BEDROCK_FOUNDATION_MODEL', msg('A foundation model (tables and figures too)')] as const] : []),
          ['BEDROCK_DATA_AUTOMATION', msg('Amazon Bedrock Data Automation')],
        ])}
      ${d.parsing === 'BEDROCK_FOUNDATION_MODEL' ? this.select('knowledge.dedicated.parsing.modelId', msg('Parsing model'), d.parsingModelId,
          (v) => set({ parsingModelId: v }), offer.parsingModels.map((m) => [m, m] as const)) : nothing}
      <label class="row"><input type="checkbox" .checked=${d.crawl} @change=${(e: Event) => set({ crawl: (e.target as HTMLInputElement).checked })}>
        ${msg('Crawl web pages too')}</label>
      ${d.crawl ? html`<div part="crawler">
        ${this.area(`${w}.seedUrls`, msg('Seed URLs'), d.seedUrls, (v) => set({ seedUrls: v }), msg('One a line, 1 to 10. Public https: or http: pages only.'))}
        ${this.select(`${w}.scope`, msg('Scope'), d.scope, (v) => set({ scope: v as KnowledgeDraft['scope'] }),
            [['', msg('Default (the seed URLs\' paths)')], ['HOST_ONLY', msg('The seed URLs\' hosts')], ['SUBDOMAINS', msg('Their subdomains too')]])}
        ${this.area(`${w}.includePatterns`, msg('Include patterns'), d.includePatterns, (v) => set({ includePatterns: v }), msg('Regular expressions, one a line, at most 25.'))}
        ${this.area(`${w}.excludePatterns`, msg('Exclude patterns'), d.excludePatterns, (v) => set({ excludePatterns: v }), msg('Regular expressions, one a line, at most 25.'))}
        ${this.num(`${w}.maxPagesPerMinute`, msg('Pages a minute'), d.maxPagesPerMinute, (v) => set({ maxPagesPerMinute: v }),
            msg(str`Empty: Bedrock's default. At most ${KNOWLEDGE_RANGES.maxPagesPerMinute[1]}.`))}
      </div>` : nothing}
    </div>`;
  }

  private has(field: string): 'true' | 'false' {
    return this.errors.some((e) => e.field === field) ? 'true' : 'false';
  }

  private errorFor(field: string): TemplateResult {
    return html`<p class="field-error" id=${`ke-${field}`}>${this.errors.find((e) => e.field === field)?.message ?? ''}</p>`;
  }

  private describedBy(field: string, hint?: string): string {
    return hint ? `kh-${field} ke-${field}` : `ke-${field}`;
  }

  private hint(field: string, hint?: string): TemplateResult | typeof nothing {
    return hint ? html`<p class="hint" id=${`kh-${field}`}>${hint}</p>` : nothing;
  }

  private select(field: string, label: string, value: string, set: (v: string) => void, options: Options): TemplateResult {
    return html`<div class="field"><label for=${`k-${field}`}>${label}</label>
      <select id=${`k-${field}`} aria-invalid=${this.has(field)} aria-describedby=${this.describedBy(field)}
        @change=${(e: Event) => set((e.target as HTMLSelectElement).value)}>
        ${options.map(([v, text]) => html`<option value=${v} ?selected=${v === value}>${text}</option>`)}
      </select>${this.errorFor(field)}</div>`;
  }

  private num(field: string, label: string, value: string, set: (v: string) => void, hint?: string): TemplateResult {
    return html`<div class="field"><label for=${`k-${field}`}>${label}</label>
      <input type="number" inputmode="numeric" step="1" id=${`k-${field}`} .value=${value} aria-invalid=${this.has(field)}
        aria-describedby=${this.describedBy(field, hint)} @input=${(e: Event) => set((e.target as HTMLInputElement).value)}>
      ${this.hint(field, hint)}${this.errorFor(field)}</div>`;
  }

  private area(field: string, label: string, value: string, set: (v: string) => void, hint?: string): TemplateResult {
    return html`<div class="field"><label for=${`k-${field}`}>${label}</label>
      <textarea id=${`k-${field}`} .value=${value} aria-invalid=${this.has(field)} aria-describedby=${this.describedBy(field, hint)}
        @input=${(e: Event) => set((e.target as HTMLTextAreaElement).value)}></textarea>
      ${this.hint(field, hint)}${this.errorFor(field)}</div>`;
  }
}
