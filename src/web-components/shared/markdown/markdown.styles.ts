import { css } from 'lit';

/**
 * Styles of rendered markdown (inside `.md`), from the element's resolved custom properties (`--_*`).
 * Classes only: nothing is styled from model data, so it works under `style-src 'self'`.
 */
export const markdownStyles = css`
  .md > :first-child { margin-top: 0; }
  .md > :last-child { margin-bottom: 0; }
  .md p, .md ul, .md ol, .md blockquote, .md .md-code, .md .md-table, .md hr { margin: 0 0 0.75em; }
  .md h1, .md h2, .md h3, .md h4, .md h5, .md h6 { margin: 1em 0 0.5em; line-height: 1.25; font-weight: 600; }
  .md h1 { font-size: 1.5em; }
  .md h2 { font-size: 1.3em; }
  .md h3 { font-size: 1.15em; }
  .md h4, .md h5, .md h6 { font-size: 1em; }
  .md ul, .md ol { padding-inline-start: 1.5em; }
  .md li > ul, .md li > ol, .md li > p { margin: 0.25em 0; }
  .md blockquote { padding-inline-start: 0.75em; border-inline-start: 0.25em solid var(--_border); color: var(--_muted); }
  .md hr { border: 0; border-top: 1px solid var(--_border); }
  .md a { color: var(--_accent); text-decoration: underline; }
  .md .md-image::before { content: '🖼 '; }
  .md code { font-family: var(--_mono); font-size: 0.9em; padding: 0.1em 0.3em; border-radius: 0.3em; background: var(--_bg); }
  .md del { text-decoration: line-through; }
  .md-code { border: 1px solid var(--_border); border-radius: calc(var(--_radius) / 2); background: var(--_bg); overflow: hidden; }
  .md-code-bar {
    display: flex; align-items: center; justify-content: space-between; gap: 0.5em;
    padding: 0.25em 0.5em; border-bottom: 1px solid var(--_border); font-size: 0.8125em; color: var(--_muted);
  }
  .md-code-bar button {
    min-height: 1.75rem; padding: 0.125rem 0.625rem; font-size: inherit; color: var(--_fg);
    background: transparent; border: 1px solid var(--_border); border-radius: 0.375rem;
  }
  .md-code-bar button.md-copied { color: var(--_accent-fg); background: var(--_accent); border-color: var(--_accent); }
  .md-code-bar button.md-copied::before { content: '✓ '; }
  .md-diagram { display: block; width: 100%; border: 0; background: #fff; }
  .md-diagram-note { margin: 0; padding: 0.25em 0.75em; font-size: 0.8125em; color: var(--_muted); border-bottom: 1px solid var(--_border); }
  .md pre { margin: 0; padding: 0.75em; overflow-x: auto; white-space: pre; }
  .md pre code { padding: 0; background: none; font-size: 0.875em; }
  .md .tok-k { color: var(--_accent); font-weight: 600; }
  .md .tok-s { color: var(--bedrock-chat-code-string, #0a7a3a); }
  .md .tok-c { color: var(--_muted); font-style: italic; }
  .md .tok-n { color: var(--bedrock-chat-code-number, #9a4a00); }
  /* diff: added lines in the string colour, removed lines in the error colour (both 4.5:1 or more on --_bg) */
  .md .tok-add { color: var(--bedrock-chat-code-string, #0a7a3a); }
  .md .tok-del { color: var(--_error-fg); }
  /* math: a formula (its source until the converter has loaded) */
  .md .md-math-display { display: block; margin: 0 0 0.75em; overflow-x: auto; overflow-y: hidden; }
  .md .md-math-display:last-child { margin-bottom: 0; }
  .md math[display='block'] { display: block math; }
  .md-table { overflow-x: auto; max-width: 100%; }
  .md table { border-collapse: collapse; white-space: normal; }
  .md th, .md td { border: 1px solid var(--_border); padding: 0.3em 0.6em; text-align: start; vertical-align: top; }
  .md th { background: var(--_bg); font-weight: 600; }
  .md .md-left { text-align: left; }
  .md .md-center { text-align: center; }
  .md .md-right { text-align: right; }
  .md li.md-task { list-style: none; }
  .md li.md-task > input { margin: 0 0.35em 0 -1.3em; vertical-align: middle; }
  .md .md-fnref { line-height: 0; }
  .md .md-footnotes { border-top: 1px solid var(--_border); margin-top: 1em; font-size: 0.9em; }
  .md .md-html { white-space: pre-wrap; }

  @media (prefers-color-scheme: dark) {
    .md .tok-s { color: var(--bedrock-chat-code-string, #7ee787); }
    .md .tok-n { color: var(--bedrock-chat-code-number, #ffa657); }
    .md .tok-add { color: var(--bedrock-chat-code-string, #7ee787); }
  }
`;
