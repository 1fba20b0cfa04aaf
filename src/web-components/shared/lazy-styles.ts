import type { CSSResult } from 'lit';

/**
 * Adds the styles of a lazily loaded chunk to the shadow root an element renders in, once: its own, or, for the
 * launcher's panel (which renders into an element of the launcher's shadow root), the launcher's. A constructed style
 * sheet, like Lit's own styles, which a strict `style-src 'self'` does not block
 * (https://developer.mozilla.org/docs/Web/API/Document/adoptedStyleSheets).
 */
export function adoptLazyStyles(renderRoot: Node, styles: CSSResult): void {
  const root = renderRoot.getRootNode();
  const sheet = styles.styleSheet;
  if (!(root instanceof ShadowRoot) || !sheet || root.adoptedStyleSheets.includes(sheet)) return;
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}
