/**
 * LaTeX to MathML, the lazily loaded part of the optional math (its own chunk, `bedrock-chat-math-[hash].js`, with
 * Temml). Temml builds a tree of plain objects (`__renderToMathMLTree`); nothing of it is inserted as is: the tree is
 * walked and only allow-listed MathML elements and attributes are created (`createElementNS`, text nodes), so no
 * markup is ever parsed and no link, script, event handler, `href`, `style` or class can come out of a formula.
 * Temml runs with `trust: false` (no `\class`, `\id`, `\style`, `\data`, `\includegraphics`; this build has no
 * `\href`, `\url` or `\html…`), and formulas that name any of those commands are refused before parsing.
 */
import temml from 'temml';

const MATHML = 'http://www.w3.org/1998/Math/MathML';

/** MathML Core presentation elements (plus `menclose`, `mlabeledtr`), the only elements a formula may become. */
const ELEMENTS = new Set(['math', 'mrow', 'mi', 'mn', 'mo', 'ms', 'mtext', 'mspace', 'msub', 'msup', 'msubsup', 'munder',
  'mover', 'munderover', 'mmultiscripts', 'mprescripts', 'none', 'mfrac', 'msqrt', 'mroot', 'mstyle', 'mpadded',
  'mphantom', 'mtable', 'mtr', 'mtd', 'mlabeledtr', 'menclose', 'merror']);

/** Layout attributes only: no `href`, `src`, `style`, `class`, `id`, `on*`, `mathcolor`, `mathbackground`. */
const ATTRIBUTES = new Set(['display', 'displaystyle', 'scriptlevel', 'mathvariant', 'dir', 'stretchy', 'symmetric',
  'largeop', 'movablelimits', 'fence', 'separator', 'form', 'lspace', 'rspace', 'minsize', 'maxsize', 'accent',
  'accentunder', 'linethickness', 'width', 'height', 'depth', 'voffset', 'columnalign', 'rowalign', 'columnspan',
  'rowspan', 'columnlines', 'rowlines', 'columnspacing', 'rowspacing', 'frame', 'framespacing', 'notation']);

/** Attribute values: words, numbers and lengths (no `:`, `(`, quotes or angle brackets, so no URL or CSS). */
const VALUE = /^[\w .%+-]{0,64}$/;

/**
 * Commands that could make links, classes, ids, styles, data attributes or images, and macro definitions: a formula
 * naming one is refused (shown as source).
 */
const REFUSED = /\\(?:href|url|html[A-Za-z]*|class|cssId|id|style|data|includegraphics|def|gdef|edef|xdef|let|newcommand|renewcommand|providecommand|DeclareMathOperator|csname)(?![A-Za-z])/;

/** Formulas longer than this are shown as source. */
export const MAX_TEX = 4000;
/** Trees larger than this are shown as source. */
const MAX_NODES = 8000;

interface TreeNode {
  readonly type?: unknown;
  readonly text?: unknown;
  readonly attributes?: Record<string, unknown>;
  readonly children?: readonly TreeNode[];
}

/** Builds the allow-listed DOM of a Temml tree node; throws on anything not allowed. */
function build(node: TreeNode, parent: Node, budget: { left: number }): void {
  if (--budget.left < 0) throw new Error('too large');
  if (typeof node.type === 'string') {
    if (!ELEMENTS.has(node.type)) throw new Error(`element ${node.type}`);
    const element = parent.appendChild(document.createElementNS(MATHML, node.type));
    for (const [name, value] of Object.entries(node.attributes ?? {})) {
      if (ATTRIBUTES.has(name) && typeof value === 'string' && VALUE.test(value)) element.setAttribute(name, value);
    }
    for (const child of node.children ?? []) build(child, element, budget);
    return;
  }
  if (typeof node.text === 'string' && node.children === undefined) {
    parent.appendChild(document.createTextNode(node.text));
    return;
  }
  // Temml's fragment: children only (an HTML node from Temml, e.g. an anchor or an image, has other fields).
  const keys = Object.keys(node);
  if (Array.isArray(node.children) && keys.every((key) => key === 'children' || key === 'classes' || key === 'style')) {
    for (const child of node.children) build(child, parent, budget);
    return;
  }
  throw new Error('node');
}

/**
 * The `<math>` element of a formula, or undefined when it is not valid (or refused, or too large). `display`: a
 * display formula (`$$…$$`, `\[…\]`).
 */
export function toMathML(tex: string, display: boolean): MathMLElement | undefined {
  if (!tex.trim() || tex.length > MAX_TEX || REFUSED.test(tex)) return undefined;
  try {
    const tree = temml.__renderToMathMLTree(tex, {
      displayMode: display,
      throwOnError: true,
      trust: false,
      strict: false,
      annotate: false,
      wrap: 'none',
      macros: {},
      maxExpand: 200,
      maxSize: [20, 200], // em, pt
    }) as TreeNode;
    if (tree.type !== 'math') return undefined;
    const holder = document.createDocumentFragment();
    build(tree, holder, { left: MAX_NODES });
    const math = holder.firstChild as MathMLElement;
    if (display) math.setAttribute('display', 'block');
    return math;
  } catch {
    // Invalid LaTeX (ParseError), too deep (RangeError) or a node outside the allow-list: shown as source.
    return undefined;
  }
}

/** Converted formulas (the open block is rendered again on each delta), cloned on use. */
const cache = new Map<string, Element | null>();

/**
 * A formula's node for the renderer (markdown/math.ts): a clone of its cached `<math>` element, or its source as
 * `<code>` when it is not valid LaTeX.
 */
export function formulaNode(tex: string, display: boolean, source: string): Node {
  const key = `${display ? 'D' : 'I'}${tex}`;
  let math = cache.get(key);
  if (math === undefined) {
    math = toMathML(tex, display) ?? null;
    if (cache.size >= 500) cache.clear();
    cache.set(key, math);
  }
  if (math) return math.cloneNode(true);
  const code = document.createElement('code');
  code.textContent = source;
  return code;
}
