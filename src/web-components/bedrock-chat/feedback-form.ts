/**
 * The thumbs-down form (its own chunk, `bedrock-chat-feedback-[hash].js`, imported the first time a user presses
 * thumbs down): category, optional comment up to 1,000 characters, and its checks. The controller (feedback.ts) keeps
 * the state and stores the feedback.
 */
import { msg } from '@lit/localize';
import { css, html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import type { ChatMessage, FeedbackCategory } from './conversation.js';
import type { FeedbackFormHost } from './feedback.js';

/** The form's styles, adopted by the chat's shadow root when this chunk arrives (feedback.ts). */
export const formStyles = css`
  .feedback-form {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
    align-self: stretch;
    max-width: var(--_max);
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    font-size: 0.875em;
  }

  .feedback-form fieldset {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem 1rem;
    margin: 0;
    padding: 0;
    border: 0;
  }

  .feedback-form legend {
    padding: 0 0 0.25rem;
    font-weight: 600;
  }

  .feedback-comment {
    display: flex;
    flex-direction: column;
    gap: 0.25rem;
  }

  .feedback-error {
    margin: 0;
    color: var(--_error-fg);
  }

  .feedback-form .actions {
    padding: 0;
  }
`;

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

/** The thumbs-down form under an answer. */
export function renderForm(c: FeedbackFormHost, m: ChatMessage): TemplateResult | typeof nothing {
  const stored = m.feedback?.thumbsUp === false ? m.feedback : undefined;
  return html`<form part="feedback-form" class="feedback-form" aria-label=${msg('Feedback on this answer')} novalidate
    @submit=${(e: Event) => { e.preventDefault(); submit(c, m); }}
    @keydown=${(e: KeyboardEvent) => { if (e.key === 'Escape') { e.stopPropagation(); c.close(m); } }}>
    <fieldset>
      <legend>${msg('What was wrong with this answer?')}</legend>
      ${feedbackCategories().map(([value, label]) => html`<label><input part="feedback-category" type="radio"
        name="category" value=${value} ?checked=${stored?.category === value}> ${label}</label>`)}
    </fieldset>
    <label class="feedback-comment">${msg('Comment (optional)')}
      <textarea part="feedback-comment" name="comment" rows="2" maxlength=${MAX_COMMENT}
        .value=${stored?.comment ?? ''}></textarea></label>
    ${c.formError ? html`<p part="feedback-error" class="feedback-error" role="alert">${c.formError}</p>` : nothing}
    <div class="actions">
      <button part="feedback-submit" class="send" type="submit" ?disabled=${c.sending === m}>${msg('Send feedback')}</button>
      <button part="feedback-cancel" type="button" @click=${() => c.close(m)}>${msg('Cancel')}</button>
    </div>
  </form>`;
}

function submit(c: FeedbackFormHost, m: ChatMessage): void {
  const form = c.element(m, '[part="feedback-form"]') as HTMLFormElement | null;
  if (!form || c.sending) return;
  const category = form.querySelector<HTMLInputElement>('input[name="category"]:checked')?.value as FeedbackCategory | undefined;
  const comment = form.querySelector<HTMLTextAreaElement>('textarea')?.value.trim() ?? '';
  if (!category) {
    c.formError = msg('Choose what was wrong with the answer.');
    c.focus(m, '[part="feedback-category"]');
  } else if (comment.length > MAX_COMMENT) {
    c.formError = c.commentTooLong(MAX_COMMENT);
    c.focus(m, '[part="feedback-comment"]');
  } else {
    c.formError = '';
    c.store(m, { thumbsUp: false, category, ...(comment ? { comment } : {}) }).then(
      () => c.close(m),
      () => {
        c.formError = msg('Your feedback could not be sent. Please try again.');
        c.requestUpdate();
      });
  }
  c.requestUpdate();
}
