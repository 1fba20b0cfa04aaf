/** The part of commonmark.js (0.31.2, no bundled types) that parse.ts and render.ts use. */
declare module 'commonmark' {
  export class Node {
    constructor(type: string, sourcepos?: [[number, number], [number, number]]);
    readonly type: string;
    readonly firstChild: Node | null;
    readonly lastChild: Node | null;
    readonly next: Node | null;
    readonly prev: Node | null;
    readonly parent: Node | null;
    sourcepos: [[number, number], [number, number]];
    literal: string | null;
    destination: string | null;
    title: string | null;
    info: string | null;
    readonly level: number;
    readonly listType: 'bullet' | 'ordered';
    readonly listTight: boolean;
    readonly listStart: number | null;
    appendChild(child: Node): void;
    insertAfter(sibling: Node): void;
    insertBefore(sibling: Node): void;
    unlink(): void;
  }
  export class Parser {
    constructor(options?: Record<string, unknown>);
    parse(input: string): Node;
  }
  export class HtmlRenderer {
    constructor(options?: Record<string, unknown>);
    render(root: Node): string;
  }
}
