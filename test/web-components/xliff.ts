import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const XLIFF_DIR = join(__dirname, '..', '..', 'src', 'web-components', 'xliff');

export interface TransUnit {
  readonly id: string;
  /** The source with placeholders as written in the file (`<x id="0" equiv-text="…"/>`). */
  readonly source: string;
  readonly target?: string;
}

/** The trans-units of one XLIFF 1.2 file as lit-localize writes it (one unit per `<trans-unit>` element). */
export function readXliff(file: string): TransUnit[] {
  const xml = readFileSync(file, 'utf8');
  return [...xml.matchAll(/<trans-unit id="([^"]+)">([\s\S]*?)<\/trans-unit>/g)].map(([, id, body]) => ({
    id,
    source: /<source>([\s\S]*?)<\/source>/.exec(body)?.[1] ?? '',
    target: /<target>([\s\S]*?)<\/target>/.exec(body)?.[1],
  }));
}

/** The target locales that have an XLIFF file, e.g. `de`, `pt-BR`. */
export function xliffLocales(dir = XLIFF_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.xlf')).map((f) => f.slice(0, -4)).sort();
}

/** Placeholders of a source or target, sorted (`<x id="0" equiv-text="…"/>`). */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/<x\s[^>]*\/>/g)].map((m) => m[0]).sort();
}

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };

/** The text a user sees (XML entities decoded), with each placeholder written `{id}`. */
export function plain(text: string): string {
  return text.replace(/<x\s+id="(\d+)"[^>]*\/>/g, '{$1}').replace(/&(lt|gt|amp|quot|apos);/g, (e) => ENTITIES[e]);
}

/** The translation of an English string in a locale; placeholders are written `{0}`, `{1}`… in both. */
export function translate(locale: string, english: string): string {
  const unit = readXliff(join(XLIFF_DIR, `${locale}.xlf`)).find((u) => plain(u.source) === english);
  if (!unit?.target) throw new Error(`No ${locale} translation of "${english}"`);
  return plain(unit.target);
}
