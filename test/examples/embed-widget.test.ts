import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'embed-widget');
const read = (file: string) => fs.readFileSync(path.join(EXAMPLE, file), 'utf8');

describe('examples/embed-widget (static checks; the browser test embeds it for real)', () => {
  const html = read('index.html');
  const js = read('embed.js');

  test('the page has one <bedrock-chat> element and loads embed.js as a module, with no inline script or style', () => {
    const markup = html.replace(/<!--[\s\S]*?-->/g, '');
    expect(markup.match(/<bedrock-chat[\s>]/g)).toHaveLength(1);
    expect(markup).toMatch(/<script type="module" src="\.\/embed\.js"><\/script>/);
    // Every <script> has a src (works under a strict CSP on the host page); no inline event handlers or styles.
    const scripts = markup.match(/<script\b[^>]*>/g) ?? [];
    for (const tag of scripts) expect(tag).toMatch(/\bsrc="/);
    expect(html).not.toMatch(/\son[a-z]+=|\sstyle=|<style/i);
  });

  test('embed.js adds <script type="module" src> for the widget, the local playground by default, ?widget= to switch', () => {
    expect(js).toContain("export const WIDGET_URL = 'http://127.0.0.1:8080/bedrock-chat.js';");
    expect(js).toMatch(/createElement\('script'\)[\s\S]*script\.type = 'module'[\s\S]*script\.src = widgetUrl\.href/);
    expect(js).toContain("params.get('widget')");
    expect(js).toMatch(/new URL\(\(overridable && params\.get\('config'\)\) \|\| 'config\.json', widgetUrl\)/);
    expect(js).toMatch(/setAttribute\('config-url', configUrl\.href\)/);
  });

  test('embed.js gives the element a tokenProvider from the host session', () => {
    expect(js).toMatch(/chat\.tokenProvider = tokenProviderFor\(/);
    expect(js).toMatch(/querySelector\('bedrock-chat'\)/);
  });

  test('the production snippet in the page and the README names the widget path the frontend serves', () => {
    for (const text of [html, read('README.md')]) {
      expect(text).toMatch(/<script type="module" src="https:\/\/[^"]+\/bedrock-chat\.js"><\/script>/);
      expect(text).toMatch(/<bedrock-chat config-url="https:\/\/[^"]+\/config\.json"><\/bedrock-chat>/);
    }
  });

  test('embed.js parses as an ES module', () => {
    // No build step: the file must be valid JavaScript as shipped (checked without running it).
    const out = ts.transpileModule(js, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, allowJs: true } });
    expect(out.diagnostics).toEqual([]);
  });
});
