import { css } from 'lit';

/** Shared by the bot screens (the app's colours through the same custom properties as the chat). */
export const botStyles = css`
  :host {
    --_fg: var(--bedrock-chat-fg, #1b1f24);
    --_bg: var(--bedrock-chat-bg, #ffffff);
    --_muted: var(--bedrock-chat-muted, #57606a);
    --_border: var(--bedrock-chat-border, #d0d7de);
    --_accent: var(--bedrock-chat-accent, #0b5cad);
    --_accent-fg: var(--bedrock-chat-accent-fg, #ffffff);
    --_danger: var(--bedrock-chat-error-fg, #a40e26);
    --_focus: var(--bedrock-chat-focus-ring, #0969da);
    display: block;
    color: var(--_fg);
    font: inherit;
    color-scheme: var(--bedrock-chat-color-scheme, light dark);
    accent-color: var(--_accent);
  }
  /* The dark defaults, as <bedrock-chat> and <bedrock-chat-history> (the app sets the public properties only for an
     explicit theme; under the system's dark scheme each element resolves its own defaults). */
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
  h2, h3 { margin: 0 0 0.5rem; font-size: 1.05em; }
  /* Links in the text colour, underlined in the accent: any accent colour (branding) keeps them readable. */
  a { color: inherit; text-decoration-color: var(--_accent); text-decoration-thickness: 2px; text-underline-offset: 2px; }
  button, input, select, textarea { font: inherit; color: inherit; }
  button {
    padding: 0.3rem 0.7rem; border: 1px solid var(--_border); border-radius: 0.4rem;
    background: var(--_bg); cursor: pointer;
  }
  button.primary { background: var(--_accent); color: var(--_accent-fg); border-color: var(--_accent); }
  button.danger { color: var(--_danger); }
  button:disabled { opacity: 0.6; cursor: default; }
  button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible {
    outline: 2px solid var(--_focus); outline-offset: 1px;
  }
  input[type="text"], input[type="number"], input[type="search"], select, textarea {
    width: 100%; padding: 0.35rem 0.5rem; border: 1px solid var(--_border); border-radius: 0.4rem; background: var(--_bg);
  }
  textarea { resize: vertical; min-height: 4rem; }
  [aria-invalid="true"] { border-color: var(--_danger); }
  .field { display: block; margin: 0 0 0.75rem; }
  .field > label, .field > span { display: block; margin-bottom: 0.2rem; font-weight: 600; }
  .hint { color: var(--_muted); font-size: 0.875em; margin: 0.2rem 0 0; }
  .field-error, .error { color: var(--_danger); font-size: 0.875em; margin: 0.2rem 0 0; }
  .status { color: var(--_muted); }
  fieldset { border: 1px solid var(--_border); border-radius: 0.5rem; margin: 0 0 0.75rem; padding: 0.5rem 0.75rem; }
  legend { font-weight: 600; padding: 0 0.25rem; }
  .grow { flex: 1; width: auto; }
  .row { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 0.5rem; }
  ul.plain { list-style: none; margin: 0; padding: 0; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 0.75rem; list-style: none; margin: 0 0 1rem; padding: 0; }
  .card { border: 1px solid var(--_border); border-radius: 0.6rem; padding: 0.75rem; display: flex; flex-direction: column; gap: 0.4rem; }
  .card p { margin: 0; color: var(--_muted); font-size: 0.9em; overflow-wrap: anywhere; }
  .card .row { margin-top: auto; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  dialog { border: 1px solid var(--_border); border-radius: 0.75rem; background: var(--_bg); color: var(--_fg); width: min(34rem, 92vw); }
  dialog::backdrop { background: rgb(0 0 0 / 40%); }
`;
