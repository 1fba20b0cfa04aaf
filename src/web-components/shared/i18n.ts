/**
 * Localization with @lit/localize (runtime mode): strings are wrapped in `msg()`; `lit-localize extract` writes them
 * into `src/web-components/xliff/<locale>.xlf` for translation and `lit-localize build` generates
 * `src/web-components/generated/locales/<locale>.ts`, each loaded lazily as its own small chunk.
 *
 * The locale is one per page (the @lit/localize model): an element applies the locale of its `lang` attribute (or
 * its nearest ancestor's, i.e. the page's) when it connects and whenever that `lang` or `<html lang>` changes.
 */
import { configureLocalization, LOCALE_STATUS_EVENT } from '@lit/localize';
import type { LocaleModule } from '@lit/localize';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { preferredLocale, SOURCE_LOCALE } from './locales.js';
import type { Locale } from './locales.js';
import { targetLocales } from '../generated/locale-codes.js';

type TargetLocale = (typeof targetLocales)[number];

const LOADERS: Readonly<Record<TargetLocale, () => Promise<LocaleModule>>> = {
  'de': () => import('../generated/locales/de.js'),
  'es': () => import('../generated/locales/es.js'),
  'fr': () => import('../generated/locales/fr.js'),
  'id': () => import('../generated/locales/id.js'),
  'it': () => import('../generated/locales/it.js'),
  'ja': () => import('../generated/locales/ja.js'),
  'ko': () => import('../generated/locales/ko.js'),
  'ms': () => import('../generated/locales/ms.js'),
  'nb': () => import('../generated/locales/nb.js'),
  'pl': () => import('../generated/locales/pl.js'),
  'pt-BR': () => import('../generated/locales/pt-BR.js'),
  'th': () => import('../generated/locales/th.js'),
  'vi': () => import('../generated/locales/vi.js'),
  'zh-Hans': () => import('../generated/locales/zh-Hans.js'),
  'zh-Hant': () => import('../generated/locales/zh-Hant.js'),
};

let runtime: ReturnType<typeof configureLocalization> | undefined;

/** Configured on first use (not at import: importing touches nothing). */
function localization(): ReturnType<typeof configureLocalization> {
  runtime ??= configureLocalization({
    sourceLocale: SOURCE_LOCALE,
    targetLocales,
    loadLocale: (locale) => LOADERS[locale as TargetLocale](),
  });
  return runtime;
}

/** The locale in effect ('en' until another one has loaded). */
export function currentLocale(): Locale {
  return (runtime?.getLocale() ?? SOURCE_LOCALE) as Locale;
}

/**
 * Switches the page to `locale` (loading its strings once); elements using `LocaleController` re-render when it is
 * ready. If the strings cannot be loaded (network), the current locale stays.
 */
export function setPageLocale(locale: Locale): Promise<void> {
  return localization().setLocale(locale).catch(() => undefined);
}

/** Applies the locale an element asks for through its `lang` (or the page's language). */
export function applyLocale(element: Element): Promise<void> {
  return setPageLocale(preferredLocale(element));
}

/** Numbers in the current locale's digits and separators. */
export function formatNumber(value: number): string {
  return new Intl.NumberFormat(currentLocale()).format(value);
}

/** A price in US dollars (what Bedrock bills in), two decimals from one cent up, else four. */
export function formatUsd(value: number): string {
  const digits = value >= 0.01 ? 2 : 4;
  return new Intl.NumberFormat(currentLocale(), {
    style: 'currency', currency: 'USD', minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(value);
}

const hosts = new Set<ReactiveControllerHost & HTMLElement>();
let pageObserver: MutationObserver | undefined;

/**
 * Gives a Lit element the page's locale: applies it when the element connects and when its own `lang` attribute or
 * `<html lang>` changes, and re-renders the element whenever a new locale is ready.
 */
export class LocaleController implements ReactiveController {
  private observer?: MutationObserver;
  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
  }

  private readonly onStatus = (event: Event): void => {
    if ((event as CustomEvent<{ status: string }>).detail.status === 'ready') this.host.requestUpdate();
  };

  hostConnected(): void {
    hosts.add(this.host);
    window.addEventListener(LOCALE_STATUS_EVENT, this.onStatus);
    this.observer = new MutationObserver(() => void applyLocale(this.host));
    this.observer.observe(this.host, { attributes: true, attributeFilter: ['lang'] });
    if (!pageObserver) {
      pageObserver = new MutationObserver(() => {
        for (const host of hosts) void applyLocale(host);
      });
      pageObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    }
    void applyLocale(this.host);
  }

  hostDisconnected(): void {
    hosts.delete(this.host);
    window.removeEventListener(LOCALE_STATUS_EVENT, this.onStatus);
    this.observer?.disconnect();
    this.observer = undefined;
  }
}
