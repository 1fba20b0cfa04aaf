/// <reference path="./commonmark.d.ts" />
/**
 * commonmark.js's parser and tree, without its HTML and XML renderers (the package's index exports those too, and
 * its exports map offers no other entry; 6 KB minified that the widget never uses).
 */
import type { Node as CmNode, Parser as CmParser } from 'commonmark';
// @ts-expect-error commonmark.js ships no types for its modules (the declarations are in commonmark.d.ts)
import ParserImpl from '../../../../node_modules/commonmark/lib/blocks.js';
// @ts-expect-error as above
import NodeImpl from '../../../../node_modules/commonmark/lib/node.js';

export const Node = NodeImpl as typeof CmNode;
export type Node = CmNode;
export const Parser = ParserImpl as typeof CmParser;
