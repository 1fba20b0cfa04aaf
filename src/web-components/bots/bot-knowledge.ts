import { msg, str } from '@lit/localize';
import { css, html, LitElement, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { botStyles } from './styles.js';
import { ApiError, BotsApi } from '../shared/bots.js';
import type { BotKnowledge, KnowledgeState } from '../shared/bots.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
import { currentLocale, LocaleController } from '../shared/i18n.js';
import { KNOWLEDGE_ACCEPT, KNOWLEDGE_POLL_MS, KNOWLEDGE_STATE_POLL_MAX_MS, knowledgeProblem, knowledgeType, MAX_KNOWLEDGE_DOCUMENTS } from '../shared/knowledge-rules.js';
import type { KnowledgeProblem } from '../shared/knowledge-rules.js';

/** A document of a bot's knowledge (docs/knowledge-contract.md, `Document`). */
export interface KnowledgeDocument {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly statusReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `POST /knowledge/bots/{botId}/uploads`: PUT the bytes to `url` with exactly `headers`. */
interface UploadTarget {
  readonly uploadId: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly expiresAt?: string;
}

const pending = (d: KnowledgeDocument) => d.status === 'QUEUED' || d.status === 'RUNNING';

const statusText = (d: KnowledgeDocument): string => ({
  QUEUED: msg('Waiting to be indexed'),
  RUNNING: msg('Indexing…'),
  SUCCEEDED: msg('Ready'),
  FAILED: msg('Failed'),
})[d.status] ?? d.status;

const problemText = (name: string, problem: KnowledgeProblem): string => ({
  type: msg(str`${name} was not added: only text (TXT), Markdown (MD), HTML, PDF and Word (DOCX) files can be added.`),
  empty: msg(str`${name} was not added: the file is empty.`),
  size: msg(str`${name} was not added: a document can be at most 50 MiB.`),
  name: msg(str`${name} was not added: a file name must be 1 to 255 characters, without control characters, / or \\.`),
})[problem];

/** A dedicated bot's knowledge base or its sync is still moving on (polled until final). */
export const statePending = (s: KnowledgeState | undefined): boolean =>
  !!s && (s.status === 'CREATING' || s.status === 'DELETING' || s.sync?.status === 'QUEUED' || s.sync?.status === 'RUNNING');

const kbStatusText = (s: KnowledgeState): string => ({
  CREATING: msg('The knowledge base is being created…'),
  ACTIVE: msg('The knowledge base is ready.'),
  FAILED: msg('The knowledge base could not be created.'),
  DELETING: msg('The knowledge base is being deleted…'),
})[s.status] ?? s.status;

const syncStatusText = (status: string): string => ({
  QUEUED: msg('Sync: waiting to start'),
  RUNNING: msg('Sync: running…'),
  SUCCEEDED: msg('Sync: done'),
  FAILED: msg('Sync: failed'),
} as Record<string, string>)[status] ?? status;

/** The ingestion job's figures (Bedrock's IngestionJobStatistics), in words, those it gives. */
const statisticsText = (stats: Record<string, unknown>): string[] => {
  // The API's camelCase (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_IngestionJobStatistics.html),
  // or the PascalCase a Step Functions SDK integration returns it in
  // (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
  const n = (k: string): number | undefined => {
    const v = stats[k] ?? stats[k[0].toUpperCase() + k.slice(1)];
    return typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const out: string[] = [];
  const scanned = n('numberOfDocumentsScanned');
  const indexed = (n('numberOfNewDocumentsIndexed') ?? 0) + (n('numberOfModifiedDocumentsIndexed') ?? 0);
  const deleted = n('numberOfDocumentsDeleted');
  const failed = n('numberOfDocumentsFailed');
  if (scanned !== undefined) out.push(msg(str`${scanned} scanned`));
  if (n('numberOfNewDocumentsIndexed') !== undefined || n('numberOfModifiedDocumentsIndexed') !== undefined) out.push(msg(str`${indexed} indexed`));
  if (deleted !== undefined) out.push(msg(str`${deleted} removed`));
  if (failed !== undefined) out.push(msg(str`${failed} failed`));
  return out;
};

/** A size in the locale's digits and units (bytes, kB, MB). */
function sizeText(bytes: number): string {
  const [value, unit] = bytes < 1000 ? [bytes, 'byte'] : bytes < 1e6 ? [bytes / 1e3, 'kilobyte'] : [bytes / 1e6, 'megabyte'];
  return new Intl.NumberFormat(currentLocale(), { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}

/**
 * `<bedrock-chat-bot-knowledge>`: the documents a bot answers from (its owner's view, in the bot editor). Lists them
 * (name, size, status in words, the reason of a failure), adds files chosen or dropped (checked against the contract's
 * rules first; a refused file says why and is never uploaded), uploads each as the contract says (`POST …/uploads`,
 * a PUT of the bytes with exactly the returned headers, `POST …/documents`), reads the list again every 2 s while a
 * document is queued or being indexed (not while the tab is hidden, and never once the element is removed), and
 * deletes a document after a confirmation. Status changes are announced in a polite live region.
 *
 * With `knowledge` (the bot's view, docs/knowledge-contract.md "Slice 2"): a bot in `existing` mode has no documents
 * (a note says which knowledge base it answers from); a `dedicated` bot shows its knowledge base's state (CREATING,
 * ACTIVE, FAILED with the reason, DELETING) and its last sync (status, reason, figures, the documents that failed),
 * reads the bot again while either is not final (every 2 s, then less often, at most every 30 s; never once the element
 * is removed), offers "Sync now" while ACTIVE (`POST /knowledge/bots/{botId}/sync`), and adds documents only while
 * ACTIVE (the button is disabled with the reason otherwise).
 *
 * @attr bot-id - the bot (its owner is the caller).
 * @prop knowledge - the bot's `knowledge` view (mode, state).
 * @fires bedrock-chat-knowledge-changed - `{botId, documentCount}` after a document was added or deleted.
 * @csspart base, drop-zone, add, refused, documents, document, document-name, document-size, document-status,
 *   document-error, delete, delete-confirm, delete-cancel, status, error, kb-state, kb-reason, sync, sync-now,
 *   sync-reason, sync-statistics, sync-failed, upload-blocked
 * @cssprop --bedrock-chat-knowledge-drop-bg - the drop zone's background while files are dragged over it.
 */
export class BedrockChatBotKnowledge extends LitElement {
  static override styles = [botStyles, css`
    .drop { border: 2px dashed var(--_border); border-radius: 0.5rem; padding: 0.75rem; text-align: center; margin: 0 0 0.75rem; }
    .drop.dragging { border-color: var(--_accent); background: var(--bedrock-chat-knowledge-drop-bg, transparent); }
    .docs li { border-top: 1px solid var(--_border); padding: 0.4rem 0; }
    .docs li:first-child { border-top: 0; }
    .doc-name { font-weight: 600; overflow-wrap: anywhere; }
    .doc-meta { color: var(--_muted); font-size: 0.875em; }
    .doc-status[data-status="FAILED"] { color: var(--_danger); }
    .doc-status[data-status="SUCCEEDED"] { color: inherit; }
  `];

  @property({ attribute: false }) config?: BedrockChatConfig;
  @property({ attribute: false }) tokenProvider?: TokenProvider;
  @property({ attribute: 'bot-id' }) botId?: string;
  @property({ attribute: false }) knowledge?: BotKnowledge | null;

  /** A dedicated bot's state as last read. */
  @state() private kbState?: KnowledgeState;
  @state() private syncing = false;

  /** The bot's documents, newest first (undefined until the first list arrives). */
  @state() private documents?: KnowledgeDocument[];
  /** Names of the files being uploaded now. */
  @state() private uploading: string[] = [];
  /** Why files were refused or not added (shown until the next files are added). */
  @state() private refused: string[] = [];
  @state() private errorText = '';
  /** Announced in the live region: the last change of a document's status, an upload or a deletion. */
  @state() private announcement = '';
  @state() private confirming?: string;
  @state() private dragging = false;

  protected readonly locale = new LocaleController(this);
  private timer?: ReturnType<typeof setTimeout>;
  private stateTimer?: ReturnType<typeof setTimeout>;
  /** The next wait between two reads of the bot's state (grows while it stays the same). */
  private stateDelay = KNOWLEDGE_POLL_MS;
  /** Bumped when the bot changes or the element is removed: a list that arrives later is dropped. */
  private generation = 0;
  private loading = false;
  /** A list was asked for while one was being read: read again when it arrives. */
  private again = false;

  private readonly onVisibility = (): void => {
    if (document.hidden) {
      this.stopPolling();
      this.stopStatePolling();
    } else {
      this.schedule();
      this.scheduleState();
    }
  };

  private get mode(): string {
    return this.knowledge?.mode ?? 'shared';
  }

  /** Documents can be listed and added: not an existing knowledge base, and a dedicated one only while ACTIVE. */
  private get documentsOpen(): boolean {
    return this.mode === 'shared' || (this.mode === 'dedicated' && this.kbState?.status === 'ACTIVE');
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.onVisibility);
    // Put back into a page after being removed: read the list again (polling stopped when it was removed).
    if (this.hasUpdated) {
      void this.load();
      this.scheduleState();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.generation += 1;
    this.stopPolling();
    this.stopStatePolling();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const before = this.documentsOpen;
    if (changed.has('knowledge') || changed.has('botId')) {
      this.kbState = this.knowledge?.mode === 'dedicated' ? this.knowledge.state : undefined;
      this.stateDelay = KNOWLEDGE_POLL_MS;
      this.scheduleState();
    }
    if (changed.has('botId') || changed.has('config') || changed.has('tokenProvider')) {
      this.generation += 1;
      this.stopPolling();
      this.documents = undefined;
      this.confirming = undefined;
      if (this.isConnected) void this.load();
    } else if (this.documentsOpen !== before && this.isConnected) {
      void this.load();
    }
  }

  /** Reads the bot again after a wait while its knowledge base or sync is not final (the wait grows, up to 30 s). */
  private scheduleState(): void {
    this.stopStatePolling();
    if (!this.isConnected || document.hidden || !statePending(this.kbState)) return;
    const delay = this.stateDelay;
    this.stateDelay = Math.min(Math.round(delay * 1.5), KNOWLEDGE_STATE_POLL_MAX_MS);
    this.stateTimer = setTimeout(() => void this.readState(), delay);
  }

  private stopStatePolling(): void {
    clearTimeout(this.stateTimer);
    this.stateTimer = undefined;
  }

  private async readState(): Promise<void> {
    const api = this.api();
    if (!api || !this.botId) return;
    const generation = this.generation;
    try {
      const bot = await api.get(this.botId);
      if (generation !== this.generation) return;
      this.setState(bot.knowledge?.mode === 'dedicated' ? bot.knowledge.state : undefined);
    } catch {
      // A failed read is tried again at the next wait.
    }
    if (generation === this.generation) this.scheduleState();
  }

  /** A new state: announced when it changed; the documents are read when the knowledge base became ACTIVE. */
  private setState(next: KnowledgeState | undefined): void {
    const prev = this.kbState;
    const wasOpen = this.documentsOpen;
    this.kbState = next;
    if (next && (prev?.status !== next.status || prev?.sync?.status !== next.sync?.status)) {
      this.announcement = [kbStatusText(next), next.sync ? syncStatusText(next.sync.status) : ''].filter(Boolean).join(' ');
      this.stateDelay = KNOWLEDGE_POLL_MS;
    }
    if (!wasOpen && this.documentsOpen) void this.load();
  }

  private async syncNow(): Promise<void> {
    const api = this.api();
    if (!api || !this.botId || this.syncing) return;
    this.syncing = true;
    this.errorText = '';
    const generation = this.generation;
    try {
      const body = await api.call<{ state?: KnowledgeState }>(this.path('sync'), { method: 'POST' });
      if (generation !== this.generation) return;
      this.stateDelay = KNOWLEDGE_POLL_MS;
      if (body?.state) this.setState(body.state);
      this.scheduleState();
    } catch (err) {
      if (generation === this.generation) {
        this.errorText = err instanceof ApiError && err.code === 'NOT_READY'
          ? msg('The knowledge base is not ready: it can be synced once it is.') : msg('The sync could not be started. Please try again.');
      }
    } finally {
      this.syncing = false;
    }
  }

  /** Reads the list now (the section calls it itself; a host may after a change made elsewhere). */
  async load(): Promise<void> {
    const api = this.api();
    if (!api || !this.botId) return;
    if (!this.documentsOpen) {
      this.documents = undefined;
      return;
    }
    if (this.loading) {
      this.again = true;
      return;
    }
    const generation = this.generation;
    this.loading = true;
    this.stopPolling();
    try {
      const body = await api.call<{ items?: KnowledgeDocument[] }>(this.path('documents'));
      if (generation !== this.generation || !this.documentsOpen) return;
      const items = Array.isArray(body?.items) ? body.items.filter((d) => typeof d?.id === 'string') : [];
      this.announceChanges(items);
      this.documents = items;
      if (this.errorText === this.listError()) this.errorText = '';
    } catch {
      if (generation === this.generation) this.errorText = this.listError();
    } finally {
      this.loading = false;
      if (this.again) {
        this.again = false;
        void this.load();
      } else if (generation === this.generation) {
        this.schedule();
      }
    }
  }

  private listError(): string {
    return msg('The documents could not be loaded.');
  }

  /** Polls again in 2 s while a document is not final, the element is shown and the tab is visible. */
  private schedule(): void {
    this.stopPolling();
    if (!this.isConnected || document.hidden || !this.documents?.some(pending)) return;
    this.timer = setTimeout(() => void this.load(), KNOWLEDGE_POLL_MS);
  }

  private stopPolling(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private announceChanges(items: KnowledgeDocument[]): void {
    if (!this.documents) return;
    const before = new Map(this.documents.map((d) => [d.id, d.status]));
    const changed = items.filter((d) => before.has(d.id) && before.get(d.id) !== d.status);
    if (changed.length) this.announcement = changed.map((d) => `${d.name}: ${statusText(d)}`).join('. ');
  }

  private api(): BotsApi | undefined {
    return this.config && this.tokenProvider ? new BotsApi(this.config, this.tokenProvider) : undefined;
  }

  private path(...rest: string[]): string {
    return ['/knowledge/bots', encodeURIComponent(this.botId ?? ''), ...rest.map(encodeURIComponent)].join('/');
  }

  protected override render(): TemplateResult {
    const docs = this.documents;
    const full = (docs?.length ?? 0) + this.uploading.length >= MAX_KNOWLEDGE_DOCUMENTS;
    if (this.mode === 'existing') {
      return html`<section part="base" aria-labelledby="knowledge-title">
        <h3 id="knowledge-title">${msg('Knowledge')}</h3>
        <p part="status" class="status">${msg('This bot answers from an existing knowledge base of the deployment: it has no documents of its own here.')}</p>
      </section>`;
    }
    const blocked = !this.documentsOpen;
    return html`<section part="base" aria-labelledby="knowledge-title">
      <h3 id="knowledge-title">${msg('Knowledge')}</h3>
      ${this.mode === 'dedicated' ? this.renderState() : nothing}
      <p class="hint" id="knowledge-hint">${msg('The bot answers from these documents and cites them. TXT, MD, HTML, PDF or DOCX, up to 50 MiB each, at most 100 documents.')}</p>
      ${blocked ? html`<p part="upload-blocked" class="hint" id="knowledge-blocked">${msg('Documents can be added once the knowledge base is ready.')}</p>` : nothing}
      <div part="drop-zone" class="drop${this.dragging ? ' dragging' : ''}" @dragover=${this.onDragOver}
        @dragleave=${() => { this.dragging = false; }} @drop=${this.onDrop}>
        <input id="knowledge-file" type="file" multiple hidden tabindex="-1" accept=${KNOWLEDGE_ACCEPT} @change=${this.onChosen}>
        <button part="add" type="button" ?disabled=${full || blocked} aria-describedby=${blocked ? 'knowledge-blocked knowledge-hint' : 'knowledge-hint'}
          @click=${() => this.renderRoot.querySelector<HTMLInputElement>('#knowledge-file')?.click()}>${msg('Add documents…')}</button>
        <span class="hint">${msg('or drop files here')}</span>
      </div>
      ${this.refused.length ? html`<ul part="refused" class="plain error" role="alert">${this.refused.map((r) => html`<li>${r}</li>`)}</ul>` : nothing}
      <p part="error" class="error" role="alert">${this.errorText}</p>
      ${docs === undefined && !this.errorText && !blocked ? html`<p part="status" class="status">${msg('Loading…')}</p>` : nothing}
      ${docs?.length === 0 && !this.uploading.length ? html`<p part="status" class="status">${msg('No documents yet.')}</p>` : nothing}
      ${docs?.length || this.uploading.length ? html`<ul part="documents" class="plain docs" aria-label=${msg('Documents')}>
        ${this.uploading.map((name) => html`<li part="document" aria-busy="true"><div class="doc-name" part="document-name">${name}</div>
          <div class="doc-meta"><span part="document-status" class="doc-status">${msg('Uploading…')}</span></div></li>`)}
        ${(docs ?? []).map((d) => this.renderDocument(d))}
      </ul>` : nothing}
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">${this.announcement}</div>
    </section>`;
  }

  /** A dedicated bot's knowledge base and its last sync, with "Sync now" while it is ACTIVE. */
  private renderState(): TemplateResult {
    const s = this.kbState;
    if (!s) return html`<p part="kb-state" class="status">${msg('Loading…')}</p>`;
    const sync = s.sync;
    const running = sync?.status === 'QUEUED' || sync?.status === 'RUNNING';
    const stats = sync?.statistics ? statisticsText(sync.statistics) : [];
    return html`<div class="kb-state">
      <p part="kb-state" class="status" data-status=${s.status} aria-busy=${statePending(s) ? 'true' : 'false'}>${kbStatusText(s)}</p>
      ${s.reason ? html`<p part="kb-reason" class=${s.status === 'FAILED' ? 'error' : 'hint'}>${s.reason}</p>` : nothing}
      ${sync ? html`<p part="sync" class="status" data-status=${sync.status}>${syncStatusText(sync.status)}${stats.length
          ? html` <span part="sync-statistics">(${stats.join(', ')})</span>` : nothing}</p>
        ${sync.reason ? html`<p part="sync-reason" class=${sync.status === 'FAILED' ? 'error' : 'hint'}>${sync.reason}</p>` : nothing}
        ${sync.failedDocuments?.length ? html`<ul part="sync-failed" class="plain error" aria-label=${msg('Documents that failed')}>
          ${sync.failedDocuments.map((f) => html`<li><span class="doc-name">${f.uri}</span>: ${f.reason}</li>`)}</ul>` : nothing}` : nothing}
      ${s.status === 'ACTIVE' ? html`<button part="sync-now" type="button" ?disabled=${this.syncing || running}
        @click=${() => void this.syncNow()}>${msg('Sync now')}</button>` : nothing}
    </div>`;
  }

  private renderDocument(d: KnowledgeDocument): TemplateResult {
    return html`<li part="document" data-status=${d.status}>
      <div class="doc-name" part="document-name">${d.name}</div>
      <div class="doc-meta row">
        <span part="document-size">${sizeText(d.size)}</span>
        <span part="document-status" class="doc-status" data-status=${d.status}>${statusText(d)}</span>
      </div>
      ${d.statusReason ? html`<p part="document-error" class=${d.status === 'FAILED' ? 'error' : 'hint'}>${d.statusReason}</p>` : nothing}
      ${this.confirming === d.id
          ? html`<div class="row" role="group" aria-label=${msg('Confirm deletion')}>${msg(str`Delete “${d.name}”? The bot no longer answers from it.`)}
          <button part="delete-confirm" class="danger" type="button" @click=${() => void this.deleteDocument(d)}>${msg('Delete')}</button>
          <button part="delete-cancel" type="button" @click=${() => this.cancelDelete(d)}>${msg('Cancel')}</button></div>`
          : html`<button part="delete" class="danger" type="button" data-id=${d.id} aria-label=${msg(str`Delete “${d.name}”`)}
          @click=${() => this.askDelete(d)}>${msg('Delete')}</button>`}
    </li>`;
  }

  private askDelete(d: KnowledgeDocument): void {
    this.confirming = d.id;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[part~="delete-cancel"]')?.focus());
  }

  private cancelDelete(d: KnowledgeDocument): void {
    this.confirming = undefined;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[part~="delete"][data-id="${CSS.escape(d.id)}"]`)?.focus());
  }

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    this.dragging = true;
  }

  private onDrop(event: DragEvent): void {
    this.dragging = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    void this.add(files);
  }

  private onChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    void this.add(files);
  }

  /** Checks the files, then uploads the accepted ones one after the other. */
  async add(files: readonly File[]): Promise<void> {
    const api = this.api();
    if (!api || !this.botId || !this.documentsOpen) return;
    const refused: string[] = [];
    const accepted: File[] = [];
    for (const file of files) {
      const problem = knowledgeProblem(file);
      const room = MAX_KNOWLEDGE_DOCUMENTS - (this.documents?.length ?? 0) - this.uploading.length - accepted.length;
      if (problem) refused.push(problemText(file.name || msg('This file'), problem));
      else if (room <= 0) refused.push(msg(str`${file.name} was not added: a bot can have at most ${MAX_KNOWLEDGE_DOCUMENTS} documents.`));
      else accepted.push(file);
    }
    this.refused = refused;
    this.errorText = '';
    this.uploading = [...this.uploading, ...accepted.map((f) => f.name)];
    const generation = this.generation;
    let added = 0;
    for (const file of accepted) {
      try {
        await this.upload(api, file);
        added += 1;
        this.announcement = msg(str`${file.name} was added and is being indexed.`);
      } catch (err) {
        if (generation !== this.generation) return;
        this.refused = [...this.refused, err instanceof ApiError && err.code === 'LIMIT'
          ? msg(str`${file.name} was not added: a bot can have at most ${MAX_KNOWLEDGE_DOCUMENTS} documents.`)
          : err instanceof ApiError && err.status === 400 ? msg(str`${file.name} was not added: ${err.message}`)
            : msg(str`${file.name} could not be uploaded. Please try again.`)];
      } finally {
        const i = this.uploading.indexOf(file.name);
        if (i >= 0) this.uploading = [...this.uploading.slice(0, i), ...this.uploading.slice(i + 1)];
      }
      if (generation !== this.generation) return;
      await this.load();
    }
    if (added) this.changed();
  }

  /** The contract's three steps: the upload target, the PUT of the bytes with exactly its headers, the document. */
  private async upload(api: BotsApi, file: File): Promise<KnowledgeDocument | undefined> {
    const target = await api.call<UploadTarget>(this.path('uploads'), {
      method: 'POST', body: { name: file.name, contentType: knowledgeType(file.name), size: file.size },
    });
    if (!target?.url || !target.uploadId) throw new Error('no upload target');
    // A Blob without a type, so that the browser adds no Content-Type of its own: exactly the returned headers go.
    const put = await fetch(target.url, { method: 'PUT', headers: target.headers ?? {}, body: file.slice(0, file.size, '') });
    if (!put.ok) throw new Error(`PUT: HTTP ${put.status}`);
    return api.call<KnowledgeDocument>(this.path('documents'), { method: 'POST', body: { uploadId: target.uploadId } });
  }

  private async deleteDocument(d: KnowledgeDocument): Promise<void> {
    const api = this.api();
    if (!api) return;
    this.errorText = '';
    try {
      await api.call(this.path('documents', d.id), { method: 'DELETE' });
      this.confirming = undefined;
      this.announcement = msg(str`${d.name} was deleted.`);
      this.documents = this.documents?.filter((x) => x.id !== d.id);
      this.changed();
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[part~="add"]')?.focus());
    } catch {
      this.confirming = undefined;
      this.errorText = msg(str`${d.name} could not be deleted. Please try again.`);
    }
  }

  private changed(): void {
    this.dispatchEvent(new CustomEvent('bedrock-chat-knowledge-changed', {
      bubbles: true, composed: true, detail: { botId: this.botId, documentCount: this.documents?.length ?? 0 },
    }));
  }
}
