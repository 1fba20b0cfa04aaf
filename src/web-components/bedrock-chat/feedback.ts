import { msg, str } from '@lit/localize';
import { html, nothing, svg } from 'lit';
import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import type { ChatMessage, Feedback, FeedbackCategory } from './conversation.js';
import { formatNumber } from '../shared/i18n.js';

/** The longest comment the backend accepts. */
export const MAX_COMMENT = 1000;

/** The categories of a thumbs-down, with their labels in the page's language. */
export function feedbackCategories(): readonly (readonly [FeedbackCategory, string])[] {
  return [
    ['notFactuallyCorrect', msg('Not factually correct')],
    ['notFollowingInstructions', msg('Not following instructions')],
    ['other', msg('Other')],
  ];
}

const ICON = (d: string) => svg`<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"
  fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d=${d}/></svg>`;
const UP = ICON('M7 10v12M15 5.9 14 10h5.8a2 2 0 0 1 2 2.3l-1.4 8a2 2 0 0 1-2 1.7H7V10l4-8a3 3 0 0 1 4 3.9zM7 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h3');
const DOWN = ICON('M17 14V2M9 18.1 10 14H4.2a2 2 0 0 1-2-2.3l1.4-8a2 2 0 0 1 2-1.7H17v12l-4 8a3 3 0 0 1-4-3.9zM17 2h3a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-3');

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
 * feedback) and the thumbs-down form (category, optional comment up to 1,000 characters).
 */
export class FeedbackController implements ReactiveController {
  /** The answer whose thumbs-down form is open. */
  private form?: ChatMessage;
  private formError = '';
  private sending?: ChatMessage;

  constructor(private readonly host: Host, private readonly options: FeedbackOptions) {
    host.addController(this);
  }

  hostConnected(): void {}

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

  /** The thumbs-down form under an answer, when open. */
  renderForm(m: ChatMessage): TemplateResult | typeof nothing {
    if (this.form !== m) return nothing;
    const stored = m.feedback?.thumbsUp === false ? m.feedback : undefined;
    return html`<form part="feedback-form" class="feedback-form" aria-label=${msg('Feedback on this answer')} novalidate
      @submit=${(e: Event) => { e.preventDefault(); this.submit(m); }}
      @keydown=${(e: KeyboardEvent) => { if (e.key === 'Escape') { e.stopPropagation(); this.close(m); } }}>
      <fieldset>
        <legend>${msg('What was wrong with this answer?')}</legend>
        ${feedbackCategories().map(([value, label]) => html`<label><input part="feedback-category" type="radio"
          name="category" value=${value} ?checked=${stored?.category === value}> ${label}</label>`)}
      </fieldset>
      <label class="feedback-comment">${msg('Comment (optional)')}
        <textarea part="feedback-comment" name="comment" rows="2" maxlength=${MAX_COMMENT}
          .value=${stored?.comment ?? ''}></textarea></label>
      ${this.formError ? html`<p part="feedback-error" class="feedback-error" role="alert">${this.formError}</p>` : nothing}
      <div class="actions">
        <button part="feedback-submit" class="send" type="submit" ?disabled=${this.sending === m}>${msg('Send feedback')}</button>
        <button part="feedback-cancel" type="button" @click=${() => this.close(m)}>${msg('Cancel')}</button>
      </div>
    </form>`;
  }

  private thumbsUp(m: ChatMessage): void {
    if (m.feedback?.thumbsUp === true || this.sending) return;
    if (this.form === m) this.reset();
    this.store(m, { thumbsUp: true }).catch((err: unknown) => this.options.failed(err));
  }

  private toggleForm(m: ChatMessage): void {
    if (this.form === m) return this.close(m);
    this.form = m;
    this.formError = '';
    this.host.requestUpdate();
    this.focus(m, '[part="feedback-category"]:checked, [part="feedback-category"]');
  }

  private close(m: ChatMessage): void {
    this.reset();
    this.host.requestUpdate();
    this.focus(m, '[part="feedback-down"]');
  }

  private submit(m: ChatMessage): void {
    const form = this.element(m, '[part="feedback-form"]') as HTMLFormElement | null;
    if (!form || this.sending) return;
    const category = form.querySelector<HTMLInputElement>('input[name="category"]:checked')?.value as FeedbackCategory | undefined;
    const comment = form.querySelector<HTMLTextAreaElement>('textarea')?.value.trim() ?? '';
    if (!category) {
      this.formError = msg('Choose what was wrong with the answer.');
      this.focus(m, '[part="feedback-category"]');
    } else if (comment.length > MAX_COMMENT) {
      this.formError = msg(str`The comment can have at most ${formatNumber(MAX_COMMENT)} characters.`);
      this.focus(m, '[part="feedback-comment"]');
    } else {
      this.formError = '';
      this.store(m, { thumbsUp: false, category, ...(comment ? { comment } : {}) }).then(
        () => this.close(m),
        () => {
          this.formError = msg('Your feedback could not be sent. Please try again.');
          this.host.requestUpdate();
        });
    }
    this.host.requestUpdate();
  }

  private async store(m: ChatMessage, feedback: Feedback): Promise<void> {
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

  private element(m: ChatMessage, selector: string): HTMLElement | null {
    return this.host.renderRoot.querySelector<HTMLElement>(`[data-key="${m.key}"] ${selector}`);
  }

  private focus(m: ChatMessage, selector: string): void {
    void this.host.updateComplete.then(() => this.element(m, selector)?.focus());
  }
}
