import type { Locale } from './locales.js';

/** Each locale's name in its own language (what a language menu shows; never translated). */
export const LOCALE_NAMES: Readonly<Record<Locale, string>> = {
  'de': 'Deutsch',
  'en': 'English',
  'es': 'Español',
  'fr': 'Français',
  'id': 'Bahasa Indonesia',
  'it': 'Italiano',
  'ja': '日本語',
  'ko': '한국어',
  'ms': 'Bahasa Melayu',
  'nb': 'Norsk bokmål',
  'pl': 'Polski',
  'pt-BR': 'Português (Brasil)',
  'th': 'ไทย',
  'vi': 'Tiếng Việt',
  'zh-Hans': '简体中文',
  'zh-Hant': '繁體中文',
};
