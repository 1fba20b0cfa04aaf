/// <reference lib="dom" />
/**
 * The translations: every string of the widget and the app is in the XLIFF files (what `lit-localize extract` finds
 * in the source today), every locale translates every string with the same placeholders, and the page's language
 * tags map onto the 16 locales.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeholders, readXliff, XLIFF_DIR, xliffLocales } from './xliff';
import { allLocales, targetLocales } from '../../src/web-components/generated/locale-codes';
import { LAUNCHER_TEXT } from '../../src/web-components/launcher/launcher-text';
import { matchLocale } from '../../src/web-components/shared/locales';

const ROOT = join(__dirname, '..', '..');

test('the 16 locales of the reference system, one XLIFF file per target locale', () => {
  expect([...allLocales]).toEqual(['de', 'en', 'es', 'fr', 'id', 'it', 'ja', 'ko', 'ms', 'nb', 'pl', 'pt-BR', 'th', 'vi', 'zh-Hans', 'zh-Hant']);
  expect(xliffLocales()).toEqual([...targetLocales].sort());
});

test('the XLIFF files hold exactly the strings in the source (run `npx projen i18n` after adding one)', () => {
  const out = mkdtempSync(join(tmpdir(), 'bedrock-chat-xliff-'));
  try {
    const config = JSON.parse(readFileSync(join(ROOT, 'lit-localize.json'), 'utf8'));
    config.tsConfig = join(ROOT, config.tsConfig);
    config.output.outputDir = join(out, 'locales');
    config.output.localeCodesModule = join(out, 'locale-codes.ts');
    config.interchange.xliffDir = join(out, 'xliff');
    config.targetLocales = ['de'];
    const file = join(out, 'lit-localize.json');
    writeFileSync(file, JSON.stringify(config));
    execFileSync(process.execPath, [join(ROOT, 'node_modules', '@lit', 'localize-tools', 'bin', 'lit-localize.js'), 'extract', '--config', file],
      { cwd: ROOT, stdio: 'pipe' });
    const fresh = readXliff(join(out, 'xliff', 'de.xlf')).map((u) => `${u.id} ${u.source}`).sort();
    for (const locale of xliffLocales()) {
      expect([locale, readXliff(join(XLIFF_DIR, `${locale}.xlf`)).map((u) => `${u.id} ${u.source}`).sort()]).toEqual([locale, fresh]);
    }
    expect(fresh.length).toBeGreaterThan(100);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

describe.each(xliffLocales())('%s', (locale) => {
  const units = readXliff(join(XLIFF_DIR, `${locale}.xlf`));

  test('translates every string, keeping its placeholders', () => {
    const missing = units.filter((u) => !u.target?.trim()).map((u) => u.source);
    expect(missing).toEqual([]);
    const broken = units.filter((u) => placeholders(u.source).join() !== placeholders(u.target ?? '').join()).map((u) => u.source);
    expect(broken).toEqual([]);
  });

  test('the generated module is the XLIFF file (npx projen i18n:build)', () => {
    const generated = readFileSync(join(ROOT, 'src', 'web-components', 'generated', 'locales', `${locale}.ts`), 'utf8');
    for (const unit of units) expect(generated).toContain(`'${unit.id}'`);
  });
});

test('the launcher texts exist in every locale', () => {
  for (const locale of allLocales) {
    const text = LAUNCHER_TEXT[locale];
    for (const key of ['open', 'chat', 'loading', 'failed'] as const) expect([locale, key, text[key].trim().length > 0]).toEqual([locale, key, true]);
  }
});

test.each([
  ['de', 'de'], ['de-AT', 'de'], ['DE-de', 'de'], ['en-GB', 'en'], ['es-419', 'es'], ['fr-CA', 'fr'], ['id-ID', 'id'],
  ['ja-JP', 'ja'], ['ko-KR', 'ko'], ['ms-MY', 'ms'], ['nb', 'nb'], ['nb-NO', 'nb'], ['no', 'nb'], ['nn-NO', 'nb'],
  ['pl-PL', 'pl'], ['pt', 'pt-BR'], ['pt-PT', 'pt-BR'], ['pt-br', 'pt-BR'], ['th-TH', 'th'], ['vi-VN', 'vi'],
  ['zh', 'zh-Hans'], ['zh-CN', 'zh-Hans'], ['zh-SG', 'zh-Hans'], ['zh-Hans-CN', 'zh-Hans'], ['zh-TW', 'zh-Hant'],
  ['zh-HK', 'zh-Hant'], ['zh-MO', 'zh-Hant'], ['zh-Hant', 'zh-Hant'], ['zh_TW', 'zh-Hant'], ['it-CH', 'it'],
])('the language tag %s gives %s', (tag, locale) => {
  expect(matchLocale(tag)).toBe(locale);
});

test.each([['ar'], ['he-IL'], [''], ['  '], [null], [undefined], ['x-klingon'], ['english']])('no locale for %p', (tag) => {
  expect(matchLocale(tag)).toBeUndefined();
});
