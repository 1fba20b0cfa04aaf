/**
 * The messages between the widget (host) and the mermaid frame (`mermaid-frame.html`, a sandboxed iframe with an
 * opaque origin). Type-only for the frame script; the constants are tiny and shared by both sides.
 */

/** Messages carry this `type` prefix, so other messages a page posts are ignored. */
export const MERMAID_MESSAGE = 'bedrock-chat-mermaid';

/**
 * The longest diagram source the host sends and the frame renders (characters); longer blocks stay code. Mermaid's
 * own default `maxTextSize` is 50,000 (https://mermaid.js.org/config/schema-docs/config.html); chat diagrams are a
 * few hundred characters.
 */
export const MAX_DIAGRAM_SOURCE = 20_000;

/** Host -> frame: render this source (sent once, after the frame said it is ready). */
export interface RenderRequest {
  readonly type: 'bedrock-chat-mermaid:render';
  readonly source: string;
}

/** Frame -> host. `ready`: the frame script runs; `size`: the rendered diagram's height (CSS px); `error`: not drawn. */
export type FrameMessage =
  | { readonly type: 'bedrock-chat-mermaid:ready' }
  | { readonly type: 'bedrock-chat-mermaid:size'; readonly height: number }
  | { readonly type: 'bedrock-chat-mermaid:error' };
