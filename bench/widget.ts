/**
 * Widget figures (bench/README.md): gzip sizes of the entry and of entry + full chunk, and the main-thread time to
 * stream-render a markdown answer into <bedrock-chat> and into deep-chat in the same Chromium. Needs assets/web
 * (`npx vite build --config src/web-components/vite.config.mts`) and /usr/bin/chromium.
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import { join, resolve } from 'path';
import { gzipSync } from 'zlib';
import type { Browser } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { launchChromium } from '../src/local/browser';

const ROOT = resolve(__dirname, '..');
const WEB = join(ROOT, 'assets', 'web');
const DEEP_CHAT = join(ROOT, 'node_modules', 'deep-chat', 'dist', 'deepChat.bundle.js');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RUNS = Number(process.env.BENCH_WIDGET_RUNS ?? 3);
const CHUNK = 20;
const TOKEN = ['e30', Buffer.from(JSON.stringify({ sub: 'bench' })).toString('base64url'), 'sig'].join('.');

/** A realistic answer of about `bytes` characters: headings, paragraphs, lists, code, tables. */
export function markdownAnswer(bytes: number): string {
  const parts: string[] = [];
  for (let i = 1; parts.join('\n').length < bytes; i++) {
    parts.push(`## Step ${i}: configure the **service** and check the \`result\``, '',
      `The deployment in step ${i} creates a *stack* with a table, a bucket and two functions. Each function reads its settings from the environment, so nothing is hard-coded; see [the guide](https://example.com/guide/${i}) for details. Costs stay low because everything is billed per request.`, '',
      '- Create the table with on-demand capacity', `- Add a lifecycle rule that deletes uploads after ${i} days`, '  - keep the access logs for 90 days', '- Grant the functions least-privilege access', '',
      '```ts', `const table = new dynamodb.Table(this, 'Table${i}', {`, "  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },", '  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,', '});', `table.grantReadWriteData(handler); // step ${i}`, '```', '',
      '| resource | monthly cost | notes |', '|---|--:|---|', `| table | $${(i * 0.37).toFixed(2)} | on demand |`, `| bucket | $${(i * 0.11).toFixed(2)} | lifecycle ${i} d |`, '| functions | $0.00 | free tier |', '',
      '1. Deploy with `cdk deploy`', '2. Open the URL from the outputs', `3. Ask a question and compare with answer ${i}`, '');
  }
  return parts.join('\n').slice(0, bytes);
}

/**
 * Adversarial answers of `bytes` characters, each one paragraph or container that stays open while it streams: 64 K
 * `[`, unclosed link openers `[a](`, emphasis runs that never close, backtick runs of every length, quotes nested 40
 * deep on every line, and a list nested 40 deep. Each must render within twice the time of the normal answer.
 */
export function adversarialAnswers(bytes = 65_536): Record<string, string> {
  const fill = (unit: string) => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
  return {
    brackets: fill('['),
    linkOpeners: fill('[a]('),
    emphasis: fill('*a _b **c __d '),
    backticks: Array.from({ length: 6000 }, (_, i) => '`'.repeat((i % 40) + 1) + 'a').join(' ').slice(0, bytes),
    quotes: fill(`${'> '.repeat(40)}a\n`),
    lists: Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => `${' '.repeat((i % 40) * 2)}- item`).join('\n').slice(0, bytes),
  };
}

