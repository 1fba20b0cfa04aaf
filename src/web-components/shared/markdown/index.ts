/** Incremental, safe markdown rendering for streamed model output. */
export { loadParser, MarkdownStream, renderMarkdown } from './stream.js';
export type { MarkdownOptions } from './stream.js';
export type { Citation } from './render.js';
export { safeUrl } from './inline.js';
export { markdownStyles } from './markdown.styles.js';
