import { msg, str } from '@lit/localize';
import { html, nothing, svg } from 'lit';
import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import type { ChatMessage, Feedback } from './conversation.js';
import { formatNumber } from '../shared/i18n.js';
import { adoptLazyStyles } from '../shared/lazy-styles.js';

const ICON = (d: string) => svg`<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"
  fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d=${d}/></svg>`;
const UP = ICON('M7 10v12M15 5.9 14 10h5.8a2 2 0 0 1 2 2.3l-1.4 8a2 2 0 0 1-2 1.7H7V10l4-8a3 3 0 0 1 4 3.9zM7 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h3');
const DOWN = ICON('M17 14V2M9 18.1 10 14H4.2a2 2 0 0 1-2-2.3l1.4-8a2 2 0 0 1 2-1.7H17v12l-4 8a3 3 0 0 1-4-3.9zM17 2h3a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-3');

type FormModule = typeof import('./feedback-form.js');
let formModule: FormModule | undefined;
let formLoading: Promise<FormModule> | undefined;

/** What the form (feedback-form.ts) works with. */
export interface FeedbackFormHost {
  formError: string;
  readonly sending?: ChatMessage;
  close(m: ChatMessage): void;
  store(m: ChatMessage, feedback: Feedback): Promise<void>;
  element(m: ChatMessage, selector: string): HTMLElement | null;
  focus(m: ChatMessage, selector: string): void;
  requestUpdate(): void;
  /** The refusal of a comment over `max` characters (worded here: the form's chunk imports no `str`, see feedback-form.ts). */
  commentTooLong(max: number): string;
}

interface Host extends ReactiveControllerHost {
  readonly renderRoot: HTMLElement | DocumentFragment;
}

export interface FeedbackOptions {
  /** Stores the feedback (`PUT …/messages/{id}/feedback`); rejects when it could not be stored. */
  send(message: ChatMessage, feedback: Feedback): Promise<void>;
  /** The feedback was stored. */
  sent(message: ChatMessage): void;
  /** Thumbs up could not be stored (a failed thumbs down is shown in its form). */
  failed(error: unknown): void;
}

/**
 * Thumbs up / thumbs down on answers: the buttons (`feedback-up`, `feedback-down`, `aria-pressed` from the stored
 * feedback) and the thumbs-down form (category, optional comment up to 1,000 characters; feedback-form.ts, its own
 * chunk, loaded on the first thumbs down).
 */
export class FeedbackController implements ReactiveController, FeedbackFormHost {
  /** The answer whose thumbs-down form is open. */
  private form?: ChatMessage;
  formError = '';
  sending?: ChatMessage;

  constructor(private readonly host: Host, private readonly options: FeedbackOptions) {
    host.addController(this);
  }

  hostConnected(): void {}

  requestUpdate(): void {
    this.host.requestUpdate();
  }

  commentTooLong(max: number): string {
    return msg(str`The comment can have at most ${formatNumber(max)} characters.`);
  }

  /** Closes the form (a new or another conversation). */
  reset(): void {
    this.form = undefined;
    this.sending = undefined;
    this.formError = '';
  }

  /** The thumbs buttons of a stored answer. */
  renderButtons(m: ChatMessage, disabled: boolean): TemplateResult {
    const up = m.feedback?.thumbsUp === true;
    const down = m.feedback?.thumbsUp === false;
    const busy = disabled || this.sending === m;
    return html`<button part="feedback-up" class="icon" type="button" aria-label=${msg('Good answer')} title=${msg('Good answer')}
        aria-pressed=${up ? 'true' : 'false'} ?disabled=${busy} @click=${() => this.thumbsUp(m)}>${UP}</button>
      <button part="feedback-down" class="icon" type="button" aria-label=${msg('Bad answer')} title=${msg('Bad answer')}
        aria-pressed=${down ? 'true' : 'false'} aria-expanded=${this.form === m ? 'true' : 'false'} ?disabled=${busy}
        @click=${() => this.toggleForm(m)}>${DOWN}</button>`;
  }

  /** The thumbs-down form under an answer, when open (feedback-form.ts, loaded on the first thumbs down). */
  renderForm(m: ChatMessage): TemplateResult | typeof nothing {
    return this.form === m && formModule ? formModule.renderForm(this, m) : nothing;
  }

  private thumbsUp(m: ChatMessage): void {
    if (m.feedback?.thumbsUp === true || this.sending) return;
    if (this.form === m) this.reset();
    this.store(m, { thumbsUp: true }).catch((err: unknown) => this.options.failed(err));
  }

  private toggleForm(m: ChatMessage): void {
    if (this.form === m) return this.close(m);
    if (!formModule) {
      // Once: the form's chunk, then the form opens (a failed load leaves it closed; the next press tries again).
      void (formLoading ??= import('./feedback-form.js')).then((mod) => {
        formModule = mod;
        if (this.form !== m) this.toggleForm(m);
      }, () => { formLoading = undefined; });
      return;
    }
    adoptLazyStyles(this.host.renderRoot, formModule.formStyles); // they came with the form's chunk
    this.form = m;
    this.formError = '';
    this.host.requestUpdate();
    this.focus(m, '[part="feedback-category"]:checked, [part="feedback-category"]');
  }

  close(m: ChatMessage): void {
    this.reset();
    this.host.requestUpdate();
    this.focus(m, '[part="feedback-down"]');
  }

  async store(m: ChatMessage, feedback: Feedback): Promise<void> {
    this.sending = m;
    this.host.requestUpdate();
    try {
      await this.options.send(m, feedback);
      m.feedback = feedback;
      this.options.sent(m);
    } finally {
      if (this.sending === m) this.sending = undefined;
      this.host.requestUpdate();
    }
  }

  element(m: ChatMessage, selector: string): HTMLElement | null {
    return this.host.renderRoot.querySelector<HTMLElement>(`[data-key="${m.key}"] ${selector}`);
  }

  focus(m: ChatMessage, selector: string): void {
    void this.host.updateComplete.then(() => this.element(m, selector)?.focus());
  }
}
