import { css } from 'lit';

/** Uses the same public custom properties as `<bedrock-chat>`; `--bedrock-chat-sidebar-bg` for the background. */
export const styles = css`
  :host {
    --_accent: var(--bedrock-chat-accent, #0b5cad);
    --_accent-fg: var(--bedrock-chat-accent-fg, #ffffff);
    --_bg: var(--bedrock-chat-sidebar-bg, var(--bedrock-chat-assistant-bg, #f6f8fa));
    --_fg: var(--bedrock-chat-fg, #1b1f24);
    --_muted: var(--bedrock-chat-muted, #57606a);
    --_border: var(--bedrock-chat-border, #d0d7de);
    --_current: var(--bedrock-chat-user-bg, #e8f0fb);
    --_error-fg: var(--bedrock-chat-error-fg, #a40e26);
    --_focus: var(--bedrock-chat-focus-ring, #0969da);
    --_font: var(--bedrock-chat-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);

    display: block;
    box-sizing: border-box;
    height: 100%;
    min-height: 0;
    color: var(--_fg);
    background: var(--_bg);
    font-family: var(--_font);
    font-size: var(--bedrock-chat-font-size, 1rem);
    line-height: 1.4;
    color-scheme: var(--bedrock-chat-color-scheme, light dark);
    accent-color: var(--_accent);
  }

  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--bedrock-chat-accent, #4493f8);
      --_accent-fg: var(--bedrock-chat-accent-fg, #0d1117);
      --_bg: var(--bedrock-chat-sidebar-bg, var(--bedrock-chat-assistant-bg, #161b22));
      --_fg: var(--bedrock-chat-fg, #e6edf3);
      --_muted: var(--bedrock-chat-muted, #9198a1);
      --_border: var(--bedrock-chat-border, #3d444d);
      --_current: var(--bedrock-chat-user-bg, #172a45);
      --_error-fg: var(--bedrock-chat-error-fg, #ffa198);
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

  nav {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
    height: 100%;
    min-height: 0;
    padding: 0.75rem 0.5rem;
  }

  button,
  input {
    font: inherit;
    color: inherit;
  }

  button {
    cursor: pointer;
    border-radius: 0.375rem;
    border: 1px solid var(--_border);
    background: transparent;
    padding: 0.25rem 0.625rem;
    min-height: 2rem;
  }

  button:disabled {
    cursor: default;
    opacity: 0.6;
  }

  .new-chat {
    color: var(--_accent-fg);
    background: var(--_accent);
    border-color: var(--_accent);
    font-weight: 600;
  }

  input {
    width: 100%;
    min-width: 0;
    padding: 0.375rem 0.5rem;
    border: 1px solid var(--_border);
    border-radius: 0.375rem;
    background: transparent;
  }

  input::placeholder {
    color: var(--_muted);
    opacity: 1;
  }

  .scroll {
    flex: 1;
    min-height: 0;
    overflow-y: auto;
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
  }

  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 0.125rem;
  }

  .item {
    display: flex;
    align-items: center;
    gap: 0.125rem;
    border-radius: 0.375rem;
  }

  .item.current {
    background: var(--_current);
  }

  .select {
    flex: 1;
    min-width: 0;
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    text-align: start;
    border-color: transparent;
  }

  .select:hover {
    border-color: var(--_border);
  }

  .select[aria-current='page'] {
    font-weight: 600;
  }

  .label,
  .snippet {
    max-width: 100%;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  .snippet {
    font-size: 0.8125em;
    color: var(--_muted);
    white-space: normal;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
  }

  .icon {
    border-color: transparent;
    padding: 0.25rem;
    color: var(--_muted);
  }

  .icon:hover {
    color: var(--_fg);
    border-color: var(--_border);
  }

  .icon svg {
    display: block;
  }

  .confirm,
  .rename {
    flex: 1;
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem;
    padding: 0.25rem;
    font-size: 0.875em;
  }

  .confirm-text {
    flex-basis: 100%;
  }

  .danger {
    color: var(--_error-fg);
    border-color: var(--_error-fg);
  }

  .status {
    margin: 0;
    padding: 0 0.25rem;
    font-size: 0.875em;
    color: var(--_muted);
  }

  .status:empty,
  .error:empty {
    display: none;
  }

  .error {
    margin: 0;
    padding: 0 0.25rem;
    font-size: 0.875em;
    color: var(--_error-fg);
  }

  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: -2px;
  }

  @media (forced-colors: active) {
    .item.current {
      outline: 1px solid CanvasText;
    }
  }
`;
