import { css } from 'lit';

const LIGHT = css`
  --bedrock-chat-accent: #0b5cad;
  --bedrock-chat-accent-fg: #ffffff;
  --bedrock-chat-bg: #ffffff;
  --bedrock-chat-fg: #1b1f24;
  --bedrock-chat-muted: #57606a;
  --bedrock-chat-border: #d0d7de;
  --bedrock-chat-user-bg: #e8f0fb;
  --bedrock-chat-assistant-bg: #f6f8fa;
  --bedrock-chat-error-fg: #a40e26;
  --bedrock-chat-error-bg: #ffebe9;
  --bedrock-chat-focus-ring: #0969da;
  --bedrock-chat-code-string: #0a7a3a;
  --bedrock-chat-code-number: #9a4a00;
  --bedrock-chat-color-scheme: light;
`;

const DARK = css`
  --bedrock-chat-accent: #4493f8;
  --bedrock-chat-accent-fg: #0d1117;
  --bedrock-chat-bg: #0d1117;
  --bedrock-chat-fg: #e6edf3;
  --bedrock-chat-muted: #9198a1;
  --bedrock-chat-border: #3d444d;
  --bedrock-chat-user-bg: #172a45;
  --bedrock-chat-assistant-bg: #161b22;
  --bedrock-chat-error-fg: #ffa198;
  --bedrock-chat-error-bg: #3c1618;
  --bedrock-chat-focus-ring: #4493f8;
  --bedrock-chat-code-string: #7ee787;
  --bedrock-chat-code-number: #ffa657;
  --bedrock-chat-color-scheme: dark;
`;

/**
 * `data-theme="light"` / `"dark"` on the host sets every `--bedrock-chat-*` colour, the code highlighting colours and
 * `--bedrock-chat-color-scheme` (inherited by the chat and the history, so native controls follow too); `"system"` sets
 * none, so each part follows `prefers-color-scheme`.
 */
