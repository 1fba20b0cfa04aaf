/** The custom elements manifest generated with the web bundle describes the public elements. */
import { existsSync, readFileSync } from 'fs';
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
  for (const event of ['bedrock-chat-send', 'bedrock-chat-message', 'bedrock-chat-error', 'bedrock-chat-conversation']) {
    expect(names(chat, 'events')).toContain(event);
  }
  expect(names(byTag('bedrock-chat-history'), 'events')).toContain('bedrock-chat-select');
  expect(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).customElements).toBe('assets/web/custom-elements.json');
});
