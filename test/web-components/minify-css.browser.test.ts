/**
 * The web build minifies the components' style sheets (src/web-components/minify-css.ts). Every template it changes
 * must mean the same to the browser: as the bundle has it (a template literal, read with its escapes), the minified
 * text parses in Chromium to the same rules (selectors, conditions, property names, in order) as the source.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, describeBrowser } from './fake-backend';
import { launchChromium } from '../../src/local/browser';
import { CSS_TEMPLATE, minifyCss } from '../../src/web-components/minify-css';

const WEB = join(__dirname, '../../src/web-components');

/** Every style sheet template of the web components' sources, with where it is. */
function templates(): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated') walk(path);
      } else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        for (const m of source.matchAll(CSS_TEMPLATE)) out.push({ where: `${path.slice(WEB.length + 1)}:${source.slice(0, m.index).split('\n').length}`, text: m[2] });
      }
    }
  };
  walk(WEB);
  return out;
}

describeBrowser('minified style sheets in Chromium', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium(CHROMIUM);
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
  });

  test('every changed template parses to the same rules as its source, as the bundle reads it', async () => {
    const found = templates();
    // The chat's, the markdown's, the launcher's (marked /* css */) and the app's sheets at least.
    expect(found.map((t) => t.where.split(':')[0])).toEqual(expect.arrayContaining([
      'bedrock-chat/bedrock-chat.styles.ts', 'shared/markdown/markdown.styles.ts', 'launcher/launcher.styles.ts', 'history/bedrock-chat-history.styles.ts',
    ]));
    let changed = 0;
    for (const { where, text } of found) {
      const min = minifyCss(text);
      if (min === undefined) continue;
      changed++;
      expect(min.length).toBeLessThan(text.length);
      // What a template literal with this text cooks to (what Lit's css tag and the entry's sheet receive).
      const cooked = new Function(`return \`${min}\`;`)() as string;
      expect(cooked).toBe(min);
      const [source, built] = await page.evaluate(([a, b]) => {
        const shape = (rules: CSSRuleList): unknown[] => [...rules].map((r) => {
          if (r instanceof CSSStyleRule) return [r.selectorText, [...r.style].join(' '), shape(r.cssRules)];
          if (r instanceof CSSMediaRule || r instanceof CSSSupportsRule || r instanceof CSSContainerRule) return [r.conditionText, shape(r.cssRules)];
          if (r instanceof CSSKeyframesRule) return [r.name, [...r.cssRules].map((k) => (k as CSSKeyframeRule).keyText)];
          return [r.constructor.name];
        });
        const parse = (t: string) => {
          const sheet = new CSSStyleSheet();
          sheet.replaceSync(t);
          return shape(sheet.cssRules);
        };
        return [parse(a), parse(b)];
      }, [text, cooked]);
      expect({ where, rules: source.length > 0 }).toEqual({ where, rules: true });
      expect({ where, rules: built }).toEqual({ where, rules: source });
    }
    expect(changed).toBeGreaterThanOrEqual(4);
  });
});