export const styles = css`
  :host {
    --_bg: var(--bedrock-chat-bg, #ffffff);
    --_fg: var(--bedrock-chat-fg, #1b1f24);
    --_border: var(--bedrock-chat-border, #d0d7de);
    --_accent: var(--bedrock-chat-accent, #0b5cad);
    --_accent-fg: var(--bedrock-chat-accent-fg, #ffffff);
    --_focus: var(--bedrock-chat-focus-ring, #0969da);
    --_error-fg: var(--bedrock-chat-error-fg, #a40e26);

    display: block;
    box-sizing: border-box;
    height: 100%;
    min-height: 0;
    color: var(--_fg);
    background: var(--_bg);
    font-family: var(--bedrock-chat-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    color-scheme: var(--bedrock-chat-color-scheme, light dark);
    accent-color: var(--_accent);
  }

  @media (prefers-color-scheme: dark) {
    :host {
      --_bg: var(--bedrock-chat-bg, #0d1117);
      --_fg: var(--bedrock-chat-fg, #e6edf3);
      --_border: var(--bedrock-chat-border, #3d444d);
      --_accent: var(--bedrock-chat-accent, #4493f8);
      --_accent-fg: var(--bedrock-chat-accent-fg, #0d1117);
      --_focus: var(--bedrock-chat-focus-ring, #4493f8);
      --_error-fg: var(--bedrock-chat-error-fg, #ffa198);
    }
  }

  :host([data-theme='light']) {
    ${LIGHT}
    color-scheme: light;
  }

  :host([data-theme='dark']) {
    ${DARK}
    color-scheme: dark;
  }

  :host([hidden]) {
    display: none;
  }

  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  .app {
    display: grid;
    grid-template-columns: var(--bedrock-chat-app-sidebar-width, 17rem) minmax(0, 1fr);
    grid-template-rows: auto minmax(0, 1fr);
    height: 100%;
    min-height: 0;
  }

  .topbar {
    grid-column: 1 / -1;
    display: flex;
    align-items: center;
    gap: 0.5rem;
    padding: 0.375rem 0.75rem;
    border-bottom: 1px solid var(--_border);
  }

  .brand {
    flex: 1;
    min-width: 0;
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  button,
  select {
    font: inherit;
    color: inherit;
  }

  button {
    cursor: pointer;
    min-height: 2rem;
    padding: 0.25rem 0.75rem;
    border: 1px solid var(--_border);
    border-radius: 0.375rem;
    background: transparent;
  }

  .menu {
    display: none;
    padding: 0.25rem 0.5rem;
  }

  .menu svg {
    display: block;
  }

  .sidebar {
    grid-row: 2;
    grid-column: 1;
    display: flex;
    flex-direction: column;
    min-height: 0;
    border-inline-end: 1px solid var(--_border);
    background: var(--bedrock-chat-sidebar-bg, var(--bedrock-chat-assistant-bg, transparent));
  }

  .logo {
    display: block;
    max-width: calc(100% - 1.5rem);
    max-height: 3rem;
    margin: 0.5rem 0.75rem 0;
    object-fit: contain;
    object-position: left;
  }

  .sidebar bedrock-chat-bot-list {
    flex: 0 1 auto;
    max-height: 40%;
    overflow: auto;
    border-bottom: 1px solid var(--_border);
  }

  /* The admins' link to the usage limits screen (usage-admin/). */
  .sidebar .admin-link {
    flex: 0 0 auto;
    padding: 0.4rem 0.75rem;
    color: inherit;
    border-bottom: 1px solid var(--_border);
  }

  .sidebar .admin-link[aria-current="page"] {
    font-weight: 600;
  }

  .pane bedrock-chat[hidden] {
    display: none;
  }

  .pane .screen {
    display: block;
    height: 100%;
    overflow: auto;
    padding: 1rem;
  }

  .sidebar bedrock-chat-history {
    flex: 1 1 auto;
    min-height: 0;
  }

  /* Built-in sign-in: who is signed in and Sign out (or Sign in) at the foot of the sidebar. */
  .account {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    padding: 0.5rem 0.75rem;
    border-top: 1px solid var(--_border);
  }

  .account .primary {
    flex: 1;
  }

  .user {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  /* The pane before built-in sign-in. */
  .sign-in {
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
    gap: 1rem;
    height: 100%;
    padding: 2rem 1rem;
    text-align: center;
  }

  .sign-in h2 {
    margin: 0;
    font-size: 1.25rem;
  }

  .sign-in .primary {
    min-width: 10rem;
  }

  .pane {
    grid-row: 2;
    grid-column: 2;
    min-width: 0;
    min-height: 0;
  }

  .pane bedrock-chat {
    --bedrock-chat-height: 100%;
    height: 100%;
  }

  .status {
    margin: 1rem;
  }

  .status.error {
    color: var(--_error-fg);
  }

  dialog {
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 0.75rem;
    padding: 1rem 1.25rem;
    width: min(26rem, calc(100vw - 2rem));
  }

  dialog::backdrop {
    background: rgb(0 0 0 / 40%);
  }

  dialog h2 {
    margin: 0 0 0.75rem;
    font-size: 1.125rem;
  }

  fieldset {
    margin: 0 0 1rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--_border);
    border-radius: 0.5rem;
  }

  fieldset label {
    display: block;
    padding: 0.125rem 0;
  }

  .field {
    display: flex;
    flex-direction: column;
    gap: 0.25rem;
    margin-bottom: 1rem;
  }

  select {
    padding: 0.375rem;
    border: 1px solid var(--_border);
    border-radius: 0.375rem;
    background: var(--_bg);
  }

  .dialog-actions {
    display: flex;
    justify-content: flex-end;
  }

  .primary {
    color: var(--_accent-fg);
    background: var(--_accent);
    border-color: var(--_accent);
  }

  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }

  /* Phones and narrow windows: the sidebar is behind the menu button and overlays the chat when open. */
  @media (max-width: 719.98px) {
    .app {
      grid-template-columns: minmax(0, 1fr);
    }

    .menu {
      display: inline-flex;
    }

    .sidebar {
      display: none;
      z-index: 1;
      width: min(85vw, 20rem);
      justify-self: start;
      box-shadow: 0 0.5rem 1.5rem rgb(0 0 0 / 25%);
    }

    .menu-open .sidebar {
      display: flex;
    }

    .pane {
      grid-column: 1;
    }
  }
`;