const ours = (ws: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head><body>
<bedrock-chat style="--bedrock-chat-height: 90vh"></bedrock-chat>
<script type="module">
  import { ready } from '/bedrock-chat.js';
  const chat = document.querySelector('bedrock-chat');
  chat.config = { webSocketUrl: '${ws}', restApiUrl: location.origin + '/api/' };
  chat.tokenProvider = async () => ${JSON.stringify(TOKEN)};
  await ready; await chat.updateComplete;
  document.addEventListener('bedrock-chat-message', () => requestAnimationFrame(() => requestAnimationFrame(() => { window.done = true; })));
  window.send = () => { const input = chat.shadowRoot.querySelector('textarea[part="input"]'); input.value = 'go'; chat.shadowRoot.querySelector('form').requestSubmit(); };
  window.benchReady = true;
</script></body></html>`;

const deep = (ws: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head><body>
<deep-chat style="height: 90vh; width: 48rem"></deep-chat>
<script type="module">
  import '/deep-chat.js';
  const chat = document.querySelector('deep-chat');
  chat.connect = { stream: true, handler: (body, signals) => {
    const socket = new WebSocket('${ws}', ['bedrock-chat.v1', ${JSON.stringify(TOKEN)}]);
    socket.onopen = () => { signals.onOpen(); socket.send(JSON.stringify({ action: 'sendMessage', v: 1, requestId: 'r1', content: [{ text: 'go' }] })); };
    socket.onmessage = (e) => { const f = JSON.parse(e.data);
      if (f.type === 'text') signals.onResponse({ text: f.delta });
      if (f.type === 'end') { signals.onClose(); socket.close(); requestAnimationFrame(() => requestAnimationFrame(() => { window.done = true; })); } };
  } };
  await customElements.whenDefined('deep-chat');
  await new Promise((r) => setTimeout(r, 300));
  window.send = () => chat.submitUserMessage({ text: 'go' });
  window.benchReady = true;
</script></body></html>`;

/** One stream: main-thread TaskDuration (CDP Performance metrics) from the send until the answer is rendered. */
async function renderMs(browser: Browser, url: string): Promise<number> {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true, undefined, { timeout: 30_000 });
  const task = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')!.value);
  const before = await task();
  await page.evaluate(() => (window as unknown as { send: () => void }).send());
  await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, { timeout: 300_000, polling: 50 });
  const ms = (await task() - before) * 1000;
  await page.close();
  return ms;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function widgetFigures(): Promise<Record<string, number>> {
  const entry = join(WEB, 'bedrock-chat.js');
  const full = join(WEB, 'bedrock-chat-full.js');
  if (!existsSync(entry) || !existsSync(full)) throw new Error('No widget in assets/web: run `npx vite build --config src/web-components/vite.config.mts` first.');
  const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length / 1024;
  const figures: Record<string, number> = {
    'widget.gzipKb.launcher': round(gz(entry)),
    'widget.gzipKb.full': round(gz(entry) + gz(full)),
  };
  // The markdown parser (commonmark.js + GFM), its own chunk, loaded by the full chunk as soon as it runs.
  const parser = readdirSync(WEB).find((f) => /^bedrock-chat-parse-[\w-]+\.js$/.test(f));
  if (!parser) throw new Error('No markdown parser chunk (bedrock-chat-parse-[hash].js) in assets/web.');
  figures['widget.gzipKb.markdownParser'] = round(gz(join(WEB, parser)));
  // What the chat needs before it renders its first answer: entry + full chunk + parser (the 45 KB budget).
  figures['widget.gzipKb.total'] = round(gz(entry) + gz(full) + gz(join(WEB, parser)));
  // Not in the budget: built-in sign-in (loaded only without a host token provider) and mermaid, loaded only by the
  // sandboxed frame of a finished diagram: the frame's script and what it imports statically (diagram types come on top).
  const auth = readdirSync(WEB).find((f) => /^bedrock-chat-auth-[\w-]+\.js$/.test(f));
  if (auth) figures['widget.gzipKb.signIn'] = round(gz(join(WEB, auth)));
  const frameScript = join(WEB, 'bedrock-chat-mermaid.js');
  if (existsSync(frameScript)) {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(join(WEB, file), 'utf8').matchAll(/\b(?:from|import)\s*["']\.\/([^"']+)["']/g)) visit(m[1]);
    };
    visit('bedrock-chat-mermaid.js');
    figures['widget.gzipKb.mermaidFrame'] = round([...seen].reduce((sum, f) => sum + gz(join(WEB, f)), 0));
  }
  if (!existsSync(CHROMIUM)) return figures;

  let answer = '';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const ws = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
    if (path === '/ours.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end(ours(ws));
    if (path === '/deep.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end(deep(ws));
    if (path === '/deep-chat.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(DEEP_CHAT));
    // The entry, the full chunk and the lazily loaded ones (the grammar of the answer's code blocks).
    if (/^\/bedrock-chat(-[\w-]+)?\.js$/.test(path) && existsSync(join(WEB, path.slice(1)))) return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(WEB, path.slice(1))));
    if (path === '/api/models') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[{"id":"bench.model","default":true}]}');
    res.writeHead(404).end();
  });
  // Protocol v1, as the backend sends it: ack, start, ~20-character text deltas (one frame each, paced by the event
  // loop), end.
  const wss = new WebSocketServer({ server, path: '/ws', handleProtocols: (p) => (p.has('bedrock-chat.v1') ? 'bedrock-chat.v1' : false) });
  wss.on('connection', (socket) => socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { action: string; requestId: string };
    if (frame.action !== 'sendMessage') return;
    const base = { v: 1, requestId: frame.requestId, conversationId: 'CONV1' };
    socket.send(JSON.stringify({ ...base, type: 'ack', messageId: 'U1' }));
    socket.send(JSON.stringify({ ...base, type: 'start', messageId: 'A1', parentMessageId: 'U1' }));
    let i = 0;
    const next = () => {
      if (i >= answer.length) {
        socket.send(JSON.stringify({ ...base, type: 'end', messageId: 'A1', stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 }, price: 0 }));
        return;
      }
      socket.send(JSON.stringify({ ...base, type: 'text', messageId: 'A1', delta: answer.slice(i, i += CHUNK) }));
      setImmediate(next);
    };
    next();
  }));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium(CHROMIUM);
  try {
    const runs: Array<[string, string, 'ours' | 'deep']> = [['render.ms.16kb', markdownAnswer(16_384), 'ours'], ['render.ms.64kb', markdownAnswer(65_536), 'ours'],
      ...Object.entries(adversarialAnswers()).map(([kind, text]) => [`render.adversarial.${kind}.ms.64kb`, text, 'ours'] as [string, string, 'ours']),
      ...(process.env.BENCH_WIDGET_DEEP_CHAT === '0' ? [] : [['render.deepChat.ms.64kb', markdownAnswer(65_536), 'deep'] as [string, string, 'deep']])];
    for (const [name, text, page] of runs) {
      answer = text;
      const samples: number[] = [];
      for (let r = 0; r < RUNS; r++) samples.push(await renderMs(browser, `${origin}/${page}.html`));
      figures[name] = Math.round(median(samples));
    }
    // The slowest adversarial answer, and its ratio to the normal answer of the same size (same run): at most 2.
    const adversarial = Math.max(...Object.keys(adversarialAnswers()).map((kind) => figures[`render.adversarial.${kind}.ms.64kb`]));
    figures['render.adversarial.ms.64kb'] = adversarial;
    figures['render.adversarial.ratio'] = round(adversarial / figures['render.ms.64kb'], 2);
  } finally {
    await browser.close();
    wss.close();
    server.closeAllConnections();
    server.close();
  }
  return figures;
}

if (require.main === module) {
  widgetFigures().then((f) => console.table(f), (err) => {
    console.error(err);
    process.exit(1);
  });
}
