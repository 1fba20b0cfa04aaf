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

/**
 * A formula: `tex` is the LaTeX, `source` what the answer says (with its delimiters), shown until the converter
 * arrives. `later` receives the pending conversion, if any (it never rejects).
 */
export function renderMath(tex: string, display: boolean, source: string, block: boolean, later?: (work: Promise<void>) => void): HTMLElement {
  const holder = document.createElement(block ? 'div' : 'span');
  holder.className = display ? 'md-math md-math-display' : 'md-math';
  if (display) holder.tabIndex = 0; // it may scroll: reachable by keyboard
  if (converter) {
    holder.appendChild(converter.formulaNode(tex, display, source));
    return holder;
  }
  holder.textContent = source;
  const work = load().then((mod) => {
    // Once, and only over the source it was given.
    if (mod && holder.childNodes.length === 1 && holder.textContent === source) holder.replaceChildren(mod.formulaNode(tex, display, source));
  });
  later?.(work);
  return holder;
}
