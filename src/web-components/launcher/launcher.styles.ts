/**
 * Styles of `<bedrock-chat>` itself (the entry, before the full chunk is loaded): the host in inline mode, and the
 * launcher button and its panel. Plain CSS text for a constructable style sheet (no Lit in the entry); adopted
 * style sheets are allowed by a strict `style-src 'self'`.
 */
export const LAUNCHER_CSS = /* css */ `
:host {
  display: block;
  box-sizing: border-box;
  height: var(--bedrock-chat-height, 32rem);
  color-scheme: var(--bedrock-chat-color-scheme, light dark);
  --_l-text: var(--bedrock-chat-fg, #1b1f24);
}
@media (prefers-color-scheme: dark) {
  :host { --_l-text: var(--bedrock-chat-fg, #e6edf3); }
}
:host([hidden]) { display: none !important; }
.view { display: contents; }
:host([mode="launcher"]) {
  --_l-size: var(--bedrock-chat-launcher-size, 3.5rem);
  --_l-offset: var(--bedrock-chat-launcher-offset, 1.25rem);
  --_l-bg: var(--bedrock-chat-launcher-bg, var(--bedrock-chat-accent, #0b5cad));
  --_l-fg: var(--bedrock-chat-launcher-fg, var(--bedrock-chat-accent-fg, #ffffff));
  --_l-ring: var(--bedrock-chat-focus-ring, #0969da);
  --_l-panel-bg: var(--bedrock-chat-bg, #ffffff);
  --_l-border: var(--bedrock-chat-border, #d0d7de);
  display: contents;
}
@media (prefers-color-scheme: dark) {
  :host([mode="launcher"]) {
    --_l-bg: var(--bedrock-chat-launcher-bg, var(--bedrock-chat-accent, #4493f8));
    --_l-fg: var(--bedrock-chat-launcher-fg, var(--bedrock-chat-accent-fg, #0d1117));
    --_l-ring: var(--bedrock-chat-focus-ring, #4493f8);
    --_l-panel-bg: var(--bedrock-chat-bg, #0d1117);
    --_l-border: var(--bedrock-chat-border, #3d444d);
  }
}
.launcher {
  position: fixed;
  right: var(--_l-offset);
  bottom: var(--_l-offset);
  z-index: var(--bedrock-chat-launcher-z-index, 2147483000);
  display: grid;
  place-items: center;
  width: var(--_l-size);
  height: var(--_l-size);
  margin: 0;
  padding: 0;
  border: 0;
  border-radius: 50%;
  color: var(--_l-fg);
  background: var(--_l-bg);
  box-shadow: var(--bedrock-chat-launcher-shadow, 0 4px 14px rgb(0 0 0 / 0.25));
  cursor: pointer;
  transition: transform 0.15s ease;
}
.launcher:hover { transform: scale(1.05); }
.launcher:focus-visible { outline: 3px solid var(--_l-ring); outline-offset: 3px; }
.launcher svg { width: 45%; height: 45%; }
.panel {
  position: fixed;
  right: var(--_l-offset);
  bottom: calc(var(--_l-offset) + var(--_l-size) + 0.75rem);
  z-index: var(--bedrock-chat-launcher-z-index, 2147483000);
  box-sizing: border-box;
  display: flex;
  flex-direction: column;
  width: var(--bedrock-chat-panel-width, 25rem);
  max-width: calc(100vw - 2 * var(--_l-offset));
  height: var(--bedrock-chat-panel-height, 40rem);
  max-height: calc(100vh - var(--_l-size) - 3 * var(--_l-offset));
  overflow: hidden;
  border: 1px solid var(--_l-border);
  border-radius: var(--bedrock-chat-radius, 0.75rem);
  background: var(--_l-panel-bg);
  box-shadow: 0 8px 30px rgb(0 0 0 / 0.25);
  opacity: 1;
  transform: none;
  transform-origin: bottom right;
  transition: opacity 0.18s ease, transform 0.18s ease;
}
.panel[hidden] { display: none; }
@starting-style {
  .panel { opacity: 0; transform: translateY(0.75rem) scale(0.98); }
}
.panel:focus { outline: none; }
.panel > .view > .base, .panel .base { height: 100%; }
.status { margin: auto; padding: 1rem; font-family: var(--bedrock-chat-font, system-ui, sans-serif); color: var(--_l-text); }
@media (prefers-reduced-motion: reduce) {
  .launcher, .panel { transition: none; }
  .launcher:hover { transform: none; }
}
`;
