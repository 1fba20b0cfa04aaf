/**
 * The locales of the widget and how a page's language is matched to one of them. No dependencies: the entry script
 * (launcher) and the full chunk both use it.
 */
import { allLocales, sourceLocale } from '../generated/locale-codes.js';

export type Locale = (typeof allLocales)[number];
export { allLocales as LOCALES, sourceLocale as SOURCE_LOCALE };

const BY_LOWER = new Map<string, Locale>(allLocales.map((l) => [l.toLowerCase(), l]));

/**
 * The supported locale for a BCP 47 language tag, or undefined: exact match (case-insensitive), then Chinese by
 * script or region (`zh-TW`, `zh-HK`, `zh-MO`, `zh-Hant-*` → `zh-Hant`; `zh`, `zh-CN`, `zh-SG`, `zh-Hans-*` → `zh-Hans`),
 * Norwegian (`no`, `nn`, `nb-NO` → `nb`), any Portuguese → `pt-BR`, then the primary language (`de-AT` → `de`).
 */
export function matchLocale(tag: string | null | undefined): Locale | undefined {
  const lower = tag?.trim().replace(/_/g, '-').toLowerCase();
  if (!lower) return undefined;
  const exact = BY_LOWER.get(lower);
  if (exact) return exact;
  const [language, ...rest] = lower.split('-');
  if (language === 'zh') return rest.includes('hant') || rest.some((s) => s === 'tw' || s === 'hk' || s === 'mo') ? 'zh-Hant' : 'zh-Hans';
  if (language === 'no' || language === 'nn') return 'nb';
  if (language === 'pt') return 'pt-BR';
  return BY_LOWER.get(language!);
}

/** The `lang` in effect for an element: its own or its nearest ancestor's, crossing shadow roots. */
export function langOf(element: Element): string | undefined {
  let node: Node | null = element;
  while (node) {
    if (node instanceof Element && node.hasAttribute('lang')) return node.getAttribute('lang') ?? undefined;
    node = node.parentNode ?? (node instanceof ShadowRoot ? node.host : null);
  }
  return undefined;
}

/** The locale for an element: its `lang` (or the page's), else the browser's languages, else English. */
export function preferredLocale(element: Element): Locale {
  const lang = langOf(element);
  const browser = typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language];
  for (const tag of [lang, ...browser]) {
    const locale = matchLocale(tag);
    if (locale) return locale;
  }
  return sourceLocale;
}
