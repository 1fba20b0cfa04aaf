import { css } from 'lit';

/**
 * Every public custom property has a light and a dark default; the host page overrides them on the element
 * (or any ancestor). Private `--_*` properties are the resolved values used below.
 */
export const styles = css`
  :host {
    --_accent: var(--bedrock-chat-accent, #0b5cad);
    --_accent-fg: var(--bedrock-chat-accent-fg, #ffffff);
    --_bg: var(--bedrock-chat-bg, #ffffff);
    --_fg: var(--bedrock-chat-fg, #1b1f24);
    --_muted: var(--bedrock-chat-muted, #57606a);
    --_border: var(--bedrock-chat-border, #d0d7de);
    --_user-bg: var(--bedrock-chat-user-bg, #e8f0fb);
    --_assistant-bg: var(--bedrock-chat-assistant-bg, #f6f8fa);
    --_error-fg: var(--bedrock-chat-error-fg, #a40e26);
    --_error-bg: var(--bedrock-chat-error-bg, #ffebe9);
    --_focus: var(--bedrock-chat-focus-ring, #0969da);
    --_radius: var(--bedrock-chat-radius, 0.75rem);
    --_font: var(--bedrock-chat-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --_mono: var(--bedrock-chat-font-mono, ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace);
    --_max: var(--bedrock-chat-max-width, 48rem);

    display: block;
    box-sizing: border-box;
    height: var(--bedrock-chat-height, 32rem);
    color: var(--_fg);
    background: var(--_bg);
    font-family: var(--_font);
    font-size: var(--bedrock-chat-font-size, 1rem);
    line-height: 1.5;
    /* Native parts (form controls, scroll bars, placeholders) follow the scheme; the app sets it with data-theme. */
    color-scheme: var(--bedrock-chat-color-scheme, light dark);
    accent-color: var(--_accent);
  }

  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--bedrock-chat-accent, #4493f8);
      --_accent-fg: var(--bedrock-chat-accent-fg, #0d1117);
      --_bg: var(--bedrock-chat-bg, #0d1117);
      --_fg: var(--bedrock-chat-fg, #e6edf3);
      --_muted: var(--bedrock-chat-muted, #9198a1);
      --_border: var(--bedrock-chat-border, #3d444d);
      --_user-bg: var(--bedrock-chat-user-bg, #172a45);
      --_assistant-bg: var(--bedrock-chat-assistant-bg, #161b22);
      --_error-fg: var(--bedrock-chat-error-fg, #ffa198);
      --_error-bg: var(--bedrock-chat-error-bg, #3c1618);
      --_focus: var(--bedrock-chat-focus-ring, #4493f8);
    }
  }

  :host([hidden]) {
    display: none;
  }

  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  .base {
    display: flex;
    flex-direction: column;
    height: 100%;
    min-height: 0;
  }

  .header {
    display: flex;
    align-items: center;
    gap: 0.75rem;
    padding: 0.5rem 0.75rem;
    border-bottom: 1px solid var(--_border);
  }

  .title {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    font-weight: 600;
  }

  .model {
    flex: 0 1 auto;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    color: var(--_muted);
    font-size: 0.875em;
  }

  .log {
    flex: 1;
    min-height: 0;
    overflow-y: auto;
    padding: 1rem 0.75rem;
    display: flex;
    flex-direction: column;
    gap: 0.75rem;
  }

  .message {
    width: 100%;
    max-width: var(--_max);
    margin-inline: auto;
    display: flex;
    flex-direction: column;
  }

  .text {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    padding: 0.5rem 0.75rem;
    border-radius: var(--_radius);
    max-width: 100%;
  }

  .user .text {
    align-self: flex-end;
    background: var(--_user-bg);
  }

  .assistant .text {
    align-self: flex-start;
    background: var(--_assistant-bg);
  }

  .message-note {
    font-size: 0.8125em;
    color: var(--_error-fg);
    padding-inline: 0.75rem;
  }

  .user .message-note,
  .user .actions,
  .user .chips {
    align-self: flex-end;
  }

  .usage {
    font-size: 0.8125em;
    padding-inline: 0.75rem;
    color: var(--_muted);
  }

  .actions {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem;
    padding: 0.125rem 0.5rem;
    font-size: 0.8125em;
    color: var(--_muted);
  }

  .actions button,
  .icon,
  .tool {
    color: var(--_fg);
    background: transparent;
    border: 1px solid transparent;
    padding: 0.125rem 0.5rem;
    min-height: 1.75rem;
  }

  .actions button:hover,
  .tool:hover,
  .tool[aria-pressed='true'] {
    border-color: var(--_border);
  }

  .tool[aria-pressed='true'] {
    color: var(--_accent-fg);
    background: var(--_accent);
  }

  .actions [aria-pressed='true'] {
    color: var(--_accent);
    border-color: var(--_accent);
  }

  .actions svg {
    display: block;
  }

  .branch {
    display: inline-flex;
    align-items: center;
    gap: 0.125rem;
  }

  .editor {
    display: flex;
    flex-direction: column;
    gap: 0.25rem;
    align-self: stretch;
  }

  .editor .actions {
    align-self: flex-end;
  }

  .reasoning,
  .card {
    align-self: flex-start;
    max-width: 100%;
    margin-bottom: 0.25rem;
    padding: 0.25rem 0.75rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    font-size: 0.875em;
  }

  .reasoning summary {
    cursor: pointer;
    color: var(--_muted);
  }

  .reasoning-text {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    color: var(--_muted);
  }

  .card-title {
    font-weight: 600;
  }

  .card pre {
    margin: 0.25rem 0;
    font-family: var(--_mono);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }

  .citations {
    margin: 0.25rem 0;
    padding-inline-start: 2rem;
    font-size: 0.875em;
  }

  .citations a {
    color: var(--_accent);
  }

  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
    margin: 0.25rem 0;
    padding: 0;
    list-style: none;
    flex-basis: 100%;
  }

  .chip {
    display: inline-flex;
    align-items: center;
    gap: 0.375rem;
    max-width: 100%;
    padding: 0.125rem 0.25rem 0.125rem 0.625rem;
    border: 1px solid var(--_border);
    border-radius: 999px;
    font-size: 0.8125em;
  }

  .chip-name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  .chip-meta {
    color: var(--_muted);
    white-space: nowrap;
  }

  .chip[data-state='failed'] .chip-meta {
    color: var(--_error-fg);
  }

  .chip .icon {
    min-height: 1.5rem;
    padding: 0 0.375rem;
    border-radius: 999px;
  }

  .picker {
    font: inherit;
    font-size: 0.875em;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 0.25rem 0.5rem;
    max-width: 50%;
  }

  .typing {
    max-width: var(--_max);
    width: 100%;
    margin-inline: auto;
    color: var(--_muted);
    padding-inline: 0.75rem;
  }

  .typing span {
    animation: blink 1.2s infinite both;
  }

  .typing span:nth-child(2) {
    animation-delay: 0.2s;
  }

  .typing span:nth-child(3) {
    animation-delay: 0.4s;
  }

  @keyframes blink {
    0%, 80%, 100% { opacity: 0.25; }
    40% { opacity: 1; }
  }

  .notice,
  .error {
    margin: 0 0.75rem 0.5rem;
    padding: 0.5rem 0.75rem;
    border-radius: var(--_radius);
  }

  .notice {
    border: 1px solid var(--_border);
    color: var(--_fg);
  }

  .error {
    color: var(--_error-fg);
    background: var(--_error-bg);
  }

  .title:empty,
  .error:empty {
    display: none;
  }

  .composer {
    display: flex;
    align-items: flex-end;
    gap: 0.5rem;
    padding: 0.75rem;
    border-top: 1px solid var(--_border);
    flex-wrap: wrap;
  }

  .composer.dragging {
    outline: 2px dashed var(--_accent);
    outline-offset: -4px;
  }

  textarea {
    flex: 1;
    min-width: 0;
    resize: none;
    field-sizing: content;
    min-height: 2.5rem;
    max-height: 12rem;
    padding: 0.5rem 0.75rem;
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }

  textarea::placeholder {
    color: var(--_muted);
    opacity: 1;
  }

  button {
    font: inherit;
    cursor: pointer;
    border-radius: var(--_radius);
    padding: 0.5rem 1rem;
    min-height: 2.5rem;
  }

  .send {
    color: var(--_accent-fg);
    background: var(--_accent);
    border: 1px solid var(--_accent);
    font-weight: 600;
  }

  .new-chat {
    color: var(--_fg);
    background: transparent;
    border: 1px solid var(--_border);
    padding: 0.25rem 0.75rem;
    min-height: 2rem;
  }

  button:disabled,
  textarea:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }

  :focus {
    outline: none;
  }

  :focus-visible,
  textarea:focus {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }

  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0, 0, 0, 0);
    white-space: nowrap;
    border: 0;
  }

  @media (prefers-reduced-motion: reduce) {
    .typing span {
      animation: none;
      opacity: 1;
    }
  }

  @media (forced-colors: active) {
    .text {
      border: 1px solid CanvasText;
    }
  }
`;
