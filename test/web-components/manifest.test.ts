/** The custom elements manifest generated with the web bundle describes the public elements. */
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';

const FILE = join(__dirname, '../../assets/web/custom-elements.json');

test('custom-elements.json lists the elements with their attributes and events', () => {
  if (!existsSync(FILE)) throw new Error(`${FILE} is missing: run npx projen bundle:web`);
  const manifest = JSON.parse(readFileSync(FILE, 'utf8'));
  const elements = manifest.modules.flatMap((m: any) => m.declarations ?? []).filter((d: any) => d.customElement);
  const byTag = (tag: string) => elements.filter((d: any) => d.tagName === tag);
  const names = (decls: any[], key: 'attributes' | 'events') => new Set(decls.flatMap((d) => (d[key] ?? []).map((x: any) => x.name)));
  for (const tag of ['bedrock-chat', 'bedrock-chat-history', 'bedrock-chat-app']) expect(byTag(tag).length).toBeGreaterThan(0);
  const chat = [...byTag('bedrock-chat'), ...byTag('bedrock-chat-panel')];
  for (const attribute of ['config-url', 'model', 'conversation-id', 'mode']) expect(names(chat, 'attributes')).toContain(attribute);
  // Exactly the documented attributes of the chat element: its internal state is no attribute.
  const chatClass = elements.filter((d: any) => d.name === 'BedrockChat');
  expect([...names(chatClass, 'attributes')].sort()).toEqual(['bot-id', 'config-url', 'conversation-id', 'lang', 'math', 'model']);
  for (const event of ['bedrock-chat-send', 'bedrock-chat-message', 'bedrock-chat-error', 'bedrock-chat-conversation']) {
    expect(names(chat, 'events')).toContain(event);
  }
  expect(names(byTag('bedrock-chat-history'), 'events')).toContain('bedrock-chat-select');
  expect(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).customElements).toBe('assets/web/custom-elements.json');
});

test('THIRD_PARTY_LICENSES.txt next to the bundle names every bundled package with its license text', () => {
  const file = join(__dirname, '../../assets/web/THIRD_PARTY_LICENSES.txt');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npx projen bundle:web`);
  const text = readFileSync(file, 'utf8');
  const web = join(__dirname, '../../assets/web');
  const bundled = readdirSync(web).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(web, f), 'utf8')).join('\n');
  // Lit is in the full chunk, Temml in the math chunk: both must be credited, with their license texts.
  expect(bundled).toContain('lit-html');
  for (const pkg of ['lit', 'lit-html', 'lit-element', '@lit/reactive-element', '@lit/localize', 'temml']) {
    expect(text).toMatch(new RegExp(`^${pkg.replace('/', '\\/')} \\d+\\.\\d+\\.\\d+ \\((MIT|BSD-3-Clause)\\)$`, 'm'));
  }
  expect(text).toContain('Redistribution and use in source and binary forms'); // BSD-3-Clause text
  expect(text).toContain('Permission is hereby granted, free of charge'); // MIT text
});
