/**
 * Optional math (`math` on the element): a formula is shown as its source text in a `.md-math` element until the
 * converter (`mathml.ts`, its own chunk, imported the first time an answer contains a formula) has arrived, then
 * replaced, once, by its `<math>` element, or by its source as `<code>` when it is not valid LaTeX.
 */
type Converter = typeof import('./mathml.js');

let converter: Converter | undefined;
let loading: Promise<Converter | undefined> | undefined;

function load(): Promise<Converter | undefined> {
  loading ??= import('./mathml.js').then((mod) => {
    converter = mod;
    return mod;
  }, () => {
    loading = undefined; // a later formula may try again (network); these stay as source
    return undefined;
  });
  return loading;
}

/** Converted formulas (the open block is rendered again on each delta), cloned on use. */
const cache = new Map<string, Element | null>();

function convert(mod: Converter, tex: string, display: boolean, source: string): Node {
  const key = `${display ? 'D' : 'I'}${tex}`;
  let math = cache.get(key);
  if (math === undefined) {
    math = mod.toMathML(tex, display) ?? null;
    if (cache.size >= 500) cache.clear();
    cache.set(key, math);
  }
  if (math) return math.cloneNode(true);
  const code = document.createElement('code');
  code.textContent = source;
  return code;
}

/**
 * A formula: `tex` is the LaTeX, `source` what the answer says (with its delimiters), shown until the converter
 * arrives. `later` receives the pending conversion, if any (it never rejects).
 */
export function renderMath(tex: string, display: boolean, source: string, block: boolean, later?: (work: Promise<void>) => void): HTMLElement {
  const holder = document.createElement(block ? 'div' : 'span');
  holder.className = display ? 'md-math md-math-display' : 'md-math';
  if (display) holder.tabIndex = 0; // it may scroll: reachable by keyboard
  if (converter) {
    holder.appendChild(convert(converter, tex, display, source));
    return holder;
  }
  holder.textContent = source;
  const work = load().then((mod) => {
    // Once, and only over the source it was given.
    if (mod && holder.childNodes.length === 1 && holder.textContent === source) holder.replaceChildren(convert(mod, tex, display, source));
  });
  later?.(work);
  return holder;
}
