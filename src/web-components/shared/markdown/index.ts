/** Incremental, safe markdown rendering for streamed model output. */
export { MarkdownStream } from './stream.js';
export type { MarkdownOptions } from './stream.js';
export { safeUrl } from './inline.js';
export { parseBlocks, BlockSplitter } from './blocks.js';
export type { Block, BlockKind, BlockOptions } from './blocks.js';
export { markdownStyles } from './markdown.styles.js';
