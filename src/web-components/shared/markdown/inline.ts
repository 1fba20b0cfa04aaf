/** The URL policy of rendered links, and the element helper of the renderer. */
const ALLOWED_PROTOCOLS = ['http:', 'https:', 'mailto:'];

/**
 * The normalized URL if `raw` is an absolute http(s) or mailto URL, else undefined. No entity decoding, no
 * whitespace or control characters: `JaVaScRiPt:`, `java\tscript:`, `&#106;avascript:`, `data:`… are refused.
 */
export function safeUrl(raw: string): string | undefined {
  const url = raw.replace(/\\([!-/:-@[-`{-~])/g, '$1');
  if (!/^(?:https?:\/\/|mailto:)/i.test(url) || /[\s\p{Cc}]/u.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return ALLOWED_PROTOCOLS.includes(parsed.protocol) ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}


